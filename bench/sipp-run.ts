/**
 * Runs one SIPp scenario against the bundled Asterisk (127.0.0.1:5060) and reads its summary: what the
 * answer and capacity benchmarks share.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..');

export interface SippRun {
  /** bench/sipp/<scenario>.xml */
  scenario: string;
  /** The number dialed (the Request-URI's user part). */
  service: string;
  /** SIP port of this run; its media port is 2000 above, so runs side by side need ports 10 apart. */
  port: number;
  calls: number;
  ratePerSecond: number;
  /** Scenario keys (`-key name value`), e.g. the X-CTICloud-App header. */
  keys: Record<string, string>;
  /** Calls up at once before SIPp stops placing more. @default ten seconds' worth */
  maxConcurrent?: number;
  /** Keep SIPp's message trace (answer times to the µs). @default false */
  trace?: boolean;
  /** More arguments, e.g. `-d <ms>` for the answer scenario's hold. */
  extraArgs?: string[];
  /** Seconds SIPp may run after the last call is placed. @default 60 */
  graceSeconds?: number;
}

export interface SippOutcome {
  successful: number;
  failed: number;
  /** SIPp's message trace, when asked for; '' otherwise. */
  trace: string;
  stdout: string;
}

/** Runs SIPp to the end and answers its counts; SIPp's exit status only says that some call failed. */
export async function runSipp(run: SippRun): Promise<SippOutcome> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `sipp-${path.basename(run.scenario, '.xml')}-`));
  const grace = run.graceSeconds ?? 60;
  const placing = Math.ceil(run.calls / run.ratePerSecond);
  const args = [
    '127.0.0.1:5060',
    ['-sf', path.join(ROOT, 'bench/sipp', run.scenario)],
    ['-s', run.service, '-i', '127.0.0.1', '-p', String(run.port), '-mp', String(run.port + 2000)],
    ['-m', String(run.calls), '-r', String(run.ratePerSecond), '-rp', '1000'],
    ['-l', String(run.maxConcurrent ?? Math.ceil(run.ratePerSecond * 10))],
    Object.entries(run.keys).flatMap(([name, value]) => ['-key', name, value]),
    run.trace ? ['-trace_msg'] : [],
    run.extraArgs ?? [],
    ['-nostdin', '-timeout', `${placing + grace}s`],
  ].flat();
  const stdout = await new Promise<string>((resolve) => {
    execFile('sipp', args, { cwd: dir, timeout: (placing + grace + 60) * 1000 }, (_err, out) => resolve(out));
  });
  const traceFile = run.trace ? (await readdir(dir)).find((f) => f.endsWith('_messages.log')) : undefined;
  const trace = traceFile ? await readFile(path.join(dir, traceFile), 'utf8') : '';
  await rm(dir, { recursive: true, force: true });
  // The last column of SIPp's final statistics screen is the cumulative count.
  const count = (label: string): number =>
    Number(new RegExp(`${label}\\s+\\|\\s+\\d+\\s+\\|\\s+(\\d+)`).exec(stdout)?.[1] ?? 0);
  return { successful: count('Successful call'), failed: count('Failed call'), trace, stdout };
}
