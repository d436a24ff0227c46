import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { Role } from '../../../lib/api-keys';
import { transferCallSignal } from '../../../workflows/acd/contract';
import { flowStatusQuery } from '../../../workflows/flow-call/contract';
import { InvalidFieldError } from '../../errors';
import { ErrorBody } from '../../plugins/error-handler';
import { ConflictError } from '../flows/store';
import { assertOnCall, tenantCallOnly } from './lookup';

const TransferBody = z.object({
  to: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('queue'), queueId: z.string().uuid() }),
    z.object({
      kind: z.literal('number'),
      number: z.string().regex(/^\+?[0-9]{3,20}$/, 'digits, optionally with +'),
    }),
  ]),
});
const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody };

/** Blind transfer of a call that waits in a queue or talks to an agent. */
const transfer: FastifyPluginAsyncZod = async (app) => {
  app.post(
    '/:id/transfer',
    {
      config: { roles: [Role.Admin, Role.Supervisor, Role.Agent] },
      schema: {
        tags: ['calls'],
        summary: 'Blind transfer to another queue (a new place in line) or a number; the agent is released',
        params: z.object({ id: z.string().min(1).max(200) }),
        body: TransferBody,
        response: { 202: z.object({ accepted: z.literal(true) }), ...errors },
      },
    },
    async (request, reply) => {
      const { tenantId, keyId } = request.principal;
      // The tenant first: 404 vs 409 must not tell another tenant which ids exist.
      const { handle, description } = await tenantCallOnly(app.temporal, request.params.id, tenantId);
      if (description.type !== 'FlowCallWorkflow') {
        throw new ConflictError(`call ${request.params.id} does not run a flow`);
      }
      const status = await handle.query(flowStatusQuery);
      assertOnCall(request.principal, status);
      if (status.endedAt || !status.queue) {
        throw new ConflictError('only a call waiting in a queue or talking to an agent can be transferred');
      }
      const { to } = request.body;
      if (to.kind === 'queue') {
        const found = await app.pg.query(
          'select 1 from queues where id = $1 and tenant_id = $2 and deleted_at is null',
          [to.queueId, tenantId],
        );
        if (!found.rowCount) throw new InvalidFieldError('to.queueId', `no queue ${to.queueId}`);
      }
      await handle.signal(transferCallSignal, { to, by: keyId });
      return reply.code(202).send({ accepted: true as const });
    },
  );
};

export default transfer;
