/**
 * Issue #13's adversarial inputs for the Twilio Studio import, flow validation and simulation, against the code
 * before the fixes, in one run. Usage: `npx tsx bench/flow-adversarial.ts [--baseline 4be7be9] [--runs 5]`
 * (no services needed; figures in docs/benchmarks.md).
 *
 * The baseline's domain/ and lib/ are extracted (`git archive`) into a temporary directory with a link to this
 * checkout's node_modules (not inside the checkout, where tsc and eslint would check the old code too). Each
 * case runs in a fresh process per code version, so its peak RSS is its own: one cold run (JIT, zod compiling
 * its schemas), then warm runs while they take under 20 s in all. The longest event-loop block is measured
 * with monitorEventLoopDelay (1 ms resolution): for the import and validation, which are synchronous, it is
 * the run itself; a simulation yields at every node.
 */
import { execFile } from 'node:child_process';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { parseArgs, promisify } from 'node:util';
import { largeStudioFlow } from '../test/unit/fixtures/twilio-studio-ivr';
import { ivrFlow } from './flow-simulation';

const ROOT = path.resolve(__dirname, '..');
const run = promisify(execFile);

/** The modules under test, from this checkout or the baseline's. */
interface Code {
  importTwilioStudio(json: unknown): { report: unknown[] };
  validateFlow(json: unknown): { code: string }[];
  simulateFlow(
    flow: unknown,
    script: unknown,
    env: unknown,
  ): Promise<{ ended: { by: string; message?: string } }>;
  SimulationScript: { parse(v: unknown): unknown };
  normalizeDefinition(d: unknown): unknown;
}

const trigger = { name: 'Trigger', type: 'trigger', transitions: [{ event: 'incomingCall', next: 'w' }] };
const saying = (say: string) => ({ states: [trigger, { name: 'w', type: 'say-play', properties: { say } }] });
const node = (id: string, type: string, params: object) => ({ id, type, params, position: { x: 0, y: 0 } });
const setNodes = (value: (i: number, j: number) => string) => ({
  schemaVersion: 1,
  start: 'n0',
  nodes: Array.from({ length: 500 }, (_, i) => ({
    id: `n${i}`,
    type: 'set',
    params: {
      assignments: Array.from({ length: 50 }, (_, j) => ({ variable: `v${i}_${j}`, value: value(i, j) })),
    },
  })),
  edges: Array.from({ length: 499 }, (_, i) => ({ from: `n${i}`, exit: 'next', to: `n${i + 1}` })),
});
const simulation = (nodes: object[], edges: string[][], variables: object[]) => ({
  id: 'bench',
  version: 0,
  definition: {
    schemaVersion: 1,
    start: (nodes[0] as { id: string }).id,
    nodes,
    edges: edges.map(([from, exit, to]) => ({ from, exit, to })),
    variables,
  },
});
const ENV = { tenantId: 'bench', allowHosts: ['*.example.com'], loadFlow: async () => undefined };

/** Each case: what it is, its input, and one run of it answering what it produced. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each case knows its own input's shape
type Input = any;
const CASES: Record<
  string,
  { what: string; input: () => unknown; once: (c: Code, input: Input) => unknown }
> = {
  'import-curly': {
    what: 'import: a prompt of 200 KB of `{{`',
    input: () => saying('{{'.repeat(100_000)),
    once: (c, json) => `${c.importTwilioStudio(json).report.length} findings`,
  },
  'import-findings': {
    what: 'import: 4,000 distinct `{{flow.data.*}}` (within the budget)',
    input: () => saying(Array.from({ length: 4000 }, (_, i) => `{{flow.data.f${i}}}`).join(' ')),
    once: (c, json) => `${c.importTwilioStudio(json).report.length} findings`,
  },
  'import-findings-1mb': {
    what: 'import: 45,000 distinct `{{flow.data.*}}` (1 MB)',
    input: () => saying(Array.from({ length: 45_000 }, (_, i) => `{{flow.data.f${i}}}`).join(' ')),
    once: (c, json) => {
      try {
        return `${c.importTwilioStudio(json).report.length} findings`;
      } catch (err) {
        return (err as Error).name;
      }
    },
  },
  'import-ivr': {
    what: 'import: a realistic 499-widget IVR (167 KB)',
    input: largeStudioFlow,
    once: (c, json) => `${c.importTwilioStudio(json).report.length} findings`,
  },
  'validate-literals': {
    what: 'validate: 500 `set` nodes × 50 variables, literal values',
    input: () => setNodes(() => 'x'),
    once: (c, json) => `${c.validateFlow(json).length} problems`,
  },
  'validate-reads': {
    what: 'validate: 500 `set` nodes × 50 variables, each reading the previous node’s',
    input: () => setNodes((i, j) => `{{v${Math.max(0, i - 1)}_${j}}}`),
    once: (c, json) => `${c.validateFlow(json).length} problems`,
  },
  'validate-invalid': {
    what: 'validate: 500 `set` nodes × 50 invalid assignments',
    input: () => {
      const flow = setNodes(() => 'x');
      const invalid = { assignments: Array(50).fill({ variable: '1', value: 1 }) };
      return { ...flow, nodes: flow.nodes.map((n) => ({ ...n, params: invalid })) };
    },
    once: (c, json) => {
      const problems = c.validateFlow(json);
      return `${problems.length} problems, ${(JSON.stringify(problems).length / 1e6).toFixed(1)} MB of JSON`;
    },
  },
  'simulate-growth': {
    what: 'simulate: `set` values growing 400-fold per assignment',
    input: () =>
      simulation(
        [
          node('grow', 'set', {
            assignments: ['b', 'c', 'd'].map((v, i) => ({
              variable: v,
              value: `{{${'abc'[i]}}}`.repeat(400),
            })),
          }),
          node('bye', 'hangup', {}),
        ],
        [['grow', 'next', 'bye']],
        [{ name: 'a', initial: 'x'.repeat(2000), secret: false }],
      ),
    once: async (c, flow) => {
      try {
        const normalized = { ...flow, definition: c.normalizeDefinition(flow.definition) };
        const { ended } = await c.simulateFlow(normalized, c.SimulationScript.parse({}), ENV);
        return `ended by ${ended.by}`;
      } catch (err) {
        return `${(err as Error).name}: ${(err as Error).message}`;
      }
    },
  },
  'simulate-loop': {
    what: 'simulate: a `set` node of 50 × 400 placeholders looping to the step limit',
    input: () =>
      simulation(
        [
          node('again', 'set', {
            assignments: Array.from({ length: 50 }, (_, j) => ({
              variable: `v${j}`,
              value: '{{a}}'.repeat(400),
            })),
          }),
        ],
        [['again', 'next', 'again']],
        [{ name: 'a', initial: '', secret: false }],
      ),
    once: async (c, flow) => {
      const normalized = { ...flow, definition: c.normalizeDefinition(flow.definition) };
      const { ended } = await c.simulateFlow(normalized, c.SimulationScript.parse({}), ENV);
      return `ended by ${ended.by}: ${ended.message}`;
    },
  },
  'simulate-ivr': {
    what: 'simulate: the 30-node IVR of the flow benchmark, a 17-node path',
    input: () => ({ id: 'bench', version: 1, definition: ivrFlow() }),
    once: async (c, flow) => {
      const normalized = { ...flow, definition: c.normalizeDefinition(flow.definition) };
      const script = c.SimulationScript.parse({
        at: '2026-11-25T10:00:00+01:00',
        digits: ['1', '1', '123456', '1'],
        http: [
          { url: 'https://crm.', body: { a: { balance: '42', due: '2026-12-01', tier: 'silver' } } },
          { url: 'https://pay.', status: 201, body: { id: '99812' } },
        ],
      });
      const { ended } = await c.simulateFlow(normalized, script, ENV);
      return `ended by ${ended.by}`;
    },
  },
};

/** One case in this process: cold run, then warm runs; answers the timings, the block, RSS and the result. */
async function measure(name: string, root: string, runs: number) {
  const modules = [
    'lib/flow-import/twilio-studio',
    'domain/flow/validate',
    'lib/flow-simulator',
    'domain/flow/normalize',
  ];
  const code = Object.assign(
    {},
    ...(await Promise.all(modules.map((m) => import(path.join(root, m))))),
  ) as Code;
  const spec = CASES[name]!;
  const json = JSON.stringify(spec.input());
  const rssBefore = process.memoryUsage().rss;
  const times: number[] = [];
  let longestBlock = 0;
  let result: unknown;
  for (let i = 0, spent = 0; i <= runs && (i === 0 || spent < 20_000); i++) {
    const input = JSON.parse(json);
    const delay = monitorEventLoopDelay({ resolution: 1 });
    delay.enable();
    // Its first tick only starts the clock: a block before it would not be seen.
    await new Promise((resolve) => setTimeout(resolve, 5));
    const start = performance.now();
    result = await spec.once(code, input);
    const took = performance.now() - start;
    await new Promise((resolve) => setTimeout(resolve, 5));
    delay.disable();
    times.push(took);
    spent += took;
    if (i > 0) longestBlock = Math.max(longestBlock, delay.max / 1e6);
  }
  const warm = times.slice(1).sort((a, b) => a - b);
  return {
    inputBytes: json.length,
    coldMs: times[0]!,
    warmMedianMs: warm.length ? warm[Math.floor(warm.length / 2)]! : NaN,
    warmRuns: warm.length,
    longestBlockMs: warm.length ? longestBlock : NaN,
    rssBeforeMb: rssBefore / 1e6,
    peakRssMb: process.resourceUsage().maxRSS / 1e3,
    result,
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      baseline: { type: 'string', default: '4be7be9' },
      runs: { type: 'string', default: '5' },
      case: { type: 'string' },
      root: { type: 'string' },
    },
  });
  if (values.case) {
    const measured = await measure(values.case, values.root!, Number(values.runs));
    process.stdout.write(`${JSON.stringify(measured)}\n`);
    return;
  }
  const baseline = path.join(os.tmpdir(), `cticloud-flow-adversarial-${values.baseline}`);
  if (!existsSync(baseline)) {
    await mkdir(baseline, { recursive: true });
    await run('bash', ['-c', `git archive ${values.baseline} domain lib | tar -x -C '${baseline}'`], {
      cwd: ROOT,
    });
    await symlink(path.join(ROOT, 'node_modules'), path.join(baseline, 'node_modules'));
  }
  const rows: Record<string, unknown>[] = [];
  const tsx = path.join(ROOT, 'node_modules/.bin/tsx');
  for (const name of Object.keys(CASES)) {
    for (const [version, root] of [
      [values.baseline!, baseline],
      ['this code', ROOT],
    ] as const) {
      const args = [__filename, '--case', name, '--root', root, '--runs', values.runs!];
      const { stdout } = await run(tsx, args, { cwd: ROOT, maxBuffer: 1 << 26 });
      const row = { case: name, code: version, ...JSON.parse(stdout) };
      rows.push(row);
      console.log(JSON.stringify(row));
    }
  }
  const fixed = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : '–');
  console.log(
    '\n| case | code | input | cold ms | warm ms (median) | longest block ms | peak RSS MB | result |',
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const r of rows as Input[]) {
    console.log(
      `| ${CASES[r.case]!.what} | ${r.code} | ${fixed(r.inputBytes / 1e3, 0)} KB | ${fixed(r.coldMs)} | ` +
        `${fixed(r.warmMedianMs)} | ${fixed(r.longestBlockMs)} | ${fixed(r.peakRssMb, 0)} | ${r.result} |`,
    );
  }
  const out = path.join(ROOT, 'bench/results', `flow-adversarial-${Date.now()}.json`);
  await writeFile(out, JSON.stringify(rows, null, 2));
  console.log(`\nwritten to ${path.relative(ROOT, out)}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
