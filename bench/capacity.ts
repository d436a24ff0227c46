/**
 * IVR capacity: how many calls a second CTICloud sustains through a representative IVR, against the same IVR
 * in Asterisk's dialplan in the same run (issue #14, docs/design-call-path.md §3).
 * Usage: npm run bench -- capacity [--rates 2,4,6,...] [--step-seconds 20] [--only cticloud|dialplan]
 *
 * SIPp (bench/sipp/ivr.xml) calls at a rate raised step by step. The IVR (bench/capacity-ivr.ts): greeting,
 * menu, four digits, an http lookup on a local stub, the balance said as digits, hang-up. A step fails when
 * more than 1 % of its calls fail (not answered, a prompt missing, a key lost, not hung up) or the p99 of the
 * silences between prompts passes 250 ms; the ramp stops at the first failed step. Per step: concurrency,
 * CPU per call of Asterisk, the worker, Temporal and the rest, worker RSS per call up, and (CTICloud) the
 * workflow tasks and activities of a sample of histories. Results: bench/results/capacity-<time>.json.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { callWorkflowId } from '../workflows/call/contract';
import {
  childPid,
  childPids,
  processCpuSeconds,
  processMemory,
  resultsFile,
  revision,
  saveResults,
  sleep,
  startBenchStack,
  temporalMs,
  type BenchStack,
} from './acd-kit';
import { concurrency, judge, readTimelines, type CallVerdicts, type IvrKind } from './capacity-calls';
import { CALLER_KEYS, PROMPTS_PER_CALL, publishIvr, startLookupStub, type LookupStub } from './capacity-ivr';
import { memorySampler } from './campaign-probes';
import { runSipp } from './sipp-run';
import { summarize } from './stats';
import { histories } from './workflow-history';

const { values: args } = parseArgs({
  options: {
    /** Calls per second of each step, in order. */
    rates: { type: 'string', default: '2,4,6,8,10,12,14,16,18,20' },
    'step-seconds': { type: 'string', default: '20' },
    /** Caps --rates, e.g. for a short run. */
    'max-rate': { type: 'string', default: '1000' },
    only: { type: 'string' },
    /** Calls at 1/s before the ramp, not judged: the first calls of a fresh worker compile its code. */
    warmup: { type: 'string', default: '4' },
    /** Workflow histories read per CTICloud step for tasks and activities per call. */
    histories: { type: 'string', default: '5' },
    'max-failed': { type: 'string', default: '0.01' },
    'max-gap-p99': { type: 'string', default: '250' },
    'api-port': { type: 'string', default: '3330' },
  },
});
const RATES = args
  .rates!.split(',')
  .map(Number)
  .filter((r) => r > 0 && r <= Number(args['max-rate']));
const STEP_SECONDS = Number(args['step-seconds']);
const KINDS: IvrKind[] = args.only ? [args.only as IvrKind] : ['dialplan', 'cticloud'];
const LIMITS = { failedRatio: Number(args['max-failed']), gapP99Ms: Number(args['max-gap-p99']) } as const;
/** The SIP app each IVR is reached by (X-CTICloud-App; `dialplan-ivr` goes to [bench-ivr]). */
const APP_OF: Record<IvrKind, string> = { cticloud: 'cticloud-capacity', dialplan: 'dialplan-ivr' };
const round = (n: number, places = 1) => Math.round(n * 10 ** places) / 10 ** places;

/** The processes whose CPU a call costs: services from their pid files, the bench's own from its children. */
function measuredProcesses(): Record<string, number[]> {
  const cache = process.env.CTICLOUD_CACHE ?? path.join(os.homedir(), '.cache/cticloud');
  const run = path.join(process.env.CTICLOUD_STATE ?? path.join(cache, 'state'), 'run');
  const fromPidFile = (name: string): number[] => {
    try {
      return [Number(readFileSync(path.join(run, `${name}.pid`), 'utf8').split(' ')[0])];
    } catch {
      return [];
    }
  };
  return {
    asterisk: fromPidFile('asterisk'),
    worker: [childPid('workers/worker.ts')],
    temporal: fromPidFile('temporal'),
    nats: fromPidFile('nats'),
    bridges: childPids('asterisk/bridge.ts'),
  };
}

function cpuSeconds(pids: Record<string, number[]>): Record<string, number> {
  const total = (list: number[]) => list.reduce((sum, pid) => sum + processCpuSeconds(pid), 0);
  return Object.fromEntries(Object.entries(pids).map(([name, list]) => [name, total(list)]));
}

/** Workflow tasks, activities and their schedule-to-start times, per call, from a few finished histories. */
async function tasksPerCall(stack: BenchStack, workflowIds: string[]) {
  const counts = {
    workflowTasks: [] as number[],
    activities: [] as number[],
    localActivities: [] as number[],
  };
  const events: number[] = [];
  const [taskWaitMs, activityWaitMs] = [[] as number[], [] as number[]];
  for (const history of (await histories(stack.temporal, workflowIds)).values()) {
    const scheduledAt = new Map(history.map((e) => [String(e.eventId), temporalMs(e.eventTime)]));
    const waited = (ref: { scheduledEventId?: unknown } | null | undefined, at: number) =>
      at - (scheduledAt.get(String(ref?.scheduledEventId)) ?? NaN);
    let [tasks, activities, locals] = [0, 0, 0];
    for (const e of history) {
      if (e.workflowTaskCompletedEventAttributes) tasks++;
      if (e.activityTaskScheduledEventAttributes) activities++;
      if (e.markerRecordedEventAttributes?.markerName === 'core_local_activity') locals++;
      const at = temporalMs(e.eventTime);
      if (e.workflowTaskStartedEventAttributes)
        taskWaitMs.push(waited(e.workflowTaskStartedEventAttributes, at));
      if (e.activityTaskStartedEventAttributes)
        activityWaitMs.push(waited(e.activityTaskStartedEventAttributes, at));
    }
    counts.workflowTasks.push(tasks);
    counts.activities.push(activities);
    counts.localActivities.push(locals);
    events.push(history.length);
  }
  const mean = (v: number[]) => round(v.reduce((a, b) => a + b, 0) / (v.length || 1));
  return {
    sampled: workflowIds.length,
    workflowTasks: mean(counts.workflowTasks),
    activities: mean(counts.activities),
    localActivities: mean(counts.localActivities),
    historyEvents: mean(events),
    workflowTaskScheduleToStartMs: summarize(taskWaitMs),
    activityScheduleToStartMs: summarize(activityWaitMs),
  };
}

/** The CDR's digits of these channels, once CTICloud has written them (a call's last activity). */
async function cdrDigits(stack: BenchStack, channelIds: string[]): Promise<Map<string, string>> {
  const digits = new Map<string, string>();
  for (const until = Date.now() + 15_000; digits.size < channelIds.length && Date.now() < until;) {
    const { rows } = await stack.pool.query<{ channel_id: string; digits: string }>(
      'select channel_id, digits from cdrs where tenant_id = $1 and channel_id = any($2)',
      [stack.tenantId, channelIds],
    );
    rows.forEach((r) => digits.set(r.channel_id, r.digits));
    if (digits.size < channelIds.length) await sleep(500);
  }
  return digits;
}

interface StepContext {
  stack: BenchStack;
  stub: LookupStub;
  number: string;
  pids: Record<string, number[]>;
  idleWorkerRssMiB: number;
  port: number;
}

/** One step: SIPp at `rate` for STEP_SECONDS, then every call read back and judged. */
async function runStep(ctx: StepContext, kind: IvrKind, rate: number, calls: number) {
  ctx.stub.reset();
  const since = new Date(Date.now() - 1000);
  const workerPid = ctx.pids.worker![0]!;
  const rss = memorySampler(workerPid, 1000);
  const [cpuBefore, startedAt] = [cpuSeconds(ctx.pids), Date.now()];
  const sipp = await runSipp({
    scenario: 'ivr.xml',
    service: ctx.number,
    port: (ctx.port += 10),
    calls,
    ratePerSecond: rate,
    keys: { app: APP_OF[kind] },
    // A call takes ~7 s: SIPp holds back new calls only if the IVR stops ending them.
    maxConcurrent: Math.ceil(rate * 30),
  });
  const wallSeconds = (Date.now() - startedAt) / 1000;
  const cpuAfter = cpuSeconds(ctx.pids);
  await rss.stop();
  await sleep(1000);
  const timelines = await readTimelines(
    ctx.stack.nc.jetstream(),
    ctx.stack.config.ASTERISK_NODE,
    kind,
    ctx.number,
    since,
  );
  const ids = timelines.map((t) => t.channelId);
  const verdicts: CallVerdicts = judge(timelines, calls, {
    keys: CALLER_KEYS.menu + CALLER_KEYS.code,
    code: CALLER_KEYS.code,
    prompts: PROMPTS_PER_CALL,
    codesByCaller: ctx.stub.codesByCaller,
    cdrDigits: kind === 'cticloud' ? await cdrDigits(ctx.stack, ids) : undefined,
  });
  const created = timelines.map((t) => t.created).sort((a, b) => a - b);
  const up = concurrency(timelines);
  const peakRss = Math.max(...rss.samples.map((s) => s.value), processMemory(workerPid).rssMiB);
  const sample = ids.filter((_, i) => i % Math.max(1, Math.floor(ids.length / Number(args.histories))) === 0);
  const workflowIds = sample
    .slice(0, Number(args.histories))
    .map((id) => callWorkflowId(ctx.stack.config.ASTERISK_NODE, id));
  const cpu = Object.fromEntries(
    Object.keys(cpuBefore).map((name) => {
      const seconds = cpuAfter[name]! - cpuBefore[name]!;
      return [
        name,
        {
          msPerCall: round((seconds * 1000) / calls),
          percentOfOneCore: round((seconds / wallSeconds) * 100),
        },
      ];
    }),
  );
  return {
    rate,
    achievedPerSecond:
      created.length > 1 ? round((created.length - 1) / ((created.at(-1)! - created[0]!) / 1000), 2) : 0,
    sipp: { successful: sipp.successful, failed: sipp.failed },
    ...verdicts,
    passed: verdicts.failedRatio <= LIMITS.failedRatio && !(verdicts.gapMs.p99 > LIMITS.gapP99Ms),
    concurrentCalls: up,
    cpu,
    workerRssMiB: {
      idle: ctx.idleWorkerRssMiB,
      peak: peakRss,
      // The dialplan's calls never reach the worker: its RSS moves with GC only.
      perConcurrentCall:
        kind === 'cticloud' && up.max ? round((peakRss - ctx.idleWorkerRssMiB) / up.max, 2) : null,
    },
    loadAverage1m: round(os.loadavg()[0]!, 2),
    perCall: kind === 'cticloud' ? await tasksPerCall(ctx.stack, workflowIds) : undefined,
  };
}
type Step = Awaited<ReturnType<typeof runStep>>;

const describe = (s: Step) =>
  `${s.achievedPerSecond}/s, ${s.concurrentCalls.max} up, ${s.failed}/${s.placed} failed ` +
  `(prompts ${s.promptMissing}, keys ${s.keysNotReceived}, digits ${s.digitLost}, not up ${s.notAnswered}, ` +
  `not hung up ${s.notHungUp}), gap p50/p99 ${s.gapMs.p50}/${s.gapMs.p99} ms, load ${s.loadAverage1m}`;

async function main(): Promise<void> {
  // The lookup stub is on loopback: only the loopback-only policy (tests, demos on one box) lets a tenant
  // call it. The worker and gateway inherit this.
  process.env.OUTBOUND_POLICY = 'loopback-only';
  const loadBefore = os.loadavg().map((l) => round(l, 2));
  const stub = await startLookupStub();
  const stack = await startBenchStack({ name: 'capacity', apiPort: Number(args['api-port']), bridges: true });
  const report: Record<string, unknown> = {
    date: new Date().toISOString(),
    revision: revision(),
    machine: `${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB`,
    loadAverage: { before: loadBefore, after: [] as number[] },
    settings: { rates: RATES, stepSeconds: STEP_SECONDS, limits: LIMITS, keys: CALLER_KEYS },
  };
  const file = resultsFile('capacity');
  try {
    const number = await publishIvr(stack);
    await sleep(2000);
    const pids = measuredProcesses();
    const ctx: StepContext = {
      stack,
      stub,
      number,
      pids,
      idleWorkerRssMiB: processMemory(pids.worker![0]!).rssMiB,
      port: 27000,
    };
    report.processes = pids;
    const steps: Record<string, Step[]> = {};
    const sustained: Record<string, number> = {};
    for (const kind of KINDS) {
      if (Number(args.warmup) > 0) {
        const warm = await runStep(ctx, kind, 1, Number(args.warmup));
        console.log(`${kind} warm-up: ${describe(warm)}`);
      }
      steps[kind] = [];
      sustained[kind] = 0;
      for (const rate of RATES) {
        process.stdout.write(`${kind} at ${rate}/s for ${STEP_SECONDS} s … `);
        const step = await runStep(ctx, kind, rate, Math.round(rate * STEP_SECONDS));
        steps[kind].push(step);
        console.log(`${step.passed ? 'ok' : 'FAILED'}: ${describe(step)}`);
        await saveResults(file, { ...report, steps, partial: true });
        if (!step.passed) break;
        sustained[kind] = step.achievedPerSecond;
        await sleep(3000);
      }
    }
    (report.loadAverage as { after: number[] }).after = os.loadavg().map((l) => round(l, 2));
    report.steps = steps;
    report.sustainedCallsPerSecond = sustained;
    if (sustained.cticloud !== undefined && sustained.dialplan) {
      const share = sustained.cticloud / sustained.dialplan;
      report.ctiShareOfDialplan = round(share, 2);
      report.target = { ctiAtLeastHalfOfDialplan: share >= 0.5 };
    }
    const last = Object.fromEntries(KINDS.map((k) => [k, steps[k]!.every((s) => s.passed)]));
    report.rampEndedWithoutFailure = last;
    console.log(`sustained: ${JSON.stringify(sustained)}; never failed: ${JSON.stringify(last)}`);
    console.log(`saved ${await saveResults(file, report)}`);
  } finally {
    await stack.close();
    await stub.close();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
