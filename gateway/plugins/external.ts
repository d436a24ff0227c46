import { Client } from '@temporalio/client';
import fp from 'fastify-plugin';
import type { NatsConnection } from 'nats';
import { describeHolder, findHolder, isThisStack } from '../../asterisk/app-owner';
import { checkAri } from '../../asterisk/ari';
import { connectNats } from '../../asterisk/event-log';
import { asteriskNodes, type Config } from '../../lib/config';
import { createPool, type Pool } from '../../lib/db';
import {
  SwitchableConnection,
  frontendAddresses,
  lazyFrontends,
  watchFrontends,
} from '../../lib/temporal-frontends';

declare module 'fastify' {
  interface FastifyInstance {
    config: Config;
    pg: Pool;
    temporal: Client;
    /** At two sites, the other site's namespace, which this site runs after a site failover. */
    temporalPeer: Client | undefined;
    nats: NatsConnection;
    /** Resolves when ARI answers with our credentials; rejects with the reason otherwise. */
    checkAri: () => Promise<void>;
    /** Resolves when a bridge of this stack holds ARI_APP on every Asterisk; rejects saying who does instead. */
    checkBridge: () => Promise<void>;
  }
}

/**
 * The gateway's external services, decorated on the instance. Temporal is connected lazily so the API
 * (and /readyz, which reports it) comes up even while Temporal is still starting; while this site's
 * frontend is gone, calls go to another cluster's (TEMPORAL_FALLBACK_ADDRESSES).
 */
export default fp<{ config: Config }>(async (app, { config }) => {
  const pool = createPool(config.DATABASE_URL);
  // This site's frontend, and the others' while it is gone (lib/temporal-frontends.ts).
  const addresses = frontendAddresses(config.TEMPORAL_ADDRESS, config.TEMPORAL_FALLBACK_ADDRESSES);
  const frontends = lazyFrontends(addresses, { for: 'calls' });
  const connection = new SwitchableConnection(frontends.get(addresses[0]!)!);
  const watch = watchFrontends(addresses, {
    use: async (address) => connection.use(frontends.get(address)!),
    log: app.log,
  });
  const nats = await connectNats(config.NATS_URL, 'cticloud-gateway');
  app.decorate('config', config);
  app.decorate('pg', pool);
  app.decorate('temporal', new Client({ connection, namespace: config.TEMPORAL_NAMESPACE }));
  app.decorate(
    'temporalPeer',
    config.TEMPORAL_PEER_NAMESPACE
      ? new Client({ connection, namespace: config.TEMPORAL_PEER_NAMESPACE })
      : undefined,
  );
  app.decorate('nats', nats);
  app.decorate('checkAri', () =>
    checkAri({
      url: config.ARI_URL,
      user: config.ARI_USER,
      password: config.ARI_PASSWORD,
      connectTimeoutMs: 2000,
    }),
  );
  // Asked of the holder itself (asterisk/app-owner.ts): a bridge displaced by another stack's, or gone, fails it.
  app.decorate('checkBridge', async () => {
    await Promise.all(
      asteriskNodes(config).map(async (node) => {
        const holder = await findHolder(node, config.ARI_APP, 1000);
        if (holder.state !== 'held' || !isThisStack(holder.owner))
          throw new Error(describeHolder(config.ARI_APP, node.url, holder));
      }),
    );
  });
  app.addHook('onClose', async () => {
    await nats.drain().catch(() => undefined);
    await watch.stop();
    await Promise.all([...frontends.values()].map((c) => c.close().catch(() => undefined)));
    await pool.end();
  });
});
