import { json } from '../support/acd';
import { startStack, type TestStack } from '../support/stack';

let stack: TestStack;
beforeAll(async () => {
  stack = await startStack({ gateway: true });
});
afterAll(async () => {
  await stack?.close();
});

test('the operator sees the Temporal clusters and where the namespaces are active; tenants do not', async () => {
  const key = stack.config.OPERATOR_API_KEY!;
  const { status, body } = await stack.api('/v1/platform/temporal', { key });
  expect(status).toBe(200);
  const ns = stack.config.TEMPORAL_NAMESPACE;
  const active = body.namespaces.find((n: { namespace: string }) => n.namespace === ns);
  // The test stack's namespace is global from its creation (docs/temporal.md), active on the cluster it knows.
  expect(active).toMatchObject({ global: true, state: 'normal' });
  expect(body.clusters.map((c: { name: string }) => c.name)).toContain(active.activeCluster);
  expect(active.clusters).toContain(active.activeCluster);
  expect((await stack.api('/v1/platform/temporal')).status).toBe(403);
});

test('a failover names what is wrong with the request, and to the active cluster changes nothing', async () => {
  const key = stack.config.OPERATOR_API_KEY!;
  const ns = stack.config.TEMPORAL_NAMESPACE;
  const { body } = await stack.api('/v1/platform/temporal', { key });
  const active = body.namespaces.find((n: { namespace: string }) => n.namespace === ns).activeCluster;

  const unknown = await stack.api('/v1/platform/temporal/failover', {
    ...json('POST', { namespace: ns, cluster: 'nowhere' }),
    key,
  });
  expect(unknown.status).toBe(400);
  expect(unknown.body.message).toMatch(/cluster/);
  const system = await stack.api('/v1/platform/temporal/failover', {
    ...json('POST', { namespace: 'temporal-system', cluster: active }),
    key,
  });
  expect(system.status).toBe(400);
  expect(system.body.message).toMatch(/namespace/);
  const lag = await stack.api('/v1/platform/temporal/failover', {
    ...json('POST', { namespace: ns, cluster: active, allowedLagSeconds: 1 }),
    key,
  });
  expect(lag.status).toBe(400);
  expect(lag.body.message).toMatch(/allowedLagSeconds/);

  const same = await stack.api('/v1/platform/temporal/failover', {
    ...json('POST', { namespace: ns, cluster: active, mode: 'forced' }),
    key,
  });
  expect(same.status).toBe(200);
  expect(same.body).toMatchObject({ activeCluster: active, previousActiveCluster: active, state: 'normal' });
});
