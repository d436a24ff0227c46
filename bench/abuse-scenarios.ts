/** The abuse bench's scenarios (bench/abuse-event-loop.ts): what each abusive client sends, and how. */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request as httpRequest, type ClientRequest } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { CampaignSettings } from '../domain/campaign/settings';
import type { Pool } from '../lib/db';
import { harness, type Tally, within } from './abuse-harness';
import { sleep } from './acd-kit';

const run = promisify(execFile);

export interface Tenant {
  id: string;
  key: string;
  headers: Record<string, string>;
}

export interface Prepared {
  /** The attack, from the start of the window; it starts no request after `tally.until`. */
  run(tally: Tally): Promise<void>;
  /** After the window (and the requests in flight): what the attack still holds. */
  finish?(tally: Tally): Promise<void>;
  /** What the setup found (sizes, statuses), for the report. */
  detail?: Record<string, unknown>;
}

export interface Scenario {
  id: string;
  title: string;
  prepare(tenant: Tenant, pool: Pool): Promise<Prepared>;
}

/** Calls the gateway as the tenant; answers status, body and time. */
async function api(tenant: Tenant, method: string, url: string, body?: unknown) {
  const t0 = performance.now();
  const res = await fetch(`${harness.base}${url}`, {
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
        port: harness.port,
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

export const SCENARIOS: Scenario[] = [
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
      const res = await fetch(`${harness.base}/v1/flows`, { method: 'POST', headers: tenant.headers, body });
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
              const res = await fetch(`${harness.base}/v1/events`, {
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
          tally.until = start + harness.limitCapMs;
          await Promise.all(
            Array.from({ length: 16 }, () =>
              until(tally, async () => {
                const res = await tally.fetch('/v1/flows', { headers: auth });
                if (res?.status === 429 && detail.firstLimitedAfterMs === undefined) {
                  detail.firstLimitedAfterMs = Date.now() - start;
                  tally.until = Date.now() + harness.seconds * 1000;
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
