import { asteriskNodes, loadConfig } from '../lib/config';
import { createLogger } from '../lib/logger';
import { AriEventStream } from './ari';
import { connectNats, ensureAriStream, OrderedEventPublisher } from './event-log';

/**
 * Holds the ARI WebSocket and appends every event to the ARI JetStream stream, so that workers and
 * routers can restart without losing an event. Stateless: a restarted bridge simply reconnects.
 *
 * Asterisk drops (never queues) events for an app whose WebSocket is gone, so one bridge restarting
 * would lose the digits pressed meanwhile. Run two: the owner registers ARI_APP (channels enter it);
 * a mirror (ARI_BRIDGE_ROLE=mirror) registers `<ARI_APP>-mirror` subscribed to every channel. Both
 * publish every event; JetStream keeps one copy of each (see eventDedupId).
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger('bridge', config.LOG_LEVEL);
  const nodes = asteriskNodes(config);
  const nc = await connectNats(config.NATS_URL, `cticloud-bridge-${nodes.map((n) => n.name).join('-')}`);
  await ensureAriStream(nc);
  const mirror = process.env.ARI_BRIDGE_ROLE === 'mirror';
  const app = mirror ? `${config.ARI_APP}-mirror` : config.ARI_APP;
  // One WebSocket and one ordered publisher per Asterisk: each node's events go to `ari.<node>.…`.
  const streams = nodes.map((node) => {
    const publisher = new OrderedEventPublisher(nc.jetstream(), node.name, log);
    const ari = new AriEventStream({ ...node, app, subscribeAll: mirror });
    ari.on('event', (event) => publisher.enqueue(event));
    ari.on('connected', () => log.info({ app, node: node.name, url: node.url }, 'ARI connected'));
    ari.on('disconnected', (err) =>
      log.warn({ node: node.name, reason: err?.message }, 'ARI disconnected; reconnecting'),
    );
    ari.start();
    return { ari, publisher };
  });

  const shutdown = async (signal: string): Promise<void> => {
    log.info({ signal }, 'bridge stopping');
    await Promise.all(streams.map(({ ari }) => ari.stop()));
    await Promise.all(streams.map(({ publisher }) => publisher.flush()));
    await nc.drain();
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
