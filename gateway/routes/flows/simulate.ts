import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { Role } from '../../../lib/api-keys';
import { SimulationScript, simulateFlow } from '../../../lib/flow-simulator';
import { loadPublishedFlow } from '../../../workers/flow-resolver';
import { normalizeDefinition } from '../../../domain/flow/normalize';
import type { QueueOverflow } from '../../../domain/flow/ports';
import { validateFlow } from '../../../domain/flow/validate';
import { ErrorBody } from '../../plugins/error-handler';
import { InvalidFieldError, NotFoundError } from '../../errors';
import { FlowId, Problem } from './schemas';
import { FlowStore } from './store';

const SimulateBody = SimulationScript.extend({
  /** A published version, or the draft. @default 'draft' */
  version: z.union([z.number().int().positive(), z.literal('draft')]).default('draft'),
});

const MediaItem = z.object({
  kind: z.enum(['sound', 'tts', 'recording', 'digits', 'number', 'date']),
  name: z.string().optional(),
  text: z.string().optional(),
  voice: z.string().optional(),
  recordingId: z.string().optional(),
  value: z.string().optional(),
});

const SimulationResult = z
  .object({
    flowId: z.string().uuid(),
    version: z.union([z.number().int(), z.literal('draft')]),
    path: z.array(
      z.object({
        nodeId: z.string(),
        type: z.string(),
        enteredAt: z.string(),
        exit: z.string().optional(),
        flow: z.object({ id: z.string(), version: z.number().int() }).optional(),
        detail: z.record(z.string(), z.string()).optional(),
      }),
    ),
    events: z.array(
      z.object({
        nodeId: z.string(),
        kind: z.enum(['prompt', 'input', 'http', 'transfer', 'voicemail', 'queue', 'callback', 'hangup']),
        media: z.array(MediaItem).optional(),
        digits: z.string().optional(),
        request: z.object({ method: z.string(), url: z.string(), body: z.string().optional() }).optional(),
        outcome: z.string().optional(),
      }),
    ),
    variables: z.record(z.string(), z.string()),
    ended: z.object({
      by: z.enum(['hangup_node', 'end_of_flow', 'caller', 'error']),
      nodeId: z.string().optional(),
      message: z.string().optional(),
    }),
  })
  .meta({ id: 'SimulationResult' });

const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody };

const simulate: FastifyPluginAsyncZod = async (app) => {
  app.post(
    '/:id/simulate',
    {
      config: { roles: [Role.Admin, Role.Developer, Role.Supervisor] },
      schema: {
        tags: ['flows'],
        summary: 'Run a version or the draft with scripted caller input and stubbed HTTP, without a call',
        description:
          'The same interpreter as real calls decides every exit. Answers the path taken, the prompts ' +
          'played, the input consumed and the variables (secret ones masked). A draft with problems is ' +
          'answered 422 with them.',
        params: FlowId,
        body: SimulateBody,
        response: {
          200: SimulationResult,
          422: z.object({ valid: z.literal(false), problems: z.array(Problem) }),
          ...errors,
        },
      },
    },
    async (request, reply) => {
      const { tenantId } = request.principal;
      const { version, ...script } = request.body;
      const store = new FlowStore(app.pg, tenantId);
      const flowRecord = await store.get(request.params.id);
      let definition = flowRecord.definition;
      if (version === 'draft') {
        // Nodes that only a real call can run (not_runnable) are fine here: they end the simulation.
        const problems = validateFlow(definition).filter((p) => p.code !== 'not_runnable');
        if (problems.length) return reply.code(422).send({ valid: false as const, problems });
      } else {
        const published = await loadPublishedFlow(app.pg, tenantId, flowRecord.id, 'simulation', version);
        if (!published) throw new NotFoundError('flow version', `${flowRecord.id} v${version}`);
        definition = published.definition;
      }
      if (script.hangup.atNode && !definition.nodes.some((n) => n.id === script.hangup.atNode)) {
        throw new InvalidFieldError('hangup.atNode', `the flow has no node ${script.hangup.atNode}`);
      }
      const { rows } = await app.pg.query<{ http_allow_hosts: string[] }>(
        'select http_allow_hosts from tenants where id = $1',
        [tenantId],
      );
      const result = await simulateFlow(
        {
          id: flowRecord.id,
          version: typeof version === 'number' ? version : 0,
          definition: normalizeDefinition(definition),
        },
        script,
        {
          tenantId,
          allowHosts: rows[0]?.http_allow_hosts ?? [],
          loadFlow: (flowId, v) => loadPublishedFlow(app.pg, tenantId, flowId, 'simulation', v),
          queueOverflow: async (queueId) => {
            const { rows: queues } = await app.pg.query<{ config: { overflow?: QueueOverflow } }>(
              'select config from queues where id = $1 and tenant_id = $2 and deleted_at is null',
              [queueId, tenantId],
            );
            return queues[0]?.config.overflow;
          },
        },
      );
      return { flowId: flowRecord.id, version, ...result };
    },
  );
};

export default simulate;
