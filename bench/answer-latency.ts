/**
 * Answer latency (SIP INVITE → 200 OK) measured by SIPp at a fixed call rate, for three answerers in one run:
 * (a) CTICloud (bridge → JetStream → router → CallWorkflow → answer activity), (b) a bare ARI app that
 * answers on StasisStart, (c) dialplan Answer(). For (a) it also splits the time by hop, from each call's
 * workflow history. Usage: npm run bench -- [--calls 200] [--rate 20]
 */
import { Client, Connection } from '@temporalio/client';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DeliverPolicy, type NatsConnection } from 'nats';
import { ARI_STREAM, channelSubject, type AriEvent } from '../asterisk/ari-events';
import { connectNats } from '../asterisk/event-log';
import { loadConfig } from '../lib/config';
import { ManagedProcess } from '../test/support/process';
import { runSipp } from './sipp-run';
import { answerTimesFromTrace } from './sipp-trace';
import { summarize, type Summary } from './stats';

const { values: args } = parseArgs({
  options: {
    calls: { type: 'string', default: '200' },
    rate: { type: 'string', default: '20' },
    hold: { type: 'string', default: '1000' },
  },
});
const CALLS = Number(args.calls);
const RATE = Number(args.rate);
const ROOT = path.resolve(__dirname, '..');
const BENCH_APP = 'cticloud-bench';

interface SippResult {
  latenciesMs: number[];
  successful: number;
  failed: number;
}

/** Runs SIPp's answer scenario; per-call INVITE→200 OK times come from its message trace. */
async function sipp(app: string, port: number): Promise<SippResult> {
  const run = await runSipp({
    scenario: 'answer.xml',
    service: '5559000',
    port,
    calls: CALLS,
    ratePerSecond: RATE,
    keys: { app },
    trace: true,
    extraArgs: ['-d', args.hold!],
  });
  return { latenciesMs: answerTimesFromTrace(run.trace), successful: run.successful, failed: run.failed };
}

interface Breakdown {
  /** Asterisk: channel created (INVITE in) → StasisStart. */
  dialplanMs: Summary;
  /** StasisStart → stored in JetStream by the bridge. */
  bridgeMs: Summary;
  /** Stored in JetStream → workflow started (router's consume and the start RPC, persisted by Temporal). */
  routeMs: Summary;
  /** Workflow started → channel Up in Asterisk (workflow task, local activity, ARI answer). */
  answerMs: Summary;
}

const ms = (t: { seconds?: unknown; nanos?: number | null } | null | undefined): number =>
  t ? Number(t.seconds) * 1000 + (t.nanos ?? 0) / 1e6 : NaN;
const asteriskTime = (iso: string): number => Date.parse(iso.replace(/(\.\d+)\+0000$/, '$1Z'));

/**
 * Splits CTICloud's answer path by hop for the bench calls: Asterisk's event times and JetStream's storage
 * times come from the ARI stream, the workflow start from its history.
 */
async function breakdown(client: Client, nc: NatsConnection, since: Date): Promise<Breakdown> {
  const js = nc.jetstream();
  const hops = {
    dialplan: [] as number[],
    bridge: [] as number[],
    route: [] as number[],
    answer: [] as number[],
  };
  const query = `WorkflowType = 'CallWorkflow' AND StartTime > '${since.toISOString()}' AND DialedNumber = '5559000'`;
  for await (const info of client.workflow.list({ query })) {
    const events = (await client.workflow.getHandle(info.workflowId).fetchHistory()).events ?? [];
    const started = events[0]!;
    const input = JSON.parse(
      Buffer.from(started.workflowExecutionStartedEventAttributes!.input!.payloads![0]!.data!).toString(),
    );
    const cursor = await js.consumers.get(ARI_STREAM, {
      filterSubjects: channelSubject(input.node, input.channelId),
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: Math.max(1, input.eventSeq - 50),
    });
    const seen: Record<string, number> = {};
    let storedStasisStart = NaN;
    for (let m = await cursor.next({ expires: 1000 }); m; m = await cursor.next({ expires: 1000 })) {
      const e = m.json<AriEvent>();
      const key = e.type === 'ChannelStateChange' ? `State:${e.channel?.state}` : e.type;
      seen[key] ??= asteriskTime(e.timestamp);
      if (e.type === 'StasisStart') storedStasisStart = Number(m.info.timestampNanos) / 1e6;
      if (seen['State:Up']) break;
    }
    await cursor.delete().catch(() => undefined);
    hops.dialplan.push(seen.StasisStart! - seen.ChannelCreated!);
    hops.bridge.push(storedStasisStart - seen.StasisStart!);
    hops.route.push(ms(started.eventTime) - storedStasisStart);
    hops.answer.push(seen['State:Up']! - ms(started.eventTime));
  }
  return {
    dialplanMs: summarize(hops.dialplan),
    bridgeMs: summarize(hops.bridge),
    routeMs: summarize(hops.route),
    answerMs: summarize(hops.answer),
  };
}

async function main(): Promise<void> {
  const config = loadConfig({ ARI_APP: BENCH_APP, LOG_LEVEL: 'warn' });
  const env = { ARI_APP: BENCH_APP };
  const processes = [
    new ManagedProcess('bench-bridge', 'asterisk/bridge.ts', env),
    new ManagedProcess('bench-bridge-mirror', 'asterisk/bridge.ts', { ...env, ARI_BRIDGE_ROLE: 'mirror' }),
    new ManagedProcess('bench-worker', 'workers/worker.ts', {
      ...env,
      LOG_LEVEL: process.env.BENCH_WORKER_LOG ?? 'info',
    }),
    new ManagedProcess('bench-bare', 'bench/bare-ari-app.ts', env),
  ].map((p) => p.start());
  const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
  const client = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
  const nc = await connectNats(config.NATS_URL, 'cticloud-bench');
  try {
    await Promise.all([
      processes[0]!.waitFor(/ARI connected/),
      processes[1]!.waitFor(/ARI connected/),
      processes[2]!.waitFor(/worker ready/, 90_000),
      processes[3]!.waitFor(/bare ARI app ready/),
    ]);
    const results: Record<string, SippResult & { latency: Summary }> = {};
    const since = new Date();
    let port = 25060;
    for (const [name, app] of [
      ['dialplan Answer()', 'dialplan-answer'],
      ['bare ARI app', 'bench-bare'],
      ['CTICloud workflow', BENCH_APP],
    ] as const) {
      process.stdout.write(`${name}: ${CALLS} calls at ${RATE}/s … `);
      const run = await sipp(app, (port += 10));
      results[name] = { ...run, latency: summarize(run.latenciesMs) };
      console.log(
        `p50 ${results[name].latency.p50} ms, p99 ${results[name].latency.p99} ms, ${run.failed} failed`,
      );
    }
    await new Promise((r) => setTimeout(r, 2000));
    const hops = await breakdown(client, nc, since);
    const cti = results['CTICloud workflow']!.latency;
    const bare = results['bare ARI app']!.latency;
    const report = {
      worker: {
        eagerStart: process.env.WORKER_EAGER_START ?? 'true',
        workflowThreads: process.env.WORKER_WORKFLOW_THREADS ?? '1',
      },
      date: new Date().toISOString(),
      calls: CALLS,
      ratePerSecond: RATE,
      machine: `${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB`,
      results: Object.fromEntries(
        Object.entries(results).map(([k, v]) => [
          k,
          { ...v.latency, successful: v.successful, failed: v.failed },
        ]),
      ),
      ctiOverBareAtP50: Number((cti.p50 / bare.p50).toFixed(2)),
      ctiBreakdownMs: hops,
      targets: { p50WithinTwiceBare: cti.p50 <= 2 * bare.p50, p99Under100ms: cti.p99 < 100 },
    };
    console.log(JSON.stringify(report, null, 2));
    await mkdir(path.join(ROOT, 'bench/results'), { recursive: true });
    await writeFile(path.join(ROOT, 'bench/results/answer-latency.json'), JSON.stringify(report, null, 2));
  } finally {
    await Promise.all(processes.map((p) => p.stop()));
    await connection.close();
    await nc.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
