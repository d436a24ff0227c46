import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { Role } from '../../../lib/api-keys';
import { endCallSignal } from '../../../workflows/call/contract';
import { ErrorBody } from '../../plugins/error-handler';
import { ConflictError } from '../flows/store';
import { tenantCall } from './lookup';
import { CallId } from './schemas';

/**
 * Ends a live call. The workflow does it (a signal, not an ARI hangup from here), so the CDR records the
 * system as the party that ended the call and the flow's cleanup (a queue releasing its agent) runs as usual.
 */
const hangup: FastifyPluginAsyncZod = async (app) => {
  app.post(
    '/:id/hangup',
    {
      config: { roles: [Role.Admin, Role.Supervisor] },
      schema: {
        tags: ['calls'],
        summary: 'Hang up a live call; it ends within a moment and its CDR says endedBy system',
        params: z.object({ id: CallId }),
        response: {
          202: z.object({ accepted: z.literal(true) }),
          400: ErrorBody,
          401: ErrorBody,
          403: ErrorBody,
          404: ErrorBody,
          409: ErrorBody,
        },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const call = await tenantCall(app.temporal, id, request.principal.tenantId);
      if (!call.running) throw new ConflictError(`call ${id} has already ended`);
      await call.handle.signal(endCallSignal, { at: new Date().toISOString(), by: request.principal.keyId });
      request.log.info({ callId: id, by: request.principal.keyId }, 'call hangup requested');
      return reply.code(202).send({ accepted: true as const });
    },
  );
};

export default hangup;
