import { execFile } from 'node:child_process';
import { BEEP_THEN_HANG_UP } from '../support/definitions';
import path from 'node:path';
import { promisify } from 'node:util';
import { CampaignSettings } from '../../domain/campaign/settings';
import { json, unique } from '../support/acd';
import { channelsCreatedSince } from '../support/ari-log';
import { ready, startStack, type TestStack } from '../support/stack';

const run = promisify(execFile);
let stack: TestStack;
beforeAll(async () => {
  stack = await startStack({ gateway: true });
});
afterAll(async () => {
  await stack?.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('a campaign survives a worker crash, a gateway restart and a Temporal restart: each contact dialed once', async () => {
  const definition = BEEP_THEN_HANG_UP;
  const flow = await stack.api('/v1/flows', json('POST', { name: unique('Faults'), definition }));
  await stack.api(`/v1/flows/${flow.body.id}/publish`, json('POST'));
  const config = CampaignSettings.parse({
    target: { kind: 'flow', flowId: flow.body.id },
    callerId: '5550199',
    pacing: { callsPerSecond: 3, maxConcurrent: 4 },
    ringSeconds: 8,
    window: {
      weekly: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], open: '00:00', close: '23:59' }],
    },
    retries: { failed: { delaySec: 1, maxAttempts: 3 }, no_answer: { delaySec: 1, maxAttempts: 3 } },
  });
  const { rows } = await stack.pool.query<{ id: string }>(
    `insert into campaigns (tenant_id, name, config) values ('default', $1, $2) returning id`,
    [unique('Faults'), config],
  );
  const id = rows[0]!.id;
  const phones = Array.from({ length: 24 }, (_, i) => `7${String(i).padStart(2, '0')}`);
  for (const phone of phones) {
    await stack.pool.query(
      `insert into campaign_contacts (campaign_id, phone, time_zone) values ($1, $2, 'UTC')`,
      [id, phone],
    );
  }
  const since = new Date();
  expect((await stack.api(`/v1/campaigns/${id}/start`, json('POST'))).status).toBe(202);
  await sleep(2500);
  await stack.worker.kill();
  await stack.gateway.kill();
  await run('bash', [path.resolve(__dirname, '../../scripts/services.sh'), 'restart-temporal']);
  stack.worker.start();
  stack.gateway.start();
  await Promise.all([stack.worker.waitFor(ready.worker, 90_000), stack.gateway.waitFor(ready.gateway)]);

  for (let i = 0; i < 240; i++) {
    const { rows: c } = await stack.pool.query<{ state: string }>(
      'select state from campaigns where id = $1',
      [id],
    );
    if (c[0]!.state === 'completed') break;
    await sleep(500);
  }
  const { rows: contacts } = await stack.pool.query<{ phone: string; state: string; attempts: number }>(
    'select phone, state, attempts from campaign_contacts where campaign_id = $1 order by phone',
    [id],
  );
  // None skipped: every contact was reached.
  expect(contacts.filter((c) => c.state !== 'done')).toEqual([]);
  // None dialed twice for the same attempt: one attempt row (and one call) per contact and attempt number.
  const { rows: attempts } = await stack.pool.query<{ contact_id: string; attempt: number; n: string }>(
    `select contact_id, attempt, count(*) as n from campaign_attempts where campaign_id = $1
      group by contact_id, attempt having count(*) > 1`,
    [id],
  );
  expect(attempts).toEqual([]);
  // Asterisk's own record agrees: each number was dialed exactly as often as the campaign made attempts.
  const { rows: perPhone } = await stack.pool.query<{ phone: string; n: string }>(
    `select c.phone, count(a.*) as n from campaign_contacts c join campaign_attempts a on a.contact_id = c.id
      where c.campaign_id = $1 group by c.phone`,
    [id],
  );
  const created = await channelsCreatedSince(stack, since);
  for (const { phone, n } of perPhone) {
    const dialed = created.filter(
      (ch) => ch?.name.startsWith(`Local/${phone}@synthetic-party`) && ch.name.endsWith(';1'),
    ).length;
    expect({ phone, dialed }).toEqual({ phone, dialed: Number(n) });
  }
  const progress = await stack.api(`/v1/campaigns/${id}/progress`);
  expect(progress.body).toMatchObject({ state: 'completed', finished: progress.body.launched });
}, 240_000);
