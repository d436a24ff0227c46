import fp from 'fastify-plugin';
import { buildAsyncApiDocument } from '../../../lib/events/asyncapi';

/**
 * `GET /asyncapi.json`: the AsyncAPI 3 document of the events (NATS subjects, webhook and SSE payloads),
 * generated from the zod schemas the publisher checks events against. Public, like /openapi.json.
 */
export default fp(async (app) => {
  const natsHost = app.config.NATS_URL.replace(/^nats:\/\//, '');
  const document = buildAsyncApiDocument({ natsHost });
  app.get('/asyncapi.json', { schema: { hide: true } }, async () => document);
});
