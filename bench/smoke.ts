/**
 * Every benchmark, briefly (a few minutes in all), and one markdown table of the figures issue #14 sets
 * targets for: the latest figure, its baseline from the same run, the commit and the machine's load.
 * Short runs say whether a change moved a figure by a lot, not whether a target is met: the full benches
 * (docs/benchmarks.md) do that. Usage: npm run bench -- smoke [--only answer,flow,acd,capacity,campaign,callbacks]
 */
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { resultsFile, revision, saveResults } from './acd-kit';

const ROOT = path.resolve(__dirname, '..');
const { values: args } = parseArgs({ options: { only: { type: 'string' } } });

/* eslint-disable @typescript-eslint/no-explicit-any -- each bench's report is its own JSON shape */
type Report = any;

interface Row {
  metric: string;
  target: string;
  latest: string;
  baseline: string;
}

interface Bench {
  name: string;
  script: string;
  /** Small counts and durations: the whole smoke run stays under five minutes. */
  args: string[];
  /** bench/results/<prefix>… is the report it writes. */
  results: string;
  rows(report: Report): Row[];
}

const ms = (n: unknown) => (typeof n === 'number' && Number.isFinite(n) ? `${n} ms` : '–');
const p50p99 = (s: { p50?: number; p99?: number } | undefined) => `${ms(s?.p50)} / ${ms(s?.p99)}`;

const BENCHES: Bench[] = [
  {
    name: 'answer',
    script: 'bench/answer-latency.ts',
    args: ['--calls', '60', '--rate', '20'],
    results: 'answer-latency.json',
    rows: (r) => {
      const [cti, bare] = [r.results['CTICloud workflow'], r.results['bare ARI app']];
      const calls = `${r.calls} calls at ${r.ratePerSecond}/s`;
      return [
        {
          metric: `Answer, SIP INVITE → 200 OK, p50 (${calls})`,
          target: '≤ 2× bare ARI app',
          latest: `${ms(cti.p50)} (${r.ctiOverBareAtP50}× bare)`,
          baseline: `bare ARI ${ms(bare.p50)}, dialplan ${ms(r.results['dialplan Answer()'].p50)}`,
        },
        {
          metric: 'Answer, p99',
          target: '≤ 50 ms',
          latest: ms(cti.p99),
          baseline: `bare ARI ${ms(bare.p99)}`,
        },
      ];
    },
  },
  {
    name: 'flow',
    script: 'bench/flow-interpreter.ts',
    args: ['--calls', '20', '--nodes', '6', '--rate', '5', '--seconds', '1'],
    results: 'flow-interpreter-',
    rows: (r) => [
      {
        metric: `Prompt → prompt, p50 / p99 (${r.calls} calls of ${r.prompts} prompts at ${r.ratePerSecond}/s)`,
        target: '≤ 10 ms / ≤ 50 ms',
        latest: p50p99(r.realCalls['CTICloud flow'].playToPlayMs),
        baseline: `bare ARI ${p50p99(r.realCalls['bare ARI app'].playToPlayMs)}`,
      },
    ],
  },
  {
    name: 'acd',
    script: 'bench/acd-routing.ts',
    args: ['--callers', '50', '--agents', '6'],
    results: 'acd-routing-',
    rows: (r) => [
      {
        metric: `Agent available → phone ringing, p50 / p99 (${r.callersWaiting} waiting, ${r.samples} samples)`,
        target: '≤ 20 ms / ≤ 60 ms',
        latest: p50p99(r.routing.ringingMs),
        baseline: `bare originate ${p50p99(r.baselineOriginate.ringingMs)}`,
      },
    ],
  },
  {
    name: 'capacity',
    script: 'bench/capacity.ts',
    args: ['--rates', '2,4', '--step-seconds', '8', '--warmup', '2', '--histories', '3'],
    results: 'capacity-',
    rows: (r) => {
      const { cticloud, dialplan } = r.sustainedCallsPerSecond ?? {};
      const capped = (kind: string) =>
        r.rampEndedWithoutFailure?.[kind] ? ' (ramp capped, no failure)' : '';
      const perCall = r.steps?.cticloud?.at(-1)?.perCall;
      return [
        {
          metric: `IVR capacity, calls/s sustained (steps ${r.settings.rates.join(', ')}/s of ${r.settings.stepSeconds} s)`,
          target: '≥ 50 % of dialplan',
          latest: `${cticloud}/s${capped('cticloud')}${perCall ? `, ${perCall.workflowTasks} tasks and ${perCall.activities} activities per call` : ''}`,
          baseline: `dialplan ${dialplan}/s${capped('dialplan')}`,
        },
      ];
    },
  },
  {
    name: 'campaign',
    script: 'bench/campaign-dialer.ts',
    args: ['--contacts', '600', '--rate', '20', '--baseline', '10', '--trim', '3', '--cut', '20'],
    results: 'campaign-dialer-',
    rows: (r) => [
      {
        metric: `Campaign attempts/s at ${r.configured.callsPerSecond}/s configured (${r.campaign.durationSec} s)`,
        target: '20 ± 1',
        latest: String(r.campaign.rateFromStartedAt.achievedPerSecond),
        baseline: `bare originate loop ${r.baseline.achievedPerSecond}`,
      },
    ],
  },
  {
    name: 'callbacks',
    script: 'bench/callbacks-pending.ts',
    args: ['--count', '500', '--lead', '12', '--spread', '5', '--drain', '20', '--sample', '100'],
    results: 'callbacks-pending-',
    rows: (r) => [
      {
        metric: `Pending callbacks: worker RSS peak (${r.count ?? 500} pending, not 100,000)`,
        target: '< 1 GiB at 100,000',
        latest: `${r.callbacks?.memory?.maxMiB} MiB`,
        baseline: `plain timers ${r.plainTimers?.memory?.maxMiB} MiB`,
      },
      {
        metric: 'Pending callbacks: timer lateness p99',
        target: '< 1 s',
        latest: ms(r.callbacks?.timerFiredLateMs?.p99),
        baseline: `plain timers ${ms(r.plainTimers?.timerFiredLateMs?.p99)}`,
      },
    ],
  },
];
/* eslint-enable @typescript-eslint/no-explicit-any */

/** Runs one bench as `npm run bench` would (the environment is already loaded), its output to a log. */
function run(bench: Bench, log: string): Promise<number | null> {
  const out = createWriteStream(log);
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, bench.script), ...bench.args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.pipe(out);
  child.stderr.pipe(out);
  return new Promise((resolve) => child.once('exit', (code) => out.end(() => resolve(code))));
}

/** The report the bench wrote after `since`, if any. */
async function newestReport(prefix: string, since: number): Promise<Report | undefined> {
  const dir = path.join(ROOT, 'bench/results');
  let newest: { file: string; at: number } | undefined;
  for (const file of (await readdir(dir)).filter((f) => f.startsWith(prefix) && f.endsWith('.json'))) {
    const at = (await stat(path.join(dir, file))).mtimeMs;
    if (at >= since && (!newest || at > newest.at)) newest = { file, at };
  }
  return newest && JSON.parse(await readFile(path.join(dir, newest.file), 'utf8'));
}

const load = () => os.loadavg()[0]!.toFixed(2);

async function main(): Promise<void> {
  const only = args.only?.split(',');
  const { commit, modified } = revision();
  const table = [
    '| metric | target (#14) | latest | baseline, same run | commit | load 1 min before → after |',
    '| --- | --- | --- | --- | --- | --- |',
  ];
  const started = Date.now();
  const runs: Record<string, unknown> = {};
  for (const bench of BENCHES.filter((b) => !only || only.includes(b.name))) {
    const [since, before] = [Date.now(), load()];
    const log = path.join(os.tmpdir(), `cticloud-smoke-${bench.name}.log`);
    process.stdout.write(`${bench.name} ${bench.args.join(' ')} … `);
    const code = await run(bench, log);
    const seconds = Math.round((Date.now() - since) / 1000);
    const loadCell = `${before} → ${load()}`;
    const report = code === 0 ? await newestReport(bench.results, since) : undefined;
    console.log(`${code === 0 ? 'done' : `exit ${code}`} in ${seconds} s (log ${log})`);
    let rows: Row[];
    try {
      rows = report ? bench.rows(report) : [];
    } catch (err) {
      rows = [];
      console.error(`${bench.name}: its report lacks a figure: ${(err as Error).message}`);
    }
    if (!rows.length)
      rows = [{ metric: bench.name, target: '', latest: `no report (exit ${code})`, baseline: '' }];
    runs[bench.name] = { code, seconds, log, rows };
    for (const r of rows)
      table.push(`| ${r.metric} | ${r.target} | ${r.latest} | ${r.baseline} | ${commit} | ${loadCell} |`);
  }
  const minutes = ((Date.now() - started) / 60_000).toFixed(1);
  const note = `Short runs (${minutes} min in all) on ${os.cpus().length} cores${modified.length ? `; files differing from ${commit}: ${modified.join(', ')}` : ''}.`;
  console.log(`\n${table.join('\n')}\n\n${note}`);
  const file = resultsFile('smoke');
  await saveResults(file, { date: new Date().toISOString(), commit, modified, minutes, runs, table });
  console.log(`saved ${file}`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
