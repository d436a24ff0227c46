import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { Role } from '../../../lib/api-keys';
import { afterRoutingChange } from '../../../lib/acd/dispatch';
import { agentStates } from '../../../lib/acd/reads';
import { InvalidAgentTransitionError, setAgentState } from '../../../lib/acd/store';
import { AgentState, type AgentStatus } from '../../../domain/acd/model';
import { ForbiddenError, NotFoundError } from '../../errors';
import { ErrorBody } from '../../plugins/error-handler';
import { assertOwnQueues } from '../queues/references';
import { ConflictError } from '../flows/store';

const SkillLevel = z.object({
  name: z.string().regex(/^[a-z0-9_-]{1,40}$/, 'lowercase letters, digits, _ and -'),
  level: z.number().int().min(1).max(10),
});
const AgentInput = z.object({
  name: z.string().trim().min(1).max(120),
  /** What rings the agent: `PJSIP/<endpoint>` for a softphone (`Local/…` for synthetic agents in tests). */
  endpoint: z
    .string()
    .regex(/^(PJSIP|SIP|Local)\/[A-Za-z0-9_.@:/+-]+$/, 'an Asterisk dial string such as PJSIP/alice'),
  skills: z.array(SkillLevel).max(20).default([]),
  queueIds: z.array(z.string().uuid()).max(50).default([]),
});
const AgentUpdate = AgentInput.extend({ version: z.number().int().positive().max(2_147_483_647) });
const States = Object.values(AgentState) as [AgentState, ...AgentState[]];
const Agent = AgentInput.extend({
  id: z.string().uuid(),
  version: z.number().int(),
  state: z.enum(States),
  reason: z.string().optional(),
  since: z.string().optional(),
  currentCall: z.string().optional(),
  callsHandled: z.number().int(),
}).meta({ id: 'Agent' });
const AgentId = z.object({ id: z.string().uuid('an agent id is a UUID') });
const StateChange = z.object({
  /** on_call is entered by routing, never by request. */
  state: z.enum([AgentState.Available, AgentState.NotReady, AgentState.Offline]),
  /** Why not ready: break, training, … */
  reason: z.string().trim().max(80).optional(),
});

const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody };

interface AgentRow {
  id: string;
  name: string;
  endpoint: string;
  skills: { name: string; level: number }[];
  queue_ids: string[];
  version: number;
}
const config = (r: AgentRow) => ({
  id: r.id,
  name: r.name,
  endpoint: r.endpoint,
  skills: r.skills,
  queueIds: r.queue_ids,
});
const toAgent = (r: AgentRow, live?: AgentStatus) => ({
  ...config(r),
  version: r.version,
  state: live?.state ?? AgentState.Offline,
  reason: live?.reason,
  since: live?.since,
  currentCall: live?.currentEntry,
  callsHandled: live?.callsHandled ?? 0,
});

/** Agents: who they are here; their state in the tenant's routing workflow. */
const agents: FastifyPluginAsyncZod = async (app) => {
  const find = async (tenantId: string, id: string) => {
    const { rows } = await app.pg.query<AgentRow>(
      'select * from agents where tenant_id = $1 and id = $2 and deleted_at is null',
      [tenantId, id],
    );
    if (!rows[0]) throw new NotFoundError('agent', id);
    return rows[0];
  };
  const liveStates = async (tenantId: string): Promise<Map<string, AgentStatus>> =>
    new Map((await agentStates(app.pg, tenantId)).map((a) => [a.id, a]));
  const routing = {
    pool: app.pg,
    client: app.temporal,
    otherClient: app.temporalPeer,
    js: app.nats.jetstream(),
    warn: (message: string, context: Record<string, unknown>) => app.log.warn(context, message),
  };
  const uniqueName = (err: unknown, name: string): never => {
    if ((err as { code?: string }).code === '23505') throw new ConflictError(`an agent named ${name} exists`);
    throw err;
  };

  app.get(
    '/',
    {
      config: { roles: [Role.Admin, Role.Supervisor, Role.Developer, Role.Agent] },
      schema: { tags: ['agents'], response: { 200: z.object({ agents: z.array(Agent) }), ...errors } },
    },
    async (request) => {
      const { tenantId } = request.principal;
      const [{ rows }, live] = await Promise.all([
        app.pg.query<AgentRow>(
          'select * from agents where tenant_id = $1 and deleted_at is null order by name',
          [tenantId],
        ),
        liveStates(tenantId),
      ]);
      return { agents: rows.map((r) => toAgent(r, live.get(r.id))) };
    },
  );

  app.post(
    '/',
    {
      config: { roles: [Role.Admin] },
      schema: { tags: ['agents'], body: AgentInput, response: { 201: Agent, ...errors } },
    },
    async (request, reply) => {
      const b = request.body;
      await assertOwnQueues(app.pg, request.principal.tenantId, b.queueIds, 'body.queueIds');
      const { rows } = await app.pg
        .query<AgentRow>(
          'insert into agents (tenant_id, name, endpoint, skills, queue_ids) values ($1, $2, $3, $4, $5) returning *',
          [request.principal.tenantId, b.name, b.endpoint, JSON.stringify(b.skills), b.queueIds],
        )
        .catch((err: unknown) => uniqueName(err, b.name));
      return reply.code(201).send(toAgent(rows[0]!));
    },
  );

  app.get(
    '/:id',
    {
      config: { roles: [Role.Admin, Role.Supervisor, Role.Developer, Role.Agent] },
      schema: { tags: ['agents'], params: AgentId, response: { 200: Agent, ...errors } },
    },
    async (request) => {
      const row = await find(request.principal.tenantId, request.params.id);
      return toAgent(row, (await liveStates(request.principal.tenantId)).get(row.id));
    },
  );

  app.put(
    '/:id',
    {
      config: { roles: [Role.Admin] },
      schema: {
        tags: ['agents'],
        summary: 'Replace skills, endpoint and queues; routing uses them from the agent’s next state change',
        params: AgentId,
        body: AgentUpdate,
        response: { 200: Agent, ...errors },
      },
    },
    async (request) => {
      const { tenantId } = request.principal;
      await find(tenantId, request.params.id);
      const b = request.body;
      await assertOwnQueues(app.pg, tenantId, b.queueIds, 'body.queueIds');
      const { rows } = await app.pg
        .query<AgentRow>(
          `update agents set name = $3, endpoint = $4, skills = $5, queue_ids = $6, version = version + 1,
                  updated_at = now()
            where tenant_id = $1 and id = $2 and version = $7 and deleted_at is null returning *`,
          [tenantId, request.params.id, b.name, b.endpoint, JSON.stringify(b.skills), b.queueIds, b.version],
        )
        .catch((err: unknown) => uniqueName(err, b.name));
      if (!rows[0]) throw new ConflictError(`agent ${request.params.id} changed since version ${b.version}`);
      return toAgent(rows[0], (await liveStates(tenantId)).get(rows[0].id));
    },
  );

  app.post(
    '/:id/state',
    {
      config: { roles: [Role.Admin, Role.Supervisor, Role.Agent] },
      schema: {
        tags: ['agents'],
        summary: 'Log in (available), take a break (not_ready with a reason) or log out (offline)',
        description:
          'Agents change their own state; supervisors and admins anyone’s. 409 lists the allowed states.',
        params: AgentId,
        body: StateChange,
        response: { 200: Agent, ...errors },
      },
    },
    async (request) => {
      const { tenantId, role, agentId } = request.principal;
      if (role === Role.Agent && agentId !== request.params.id) {
        throw new ForbiddenError(
          role,
          [Role.Admin, Role.Supervisor],
          'an agent key changes only its own agent',
        );
      }
      const row = await find(tenantId, request.params.id);
      try {
        const { status, changes } = await setAgentState(app.pg, tenantId, {
          agent: config(row),
          state: request.body.state,
          reason: request.body.reason,
        });
        // An agent who became available may take a waiting caller now.
        await afterRoutingChange(routing, tenantId, changes);
        return toAgent(row, status);
      } catch (err) {
        if (err instanceof InvalidAgentTransitionError) throw new ConflictError(err.message);
        throw err;
      }
    },
  );
};

export default agents;
