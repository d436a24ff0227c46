/**
 * Flow interpreter overhead on real calls, against a bare ARI app doing the same in the same run, and
 * simulation throughput. Usage: npm run bench -- flow [--calls 20] [--nodes 10] (see docs/benchmarks.md).
 *
 * 1. Real calls run a published chain flow: --nodes prompts (play `beep`, say digits 12), every other pair
 *    joined through `set` → `branch`, then `hangup`. Per transition, gap = next PlaybackStarted − previous
 *    PlaybackFinished, both Asterisk's own timestamps from the ARI stream (one clock).
 * 2. The baseline, bench/bare-ari-player.ts, plays the same media on the same kind of call; its events reach
 *    the stream through our mirror bridge, subscribed to every channel (all but the Stasis events).
 * 3. simulateFlow in process on a 30-node IVR flow, then POST /v1/flows/:id/simulate on a gateway of our own.
 */
import { Client, Connection } from '@temporalio/client';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DeliverPolicy, type JetStreamClient } from 'nats';
import { connectAri } from '../asterisk/ari';
import { AriCommands } from '../asterisk/ari-commands';
import { ARI_STREAM, channelSubject, type AriEvent } from '../asterisk/ari-events';
import { connectNats } from '../asterisk/event-log';
import { loadConfig } from '../lib/config';
import { createPool } from '../lib/db';
import { placeCall, type PlacedCall } from '../test/support/caller';
import { ManagedProcess } from '../test/support/process';
import { validateFlow } from '../domain/flow/validate';
import { summarize } from './stats';
import {
  flow,
  ivrFlow,
  node,
  simulateInProcess,
  simulateOverApi,
  type Edge,
  type Node,
} from './flow-simulation';

const { values: args } = parseArgs({
  options: {
    calls: { type: 'string', default: '20' },
    nodes: { type: 'string', default: '10' },
    rate: { type: 'string', default: '5' },
    seconds: { type: 'string', default: '5' },
    clients: { type: 'string', default: '8' },
    'api-port': { type: 'string', default: '3300' },
  },
});
const CALLS = Number(args.calls);
const RATE = Number(args.rate);
const SECONDS = Number(args.seconds);
const CLIENTS = Number(args.clients);
const NODES = Math.max(2, Number(args.nodes));
const ROOT = path.resolve(__dirname, '..');
const [APP, PLAYER_APP, QUEUE] = ['cticloud-bench-flow', 'bench-bare-player', 'bench-flow'];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Transition = 'direct' | 'logic';
/** The real-call flow, the media it plays in order, and what lies between consecutive prompts. */
function chainFlow(count: number) {
  const [nodes, edges, media, transitions] = [[] as Node[], [] as Edge[], [] as string[], [] as Transition[]];
  const link = (from: string, exit: string, to: string) => edges.push({ from, exit, to });
  for (let i = 0; i < count; i++) {
    const [id, before] = [`p${i}`, `p${i - 1}`];
    if (i > 0 && i % 2 === 0) {
      // Two logic nodes, each a step of the interpreter with no ARI command of its own.
      nodes.push(node(`s${i}`, 'set', { assignments: [{ variable: 'step', value: String(i) }] }));
      nodes.push(node(`b${i}`, 'branch', { conditions: [{ id: 'even', when: `step == '${i}'` }] }));
      link(before, 'next', `s${i}`);
      link(`s${i}`, 'next', `b${i}`);
      link(`b${i}`, 'when:even', id);
      link(`b${i}`, 'else', id);
    } else if (i > 0) link(before, 'next', id);
    if (i > 0) transitions.push(i % 2 === 0 ? 'logic' : 'direct');
    const say = i % 3 === 1;
    const sound = { prompt: { kind: 'sound', name: 'beep' } };
    nodes.push(say ? node(id, 'say', { as: 'digits', value: '12' }) : node(id, 'play', sound));
    media.push(say ? 'digits:12' : 'sound:beep');
  }
  nodes.push(node('bye', 'hangup', { reason: 'normal' }));
  link(`p${count - 1}`, 'next', 'bye');
  return { definition: flow('p0', nodes, edges, ['step']), media, transitions };
}

const asteriskTime = (iso: string): number => Date.parse(iso.replace(/([+-]\d\d)(\d\d)$/, '$1:$2'));
const ms = (t: { seconds?: unknown; nanos?: number | null } | null | undefined): number =>
  t ? Number(t.seconds) * 1000 + (t.nanos ?? 0) / 1e6 : NaN;

interface Timeline {
  /** When the channel entered Stasis() in the dialplan. */
  stasisStart?: number;
  /**
   * Each prompt, in the order they started; `stored` is when JetStream stored the PlaybackFinished. In a
   * play list (several prompts in one playback, `inList` from the second on) Asterisk ends each prompt but
   * the last with PlaybackContinuing and starts the next with PlaybackStarted under the same id.
   */
  playbacks: { id: string; started: number; finished?: number; stored?: number; inList?: boolean }[];
  destroyed?: number;
}

/** One channel's events from the ARI stream, with Asterisk's timestamps. */
async function timeline(js: JetStreamClient, subject: string, since: Date): Promise<Timeline> {
  const start = { deliver_policy: DeliverPolicy.StartTime, opt_start_time: since.toISOString() };
  const cursor = await js.consumers.get(ARI_STREAM, { filterSubjects: subject, ...start });
  const t: Timeline = { playbacks: [] };
  const next = () => cursor.next({ expires: 2000 });
  for (let m = await next(); m; m = m.info.pending ? await next() : null) {
    const e = m.json<AriEvent>();
    const at = asteriskTime(e.timestamp);
    const playback = [...t.playbacks].reverse().find((p) => p.id === e.playback?.id);
    // The mirror gets no StasisStart for another app's channel; entering Stasis() is in both apps' events.
    if (e.type === 'ChannelDialplan' && e.dialplan_app === 'Stasis') t.stasisStart ??= at;
    else if (e.type === 'ChannelDestroyed') t.destroyed = at;
    else if (e.type === 'PlaybackStarted') {
      t.playbacks.push({ id: e.playback!.id, started: at, ...(playback ? { inList: true } : {}) });
    } else if (e.type === 'PlaybackContinuing' && playback) playback.finished = at;
    else if (e.type === 'PlaybackFinished' && playback) {
      Object.assign(playback, { finished: at, stored: Number(m.info.timestampNanos) / 1e6 });
    }
  }
  await cursor.delete().catch(() => undefined);
  return t;
}

/** Gaps of the calls that played every prompt; the others are only counted. */
function gaps(timelines: Timeline[], transitions: Transition[]) {
  const g = { first: [] as number[], direct: [] as number[], logic: [] as number[], hangup: [] as number[] };
  let inList = 0;
  const complete = timelines.filter(
    ({ playbacks: p }) => p.length === transitions.length + 1 && p.every((x) => x.finished !== undefined),
  );
  for (const { playbacks: p, stasisStart, destroyed } of complete) {
    g.first.push(p[0]!.started - (stasisStart ?? NaN));
    for (let k = 1; k < p.length; k++) {
      if (p[k]!.inList) inList++;
      g[transitions[k - 1]!].push(p[k]!.started - p[k - 1]!.finished!);
    }
    g.hangup.push((destroyed ?? NaN) - p.at(-1)!.finished!);
  }
  return {
    calls: timelines.length,
    complete: complete.length,
    /** Transitions inside a play list: Asterisk going on to the next item of one playback. */
    transitionsInList: inList,
    firstPromptMs: summarize(g.first),
    playToPlayMs: summarize(g.direct),
    playSetBranchPlayMs: summarize(g.logic),
    lastPromptToHangupMs: summarize(g.hangup),
  };
}

/**
 * Splits CTICloud's prompt-to-prompt gaps by hop: Asterisk's and JetStream's times from the stream, the
 * activities' from the workflow history (a playback id names its activity: `<runId>-<activityId>-play-<n>`).
 */
async function breakdown(client: Client, calls: PlacedCall[], timelines: Timeline[]) {
  const names = ['ingest', 'activityDone', 'workflowTask', 'dispatch', 'play'];
  const hops = Object.fromEntries(names.map((k) => [k, [] as number[]]));
  for (const [i, call] of calls.entries()) {
    const history = await client.workflow.getHandle(call.workflowId).fetchHistory();
    const acts = new Map<string, { scheduled: number; started?: number; completed?: number }>();
    const scheduledBy = new Map<string, string>();
    for (const e of history.events ?? []) {
      const scheduled = e.activityTaskScheduledEventAttributes;
      if (scheduled) scheduledBy.set(String(e.eventId), scheduled.activityId!);
      if (scheduled) acts.set(scheduled.activityId!, { scheduled: ms(e.eventTime) });
      const ref = e.activityTaskStartedEventAttributes ?? e.activityTaskCompletedEventAttributes;
      const act = ref && acts.get(scheduledBy.get(String(ref.scheduledEventId)) ?? '');
      if (act) act[e.activityTaskStartedEventAttributes ? 'started' : 'completed'] = ms(e.eventTime);
    }
    const p = timelines[i]!.playbacks;
    const activityOf = (k: number) => acts.get(/-(\d+)-play-\d+$/.exec(p[k]!.id)?.[1] ?? '');
    for (let k = 1; k < p.length; k++) {
      // Inside a play list there is no hop: the same playback goes on.
      if (p[k]!.inList) continue;
      const [a, b, { finished, stored }] = [activityOf(k - 1), activityOf(k), p[k - 1]!];
      if (!a?.completed || !b?.started || finished === undefined || stored === undefined) continue;
      hops.ingest!.push(stored - finished);
      hops.activityDone!.push(a.completed - stored);
      hops.workflowTask!.push(b.scheduled - a.completed);
      hops.dispatch!.push(b.started - b.scheduled);
      hops.play!.push(p[k]!.started - b.started);
    }
  }
  return Object.fromEntries(Object.entries(hops).map(([k, v]) => [`${k}Ms`, summarize(v)]));
}

/** Places the calls at RATE per second (into `placed` as they go) and waits until every one has ended. */
async function runCalls(ari: AriCommands, app: string, node: string, to: string, placed: PlacedCall[]) {
  const calls: PlacedCall[] = [];
  for (let i = 0; i < CALLS; i++) {
    calls.push(await placeCall(ari, app, node, { to, delaySec: 1, holdSec: 120 }));
    placed.push(calls.at(-1)!);
    await sleep(1000 / RATE);
  }
  for (const until = Date.now() + 30_000 + NODES * 3000; ; await sleep(500)) {
    if (!(await hangUpLeftovers(ari, calls, Date.now() > until))) return calls;
  }
}

/** How many of these calls' channels are still up; with `now`, hangs them up instead (and answers 0). */
async function hangUpLeftovers(ari: AriCommands, calls: PlacedCall[], now: boolean): Promise<number> {
  const ours = new Set(calls.flatMap((c) => [c.inboundChannelId, c.callerChannelId]));
  const live = (await ari.listChannels()).filter((c) => ours.has(c.id));
  if (now && live.length) console.warn(`hanging up ${live.length} channels left over`);
  if (now) await Promise.all(live.map((c) => ari.hangup(c.id)));
  return now ? 0 : live.length;
}

/** The router's durable consumers outlive it: a later run would first replay every hangup since this one. */
async function dropRouterConsumers(js: JetStreamClient): Promise<void> {
  const jsm = await js.jetstreamManager();
  for (const type of ['StasisStart', 'ChannelDestroyed']) {
    await jsm.consumers
      .delete(ARI_STREAM, `router-${APP}-${type}`.replace(/[^A-Za-z0-9_-]/g, '_'))
      .catch(() => 0);
  }
}

async function main(): Promise<void> {
  const config = loadConfig({ LOG_LEVEL: 'warn' });
  const chain = chainFlow(NODES);
  const problems = [...validateFlow(chain.definition), ...validateFlow(ivrFlow())];
  if (problems.length) throw new Error(`invalid bench flows: ${JSON.stringify(problems)}`);
  const pool = createPool(config.DATABASE_URL, 4);
  const nc = await connectNats(config.NATS_URL, 'cticloud-bench-flow');
  const js = nc.jetstream();
  await dropRouterConsumers(js);
  const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
  const client = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
  const ariOptions = { url: config.ARI_URL, user: config.ARI_USER, password: config.ARI_PASSWORD };
  const ari = new AriCommands(await connectAri(ariOptions));
  // A fresh number each run: numbers are unique across tenants, and a leftover mapping must not be reused.
  const number = `59${String(Date.now()).slice(-8)}`;
  const { rows } = await pool.query<{ id: string }>(
    'insert into flows (tenant_id, name, draft) values ($1, $2, $3) returning id',
    [config.DEFAULT_TENANT, `bench-flow-interpreter-${number}`, chain.definition],
  );
  const flowId = rows[0]!.id;
  const placed: PlacedCall[] = [];
  const env = { ARI_APP: APP, TEMPORAL_TASK_QUEUE: QUEUE };
  const player = { BENCH_PLAYER_APP: PLAYER_APP, BENCH_PLAYER_MEDIA: chain.media.join('|') };
  const processes = [
    new ManagedProcess('bench-flow-bridge', 'asterisk/bridge.ts', env),
    new ManagedProcess('bench-flow-bridge-mirror', 'asterisk/bridge.ts', {
      ...env,
      ARI_BRIDGE_ROLE: 'mirror',
    }),
    new ManagedProcess('bench-flow-worker', 'workers/worker.ts', env),
    new ManagedProcess('bench-flow-player', 'bench/bare-ari-player.ts', player),
  ];
  try {
    const version = [flowId, chain.definition];
    await pool.query('insert into flow_versions (flow_id, number, definition) values ($1, 1, $2)', version);
    const mapping = [config.DEFAULT_TENANT, number, flowId];
    // The operator's provisioning (POST /v1/platform/numbers), then the tenant's route.
    await pool.query('insert into tenant_numbers (tenant_id, number) values ($1, $2)', mapping.slice(0, 2));
    await pool.query('insert into numbers (tenant_id, number, flow_id) values ($1, $2, $3)', mapping);
    processes.forEach((p) => p.start());
    await Promise.all([
      ...processes.slice(0, 2).map((p) => p.waitFor(/ARI connected/)),
      processes[2]!.waitFor(/worker ready/, 90_000),
      processes[3]!.waitFor(/bare ARI player ready/),
    ]);
    const since = new Date(Date.now() - 1000);
    // Everything shares two cores: a load above ~1 before or after says the figures include contention.
    const loadAverage = { before: os.loadavg()[0]!.toFixed(2), after: '' };
    const realCalls: Record<string, ReturnType<typeof gaps>> = {};
    const timelines: Timeline[][] = [];
    for (const [name, app] of [
      ['bare ARI app', PLAYER_APP],
      ['CTICloud flow', APP],
    ] as const) {
      process.stdout.write(`${name}: ${CALLS} calls of ${NODES} prompts at ${RATE}/s … `);
      const calls = await runCalls(ari, app, config.ASTERISK_NODE, number, placed);
      await sleep(1000);
      const subject = (c: PlacedCall) => channelSubject(config.ASTERISK_NODE, c.inboundChannelId);
      timelines.push(await Promise.all(calls.map((c) => timeline(js, subject(c), since))));
      const r = (realCalls[name] = gaps(timelines.at(-1)!, chain.transitions));
      console.log(`${r.complete}/${r.calls} complete, play→play p50 ${r.playToPlayMs.p50} ms`);
    }
    loadAverage.after = os.loadavg()[0]!.toFixed(2);
    const ctiGapBreakdown = await breakdown(client, placed.slice(CALLS), timelines[1]!);
    // The call path stops first, so the simulation has the machine to itself.
    await Promise.all(processes.map((p) => p.stop()));
    const inProcess = await simulateInProcess(SECONDS);
    console.log(`simulate in process: ${inProcess.flowsPerSecond} flows/s`);
    const api = await simulateOverApi(pool, {
      port: Number(args['api-port']),
      clients: CLIENTS,
      seconds: SECONDS,
    });
    console.log(`simulate over the API: ${api.requestsPerSecond} requests/s`);
    const [bare, cti] = [realCalls['bare ARI app']!, realCalls['CTICloud flow']!];
    const ratio = (a: number, b: number) => Number((a / b).toFixed(1));
    const report = {
      date: new Date().toISOString(),
      machine: `${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB`,
      calls: CALLS,
      prompts: NODES,
      ratePerSecond: RATE,
      loadAverage,
      transitions: chain.transitions,
      realCalls,
      ctiOverBareAtP50: {
        playToPlay: ratio(cti.playToPlayMs.p50, bare.playToPlayMs.p50),
        playSetBranchPlay: ratio(cti.playSetBranchPlayMs.p50, bare.playSetBranchPlayMs.p50),
      },
      ctiGapBreakdown,
      simulate: { seconds: SECONDS, inProcess, api },
    };
    console.log(JSON.stringify(report, null, 2));
    await mkdir(path.join(ROOT, 'bench/results'), { recursive: true });
    const file = `bench/results/flow-interpreter-${report.date.replace(/[:.]/g, '-')}.json`;
    await writeFile(path.join(ROOT, file), JSON.stringify(report, null, 2));
    console.log(`saved ${file}`);
  } finally {
    await hangUpLeftovers(ari, placed, true);
    await Promise.all(processes.map((p) => p.stop()));
    await pool.query('delete from numbers where number = $1', [number]);
    await pool.query('delete from flow_versions where flow_id = $1', [flowId]);
    await pool.query('delete from flows where id = $1', [flowId]);
    // The synthetic caller records what it heard; nobody listens to a benchmark's.
    const cache = process.env.CTICLOUD_CACHE ?? path.join(os.homedir(), '.cache/cticloud');
    const spool = path.join(
      process.env.ASTERISK_ROOT ?? `${cache}/asterisk-root`,
      'var/spool/asterisk/recording',
    );
    await Promise.all(placed.map((c) => rm(path.join(spool, `caller-${c.id}.wav`), { force: true })));
    await dropRouterConsumers(js);
    await Promise.all([connection.close(), nc.close(), pool.end()]);
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
