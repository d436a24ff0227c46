/**
 * Two Temporal clusters on this machine (scripts/temporal-server.sh, as `npm start -- --clusters 2`), a
 * global namespace active on A and replicated to B, a worker connected to B (its local cluster), and
 * workflows that take a task every --tick ms. Measures (issue #15):
 *  - replication lag: a workflow started on A → visible on B, while --rate workflows/s are started;
 *    with --calls-per-second N, also while SIPp places N calls/s (answered, held 1 s) into a CTICloud worker
 *    on A, the probes then started at 2/s;
 *  - failover time: the command → the namespace's next workflow task completed on the new cluster, forced
 *    (A → B) and graceful (B → A, the server's handover workflow);
 *  - RTO and RPO with A killed (kill -9) while active: the kill → the next task completed on B after a
 *    forced failover, and the events A had recorded that B never received; then A restarted, caught up as
 *    standby, and a graceful fail-back;
 *  - RTO with the worker's own frontend killed (B, while A is active): the kill → the next task completed,
 *    the worker having moved to A by itself (lib/temporal-frontends.ts).
 * Usage: npm run bench -- failover [--tick 200] [--workflows 5] [--rate 20] [--lag-samples 200]
 *   [--calls-per-second 0] [--task-timeout 2s]
 *   [--dynamic-config FILE] (instead of temporal/dynamicconfig.yaml, e.g. to measure without a setting)
 */
import { Client, Connection } from '@temporalio/client';
import type { Duration } from '@temporalio/common';
import { parseArgs } from 'node:util';
import { failover, describeReplication } from '../lib/temporal-clusters';
import { ManagedProcess } from '../test/support/process';
import {
  address,
  connectClusters,
  killCluster,
  startCluster,
  startFreshCluster,
  stopCluster,
  clusterPair,
  type Cluster,
} from '../test/support/clusters';
import { machine, resultsFile, revision, saveResults, sleep } from './acd-kit';
import { connectNats } from '../asterisk/event-log';
import { loadConfig } from '../lib/config';
import { runSipp } from './sipp-run';
import { summarize } from './stats';
import { eventMs } from './workflow-history';

const { values: args } = parseArgs({
  options: {
    tick: { type: 'string', default: '200' },
    workflows: { type: 'string', default: '5' },
    rate: { type: 'string', default: '20' },
    'lag-samples': { type: 'string', default: '200' },
    'calls-per-second': { type: 'string', default: '0' },
    /** The ticking workflows' workflow task timeout, e.g. `2s`. @default the SDK's (10 s) */
    'task-timeout': { type: 'string' },
    'dynamic-config': { type: 'string' },
  },
});
if (args['dynamic-config']) process.env.CTI_CLUSTER_DYNAMIC_CONFIG = args['dynamic-config'];
const NAMESPACE = 'cticloud-xdc';
/**
 * A workflow task handed to a worker before a failover and never completed is retried only after this
 * timeout (helper's reading of the server, docs/benchmarks.md); the bench can set it to see.
 */
const taskTimeout = args['task-timeout'] ? { workflowTaskTimeout: args['task-timeout'] as Duration } : {};
const QUEUE = 'xdc-ticks';
const [A, B] = clusterPair('xdc', 7433, NAMESPACE);

const clientOf = async (c: Cluster) => {
  const connection = await Connection.connect({ address: address(c) });
  return { connection, client: new Client({ connection, namespace: NAMESPACE }) };
};

/** Completed workflow tasks of the ticking workflows, as `through` sees them, after `since`. */
async function firstTaskAfter(through: Client, ids: string[], since: number, version: number) {
  const found: number[] = [];
  for (const id of ids) {
    // The run may have continued as new meanwhile: every run of the id.
    for await (const info of through.workflow.list({ query: `WorkflowId = '${id}'` })) {
      const events = (await through.workflow.getHandle(id, info.runId).fetchHistory()).events ?? [];
      const done = events.find(
        (e) => e.workflowTaskCompletedEventAttributes && eventMs(e) > since && Number(e.version) === version,
      );
      if (done) found.push(eventMs(done) - since);
    }
  }
  return found.length ? Math.min(...found) : NaN;
}

/** Waits until some ticking workflow completed a task on `cluster` (its failover version) after `since`. */
async function untilTicking(
  through: Client,
  ids: string[],
  since: number,
  cluster: string,
  conn: Connection,
) {
  const deadline = Date.now() + 180_000;
  for (;;) {
    const version = (await describeReplication(conn, NAMESPACE)).failoverVersion;
    const ms = await firstTaskAfter(through, ids, since, version).catch(() => NaN);
    if (!Number.isNaN(ms)) return { ms, version };
    if (Date.now() > deadline) throw new Error(`no workflow task completed on ${cluster} within 180 s`);
    await sleep(250);
  }
}

/** Started on A → visible on B, for --lag-samples workflows started at --rate per second. */
async function replicationLag(
  a: Client,
  b: Client,
  n = Number(args['lag-samples']),
  rate = Number(args.rate),
) {
  const gap = 1000 / rate;
  const lags: number[] = [];
  const pending: Promise<void>[] = [];
  for (let i = 0; i < n; i++) {
    const id = `lag-${Date.now().toString(36)}-${i}`;
    const t0 = Date.now();
    await a.workflow.start('TickWorkflow', {
      workflowId: id,
      taskQueue: QUEUE,
      args: [{ everyMs: 1000, ticksPerRun: 3 }],
    });
    pending.push(
      (async () => {
        for (;;) {
          const seen = await b.workflow
            .getHandle(id)
            .describe()
            .then(
              () => true,
              () => false,
            );
          if (seen) return void lags.push(Date.now() - t0);
          if (Date.now() - t0 > 60_000) return;
          await sleep(20);
        }
      })(),
    );
    await sleep(Math.max(0, t0 + gap - Date.now()));
  }
  await Promise.all(pending);
  return { started: n, seenOnB: lags.length, lagMs: summarize(lags) };
}

/**
 * Replication lag while CTICloud carries `rate` calls/s on A: a worker, its bridges and SIPp's answer
 * scenario (each call answered by its CallWorkflow, held 1 s), 100 lag probes at 2/s meanwhile.
 */
async function lagUnderCalls(a: Client, b: Client, rate: number) {
  const env = {
    ARI_APP: 'cticloud-xdc',
    TEMPORAL_ADDRESS: address(A),
    TEMPORAL_NAMESPACE: NAMESPACE,
    TEMPORAL_TASK_QUEUE: 'xdc-calls',
    LOG_LEVEL: 'warn',
  };
  const stack = [
    new ManagedProcess('xdc-bridge', 'asterisk/bridge.ts', { ...env, LOG_LEVEL: 'info' }),
    new ManagedProcess('xdc-bridge-mirror', 'asterisk/bridge.ts', {
      ...env,
      ARI_BRIDGE_ROLE: 'mirror',
      LOG_LEVEL: 'info',
    }),
    new ManagedProcess('xdc-call-worker', 'workers/worker.ts', { ...env, LOG_LEVEL: 'info' }),
  ].map((p) => p.start());
  try {
    await Promise.all([
      stack[0]!.waitFor(/ARI connected/),
      stack[1]!.waitFor(/ARI connected/),
      stack[2]!.waitFor(/worker ready/, 90_000),
    ]);
    const seconds = 60;
    const calls = runSipp({
      scenario: 'answer.xml',
      service: '5559000',
      port: 25460,
      calls: rate * seconds,
      ratePerSecond: rate,
      keys: { app: 'cticloud-xdc' },
      extraArgs: ['-d', '1000'],
    });
    // Probes from the tenth second: the calls' load has built up by then.
    await sleep(10_000);
    const lag = await replicationLag(a, b, 100, 2);
    const placed = await calls;
    return { callsPerSecond: rate, calls: { successful: placed.successful, failed: placed.failed }, ...lag };
  } finally {
    await Promise.all(stack.map((p) => p.stop()));
    // The router's durable consumers are named after the task queue and outlive the worker.
    const nc = await connectNats(loadConfig().NATS_URL, 'xdc-bench');
    const jsm = await nc.jetstreamManager();
    for await (const stream of jsm.streams.names()) {
      for await (const consumer of jsm.consumers.list(stream)) {
        if (consumer.config.durable_name?.includes('xdc-calls'))
          await jsm.consumers.delete(stream, consumer.name).catch(() => false);
      }
    }
    await nc.close();
  }
}

async function main(): Promise<void> {
  const report: Record<string, unknown> = {
    date: new Date().toISOString(),
    machine: machine(),
    revision: revision(),
  };
  const file = resultsFile('failover');
  console.log('starting clusters xdc-a and xdc-b on fresh databases …');
  await startFreshCluster(A);
  await startFreshCluster(B);
  await connectClusters(A, B);
  const a = await clientOf(A);
  const b = await clientOf(B);
  const worker = new ManagedProcess('xdc-tick-worker', 'bench/failover-worker.ts', {
    TEMPORAL_ADDRESS: address(B),
    TEMPORAL_FALLBACK_ADDRESSES: address(A),
    TEMPORAL_NAMESPACE: NAMESPACE,
    TICK_TASK_QUEUE: QUEUE,
  }).start();
  try {
    await worker.waitFor(/tick worker ready/, 60_000);
    const ids: string[] = [];
    for (let i = 0; i < Number(args.workflows); i++) {
      const id = `tick-${Date.now().toString(36)}-${i}`;
      await a.client.workflow.start('TickWorkflow', {
        workflowId: id,
        taskQueue: QUEUE,
        args: [{ everyMs: Number(args.tick) }],
        ...taskTimeout,
      });
      ids.push(id);
    }
    await sleep(5000);

    report.replication = await replicationLag(a.client, b.client);
    console.log('replication', JSON.stringify(report.replication));
    const callRate = Number(args['calls-per-second']);
    if (callRate > 0) {
      report.replicationUnderCalls = await lagUnderCalls(a.client, b.client, callRate);
      console.log('replication under calls', JSON.stringify(report.replicationUnderCalls));
    }

    // Forced, A → B, sent to B as if A could not be reached. Also the case tried by hand before this work
    // (issue #15: 61.7 s): a workflow whose one 8 s timer was set on A before the failover, due after it.
    const longTimer = `timer-${Date.now().toString(36)}`;
    const timerSetAt = Date.now();
    const timerRun = await a.client.workflow.start('TickWorkflow', {
      workflowId: longTimer,
      taskQueue: QUEUE,
      args: [{ everyMs: 8000, ticksPerRun: 1 }],
      ...taskTimeout,
    });
    await sleep(2000);
    let t0 = Date.now();
    const forced = await failover(b.connection, { namespace: NAMESPACE, cluster: B.name, mode: 'forced' });
    const forcedTick = await untilTicking(b.client, ids, t0, B.name, b.connection);
    // Its first run ends (continues as new) once the timer has fired: that event's time, read on B.
    let timerDone = NaN;
    for (
      const until = Date.now() + 180_000;
      Number.isNaN(timerDone) && Date.now() < until;
      await sleep(250)
    ) {
      const events =
        (await b.client.workflow.getHandle(longTimer, timerRun.firstExecutionRunId).fetchHistory()).events ??
        [];
      timerDone = eventMs(events.find((e) => e.workflowExecutionContinuedAsNewEventAttributes));
    }
    report.forced = {
      commandMs: forced.tookMs,
      firstTaskOnNewClusterMs: forcedTick.ms,
      // The 8 s timer's workflow completed, measured from when it was due.
      longTimerDoneAfterDueMs: timerDone - (timerSetAt + 8000),
    };
    console.log('forced', JSON.stringify(report.forced));
    await sleep(5000);

    // Graceful, B → A.
    t0 = Date.now();
    const graceful = await failover(b.connection, {
      namespace: NAMESPACE,
      cluster: A.name,
      mode: 'graceful',
    });
    const gracefulTick = await untilTicking(a.client, ids, t0, A.name, a.connection);
    report.graceful = { commandMs: graceful.tookMs, firstTaskOnNewClusterMs: gracefulTick.ms };
    console.log('graceful', JSON.stringify(report.graceful));
    await sleep(5000);

    // A killed while active. RPO: the events A had (its history length, read just before the kill) that B
    // never received: in B's history, what came from A is what carries A's failover version or an older one.
    const versionOnA = (await describeReplication(a.connection, NAMESPACE)).failoverVersion;
    const lastSeenOnA = new Map<string, number>();
    for (const id of ids) {
      const d = await a.client.workflow.getHandle(id).describe();
      lastSeenOnA.set(id, Number(d.raw.workflowExecutionInfo?.historyLength ?? 0));
    }
    const killedAt = Date.now();
    killCluster(A);
    await a.connection.close().catch(() => undefined);
    const kill = await failover(b.connection, { namespace: NAMESPACE, cluster: B.name, mode: 'forced' });
    const killTick = await untilTicking(b.client, ids, killedAt, B.name, b.connection);
    const eventsLost: number[] = [];
    for (const id of ids) {
      const events = (await b.client.workflow.getHandle(id).fetchHistory()).events ?? [];
      const fromA = events.filter((e) => Number(e.version) <= versionOnA).at(-1);
      // A run that continued as new meanwhile has a new history: compare only within the same run.
      if (fromA) eventsLost.push(Math.max(0, lastSeenOnA.get(id)! - Number(fromA.eventId)));
    }
    report.killed = { commandMs: kill.tookMs, rtoMs: killTick.ms, eventsLost };
    console.log('killed', JSON.stringify(report.killed));

    // A back: it catches up as standby; then a graceful fail-back.
    await startCluster(A);
    const a2 = await clientOf(A);
    const standbyAt = Date.now();
    for (;;) {
      const r = await describeReplication(a2.connection, NAMESPACE).catch(() => undefined);
      if (r?.activeCluster === B.name) break;
      await sleep(250);
    }
    const failback = await failover(b.connection, {
      namespace: NAMESPACE,
      cluster: A.name,
      mode: 'graceful',
    });
    const failbackTick = await untilTicking(
      a2.client,
      ids,
      Date.now() - failback.tookMs,
      A.name,
      a2.connection,
    );
    report.failback = {
      standbyCaughtUpMs: Date.now() - standbyAt,
      commandMs: failback.tookMs,
      firstTaskOnNewClusterMs: failbackTick.ms,
    };
    console.log('failback', JSON.stringify(report.failback));
    await sleep(5000);

    // B killed, the worker's own frontend, with A active: the worker moves to A by itself.
    const workerLostAt = Date.now();
    killCluster(B);
    await b.connection.close().catch(() => undefined);
    const workerMoved = await untilTicking(a2.client, ids, workerLostAt, A.name, a2.connection);
    report.workerFrontendKilled = { rtoMs: workerMoved.ms };
    console.log('worker frontend killed', JSON.stringify(report.workerFrontendKilled));
    await a2.connection.close();
    report.machineAtEnd = machine();
    console.log(`saved ${await saveResults(file, report)}`);
  } finally {
    await worker.stop();
    await b.connection.close().catch(() => undefined);
    await stopCluster(A).catch(() => undefined);
    await stopCluster(B).catch(() => undefined);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
