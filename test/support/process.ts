import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
const LOGS = path.join(
  process.env.CTICLOUD_CACHE ?? path.join(os.homedir(), '.cache', 'cticloud'),
  'state',
  'logs',
);

/** One of CTICloud's processes, started the way `npm start` starts it, with its output kept for assertions. */
export class ManagedProcess {
  private child: ChildProcess | undefined;
  private output = '';
  private exited: Promise<number | null> | undefined;

  constructor(
    readonly name: string,
    private readonly script: string,
    private readonly env: Record<string, string> = {},
  ) {}

  get log(): string {
    return this.output;
  }

  get running(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  start(): this {
    mkdirSync(LOGS, { recursive: true });
    const file = createWriteStream(path.join(LOGS, `test-${this.name}.log`), { flags: 'a' });
    this.output = '';
    // `node --import tsx`, not the tsx CLI: the CLI runs the script in a child process, and a SIGKILL of
    // the CLI would leave that child running, which is no crash at all.
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, this.script)], {
      cwd: ROOT,
      env: { ...process.env, LOG_LEVEL: 'info', ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const collect = (chunk: Buffer): void => {
      this.output += chunk.toString();
      file.write(chunk);
    };
    child.stdout!.on('data', collect);
    child.stderr!.on('data', collect);
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    this.child = child;
    return this;
  }

  /** Waits until the output matches, failing with the output so far when it does not in time. */
  async waitFor(pattern: RegExp, timeoutMs = 30_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (!pattern.test(this.output)) {
      if (!this.running) throw new Error(`${this.name} exited while waiting for ${pattern}:\n${this.output}`);
      if (Date.now() > until)
        throw new Error(`${this.name} did not log ${pattern} in ${timeoutMs} ms:\n${this.output}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (!this.running) return this.child?.exitCode ?? null;
    this.child!.kill(signal);
    const timer = setTimeout(() => this.child?.kill('SIGKILL'), 10_000);
    const code = (await this.exited) ?? null;
    clearTimeout(timer);
    return code;
  }

  /** A crash, not a shutdown: no chance to flush or deregister. */
  kill(): Promise<number | null> {
    return this.stop('SIGKILL');
  }
}
