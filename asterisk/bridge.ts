import { loadConfig } from '../lib/config';
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
  const nc = await connectNats(config.NATS_URL, `cticloud-bridge-${config.ASTERISK_NODE}`);
  await ensureAriStream(nc);
  const publisher = new OrderedEventPublisher(nc.jetstream(), config.ASTERISK_NODE, log);
  const mirror = process.env.ARI_BRIDGE_ROLE === 'mirror';
  const app = mirror ? `${config.ARI_APP}-mirror` : config.ARI_APP;
  const ari = new AriEventStream({
    url: config.ARI_URL,
    user: config.ARI_USER,
    password: config.ARI_PASSWORD,
    app,
    subscribeAll: mirror,
  });
  ari.on('event', (event) => publisher.enqueue(event));
  ari.on('connected', () => log.info({ app, url: config.ARI_URL }, 'ARI connected'));
  ari.on('disconnected', (err) => log.warn({ reason: err?.message }, 'ARI disconnected; reconnecting'));
  ari.start();

  const shutdown = async (signal: string): Promise<void> => {
    log.info({ signal }, 'bridge stopping');
    await ari.stop();
    await publisher.flush();
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
