import fp from 'fastify-plugin';
import { buildAsyncApiDocument } from '../../../lib/events/asyncapi';

/**
 * `GET /asyncapi.json`: the AsyncAPI 3 document of the events (NATS subjects, webhook and SSE payloads),
 * generated from the zod schemas the publisher checks events against. Public, like /openapi.json.
 */
export default fp(async (app) => {
  // Host and port only: a NATS_URL may carry credentials (nats://user:secret@host:4222), never shown here.
  const first = app.config.NATS_URL.split(',')[0]!.trim();
  const url = new URL(first.includes('://') ? first : `nats://${first}`);
  const natsHost = `${url.hostname}:${url.port || '4222'}`;
  const document = buildAsyncApiDocument({ natsHost });
  app.get('/asyncapi.json', { schema: { hide: true } }, async () => document);
});
