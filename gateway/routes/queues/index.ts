import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { Role } from '../../../lib/api-keys';
import { queueStats, waitingEntries } from '../../../lib/acd/reads';
import { QueueSettings } from '../../../domain/acd/settings';
import { NotFoundError } from '../../errors';
import { ErrorBody } from '../../plugins/error-handler';
import { ConflictError } from '../flows/store';
import { assertOwnOverflow } from './references';

const Queue = QueueSettings.extend({
  id: z.string().uuid(),
  name: z.string(),
  version: z.number().int(),
  createdAt: z.string(),
  updatedAt: z.string(),
}).meta({ id: 'Queue' });
const QueueInput = QueueSettings.extend({ name: z.string().trim().min(1).max(120) });
const QueueUpdate = QueueInput.extend({
  /** The version the editor started from: a stale one is refused with 409. */
  version: z.number().int().positive().max(2_147_483_647),
});
const QueueId = z.object({ id: z.string().uuid('a queue id is a UUID') });
const Stats = z
  .object({
    queueId: z.string(),
    waiting: z.number().int(),
    longestWaitSec: z.number(),
    agents: z.record(z.string(), z.number().int()),
    serviceLevel: z.object({ last15m: z.number().nullable(), last60m: z.number().nullable() }),
    answered60m: z.number().int(),
    abandoned60m: z.number().int(),
    averageHandleSec: z.number().nullable(),
    at: z.string(),
  })
  .meta({ id: 'QueueStats' });
const Waiting = z.object({
  entryId: z.string(),
  kind: z.enum(['call', 'callback']),
  priority: z.number().int(),
  enqueuedAt: z.string(),
  from: z.string(),
});

const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody };
const readers = [Role.Admin, Role.Developer, Role.Supervisor, Role.Agent] as const;
const editors = [Role.Admin] as const;

interface QueueRow {
  id: string;
  name: string;
  config: unknown;
  version: number;
  created_at: Date;
  updated_at: Date;
}
const toQueue = (r: QueueRow) => ({
  ...QueueSettings.parse(r.config),
  id: r.id,
  name: r.name,
  version: r.version,
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
});
const uniqueName = (err: unknown, name: string): never => {
  if ((err as { code?: string }).code === '23505') throw new ConflictError(`a queue named ${name} exists`);
  throw err;
};

/** ACD queues: configuration here, live state (waiting callers, agents) in the tenant's routing workflow. */
const queues: FastifyPluginAsyncZod = async (app) => {
  const find = async (tenantId: string, id: string) => {
    const { rows } = await app.pg.query<QueueRow>(
      'select * from queues where tenant_id = $1 and id = $2 and deleted_at is null',
      [tenantId, id],
    );
    if (!rows[0]) throw new NotFoundError('queue', id);
    return rows[0];
  };

  app.get(
    '/',
    {
      config: { roles: readers },
      schema: { tags: ['queues'], response: { 200: z.object({ queues: z.array(Queue) }), ...errors } },
    },
    async (request) => {
      const { rows } = await app.pg.query<QueueRow>(
        'select * from queues where tenant_id = $1 and deleted_at is null order by name',
        [request.principal.tenantId],
      );
      return { queues: rows.map(toQueue) };
    },
  );

  app.post(
    '/',
    {
      config: { roles: editors },
      schema: { tags: ['queues'], body: QueueInput, response: { 201: Queue, ...errors } },
    },
    async (request, reply) => {
      const { name, ...settings } = request.body;
      await assertOwnOverflow(app.pg, request.principal.tenantId, settings.overflow);
      const { rows } = await app.pg
        .query<QueueRow>('insert into queues (tenant_id, name, config) values ($1, $2, $3) returning *', [
          request.principal.tenantId,
          name,
          settings,
        ])
        .catch((err: unknown) => uniqueName(err, name));
      return reply.code(201).send(toQueue(rows[0]!));
    },
  );

  app.get(
    '/:id',
    {
      config: { roles: readers },
      schema: { tags: ['queues'], params: QueueId, response: { 200: Queue, ...errors } },
    },
    async (request) => toQueue(await find(request.principal.tenantId, request.params.id)),
  );

  app.put(
    '/:id',
    {
      config: { roles: editors },
      schema: {
        tags: ['queues'],
        summary: 'Replace the settings; calls already waiting keep the settings they entered with',
        params: QueueId,
        body: QueueUpdate,
        response: { 200: Queue, ...errors },
      },
    },
    async (request) => {
      const { name, version, ...settings } = request.body;
      await find(request.principal.tenantId, request.params.id);
      await assertOwnOverflow(app.pg, request.principal.tenantId, settings.overflow);
      const { rows } = await app.pg
        .query<QueueRow>(
          `update queues set name = $3, config = $4, version = version + 1, updated_at = now()
            where tenant_id = $1 and id = $2 and version = $5 and deleted_at is null returning *`,
          [request.principal.tenantId, request.params.id, name, settings, version],
        )
        .catch((err: unknown) => uniqueName(err, name));
      if (!rows[0]) throw new ConflictError(`queue ${request.params.id} changed since version ${version}`);
      return toQueue(rows[0]);
    },
  );

  app.delete(
    '/:id',
    {
      config: { roles: editors },
      schema: { tags: ['queues'], params: QueueId, response: { 204: z.null(), ...errors } },
    },
    async (request, reply) => {
      await find(request.principal.tenantId, request.params.id);
      await app.pg.query('update queues set deleted_at = now(), version = version + 1 where id = $1', [
        request.params.id,
      ]);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/:id/stats',
    {
      config: { roles: readers },
      schema: {
        tags: ['queues'],
        summary:
          'Live: waiting callers, longest wait, agents by state, service level in the last 15 and 60 minutes',
        params: QueueId,
        response: { 200: Stats.extend({ callers: z.array(Waiting) }), ...errors },
      },
    },
    async (request) => {
      const { tenantId } = request.principal;
      const queue = await find(tenantId, request.params.id);
      const [stats, callers] = await Promise.all([
        queueStats(app.pg, tenantId, queue.id),
        waitingEntries(app.pg, tenantId, queue.id),
      ]);
      return { ...stats, callers };
    },
  );
};

export default queues;
