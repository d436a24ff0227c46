import { createCdrActivities } from '../../activities/cdr';
import { ensureBootstrap, findApiKey, generateApiKey } from '../../lib/api-keys';
import { loadConfig } from '../../lib/config';
import { createPool, migrate } from '../../lib/db';

const config = loadConfig();
const pool = createPool(config.DATABASE_URL, 2);
beforeAll(async () => {
  await migrate(pool);
});
afterAll(async () => {
  await pool.end();
});

const cdr = (over: Record<string, unknown> = {}) => ({
  workflowId: `call-ast1-cdr-${Date.now()}-${Math.random()}`,
  channelId: 'c',
  node: 'ast1',
  tenantId: config.DEFAULT_TENANT,
  from: '5550100',
  to: '5551000',
  state: 'ended' as const,
  digits: '12',
  startedAt: new Date(Date.now() - 5000).toISOString(),
  answeredAt: new Date(Date.now() - 4000).toISOString(),
  endedAt: new Date().toISOString(),
  endedBy: 'system' as const,
  disposition: 'answered' as const,
  ...over,
});

describe('CDRs', () => {
  test('written once per workflow: a retried write updates the same row', async () => {
    await ensureBootstrap(pool, config.DEFAULT_TENANT, config.ADMIN_API_KEY);
    const { recordCdr } = createCdrActivities(pool);
    const first = cdr();
    await recordCdr(first);
    await recordCdr({ ...first, digits: '123' });
    const { rows } = await pool.query('select digits from cdrs where workflow_id = $1', [first.workflowId]);
    expect(rows).toEqual([{ digits: '123' }]);
  });

  test('a CDR the database rejects for good fails without retries, naming the SQL state', async () => {
    const { recordCdr } = createCdrActivities(pool);
    await expect(recordCdr(cdr({ tenantId: 'no-such-tenant' }))).rejects.toMatchObject({
      type: 'CdrRejected',
      nonRetryable: true,
      message: expect.stringContaining('23503'),
    });
  });
});

describe('the bootstrap admin key', () => {
  test('changing ADMIN_API_KEY revokes the previous key', async () => {
    const tenant = `rotation-${Date.now()}`;
    const oldKey = generateApiKey();
    const newKey = generateApiKey();
    await ensureBootstrap(pool, tenant, oldKey);
    expect(await findApiKey(pool, oldKey)).toMatchObject({ tenantId: tenant, role: 'admin' });
    await ensureBootstrap(pool, tenant, newKey);
    expect(await findApiKey(pool, newKey)).toMatchObject({ tenantId: tenant, role: 'admin' });
    expect(await findApiKey(pool, oldKey)).toBeUndefined();
  });

  test('.env decides: setting a revoked key again makes it the valid one again', async () => {
    const tenant = `rotation-back-${Date.now()}`;
    const first = generateApiKey();
    const second = generateApiKey();
    await ensureBootstrap(pool, tenant, first);
    await ensureBootstrap(pool, tenant, second);
    await ensureBootstrap(pool, tenant, first);
    expect(await findApiKey(pool, first)).toMatchObject({ tenantId: tenant, role: 'admin' });
    expect(await findApiKey(pool, second)).toBeUndefined();
  });
});
