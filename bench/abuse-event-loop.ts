/**
 * Event-loop lag of the gateway while one tenant abuses it (security issue #13): the real gateway in a process
 * of its own (bench/abuse-gateway.ts) measures its loop with monitorEventLoopDelay; for a fixed time per
 * scenario a victim (another tenant) lists its flows every 50 ms from a worker thread while an abusive client
 * runs one attack. The idle scenario (the victim alone) is the baseline of the same run.
 * Usage: npm run bench -- abuse [--seconds 10] [--port 3350] [--only redos,import]
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request as httpRequest, type ClientRequest } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { promisify, parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { CampaignSettings } from '../domain/campaign/settings';
import { Role } from '../lib/api-keys';
import { loadConfig } from '../lib/config';
import { createPool, type Pool } from '../lib/db';
import { createApiKey } from '../test/support/keys';
import type { GatewayMessage, GatewayRequest, LoopLag } from './abuse-gateway';
import { machine, processCpuSeconds, resultsFile, revision, saveResults, sleep } from './acd-kit';
import { summarize, type Summary } from './stats';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    port: { type: 'string', default: '3350' },
    /** Scenario ids, comma-separated (the idle baseline always runs first). */
    only: { type: 'string' },
  },
});
const SECONDS = Number(args.seconds);
const PORT = Number(args.port);
const VICTIM_EVERY_MS = 50;
/** A victim request not answered in this time counts as an error. */
const VICTIM_TIMEOUT_MS = 10_000;
/** How long after its window a scenario's requests still in flight are waited for. */
const DRAIN_MS = 300_000;
/** The request loop runs until it is rate-limited, then SECONDS more; this long at most. */
const LIMIT_CAP_MS = 180_000;
/** The p99 loop lag the issue asks for. */
const TARGET_MS = 100;
const ROOT = path.resolve(__dirname, '..');
const BASE = `http://127.0.0.1:${PORT}`;
const PREFIX = `bench-abuse-${Date.now()}`;
const run = promisify(execFile);

/** Whether the promise settled within `ms` (its timer cleared, so it holds no exit back). */
async function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((r) => (timer = setTimeout(() => r(false), ms)));
  const settled = await Promise.race([promise.then(() => true), late]);
  clearTimeout(timer);
  return settled;
}

/** The gateway child: the real gateway with the loop histogram, asked over IPC. */
class Gateway {
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
        API_PORT: String(PORT),
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
    const answer = this.next(type, DRAIN_MS);
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

class Victim {
  private readonly worker: Worker;
  constructor(key: string) {
    this.worker = new Worker(VICTIM_SOURCE, {
      eval: true,
      workerData: { url: `${BASE}/v1/flows`, key, everyMs: VICTIM_EVERY_MS, timeoutMs: VICTIM_TIMEOUT_MS },
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
class Tally {
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
      const res = await fetch(`${BASE}${url}`, init);
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

interface Tenant {
  id: string;
  key: string;
  headers: Record<string, string>;
}

interface Prepared {
  /** The attack, from the start of the window; it starts no request after `tally.until`. */
  run(tally: Tally): Promise<void>;
  /** After the window (and the requests in flight): what the attack still holds. */
  finish?(tally: Tally): Promise<void>;
  /** What the setup found (sizes, statuses), for the report. */
  detail?: Record<string, unknown>;
}

interface Scenario {
  id: string;
  title: string;
  prepare(tenant: Tenant, pool: Pool): Promise<Prepared>;
}

/** Calls the gateway as the tenant; answers status, body and time. */
async function api(tenant: Tenant, method: string, url: string, body?: unknown) {
  const t0 = performance.now();
  const res = await fetch(`${BASE}${url}`, {
    method,
    headers: body === undefined ? { authorization: tenant.headers.authorization! } : tenant.headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return {
    status: res.status,
    body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
    ms: performance.now() - t0,
  };
}

const until = async (tally: Tally, once: () => Promise<unknown>): Promise<void> => {
  while (Date.now() < tally.until) await once();
};

const node = (id: string, type: string, params: object) => ({ id, type, params, position: { x: 0, y: 0 } });
const variables = (names: string[]) => names.map((name) => ({ name, initial: '', secret: false }));

/** A gather whose pattern backtracks exponentially in JavaScript's RegExp. */
const REDOS_PATTERN = '^(\\d|\\d|\\d|\\d)*$';
const redosFlow = () => ({
  schemaVersion: 1,
  start: 'ask',
  nodes: [
    node('ask', 'gather', { variable: 'pin', maxDigits: 30, pattern: REDOS_PATTERN }),
    node('bye', 'hangup', {}),
  ],
  edges: ['valid', 'invalid', 'no_input'].map((exit) => ({ from: 'ask', exit, to: 'bye' })),
  variables: variables(['pin']),
});

/** 500 set nodes of 50 assignments each, a chain: the largest draft the schema takes. */
const hugeFlow = () => {
  const names = Array.from({ length: 50 }, (_, j) => `v${j}`);
  const assignments = names.map((variable, j) => ({ variable, value: `{{v${(j + 1) % 50}}}` }));
  return {
    schemaVersion: 1,
    start: 's0',
    nodes: Array.from({ length: 500 }, (_, i) => node(`s${i}`, 'set', { assignments })),
    edges: Array.from({ length: 499 }, (_, i) => ({ from: `s${i}`, exit: 'next', to: `s${i + 1}` })),
    variables: variables(names),
  };
};

/** A Studio flow of one say widget whose text is 200 KB of `{{`. */
const studioBomb = () => ({
  states: [
    { name: 'Trigger', type: 'trigger', transitions: [{ event: 'incomingCall', next: 'say' }] },
    {
      name: 'say',
      type: 'say-play',
      properties: { say: '{{'.repeat(100_000) },
      transitions: [{ event: 'audioComplete' }],
    },
  ],
});

/** A CSV upload that sends its header, then nothing; the status is counted when it comes. */
function stalledUpload(
  tenant: Tenant,
  campaignId: string,
  tally: Tally,
): { req: ClientRequest; answered: Promise<void> } {
  let req!: ClientRequest;
  const t0 = performance.now();
  tally.requests++;
  const answered = new Promise<void>((resolve) => {
    req = httpRequest(
      {
        host: '127.0.0.1',
        port: PORT,
        method: 'POST',
        path: `/v1/campaigns/${campaignId}/contacts`,
        headers: {
          authorization: tenant.headers.authorization,
          'content-type': 'text/csv',
          'transfer-encoding': 'chunked',
        },
      },
      (res) => {
        res.resume();
        tally.add(res.statusCode ?? 0, performance.now() - t0);
        resolve();
      },
    );
    req.on('error', (err: NodeJS.ErrnoException) => {
      tally.add(`error ${err.code ?? err.name}`, performance.now() - t0);
      resolve();
    });
    req.write('phone\n');
  });
  return { req, answered };
}

const SCENARIOS: Scenario[] = [
  {
    id: 'idle',
    title: 'Idle baseline: the victim alone',
    prepare: async () => ({ run: (tally) => sleep(tally.until - Date.now()) }),
  },
  {
    id: 'redos',
    title: `ReDoS: simulate a gather with pattern \`${REDOS_PATTERN}\` and 30 digits, over and over`,
    prepare: async (tenant) => {
      const created = await api(tenant, 'POST', '/v1/flows', {
        name: 'bench redos',
        definition: redosFlow(),
      });
      if (created.status !== 201)
        return { run: async () => undefined, detail: { createStatus: created.status } };
      const id = created.body.id as string;
      const body = JSON.stringify({ version: 'draft', digits: ['1'.repeat(30)] });
      const probe = await api(tenant, 'POST', `/v1/flows/${id}/simulate`, JSON.parse(body));
      const exit = (probe.body.path as { exit?: string }[] | undefined)?.[0]?.exit;
      return {
        detail: {
          createStatus: created.status,
          probeStatus: probe.status,
          gatherExit: exit,
          probeMs: Math.round(probe.ms),
        },
        run: (tally) =>
          until(tally, () =>
            tally.fetch(`/v1/flows/${id}/simulate`, { method: 'POST', headers: tenant.headers, body }),
          ),
      };
    },
  },
  {
    id: 'validate',
    title:
      'Validating a huge draft: 500 set nodes × 50 variables, POST /v1/flows/{id}/validate over and over',
    prepare: async (tenant) => {
      const body = JSON.stringify({ name: 'bench huge draft', definition: hugeFlow() });
      const t0 = performance.now();
      const res = await fetch(`${BASE}/v1/flows`, { method: 'POST', headers: tenant.headers, body });
      const created = (await res.json()) as { id?: string; message?: string };
      const detail: Record<string, unknown> = {
        bodyBytes: Buffer.byteLength(body),
        createStatus: res.status,
        createMs: Math.round(performance.now() - t0),
      };
      if (res.status !== 201) {
        // Refused as too large: the defence. The attack is then sending it again and again.
        detail.createMessage = created.message;
        return {
          detail,
          run: (tally) =>
            until(tally, () => tally.fetch('/v1/flows', { method: 'POST', headers: tenant.headers, body })),
        };
      }
      const auth = { authorization: tenant.headers.authorization! };
      return {
        detail,
        run: (tally) =>
          until(tally, () =>
            tally.fetch(`/v1/flows/${created.id}/validate`, { method: 'POST', headers: auth }),
          ),
      };
    },
  },
  {
    id: 'import',
    title: 'Twilio Studio import of a say widget of 200 KB of `{{`, over and over',
    prepare: async (tenant) => {
      const definition = studioBomb();
      // A name of its own each time: a taken name is refused (409), but only after the import has run.
      const body = (i: number) => JSON.stringify({ name: `bench studio bomb ${i}`, definition });
      let i = 0;
      return {
        detail: { bodyBytes: Buffer.byteLength(body(0)) },
        run: (tally) =>
          until(tally, () =>
            tally.fetch('/v1/flows/import/twilio-studio', {
              method: 'POST',
              headers: tenant.headers,
              body: body(i++),
            }),
          ),
      };
    },
  },
  {
    id: 'stalled',
    title: '10 stalled CSV uploads (header, then nothing) to one campaign',
    prepare: async (tenant, pool) => {
      const config = CampaignSettings.parse({
        target: { kind: 'flow', flowId: randomUUID() },
        callerId: '5550199',
        window: { weekly: [{ days: ['mon'], open: '09:00', close: '17:00' }] },
      });
      const { rows } = await pool.query<{ id: string }>(
        'insert into campaigns (tenant_id, name, config) values ($1, $2, $3) returning id',
        [tenant.id, 'bench stalled uploads', config],
      );
      let uploads: ReturnType<typeof stalledUpload>[] = [];
      return {
        run: async (tally) => {
          uploads = Array.from({ length: 10 }, () => stalledUpload(tenant, rows[0]!.id, tally));
          await sleep(tally.until - Date.now());
        },
        // The held ones are answered 408 after 15 s of silence: waited for, outside the window.
        finish: async () => {
          await within(Promise.all(uploads.map((u) => u.answered)), 30_000);
          for (const u of uploads) u.req.destroy();
        },
      };
    },
  },
  {
    id: 'sse',
    title: '1,000 event streams (GET /v1/events) at once from one key, held open',
    prepare: async (tenant) => {
      const aborts: AbortController[] = [];
      return {
        run: async (tally) => {
          const open = async () => {
            const abort = new AbortController();
            aborts.push(abort);
            const t0 = performance.now();
            tally.requests++;
            try {
              const res = await fetch(`${BASE}/v1/events`, {
                headers: { authorization: tenant.headers.authorization! },
                signal: abort.signal,
              });
              tally.add(res.status, performance.now() - t0);
              if (res.status === 200) void res.body?.pipeTo(new WritableStream()).catch(() => undefined);
              else await res.arrayBuffer();
            } catch (err) {
              tally.add(
                `error ${(err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name}`,
                0,
              );
            }
          };
          await Promise.all(Array.from({ length: 1000 }, open));
          await sleep(tally.until - Date.now());
        },
        finish: async () => {
          for (const a of aborts) a.abort();
        },
      };
    },
  },
  {
    // Not an attack of the issue: tells the SSE scenario's cost of 1,000 requests at once from its streams'.
    id: 'burst',
    title: 'Control for sse: 1,000 GET /v1/flows at once from one key, once',
    prepare: async (tenant) => {
      const auth = { authorization: tenant.headers.authorization! };
      return {
        run: async (tally) => {
          await Promise.all(Array.from({ length: 1000 }, () => tally.fetch('/v1/flows', { headers: auth })));
          await sleep(tally.until - Date.now());
        },
      };
    },
  },
  {
    id: 'bomb',
    title: 'Prompt upload of FLAC that decompresses to an hour of audio, over and over',
    prepare: async (tenant) => {
      const dir = await mkdtemp(path.join(os.tmpdir(), 'bench-abuse-'));
      const file = path.join(dir, 'hour.flac');
      await run('sox', ['-n', '-r', '8000', '-c', '1', file, 'trim', '0', '3600']);
      const body = await readFile(file);
      const headers = { authorization: tenant.headers.authorization!, 'content-type': 'audio/flac' };
      let i = 0;
      return {
        detail: { bodyBytes: body.length },
        run: (tally) =>
          until(tally, () =>
            tally.fetch(`/v1/recordings?name=bench-bomb-${i++}`, { method: 'POST', headers, body }),
          ),
        finish: () => rm(dir, { recursive: true, force: true }),
      };
    },
  },
  {
    id: 'loop',
    title:
      'Request loop: GET /v1/flows from one key, 16 at a time, as fast as possible until rate-limited (429), ' +
      'then 10 s more',
    prepare: async (tenant) => {
      const detail: Record<string, unknown> = {};
      const auth = { authorization: tenant.headers.authorization! };
      return {
        detail,
        run: async (tally) => {
          const start = Date.now();
          // The window lasts until the first 429, then as long as the others'.
          tally.until = start + LIMIT_CAP_MS;
          await Promise.all(
            Array.from({ length: 16 }, () =>
              until(tally, async () => {
                const res = await tally.fetch('/v1/flows', { headers: auth });
                if (res?.status === 429 && detail.firstLimitedAfterMs === undefined) {
                  detail.firstLimitedAfterMs = Date.now() - start;
                  tally.until = Date.now() + SECONDS * 1000;
                }
              }),
            ),
          );
          detail.requestsPerSecond = Math.round(tally.requests / ((Date.now() - start) / 1000));
        },
      };
    },
  },
];

interface Row {
  id: string;
  title: string;
  windowMs: number;
  /** CPU used during the window, by the gateway and by this process. */
  cpuSeconds: { gateway: number; bench: number };
  loopLagMs: LoopLag;
  victim: { requests: number; errors: number; latencyMs: Summary };
  abusive: { requests: number; statuses: Record<string, number>; latencyMs: Summary; drained: boolean };
  detail?: Record<string, unknown>;
  meetsTarget: boolean;
}

async function measure(s: Scenario, gateway: Gateway, victim: Victim, pool: Pool): Promise<Row> {
  const id = `${PREFIX}-${s.id}`;
  const key = await createApiKey(pool, id, Role.Admin, 'bench abuse');
  const tenant = { id, key, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' } };
  const prepared = await s.prepare(tenant, pool);
  await sleep(1000); // What the setup left behind (a big parse, a connection) settles first.
  victim.start();
  await gateway.ask('reset');
  const [gatewayCpu, benchCpu] = [gateway.cpuSeconds(), process.cpuUsage()];
  const start = Date.now();
  const tally = new Tally(start + SECONDS * 1000);
  const attack = prepared.run(tally).catch((err: unknown) => {
    tally.add(`bench error: ${(err as Error).message}`, 0);
  });
  while (Date.now() < tally.until) await sleep(Math.min(tally.until - Date.now(), 200));
  // A blocked loop answers late: the report then includes the block, and the window lasts until it.
  const { type: _, ...loopLagMs } = await gateway.ask('report');
  const windowMs = Date.now() - start;
  const cpuSeconds = {
    gateway: Math.round((gateway.cpuSeconds() - gatewayCpu) * 100) / 100,
    // This process: the abusive clients and the victim's thread.
    bench: Math.round(Object.values(process.cpuUsage(benchCpu)).reduce((a, b) => a + b, 0) / 1e4) / 100,
  };
  const seen = await victim.stop();
  const drained = await within(attack, DRAIN_MS);
  await prepared.finish?.(tally);
  return {
    id: s.id,
    title: s.title,
    windowMs,
    cpuSeconds,
    loopLagMs,
    victim: { requests: seen.latencies.length, errors: seen.errors, latencyMs: summarize(seen.latencies) },
    abusive: {
      requests: tally.requests,
      statuses: tally.statuses,
      latencyMs: summarize(tally.latencies),
      drained,
    },
    detail: prepared.detail,
    meetsTarget: loopLagMs.p99 < TARGET_MS,
  };
}

const statuses = (s: Record<string, number>): string =>
  Object.entries(s)
    .map(([status, n]) => `${status} ×${n}`)
    .join(', ') || '–';

function table(rows: Row[]): string {
  const lines = [
    '| Scenario | Window (s) | Gateway CPU (s) | Loop lag p50 / p99 / max (ms) | Victim p50 / p99 (ms) ' +
      '| Victim errors | Abusive requests got | p99 < 100 ms |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    const lag = `${r.loopLagMs.p50} / ${r.loopLagMs.p99} / ${r.loopLagMs.max}`;
    const victim = `${r.victim.latencyMs.p50} / ${r.victim.latencyMs.p99}`;
    const errors = `${r.victim.errors} of ${r.victim.requests}`;
    const cells = [r.id, (r.windowMs / 1000).toFixed(1), r.cpuSeconds.gateway, lag, victim, errors];
    cells.push(statuses(r.abusive.statuses), r.meetsTarget ? 'yes' : '**no**');
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

/** Deletes every row of the bench's tenants; rows referencing others go first, so a few passes. */
async function cleanUp(pool: Pool): Promise<void> {
  const { rows: tables } = await pool.query<{ table_name: string }>(
    `select table_name from information_schema.columns
      where table_schema = 'public' and column_name = 'tenant_id' and table_name <> 'tenants'`,
  );
  const like = `${PREFIX}-%`;
  for (let pass = 0; pass < 5; pass++) {
    let failed = false;
    for (const { table_name } of tables) {
      await pool.query(`delete from "${table_name}" where tenant_id like $1`, [like]).catch(() => {
        failed = true;
      });
    }
    await pool.query('delete from tenants where id like $1', [like]).catch(() => {
      failed = true;
    });
    if (!failed) return;
  }
  console.error(`some rows of tenants ${like} are left`);
}

async function main(): Promise<void> {
  const config = loadConfig();
  const pool = createPool(config.DATABASE_URL, 4);
  const only = args.only?.split(',');
  const scenarios = SCENARIOS.filter((s) => s.id === 'idle' || !only || only.includes(s.id));
  const file = resultsFile('abuse-event-loop');
  const report = {
    machine: machine(),
    node: process.version,
    revision: revision(),
    secondsPerScenario: SECONDS,
    victim: `GET /v1/flows every ${VICTIM_EVERY_MS} ms (another tenant), timeout ${VICTIM_TIMEOUT_MS} ms`,
    gateway:
      'own process, LOG_LEVEL=warn, OUTBOUND_POLICY=loopback-only, monitorEventLoopDelay resolution 10 ms',
    rows: [] as Row[],
  };
  let gateway: Gateway | undefined;
  let victim: Victim | undefined;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      void (gateway?.stop() ?? Promise.resolve()).finally(() => process.exit(130));
    });
  }
  try {
    gateway = await Gateway.start();
    victim = new Victim(await createApiKey(pool, `${PREFIX}-victim`, Role.Supervisor, 'bench abuse victim'));
    for (const s of scenarios) {
      console.error(`${s.id}: ${s.title}`);
      const row = await measure(s, gateway, victim, pool);
      console.error(
        `  loop lag p99 ${row.loopLagMs.p99} ms (max ${row.loopLagMs.max}), victim p99 ${row.victim.latencyMs.p99} ms, ` +
          `abusive: ${statuses(row.abusive.statuses)}`,
      );
      report.rows.push(row);
      await saveResults(file, report);
    }
    console.log(JSON.stringify(report, null, 2));
    console.log(`\n${table(report.rows)}\n`);
    console.log(`saved ${file}`);
  } finally {
    await victim?.close();
    await gateway?.stop();
    await cleanUp(pool);
    await pool.end();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
