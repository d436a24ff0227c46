/**
 * What the ACD benchmarks share: a stack of their own (bridge, mirror bridge, worker and gateway with their
 * own ARI app, task queue and API port), a fresh tenant with an admin key, process memory and results files.
 */
import { Client, Connection } from '@temporalio/client';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { NatsConnection } from 'nats';
import { connectAri } from '../asterisk/ari';
import { AriCommands } from '../asterisk/ari-commands';
import { connectNats } from '../asterisk/event-log';
import { loadConfig, type Config } from '../lib/config';
import { createPool, type Pool } from '../lib/db';
import { createApiKey } from '../test/support/keys';
import { ManagedProcess } from '../test/support/process';

const ROOT = path.resolve(__dirname, '..');

/** Sleeps `ms` milliseconds. */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** An Asterisk event timestamp (`2026-11-25T15:58:41.528+0000`) in epoch milliseconds. */
export const asteriskTime = (iso: string): number => Date.parse(iso.replace(/([+-]\d\d)(\d\d)$/, '$1:$2'));

/** A Temporal timestamp (history event time) in epoch milliseconds. */
export const temporalMs = (t: { seconds?: unknown; nanos?: number | null } | null | undefined): number =>
  t ? Number(t.seconds ?? 0) * 1000 + (t.nanos ?? 0) / 1e6 : NaN;

/** Resident and peak resident memory of a process, in MiB, from /proc/<pid>/status. */
export function processMemory(pid: number): { rssMiB: number; hwmMiB: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMiB: Math.round(kib('VmRSS') / 102.4) / 10, hwmMiB: Math.round(kib('VmHWM') / 102.4) / 10 };
}

/** CPU time (user + system) a process has used, in seconds, from /proc/<pid>/stat (100 ticks a second). */
export function processCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** The pids of this process's children running `script` (ManagedProcess runs `node --import tsx <script>`). */
export function childPids(script: string): number[] {
  const me = String(process.pid);
  const pids: number[] = [];
  for (const entry of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1];
      if (ppid !== me) continue;
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(path.join(ROOT, script))) {
        pids.push(Number(entry));
      }
    } catch {
      // The process ended while we looked.
    }
  }
  return pids;
}

/** The pid of this process's child running `script`. */
export function childPid(script: string): number {
  const pid = childPids(script)[0];
  if (pid === undefined) throw new Error(`no child process runs ${script}`);
  return pid;
}

/** bench/results/<name>-<timestamp>.json, for saveResults. */
export const resultsFile = (name: string): string =>
  path.join(ROOT, 'bench/results', `${name}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);

/** Writes (or rewrites, as a long bench goes) the report to `file`, a resultsFile, and answers the path. */
export async function saveResults(file: string, report: object): Promise<string> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, JSON.stringify(report, null, 2));
  return file;
}

/** The commit measured, and the files that differed from it (others edit the tree while benches run). */
export function revision(): { commit: string; modified: string[] } {
  const git = (...a: string[]) => execFileSync('git', a, { cwd: ROOT, encoding: 'utf8' }).trimEnd();
  const modified = git('status', '--porcelain', '--untracked-files=no').split('\n').filter(Boolean);
  return { commit: git('rev-parse', '--short', 'HEAD'), modified: modified.map((l) => l.slice(3)) };
}

/** The machine, for the report. */
export const machine = (): string =>
  `${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, ` +
  `load average ${os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`;

const children = new Set<ManagedProcess>();
/** Stops the process too when the bench is interrupted or killed from outside: it would outlive it. */
export function stopOnSignal(child: ManagedProcess): void {
  if (!children.size) {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.once(signal, () => {
        void Promise.all([...children].map((p) => p.stop())).finally(() => process.exit(130));
      });
    }
  }
  children.add(child);
}

export interface BenchStackOptions {
  /** ARI app, task queue and tenant prefix of this bench. */
  name: string;
  apiPort: number;
  /** Start the bridges (calls); the worker and gateway are always started. */
  bridges: boolean;
  /** Extra environment of the worker. */
  workerEnv?: Record<string, string>;
}

/** A bench's own processes and clients, and a fresh tenant to work in. */
export interface BenchStack {
  config: Config;
  app: string;
  taskQueue: string;
  tenantId: string;
  temporal: Client;
  nc: NatsConnection;
  ari: AriCommands;
  pool: Pool;
  worker: ManagedProcess;
  /** Calls the gateway as the fresh tenant's admin; throws unless the status is `expect`. */
  api<T = Record<string, unknown>>(method: string, url: string, body?: unknown, expect?: number): Promise<T>;
  close(): Promise<void>;
}

/** Starts the bench's processes and makes its tenant; `close` stops them and drops the router's consumers. */
export async function startBenchStack(options: BenchStackOptions): Promise<BenchStack> {
  const app = `cticloud-${options.name}`;
  const taskQueue = options.name;
  const tenantId = `${options.name}-${Date.now().toString(36)}`;
  const config = loadConfig({ ARI_APP: app, TEMPORAL_TASK_QUEUE: taskQueue });
  const env = { ARI_APP: app, TEMPORAL_TASK_QUEUE: taskQueue };
  const bridges = options.bridges
    ? [
        new ManagedProcess(`${options.name}-bridge`, 'asterisk/bridge.ts', env).start(),
        new ManagedProcess(`${options.name}-mirror`, 'asterisk/bridge.ts', {
          ...env,
          ARI_BRIDGE_ROLE: 'mirror',
        }).start(),
      ]
    : [];
  const worker = new ManagedProcess(`${options.name}-worker`, 'workers/worker.ts', {
    ...env,
    ...options.workerEnv,
  }).start();
  // At warn: fastify logs every request at info.
  const gateway = new ManagedProcess(`${options.name}-gateway`, 'gateway/server.ts', {
    ...env,
    API_PORT: String(options.apiPort),
    API_HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
  }).start();
  const processes = [...bridges, worker, gateway];
  processes.forEach(stopOnSignal);
  const pool = createPool(config.DATABASE_URL, 4);
  const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
  const temporal = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
  const nc = await connectNats(config.NATS_URL, options.name);
  const rawAri = await connectAri({
    url: config.ARI_URL,
    user: config.ARI_USER,
    password: config.ARI_PASSWORD,
  });
  const base = `http://127.0.0.1:${options.apiPort}`;
  const close = async () => {
    await Promise.all(processes.map((p) => p.stop()));
    // The worker's durable consumers (call router, webhook dispatcher) are named after its app and task
    // queue and outlive it: a later run would first replay everything since this one.
    const jsm = await nc.jetstreamManager();
    for await (const stream of jsm.streams.names()) {
      for await (const consumer of jsm.consumers.list(stream)) {
        if (consumer.config.durable_name?.includes(taskQueue)) {
          await jsm.consumers.delete(stream, consumer.name).catch(() => false);
        }
      }
    }
    // Whatever the worker started on its task queue and left running has no worker any more.
    for await (const info of temporal.workflow.list({
      query: `TaskQueue = '${taskQueue}' AND ExecutionStatus = 'Running'`,
    })) {
      await temporal.workflow
        .getHandle(info.workflowId, info.runId)
        .terminate('benchmark finished')
        .catch(() => undefined);
    }
    await nc.close();
    await connection.close();
    await pool.end();
    rawAri.removeAllListeners();
  };
  try {
    await Promise.all([
      ...bridges.map((b) => b.waitFor(/"msg":"ARI connected"/)),
      worker.waitFor(/"msg":"worker ready"/, 120_000),
    ]);
    for (const until = Date.now() + 30_000; ; await sleep(200)) {
      const up = await fetch(`${base}/healthz`).then(
        (r) => r.ok,
        () => false,
      );
      if (up) break;
      if (!gateway.running || Date.now() > until) throw new Error(`gateway did not start:\n${gateway.log}`);
    }
  } catch (err) {
    await close();
    throw err;
  }
  const key = await createApiKey(pool, tenantId, 'admin', `bench ${options.name}`);
  return {
    config,
    app,
    taskQueue,
    tenantId,
    temporal,
    nc,
    ari: new AriCommands(rawAri),
    pool,
    worker,
    async api<T>(method: string, url: string, body?: unknown, expect = 200): Promise<T> {
      const response = await fetch(`${base}${url}`, {
        method,
        signal: AbortSignal.timeout(30_000),
        body: body === undefined ? undefined : JSON.stringify(body),
        headers: {
          authorization: `Bearer ${key}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
      });
      const text = await response.text();
      if (response.status !== expect) throw new Error(`${method} ${url}: HTTP ${response.status} ${text}`);
      return (text ? JSON.parse(text) : undefined) as T;
    },
    close,
  };
}

/** A queue of the bench tenant with no announcements and no recording; answers its id. */
export async function benchQueue(stack: BenchStack, settings: Record<string, unknown> = {}): Promise<string> {
  const queue = await stack.api<{ id: string }>(
    'POST',
    '/v1/queues',
    {
      name: `bench ${Date.now()}`,
      wrapUpSec: 0,
      maxWaitSec: 3600,
      announce: { position: false, estimatedWait: false },
      record: false,
      ...settings,
    },
    201,
  );
  return queue.id;
}

/**
 * Deletes the bench tenant's queues: every worker's statistics publisher queries the routing workflow of
 * each tenant with a live queue once a second, and a terminated one with no worker left would stall it.
 */
export async function deleteBenchQueues(stack: BenchStack): Promise<void> {
  await stack.pool.query('update queues set deleted_at = now() where tenant_id = $1 and deleted_at is null', [
    stack.tenantId,
  ]);
}
