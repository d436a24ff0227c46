/**
 * Issue #19's audit log on the real gateway and PostgreSQL: every mutating route is either audited or
 * listed with why not; a queue created, renamed and deleted leaves three entries with who and the changed
 * fields before and after; a webhook's secret never reaches the log; a refused change leaves none; the log
 * is filtered and cursor-paged, tenant by tenant, and PostgreSQL refuses to change or remove an entry.
 */
import { AUDITED, NOT_AUDITED } from '../../lib/audit/actions';
import { hashApiKey } from '../../lib/api-keys';
import { loadConfig } from '../../lib/config';
import { buildGateway } from '../../gateway/app';
import { json, unique } from '../support/acd';
import { createApiKey } from '../support/keys';
import { startStack, type TestStack } from '../support/stack';

let stack: TestStack;
beforeAll(async () => {
  stack = await startStack({ gateway: true });
});
afterAll(async () => {
  await stack?.close();
});

const entriesFor = async (query: string, key?: string) => {
  const res = await stack.api(`/v1/audit?${query}`, key ? { key } : {});
  expect(res.status).toBe(200);
  return res.body as { entries: any[]; nextCursor: string | null };
};
/** Entries are written just after the answer: wait for `n` of them. */
async function waitForEntries(query: string, n: number) {
  for (let i = 0; i < 100; i++) {
    const page = await entriesFor(query);
    if (page.entries.length >= n) return page;
    await new Promise((r) => setTimeout(r, 100));
  }
  return entriesFor(query);
}

test('every mutating route of the API is audited or listed with the reason it is not', async () => {
  const app = await buildGateway({
    config: loadConfig({ GATEWAY_METRICS_PORT: '0' } as never),
    logger: false,
  });
  try {
    await app.ready();
    const routes = [...new Set(app.mutatingRoutes)];
    expect(routes.length).toBeGreaterThan(40);
    expect(routes.filter((r) => !AUDITED[r] && !NOT_AUDITED[r])).toEqual([]);
    // Nothing classified that the API no longer has.
    expect([...Object.keys(AUDITED), ...Object.keys(NOT_AUDITED)].filter((r) => !routes.includes(r))).toEqual(
      [],
    );
  } finally {
    await app.close();
  }
});

test('a queue created, renamed and deleted: who, when, and the changed fields before and after', async () => {
  const name = unique('Audited');
  const created = await stack.api('/v1/queues', json('POST', { name, wrapUpSec: 3 }));
  expect(created.status).toBe(201);
  const id = created.body.id as string;
  const { version, id: _id, ...rest } = created.body;
  const renamed = await stack.api(
    `/v1/queues/${id}`,
    json('PUT', { ...pick(rest), name: `${name} 2`, version }),
  );
  expect(renamed.status).toBe(200);
  // A stale edit is refused (409) and leaves no entry.
  const stale = await stack.api(`/v1/queues/${id}`, json('PUT', { ...pick(rest), name: 'stale', version }));
  expect(stale.status).toBe(409);
  expect((await stack.api(`/v1/queues/${id}`, { method: 'DELETE' })).status).toBe(204);

  const { entries } = await waitForEntries(`resourceType=queue&resourceId=${id}`, 3);
  expect(entries.map((e) => e.action)).toEqual(['queue.deleted', 'queue.updated', 'queue.created']);
  const [deleted, updated, made] = entries;
  const { rows } = await stack.pool.query<{ id: string; role: string }>(
    'select id::text, role from api_keys where key_hash = $1',
    [hashApiKey(stack.config.ADMIN_API_KEY)],
  );
  expect(updated.actor).toEqual({ keyId: rows[0]!.id, role: 'admin' });
  expect(updated).toMatchObject({ method: 'PUT', path: `/v1/queues/${id}`, status: 200 });
  // Only what changed: the name (the version and timestamps aside).
  expect(updated.changes).toEqual({ name: { before: name, after: `${name} 2` } });
  expect(made.changes.name).toEqual({ after: name });
  expect(made.changes.wrapUpSec).toEqual({ after: 3 });
  expect(deleted.changes.name).toEqual({ before: `${name} 2` });
  expect(Date.parse(made.at)).toBeLessThanOrEqual(Date.parse(deleted.at));

  // Paged newest first, one at a time.
  const first = await entriesFor(`resourceType=queue&resourceId=${id}&limit=1`);
  const second = await entriesFor(`resourceType=queue&resourceId=${id}&limit=1&cursor=${first.nextCursor}`);
  expect([first.entries[0].action, second.entries[0].action]).toEqual(['queue.deleted', 'queue.updated']);

  // The log cannot be changed, nor its entries removed, by anyone.
  await expect(
    stack.pool.query(`update audit_log set action = 'x' where id = $1`, [made.id]),
  ).rejects.toThrow(/append-only/);
  await expect(stack.pool.query('delete from audit_log where id = $1', [made.id])).rejects.toThrow(
    /append-only/,
  );

  // Another tenant's admin sees none of it.
  const other = await createApiKey(stack.pool, `audit-other-${Date.now()}`, 'admin' as never);
  expect((await entriesFor(`resourceType=queue&resourceId=${id}`, other)).entries).toEqual([]);
});

test("a webhook's secret never reaches the log; bad filters are a 400 naming the field; agents cannot read it", async () => {
  await stack.pool.query('update tenants set webhook_allow_private = true where id = $1', [
    stack.config.DEFAULT_TENANT,
  ]);
  // Nothing listens on port 9 and the event type does not happen here: no delivery goes anywhere.
  const hook = await stack.api(
    '/v1/webhooks',
    json('POST', { url: 'http://127.0.0.1:9/audit', eventTypes: ['ticket.sla_breached'] }),
  );
  expect(hook.status).toBe(201);
  expect(typeof hook.body.secret).toBe('string');
  expect((await stack.api(`/v1/webhooks/${hook.body.id}`, { method: 'DELETE' })).status).toBe(204);
  const { entries } = await waitForEntries(`resourceType=webhook&resourceId=${hook.body.id}`, 2);
  expect(entries.map((e) => e.action)).toEqual(['webhook.deleted', 'webhook.created']);
  expect(entries[1].changes.secret).toEqual({ after: '***' });
  expect(JSON.stringify(entries)).not.toContain(hook.body.secret);

  // Schemathesis's find: an offset PostgreSQL refuses (beyond ±15:59) was a 500; it is read in UTC.
  expect(
    (await stack.api('/v1/audit?until=0224-10-09T04:25:38-17:42&since=2026-01-01T00:00:00Z')).status,
  ).toBe(200);
  const bad = await stack.api('/v1/audit?since=yesterday');
  expect(bad.status).toBe(400);
  expect(JSON.stringify(bad.body)).toContain('since');
  const agentKey = await createApiKey(stack.pool, stack.config.DEFAULT_TENANT, 'agent' as never);
  expect((await stack.api('/v1/audit', { key: agentKey })).status).toBe(403);
});

/** The queue's settings as its PUT takes them (the answer's read-only fields left out). */
function pick(queue: Record<string, unknown>): Record<string, unknown> {
  const { createdAt: _c, updatedAt: _u, ...settings } = queue;
  return settings;
}
