import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { request as httpRequest, type ClientRequest } from 'node:http';
import { CampaignSettings } from '../../domain/campaign/settings';
import { unique } from '../support/acd';
import { startStack, type TestStack } from '../support/stack';
import { createApiKey } from '../support/keys';
import { Role } from '../../lib/api-keys';

/**
 * Clients that hold what they start: uploads that trickle (slow loris) must not take database connections
 * from every tenant, and one tenant cannot run more than a couple of uploads at once.
 */
let stack: TestStack;
beforeAll(async () => {
  stack = await startStack({ gateway: true });
}, 120_000);
afterAll(async () => {
  await stack?.close();
});
const run = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function campaign(): Promise<string> {
  const config = CampaignSettings.parse({
    target: { kind: 'flow', flowId: randomUUID() },
    callerId: '5550199',
    window: { weekly: [{ days: ['mon'], open: '09:00', close: '17:00' }] },
  });
  const { rows } = await stack.pool.query<{ id: string }>(
    `insert into campaigns (tenant_id, name, config) values ($1, $2, $3) returning id`,
    [stack.config.DEFAULT_TENANT, unique('Abuse'), config],
  );
  return rows[0]!.id;
}

/** Starts a CSV upload that sends its header and one row, then nothing: answers the status when it comes. */
function stalledUpload(campaignId: string): { req: ClientRequest; status: Promise<number> } {
  let req!: ClientRequest;
  const status = new Promise<number>((resolve, reject) => {
    req = httpRequest(
      {
        host: stack.config.API_HOST,
        port: stack.config.API_PORT,
        method: 'POST',
        path: `/v1/campaigns/${campaignId}/contacts`,
        headers: {
          authorization: `Bearer ${stack.config.ADMIN_API_KEY}`,
          'content-type': 'text/csv',
          'transfer-encoding': 'chunked',
        },
      },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('error', reject);
    req.write('phone\n+12125550123\n');
  });
  return { req, status };
}

test('stalled uploads hold no database connection, are capped per tenant, and time out with 408', async () => {
  const id = await campaign();
  const uploads = [stalledUpload(id), stalledUpload(id)];
  await sleep(500);
  // A third at once is refused straight away, saying when to come back.
  const third = await fetch(
    `http://${stack.config.API_HOST}:${stack.config.API_PORT}/v1/campaigns/${id}/contacts`,
    {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.config.ADMIN_API_KEY}`, 'content-type': 'text/csv' },
      body: 'phone\n+12125550124\n',
    },
  );
  expect(third.status).toBe(429);
  expect(third.headers.get('retry-after')).toBe('5');

  // While they trickle, the gateway's pool (10 connections) serves everyone: 30 reads at once all answer.
  const reads = await Promise.all(Array.from({ length: 30 }, () => stack.api('/v1/queues')));
  expect(reads.map((r) => r.status)).toEqual(reads.map(() => 200));
  const { rows } = await stack.pool.query<{ n: string }>(
    `select count(*) as n from pg_stat_activity
      where datname = current_database() and state like 'idle in transaction%'`,
  );
  expect(Number(rows[0]!.n)).toBe(0);

  // Quiet for 15 s: each upload is answered 408 and its connection closed.
  const statuses = await Promise.all(uploads.map((u) => u.status));
  expect(statuses).toEqual([408, 408]);
  for (const u of uploads) u.req.destroy();
  // The tenant's upload slots are free again.
  const after = await stack.api(`/v1/campaigns/${id}/contacts`, {
    method: 'POST',
    headers: { 'content-type': 'text/csv' },
    body: 'phone\n+12125550125\n',
  });
  expect(after.status).toBe(200);
}, 60_000);

test("1,000 event streams from one key: the tenant's quota is held, the rest refused, another tenant unaffected", async () => {
  const base = `http://${stack.config.API_HOST}:${stack.config.API_PORT}`;
  const aborts: AbortController[] = [];
  const open = async (key: string) => {
    const abort = new AbortController();
    aborts.push(abort);
    const res = await fetch(`${base}/v1/events`, {
      headers: { authorization: `Bearer ${key}` },
      signal: abort.signal,
    });
    if (res.status !== 200) await res.text();
    return res.status;
  };
  try {
    const statuses = await Promise.all(Array.from({ length: 1000 }, () => open(stack.config.ADMIN_API_KEY)));
    const count = (s: number) => statuses.filter((x) => x === s).length;
    expect(count(200)).toBe(50);
    expect(count(429)).toBe(950);
    const otherKey = await createApiKey(stack.pool, `abuse-${Date.now() % 100000}`, Role.Supervisor);
    expect(await open(otherKey)).toBe(200);
    // The API still answers everyone meanwhile.
    expect((await stack.api('/v1/queues')).status).toBe(200);
  } finally {
    for (const a of aborts) a.abort();
  }
  // Closed streams give their places back.
  await sleep(500);
  const again = new AbortController();
  const res = await fetch(`${base}/v1/events`, {
    headers: { authorization: `Bearer ${stack.config.ADMIN_API_KEY}` },
    signal: again.signal,
  });
  expect(res.status).toBe(200);
  again.abort();
}, 120_000);

test('a prompt that decompresses to hours of audio is refused, and nothing of it is kept', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'bomb-'));
  try {
    // An hour of silence: a few kilobytes of FLAC, 57 MB as telephony wav.
    const bomb = path.join(dir, 'hour.flac');
    await run('sox', ['-n', '-r', '8000', '-c', '1', bomb, 'trim', '0', '3600']);
    const body = await readFile(bomb);
    expect(body.length).toBeLessThan(200_000);
    const name = unique('bomb').replace(/\s/g, '-');
    const before = await stack.pool.query('select count(*)::int as n from recordings where tenant_id = $1', [
      stack.config.DEFAULT_TENANT,
    ]);
    const res = await stack.api(`/v1/recordings?name=${name}`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'audio/flac' },
    });
    expect(res.status).toBe(400);
    expect(res.body.fields).toEqual([{ field: 'body', message: 'a prompt is at most 10 minutes long' }]);
    const after = await stack.pool.query('select count(*)::int as n from recordings where tenant_id = $1', [
      stack.config.DEFAULT_TENANT,
    ]);
    expect(after.rows[0].n).toBe(before.rows[0].n);

    // Just under the limit is kept, at its real length.
    const long = path.join(dir, 'nine.flac');
    await run('sox', ['-n', '-r', '8000', '-c', '1', long, 'trim', '0', '540']);
    const ok = await stack.api(`/v1/recordings?name=${name}-ok`, {
      method: 'POST',
      body: await readFile(long),
      headers: { 'content-type': 'audio/flac' },
    });
    expect(ok.status).toBe(201);
    expect(ok.body.durationMs).toBe(540_000);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
