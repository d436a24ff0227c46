/**
 * Pending callbacks: --count CallbackWorkflows of a fresh tenant, each waiting for its `earliest` with a
 * durable timer (earliest spread over --spread seconds, --lead seconds after creation starts), for a
 * queue with no agent. Reports the creation rate, the worker's resident memory and CPU over time, and, from
 * the histories of a random probe of --sample workflows, timer lateness (TimerFired − earliest) and how late
 * each callback was actually queued (its joinQueue local activity done). Baseline in the same run: as many timers
 * in a trivial workflow on a worker of its own (bench/plain-timer-worker.ts), and each worker's idle memory.
 * --later more callbacks wait for the next day throughout the phase (the pending load a worker must carry
 * while others fall due). A callback due more than a minute after it is created waits as a Temporal start
 * delay (lib/callbacks.ts), so "fired" is then the workflow's first task scheduled when the delay ends.
 * Usage: npm run bench -- callbacks [--count 10000] [--later 0] [--lead 240] [--spread 120] [--drain 300]
 * (docs/benchmarks.md).
 */
import type { Client } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import { startCallback } from '../lib/callbacks';
import { parseArgs } from 'node:util';
import v8 from 'node:v8';
import { ManagedProcess } from '../test/support/process';
import { callbackWorkflowId, type CallbackRequest } from '../workflows/callback/contract';
import {
  benchQueue,
  childPid,
  deleteBenchQueues,
  machine,
  revision,
  processCpuSeconds,
  processMemory,
  resultsFile,
  saveResults,
  sleep,
  startBenchStack,
  stopOnSignal,
} from './acd-kit';
import { summarize } from './stats';
import { activityCompleted, eventMs, firstLocalActivity, histories, workflowTasks } from './workflow-history';

const { values: args } = parseArgs({
  options: {
    count: { type: 'string', default: '10000' },
    later: { type: 'string', default: '0' },
    lead: { type: 'string', default: '240' },
    drain: { type: 'string', default: '300' },
    spread: { type: 'string', default: '120' },
    sample: { type: 'string', default: '500' },
    concurrency: { type: 'string', default: '32' },
    every: { type: 'string', default: '2' },
    plain: { type: 'string', default: 'true' },
    'api-port': { type: 'string', default: '3312' },
  },
});
const COUNT = Number(args.count);
const LATER = Number(args.later);
const LEAD_MS = Number(args.lead) * 1000;
const SPREAD_MS = Number(args.spread) * 1000;
const DRAIN_MS = Number(args.drain) * 1000;
const PLAIN_QUEUE = 'bench-plain-timers';

/** Resident memory and CPU use of a process every --every seconds, while it runs. */
function memorySeries(pid: number, t0: number) {
  const series: { t: number; rssMiB: number; cpuPct: number }[] = [];
  const cpu0 = processCpuSeconds(pid);
  let last = { at: Date.now(), cpu: cpu0 };
  const take = () => {
    try {
      const [now, cpu] = [Date.now(), processCpuSeconds(pid)];
      const cpuPct = Math.round(((cpu - last.cpu) / Math.max(0.001, (now - last.at) / 1000)) * 100);
      series.push({ t: Math.round((now - t0) / 100) / 10, rssMiB: processMemory(pid).rssMiB, cpuPct });
      last = { at: now, cpu };
    } catch {
      // The process has ended.
    }
  };
  take();
  const timer = setInterval(take, Number(args.every) * 1000);
  return {
    series,
    /** Mean RSS of the samples taken in [from, to) seconds. */
    mean: (from: number, to: number) => {
      const xs = series.filter((s) => s.t >= from && s.t < to).map((s) => s.rssMiB);
      return Math.round((xs.reduce((a, b) => a + b, 0) / (xs.length || 1)) * 10) / 10;
    },
    /** CPU seconds used since the series began. */
    cpuSeconds: () => Math.round(last.cpu - cpu0),
    stop: () => clearInterval(timer),
  };
}

/** Runs `start(i)` for i < count with CONCURRENCY in flight; answers the starts per second. */
async function startAll(count: number, start: (i: number) => Promise<unknown>): Promise<number> {
  const t0 = Date.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: Number(args.concurrency) }, async () => {
      while (next < count) await start(next++);
    }),
  );
  return Math.round(count / ((Date.now() - t0) / 1000));
}

type Events = Awaited<ReturnType<typeof histories>> extends Map<string, infer E> ? E : never;
/** What a phase waits for in each workflow's history after its timer: the event that says it is done. */
type DoneEvent = (events: Events) => Events[number] | undefined;

/** Timer and follow-up times of the probe workflows, relative to when each should have fired. */
async function lateness(temporal: Client, probe: string[], dueAt: (id: string) => number, done: DoneEvent) {
  const rows = { fired: [] as number[], done: [] as number[], task: [] as number[] };
  let [notFired, notDone] = [0, 0];
  for (const [id, events] of await histories(temporal, probe)) {
    // A durable timer, or a start delay: then its end is the first workflow task scheduled.
    // (The backoff is a protobuf Duration: its seconds a Long, which is truthy even when zero.)
    const backoff = events[0]?.workflowExecutionStartedEventAttributes?.firstWorkflowTaskBackoff;
    const delayed = Number(backoff?.seconds ?? 0) > 0 || Number(backoff?.nanos ?? 0) > 0;
    const fired = delayed
      ? events.find((e) => e.workflowTaskScheduledEventAttributes)
      : events.find((e) => e.timerFiredEventAttributes);
    const finished = done(events);
    if (!fired) notFired++;
    if (!finished) notDone++;
    rows.fired.push(eventMs(fired) - dueAt(id));
    rows.done.push(eventMs(finished) - dueAt(id));
    // Started → its first workflow task done (the timer set): how far the worker lagged behind creation.
    // (None for a start delay: nothing runs until it is due.)
    const timer = events.find((e) => e.timerStartedEventAttributes);
    if (!delayed) rows.task.push(eventMs(timer) - eventMs(events[0]));
  }
  return {
    sampled: probe.length,
    notFired,
    notDone,
    timerFiredLateMs: summarize(rows.fired),
    doneLateMs: summarize(rows.done),
    startToTimerSetMs: summarize(rows.task),
  };
}

/** Memory figures of a phase; `holding` is a window in which every workflow was created and none due. */
const memoryFigures = (m: ReturnType<typeof memorySeries>, pid: number, holding: [number, number]) => {
  const rss = m.series.map((s) => s.rssMiB);
  return {
    idleMiB: m.mean(0, 10),
    holdingMiB: m.mean(...holding),
    minMiB: Math.min(...rss),
    maxMiB: Math.max(...rss),
    finalMiB: rss.at(-1),
    peakHwmMiB: processMemory(pid).hwmMiB,
    series: m.series,
  };
};

/**
 * One phase: idle memory, `later` starts due the next day, COUNT starts through `start`, then waiting until a
 * probe of --sample workflows is `done` (or the last timer is DRAIN_MS overdue), then lateness from the
 * probe's histories.
 */
async function phase(
  name: string,
  pid: number,
  temporal: Client,
  start: (i: number, earliest: string) => Promise<string>,
  done: DoneEvent,
  later = 0,
) {
  const t0 = Date.now();
  const memory = memorySeries(pid, t0);
  await sleep(10_000);
  const laterIds: string[] = [];
  let laterPerSecond: number | undefined;
  if (later) {
    process.stdout.write(`${name}: starting ${later} due tomorrow … `);
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString();
    laterPerSecond = await startAll(later, async (i) => laterIds.push(await start(COUNT + i, tomorrow)));
    console.log(`${laterPerSecond}/s`);
  }
  const base = Date.now() + LEAD_MS;
  const dueOf = new Map<string, number>();
  process.stdout.write(`${name}: starting ${COUNT} … `);
  const createdFrom = Date.now();
  const perSecond = await startAll(COUNT, async (i) => {
    const due = base + Math.floor((i / COUNT) * SPREAD_MS);
    dueOf.set(await start(i, new Date(due).toISOString()), due);
  });
  const createdTo = Date.now();
  console.log(`${perSecond}/s, done ${Math.round((base - createdTo) / 1000)} s before the first timer`);
  const last = base + SPREAD_MS;
  // A random probe of the workflows, read from their histories: the worker and the server may both be
  // too busy to answer queries. Until all of it is done, or the last timer is DRAIN_MS overdue.
  const probe = [...dueOf.keys()].sort(() => Math.random() - 0.5).slice(0, Number(args.sample));
  let remaining = probe;
  await sleep(Math.max(0, base - Date.now()));
  for (; remaining.length && Date.now() < last + DRAIN_MS; await sleep(20_000)) {
    const found = await histories(temporal, remaining);
    remaining = remaining.filter((id) => !done(found.get(id) ?? []));
  }
  const probeDoneAt = Math.round((Date.now() - t0) / 100) / 10;
  console.log(
    `${name}: ${probe.length - remaining.length}/${probe.length} of the probe done, ` +
      `${Math.round((Date.now() - last) / 1000)} s after the last timer was due`,
  );
  await sleep(10_000);
  memory.stop();
  const late = await lateness(temporal, probe, (id) => dueOf.get(id)!, done);
  const sec = (t: number) => Math.round((t - t0) / 100) / 10;
  const result = {
    pendingForTomorrow: later,
    laterStartsPerSecond: laterPerSecond,
    startsPerSecond: perSecond,
    createdInSec: Math.round((createdTo - createdFrom) / 1000),
    headroomBeforeFirstTimerSec: Math.round((base - createdTo) / 1000),
    /** Seconds since the phase began: idle until creation, then the timers' window. */
    timeline: {
      creation: [sec(createdFrom), sec(createdTo)],
      timers: [sec(base), sec(last)],
      probeDoneAt,
    },
    memory: memoryFigures(memory, pid, [sec(base) - 60, sec(base)]),
    workerCpuSeconds: memory.cpuSeconds(),
    ...late,
  };
  console.log(`${name}:`, JSON.stringify({ ...result, memory: { ...result.memory, series: undefined } }));
  return { result, ids: [...dueOf.keys(), ...laterIds] };
}

async function terminateAll(temporal: Client, ids: string[]) {
  let next = 0;
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (next < ids.length) {
        await temporal.workflow
          .getHandle(ids[next++]!)
          .terminate('benchmark finished')
          .catch(() => undefined);
      }
    }),
  );
}

async function main(): Promise<void> {
  const stack = await startBenchStack({
    name: 'bench-callbacks',
    apiPort: Number(args['api-port']),
    bridges: false,
  });
  const { temporal, tenantId } = stack;
  const report: Record<string, unknown> = {
    date: new Date().toISOString(),
    machine: machine(),
    revision: revision(),
    count: COUNT,
    leadSec: LEAD_MS / 1000,
    spreadSec: SPREAD_MS / 1000,
    // The SDK's default sticky cache: workflows kept in memory between tasks (V8 heap limit based).
    workerCacheDefault: Math.max(
      Math.floor((Math.max(v8.getHeapStatistics().heap_size_limit / 2 ** 20 - 200, 0) * 600) / 1024),
      10,
    ),
  };
  let callbackIds: string[] = [];
  const file = resultsFile('callbacks-pending');
  try {
    if (args.plain === 'true') {
      const plain = new ManagedProcess('bench-plain-timers', 'bench/plain-timer-worker.ts', {
        PLAIN_TASK_QUEUE: PLAIN_QUEUE,
      }).start();
      stopOnSignal(plain);
      try {
        await plain.waitFor(/plain timer worker ready/, 120_000);
        const run = await phase(
          'plain timers',
          childPid('bench/plain-timer-worker.ts'),
          temporal,
          async (i, fireAt) => {
            const id = `bench-plain-${Date.now().toString(36)}-${i}`;
            await temporal.workflow.start('PlainTimerWorkflow', {
              workflowId: id,
              taskQueue: PLAIN_QUEUE,
              args: [{ fireAt }],
            });
            return id;
          },
          (events) => events.find((e) => e.workflowExecutionCompletedEventAttributes),
        );
        report.plainTimers = run.result;
        // Kept as it goes: a long run cut short still leaves its finished phases.
        await saveResults(file, report);
        await terminateAll(temporal, run.ids);
      } finally {
        await plain.stop();
      }
    }

    const queueId = await benchQueue(stack);
    const run = await phase(
      'callbacks',
      childPid('workers/worker.ts'),
      temporal,
      async (i, earliest) => {
        const id = randomUUID();
        const number = `555${String(i).padStart(7, '0')}`;
        const request: CallbackRequest = {
          tenantId,
          number,
          queueId,
          earliest,
          maxAttempts: 3,
          retryDelaysSec: [60, 300, 900],
          priority: 0,
          ringSeconds: 30,
        };
        // As POST /v1/callbacks starts it.
        await startCallback(temporal, stack.taskQueue, {
          callbackId: id,
          request,
          createdAt: new Date().toISOString(),
        });
        callbackIds.push(callbackWorkflowId(id));
        return callbackWorkflowId(id);
      },
      // Queued: the entry's row written (joinQueue, the callback's one local activity; enterQueue before
      // callback-join-in-one-task, `enqueue` before routing moved to PostgreSQL).
      (events) =>
        firstLocalActivity(events) ??
        activityCompleted(events, 'enterQueue') ??
        activityCompleted(events, 'enqueue'),
      LATER,
    );
    report.callbacks = run.result;
    // Routing is rows in PostgreSQL (no routing workflow): how many wait in the queue, and that no
    // routing workflow ran for the tenant.
    const { rows } = await stack.pool.query<{ n: string }>(
      'select count(*) as n from acd_entries where tenant_id = $1 and queue_id = $2',
      [tenantId, queueId],
    );
    report.routing = {
      waitingNow: Number(rows[0]!.n),
      routingWorkflowRuns: await workflowTasks(temporal, `acd-${tenantId}`).catch(
        (err: Error) => err.message,
      ),
    };
    // One callback through the API, as a client sees it.
    report.sampleCallback = await stack.api(
      'GET',
      `/v1/callbacks/${callbackIds[0]!.replace(/^callback-/, '')}`,
    );
    report.machineAtEnd = machine();
    console.log(JSON.stringify({ ...report, plainTimers: undefined, callbacks: undefined }, null, 2));
    console.log(`saved ${await saveResults(file, report)}`);
  } finally {
    process.stdout.write(`terminating ${callbackIds.length} callbacks … `);
    await terminateAll(temporal, callbackIds);
    callbackIds = [];
    await stack.pool.query('delete from acd_entries where tenant_id = $1', [tenantId]).catch(() => undefined);
    await deleteBenchQueues(stack);
    console.log('done');
    await stack.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
