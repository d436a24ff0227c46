import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { Readiness, readiness } from './readiness';

const health: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/healthz',
    { schema: { tags: ['health'], security: [], response: { 200: z.object({ status: z.literal('ok') }) } } },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/readyz',
    {
      schema: {
        tags: ['health'],
        security: [],
        description:
          "Checks Temporal, PostgreSQL, NATS, ARI, and that this stack's bridge holds the Stasis app; 503 names what is down.",
        response: { 200: Readiness, 503: Readiness },
      },
    },
    async (request, reply) => {
      const ready = await readiness(app, request.log);
      return reply.code(ready.down.length ? 503 : 200).send(ready);
    },
  );
};

export default health;
