import { Client } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createAriActivities } from '../activities/ari';
import { createAcdActivities } from '../activities/acd';
import { publishQueueStats } from './queue-stats';
import { watchRouting } from './routing-watchdog';
import { createCallControlActivities } from '../activities/call-control';
import { createCampaignActivities } from '../activities/campaign';
import { createAttemptPreparation } from '../activities/campaign-prepare';
import { createAttemptLauncher } from '../activities/campaign-launch';
import { createAttemptReport } from '../activities/campaign-report';
import { createCampaignControlActivities } from '../activities/campaign-control';
import { createCdrActivities } from '../activities/cdr';
import { createTicketActivities } from '../activities/tickets';
import { createFlowDataActivities } from '../activities/flow-data';
import { createSpeechActivities } from '../activities/speech';
import { CarriedEventsPublisher, carriedEventsInterceptor } from '../lib/events/carried';
import { createEventActivities } from '../activities/events';
import { createWebhookActivities } from '../activities/webhooks';
import { createMonitorActivities } from '../activities/monitor';
import { JetStreamChannelEvents } from '../activities/channel-events';
import { SharedChannelEvents } from '../activities/channel-event-reader';
import { AriNodes } from '../asterisk/nodes';
import { ariTaskQueue, type AsteriskNode } from '../domain/asterisk-nodes';
import { createNodeActivities, routeByNode } from '../activities/nodes';
import { connectNats, ensureAriStream } from '../asterisk/event-log';
import { asteriskNodes, loadConfig, type Config } from '../lib/config';
import { outboundRules } from '../lib/outbound/rules';
import { ChannelGoneError } from '../asterisk/ari-errors';
import { createPool } from '../lib/db';
import { createLogger, type Logger } from '../lib/logger';
import { WorkerFrontends } from '../lib/temporal';
import { loadWorkflowBundle } from './workflow-bundle';
import { resolveFlow } from './flow-resolver';
import { CallRouter } from './router';
import { WebhookDispatcher } from './webhook-dispatcher';
import { untilActiveHere, watchActiveHere, watchPeerForTakeover } from './takeover';
import { serveLostNodes } from './lost-nodes';
import { installSdkMetrics, serveWorkerMetrics } from './worker-metrics';
import { deploymentOptions, followRollout } from './versioning';

/** The call worker: runs CallWorkflow and its activities, and routes new ARI channels to it. */
async function main(config: Config, log: Logger): Promise<void> {
  // A takeover worker runs the other site's workflows; the site's own worker routes, delivers and watches.
  const ownSite = config.WORKER_ROLE === 'site';
  // Before any connection, as the SDK requires.
  await installSdkMetrics(config.METRICS_HOST, config.TEMPORAL_SDK_METRICS_PORT, log);
  // This site's frontend, or another cluster's while it is gone: the workers and the client move together.
  const frontends = await WorkerFrontends.connect(config, log);
  const nc = await connectNats(config.NATS_URL, 'cticloud-worker');
  await ensureAriStream(nc);
  const pool = createPool(config.DATABASE_URL);
  // Aborted when the worker stops: a node that never answered must not keep the process from exiting.
  const stopping = new AbortController();
  // A signal, or a node worker that failed: no more serving the namespace (the SDK stops its workers itself).
  const halt = new AbortController();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => halt.abort());
  const nodes = new AriNodes(
    asteriskNodes(config),
    (node, err, delayMs) =>
      log.warn({ node, reason: err.message, retryInMs: delayMs }, 'ARI unavailable; retrying'),
    stopping.signal,
  );
  const ownConsumers = new JetStreamChannelEvents(nc.jetstream(), await nc.jetstreamManager());
  const sharedEvents =
    config.CHANNEL_EVENTS_READER === 'shared'
      ? new SharedChannelEvents(nc.jetstream(), ownConsumers)
      : undefined;
  const events = sharedEvents ?? ownConsumers;
  // TTS prompts and uploaded recordings share one directory Asterisk plays from.
  const media = { hostDir: config.TTS_HOST_DIR, asteriskDir: config.TTS_ASTERISK_DIR };
  // Sharing the worker's connection is what lets the router start workflows eagerly on this worker.
  const client = new Client({ connection: frontends.clientConnection, namespace: config.TEMPORAL_NAMESPACE });
  // At two sites, routing here may offer agents to the other namespace's entries (a site taken over).
  const otherClient = config.TEMPORAL_PEER_NAMESPACE
    ? new Client({ connection: frontends.clientConnection, namespace: config.TEMPORAL_PEER_NAMESPACE })
    : undefined;
  const campaignHalted = async (campaignId: string) => {
    const { rows } = await pool.query<{ state: string }>('select state from campaigns where id = $1', [
      campaignId,
    ]);
    return rows[0]?.state === 'paused' || rows[0]?.state === 'stopped';
  };
  /** What runs against one Asterisk: its commands, its media, its recordings. */
  const nodeActivities = (node: AsteriskNode) => {
    const ari = nodes.lazyCommands(node.name);
    return {
      ...createAriActivities({ ari, events }),
      ...createCallControlActivities({
        ari,
        events,
        app: config.ARI_APP,
        outboundDial: config.OUTBOUND_DIAL,
        node: node.name,
        campaignHalted,
      }),
      ...createMonitorActivities({ ari, events, node: node.name }),
      ...createFlowDataActivities({
        pool,
        ari: node,
        media,
        rules: (allowPrivate) => outboundRules(config, allowPrivate),
      }),
    };
  };
  // Events that workflows hand over with their activities go out before each activity runs.
  const carried = new CarriedEventsPublisher(nc.jetstream(), log);
  const interceptors = { activity: [carriedEventsInterceptor((events) => carried.publish(events))] };
  const perNode = new Map(nodes.nodes.map((node) => [node.name, nodeActivities(node)] as const));
  // One build of a worker deployment when WORKER_BUILD_ID is set (gradual rollout): workers/versioning.ts.
  const versioning = deploymentOptions(config);
  // The primary's connection first: the calls already running on it need it before anything else.
  await nodes.connected(nodes.primary.name);
  const campaignActivities = createCampaignActivities(pool);
  // Each node's own task queue is polled only once this worker reaches that Asterisk, and for as long as the
  // process lives: only this site can drive this site's Asterisk, whichever cluster the namespace is active
  // on (a call taken over still has its media here after the fail-back; a dial in flight when the site died
  // is resolved from this site's event stream once it is back). On a standby cluster the polls are
  // forwarded to the active one.
  const nodeWorkers: Worker[] = [];
  /** The nodes whose node worker runs here. */
  const driven = new Set<string>();
  const nodeRuns = nodes.nodes.map(async (node) => {
    await nodes.connected(node.name);
    if (stopping.signal.aborted) return;
    // Reading the node's events before its activities run, so their cursors find them buffered.
    await sharedEvents?.watch(node.name);
    const nodeWorker = frontends.adopt(
      await Worker.create({
        connection: frontends.connection,
        namespace: config.TEMPORAL_NAMESPACE,
        taskQueue: ariTaskQueue(config.TEMPORAL_TASK_QUEUE, node.name),
        interceptors,
        activities: perNode.get(node.name)!,
        ...versioning,
      }),
    );
    log.info(
      { node: node.name, taskQueue: ariTaskQueue(config.TEMPORAL_TASK_QUEUE, node.name) },
      'node worker ready',
    );
    nodeWorkers.push(nodeWorker);
    driven.add(node.name);
    try {
      await nodeWorker.run();
    } finally {
      driven.delete(node.name);
    }
  });

  /** The namespace's workflows and the activities not bound to one Asterisk; at its own site, routing too. */
  let serving: Worker | undefined;
  let lostNow: () => readonly string[] = () => [];
  const metrics = await serveWorkerMetrics({
    host: config.METRICS_HOST,
    port: config.WORKER_METRICS_PORT,
    namespace: config.TEMPORAL_NAMESPACE,
    nodes: nodes.nodes.map((n) => n.name),
    isAlive: (node) => nodes.isAlive(node),
    serving: () => serving?.getState() === 'RUNNING',
    lostNodes: () => lostNow(),
    log,
  });
  const serveNamespace = async (): Promise<void> => {
    // A site gone for good: its nodes' queues are answered here, once the operator declares them lost.
    const lost = serveLostNodes({
      frontends,
      namespace: config.TEMPORAL_NAMESPACE,
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      drives: (node) => driven.has(node),
      ownNodes: () => nodes.nodes.map((n) => n.name),
      activityNames: Object.keys(perNode.get(nodes.primary.name)!),
      interceptors,
      versioning,
      client,
      log,
    });
    lostNow = lost.answered;
    const worker = frontends.adopt(
      await Worker.create({
        connection: frontends.connection,
        namespace: config.TEMPORAL_NAMESPACE,
        taskQueue: config.TEMPORAL_TASK_QUEUE,
        workflowBundle: await loadWorkflowBundle(),
        workflowThreadPoolSize: config.WORKER_WORKFLOW_THREADS,
        interceptors,
        ...versioning,
        activities: {
          // Local activities and workflows from before node queues reach these; each goes to its node.
          ...routeByNode(perNode, nodes.primary.name, lost.isLost),
          ...createNodeActivities({ nodes }),
          ...createCdrActivities(pool),
          ...campaignActivities,
          ...createAttemptReport({ recordAttempt: campaignActivities.recordAttempt, client }),
          ...createAttemptPreparation({ pool, nodes, events }),
          ...createAttemptLauncher({ client, taskQueue: config.TEMPORAL_TASK_QUEUE }),
          ...createCampaignControlActivities({ pool, client, taskQueue: config.TEMPORAL_TASK_QUEUE }),
          ...createTicketActivities(pool),
          ...createAcdActivities({
            pool,
            client,
            otherClient,
            js: nc.jetstream(),
            taskQueue: config.TEMPORAL_TASK_QUEUE,
          }),
          ...createSpeechActivities(media),
          ...createEventActivities({ js: nc.jetstream(), carried }),
          ...createWebhookActivities({ pool, rules: (allowPrivate) => outboundRules(config, allowPrivate) }),
        },
      }),
    );
    serving = worker;
    const rollout = followRollout(config, frontends.clientConnection, log, halt.signal);
    // At two sites, this stops when the namespace becomes active on the other site's cluster.
    const activeWatch = !config.TEMPORAL_CLUSTER
      ? undefined
      : watchActiveHere(
          {
            address: config.TEMPORAL_ADDRESS,
            namespace: config.TEMPORAL_NAMESPACE,
            cluster: config.TEMPORAL_CLUSTER,
            log,
          },
          () => {
            if (worker.getState() === 'RUNNING') worker.shutdown();
          },
        );
    const router = new CallRouter({
      nc,
      client,
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      app: config.ARI_APP,
      tenantId: config.DEFAULT_TENANT,
      log,
      // An eager start runs the call on this worker, whatever build Temporal would route it to: measured, a
      // build not yet rolled out took new calls. Versioned workers start calls through the server.
      eagerStart: config.WORKER_EAGER_START && !config.WORKER_BUILD_ID,
      resolveFlow: (dialed, callId, caller) => resolveFlow(pool, dialed, callId, caller),
      pinFor: rollout.pinFor,
      answer: async (node, channelId) => {
        try {
          await nodes.commands(node).answer(channelId);
          return true;
        } catch (err) {
          // Gone already, or the node is away: the workflow answers (or finds it gone) as it always did.
          if (!(err instanceof ChannelGoneError))
            log.warn({ node, channelId, reason: (err as Error).message }, 'router could not answer');
          return false;
        }
      },
    });
    if (ownSite) await router.start();
    const webhooks = new WebhookDispatcher({
      nc,
      client,
      pool,
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      log,
      retry: { initialIntervalMs: config.WEBHOOK_RETRY_INITIAL_MS },
    });
    if (ownSite) await webhooks.start();
    // Its own two connections: the statistics never wait in line with (or ahead of) a call's activities.
    const statsPool = createPool(config.DATABASE_URL, 2);
    const stopStats = ownSite ? publishQueueStats({ pool: statsPool, nc, log }) : () => undefined;
    const stopWatchdog = ownSite
      ? watchRouting({
          pool,
          client,
          otherClient,
          js: nc.jetstream(),
          log,
          warn: (message, context) => log.warn(context, message),
        })
      : () => undefined;
    log.info(
      {
        namespace: config.TEMPORAL_NAMESPACE,
        taskQueue: config.TEMPORAL_TASK_QUEUE,
        app: config.ARI_APP,
        nodes: nodes.nodes.map((n) => n.name),
        role: config.WORKER_ROLE,
      },
      'worker ready',
    );
    try {
      await worker.run();
    } finally {
      serving = undefined;
      rollout.stop();
      lostNow = () => [];
      await lost.stop();
      await activeWatch?.stop();
      stopStats();
      stopWatchdog();
      await router.stop().catch(() => undefined);
      await webhooks.stop().catch(() => undefined);
      await statsPool.end();
    }
  };

  // At debug level: event-loop delay, to tell a saturated worker from a slow dependency.
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  setInterval(() => {
    log.debug({ p50Ms: loop.percentile(50) / 1e6, p99Ms: loop.percentile(99) / 1e6 }, 'event loop delay');
    loop.reset();
  }, 10_000).unref();
  // A node worker that fails stops the whole worker, as the call worker failing would.
  const nodesFailed = Promise.all(nodeRuns).catch((err: unknown) => {
    if (!stopping.signal.aborted) log.error({ err }, 'node worker failed; stopping');
    halt.abort();
    if (serving?.getState() === 'RUNNING') serving.shutdown();
  });
  try {
    if (!config.TEMPORAL_CLUSTER) await serveNamespace();
    else
      await serveWhileActive(config, log, halt.signal, serveNamespace, () =>
        watchPeerForTakeover(config, pool, log),
      );
  } finally {
    stopping.abort();
    for (const w of nodeWorkers) if (w.getState() === 'RUNNING') w.shutdown();
    await nodesFailed;
    sharedEvents?.close();
    await nc.drain().catch(() => undefined);
    await pool.end();
    await frontends.close();
    await metrics?.close();
  }
}

/**
 * At two sites (TEMPORAL_CLUSTER set), a worker of either role serves its namespace's workflows only while
 * the namespace is active on this site's cluster, and stands by otherwise: the takeover worker until a site
 * failover, a site's own worker after its site came back until the fail-back. (Its node workers run all the
 * while: see main.) Workflow polls made at a standby cluster would be forwarded to the active one, and
 * measured, queries of the site's workflows timed out for 30 s after a fail-back while such polls waited
 * there.
 */
async function serveWhileActive(
  config: Config,
  log: Logger,
  halt: AbortSignal,
  serve: () => Promise<void>,
  /** While standing by: the automatic failover's watch of the other site, when on. */
  watchPeer: () => { stop(): Promise<void> } | undefined,
): Promise<void> {
  const watch = {
    address: config.TEMPORAL_ADDRESS,
    namespace: config.TEMPORAL_NAMESPACE,
    cluster: config.TEMPORAL_CLUSTER!,
    log,
  };
  while (!halt.aborted) {
    const peerWatch = config.WORKER_ROLE === 'takeover' ? watchPeer() : undefined;
    try {
      await untilActiveHere(watch, halt);
    } catch {
      return; // stopped while standing by
    } finally {
      await peerWatch?.stop();
    }
    log.info(
      { namespace: config.TEMPORAL_NAMESPACE, cluster: config.TEMPORAL_CLUSTER, role: config.WORKER_ROLE },
      'active here',
    );
    await serve();
  }
}

const config = loadConfig();
const log = createLogger('worker', config.LOG_LEVEL);
main(config, log).catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
