import { Client, Connection } from '@temporalio/client';
import fp from 'fastify-plugin';
import type { NatsConnection } from 'nats';
import { checkAri } from '../../asterisk/ari';
import { connectNats } from '../../asterisk/event-log';
import type { Config } from '../../lib/config';
import { createPool, type Pool } from '../../lib/db';

declare module 'fastify' {
  interface FastifyInstance {
    config: Config;
    pg: Pool;
    temporal: Client;
    nats: NatsConnection;
    /** Resolves when ARI answers with our credentials; rejects with the reason otherwise. */
    checkAri: () => Promise<void>;
  }
}

/**
 * The gateway's external services, decorated on the instance. Temporal is connected lazily so the API
 * (and /readyz, which reports it) comes up even while Temporal is still starting.
 */
export default fp<{ config: Config }>(async (app, { config }) => {
  const pool = createPool(config.DATABASE_URL);
  const connection = Connection.lazy({ address: config.TEMPORAL_ADDRESS });
  const nats = await connectNats(config.NATS_URL, 'cticloud-gateway');
  app.decorate('config', config);
  app.decorate('pg', pool);
  app.decorate('temporal', new Client({ connection, namespace: config.TEMPORAL_NAMESPACE }));
  app.decorate('nats', nats);
  app.decorate('checkAri', () =>
    checkAri({
      url: config.ARI_URL,
      user: config.ARI_USER,
      password: config.ARI_PASSWORD,
      connectTimeoutMs: 2000,
    }),
  );
  app.addHook('onClose', async () => {
    await nats.drain().catch(() => undefined);
    await connection.close().catch(() => undefined);
    await pool.end();
  });
});
