import type { AsteriskNode } from '../domain/asterisk-nodes';
import { asteriskNodes, loadConfig } from '../lib/config';
import { createLogger, type Logger } from '../lib/logger';
import { describeOwner, thisBridge } from './app-owner';
import { AriEventStream } from './ari';
import { answerInboundAtOnce } from './early-answer';
import { connectNats, ensureAriStream, OrderedEventPublisher } from './event-log';

/**
 * Holds the ARI WebSocket and appends every event to the ARI JetStream stream, so that workers and
 * routers can restart without losing an event. Stateless: a restarted bridge simply reconnects.
 *
 * Asterisk drops (never queues) events for an app whose WebSocket is gone, so one bridge restarting
 * would lose the digits pressed meanwhile. Run two: the owner registers ARI_APP (channels enter it);
 * a mirror (ARI_BRIDGE_ROLE=mirror) registers `<ARI_APP>-mirror` subscribed to every channel. Both
 * publish every event; JetStream keeps one copy of each (see eventDedupId).
 *
 * A bridge never takes its app from another live CTICloud bridge (asterisk/app-owner.ts): at start it exits
 * with status 3 saying who holds it (npm start shows that). One displaced by a client that does not ask first
 * (an earlier release) says so, and takes the app back after a few seconds unless a CTICloud bridge holds it.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger('bridge', config.LOG_LEVEL);
  const nodes = asteriskNodes(config);
  const nc = await connectNats(config.NATS_URL, `cticloud-bridge-${nodes.map((n) => n.name).join('-')}`);
  await ensureAriStream(nc);
  const mirror = process.env.ARI_BRIDGE_ROLE === 'mirror';
  const app = mirror ? `${config.ARI_APP}-mirror` : config.ARI_APP;
  const me = thisBridge(mirror ? 'mirror' : 'owner', config.API_PORT);
  let stopping = false;
  const shutdown = async (signal: string, status = 0): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'bridge stopping');
    await Promise.all(streams.map(({ ari }) => ari.stop()));
    await Promise.all(streams.map(({ publisher }) => publisher.flush()));
    await nc.drain();
    process.exit(status);
  };
  // One WebSocket and one ordered publisher per Asterisk: each node's events go to `ari.<node>.…`.
  const streams = nodes.map((node) => {
    const publisher = new OrderedEventPublisher(nc.jetstream(), node.name, log);
    const ari = new AriEventStream({ ...node, app, subscribeAll: mirror, owner: me });
    // The owner answers new inbound calls at once (the mirror's app never receives their StasisStart).
    const answer = mirror ? undefined : answerInboundAtOnce(node, log);
    ari.on('event', (event) => {
      publisher.enqueue(event);
      answer?.(event);
    });
    ari.on('connected', () => log.info({ app, node: node.name, url: node.url }, 'ARI connected'));
    ari.on('disconnected', (err) =>
      log.warn({ node: node.name, reason: err?.message }, 'ARI disconnected; reconnecting'),
    );
    // A second stack must not take a running one's calls: refused at start (npm start prints the reason).
    reportOwnership(ari, app, node, log, () => void shutdown('refused', 3));
    ari.start();
    return { ari, publisher };
  });

  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
}

/** Logs what becomes of the app: held by another bridge (`refuse` when at start), left over, or taken away. */
function reportOwnership(
  ari: AriEventStream,
  app: string,
  node: AsteriskNode,
  log: Logger,
  refuse: () => void,
) {
  let connectedOnce = false;
  let reportedHolder: number | undefined;
  ari.on('connected', () => {
    connectedOnce = true;
    reportedHolder = undefined;
  });
  ari.on('held', (owner) => {
    const message = `ARI app ${app} at ${node.url} is held by ${describeOwner(owner)}`;
    if (!connectedOnce) {
      log.error(
        { app, node: node.name, owner },
        `${message}: not taking it over (stop that stack, or give this one its own ARI_APP)`,
      );
      refuse();
    } else if (reportedHolder !== owner.pid) {
      log.warn({ app, node: node.name, owner }, `${message}; waiting until it is free`);
    }
    reportedHolder = owner.pid;
  });
  ari.on('unanswered', () =>
    log.warn(
      { app, node: node.name },
      `ARI app ${app} is registered but no bridge answers for it (left by a crashed bridge, or another client): registering it`,
    ),
  );
  ari.on('displaced', () =>
    log.error(
      { app, node: node.name, url: node.url },
      `ARI app ${app} at ${node.url} was taken over by another connection: its calls no longer reach this bridge, which takes the app back in a few seconds unless a CTICloud bridge holds it`,
    ),
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
