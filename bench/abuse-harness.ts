/**
 * The abuse bench's harness (bench/abuse-event-loop.ts): the gateway child that reports its event-loop lag,
 * the victim in a worker thread, and the tally of what abusive requests got.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { GatewayMessage, GatewayRequest } from './abuse-gateway';
import { processCpuSeconds } from './acd-kit';

/** Where the gateway listens and what the victim does; set once from the bench's arguments. */
export const harness = {
  port: 3350,
  get base() {
    return `http://127.0.0.1:${this.port}`;
  },
  /** The victim's request interval and timeout, ms. */
  victimEveryMs: 50,
  victimTimeoutMs: 10_000,
  /** The longest wait for the gateway to answer a histogram request, ms. */
  drainMs: 300_000,
  /** Each scenario's window, s, and the longest a rate-limit scenario may run, ms. */
  seconds: 10,
  limitCapMs: 180_000,
};
const ROOT = path.resolve(__dirname, '..');

/** Whether the promise settled within `ms` (its timer cleared, so it holds no exit back). */
export async function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((r) => (timer = setTimeout(() => r(false), ms)));
  const settled = await Promise.race([promise.then(() => true), late]);
  clearTimeout(timer);
  return settled;
}

/** The gateway child: the real gateway with the loop histogram, asked over IPC. */
export class Gateway {
  private output = '';
  private waiting = new Map<GatewayMessage['type'], (m: GatewayMessage) => void>();
  private constructor(private readonly child: ChildProcess) {
    const collect = (chunk: Buffer): void => {
      this.output = (this.output + chunk.toString()).slice(-20_000);
    };
    child.stdout!.on('data', collect);
    child.stderr!.on('data', collect);
    child.on('message', (m: GatewayMessage) => {
      this.waiting.get(m.type)?.(m);
      this.waiting.delete(m.type);
    });
  }

  static async start(): Promise<Gateway> {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'bench/abuse-gateway.ts')], {
      cwd: ROOT,
      env: {
        ...process.env,
        API_HOST: '127.0.0.1',
        API_PORT: String(harness.port),
        // Fastify logs every request at info: that would be measured too (as in the flow-simulation bench).
        LOG_LEVEL: 'warn',
        // http nodes and webhooks may reach this machine only: nothing of the bench leaves it.
        OUTBOUND_POLICY: 'loopback-only',
      },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    const gateway = new Gateway(child);
    const exited = new Promise<never>((_, reject) =>
      child.once('exit', (code) => reject(new Error(`gateway exited (${code}):\n${gateway.output}`))),
    );
    exited.catch(() => undefined);
    await Promise.race([gateway.next('ready', 60_000), exited]);
    return gateway;
  }

  private next(type: GatewayMessage['type'], timeoutMs: number): Promise<GatewayMessage> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`gateway: no ${type} in ${timeoutMs} ms:\n${this.output}`)),
        timeoutMs,
      );
      this.waiting.set(type, (m) => {
        clearTimeout(timer);
        resolve(m);
      });
    });
  }

  /** Asks, and waits for the answer as long as a blocked loop may take to answer. */
  async ask<T extends GatewayRequest['type']>(type: T): Promise<Extract<GatewayMessage, { type: T }>> {
    const answer = this.next(type, harness.drainMs);
    this.child.send({ type } satisfies GatewayRequest);
    return (await answer) as Extract<GatewayMessage, { type: T }>;
  }

  /** CPU seconds the gateway has used: its own work, apart from the clients' on the same cores. */
  cpuSeconds(): number {
    return processCpuSeconds(this.child.pid!);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
}

/**
 * The victim, in a worker thread so the abusive clients' work in this process does not delay it: a
 * GET /v1/flows every 50 ms on a fixed schedule (late answers do not postpone the next request).
 */
const VICTIM_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
let timer, latencies = [], errors = 0;
const pending = new Set();
function once() {
  const t0 = performance.now();
  const p = fetch(workerData.url, {
    headers: { authorization: 'Bearer ' + workerData.key },
    signal: AbortSignal.timeout(workerData.timeoutMs),
  })
    .then(async (res) => { await res.arrayBuffer(); if (res.status !== 200) errors++; })
    .catch(() => { errors++; })
    .finally(() => { latencies.push(performance.now() - t0); pending.delete(p); });
  pending.add(p);
}
parentPort.on('message', async (m) => {
  if (m === 'start') {
    latencies = []; errors = 0;
    timer = setInterval(once, workerData.everyMs);
  } else if (m === 'stop') {
    clearInterval(timer);
    await Promise.allSettled([...pending]);
    parentPort.postMessage({ latencies, errors });
  }
});`;

export class Victim {
  private readonly worker: Worker;
  constructor(key: string) {
    this.worker = new Worker(VICTIM_SOURCE, {
      eval: true,
      workerData: {
        url: `${harness.base}/v1/flows`,
        key,
        everyMs: harness.victimEveryMs,
        timeoutMs: harness.victimTimeoutMs,
      },
    });
  }
  start(): void {
    this.worker.postMessage('start');
  }
  /** Stops sending, waits for the requests in flight, answers what it saw. */
  stop(): Promise<{ latencies: number[]; errors: number }> {
    const answer = new Promise<{ latencies: number[]; errors: number }>((r) =>
      this.worker.once('message', r),
    );
    this.worker.postMessage('stop');
    return answer;
  }
  close(): Promise<number> {
    return this.worker.terminate();
  }
}

/** What the abusive requests got: status counts (those answered after the window marked so) and latencies. */
export class Tally {
  readonly statuses: Record<string, number> = {};
  readonly latencies: number[] = [];
  requests = 0;
  /** The end of the window (epoch ms); a scenario may move it. */
  constructor(public until: number) {}

  add(status: number | string, ms: number): void {
    const late = Date.now() > this.until;
    const key = late ? `${status} after the window` : String(status);
    this.statuses[key] = (this.statuses[key] ?? 0) + 1;
    this.latencies.push(ms);
  }

  /** Sends one abusive request and counts its status (its body read); network errors count by code. */
  async fetch(url: string, init: RequestInit = {}): Promise<Response | undefined> {
    this.requests++;
    const t0 = performance.now();
    try {
      const res = await fetch(`${harness.base}${url}`, init);
      await res.arrayBuffer();
      this.add(res.status, performance.now() - t0);
      return res;
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause;
      this.add(`error ${cause?.code ?? (err as Error).name}`, performance.now() - t0);
      return undefined;
    }
  }
}
