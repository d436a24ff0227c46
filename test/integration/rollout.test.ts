/**
 * Issue #19's gradual rollout on Temporal's worker deployments (lib/rollout.ts), with two builds of the worker
 * on the real stack (their own Stasis app and task queue): build b1 makes itself current; at 10 % about a
 * tenth of new calls run b2; a chosen tenant's calls all run b2 while another tenant's stay on b1; a call in
 * progress when b2 becomes current finishes on b1; a rollback sends new calls to b1 again. Which build ran a
 * call is what Temporal recorded for its workflow.
 */
import { Client, Connection } from '@temporalio/client';
import { connectAri } from '../../asterisk/ari';
import { AriCommands } from '../../asterisk/ari-commands';
import { Role } from '../../lib/api-keys';
import { loadConfig } from '../../lib/config';
import { rollback, rollout, rolloutStatus } from '../../lib/rollout';
import { json } from '../support/acd';
import { placeCall } from '../support/caller';
import { createApiKey } from '../support/keys';
import { provisionNumber } from '../support/numbers';
import { ManagedProcess } from '../support/process';
import { apiClient, ready, startStack, type TestStack } from '../support/stack';

const config = loadConfig();
const APP = `${config.ARI_APP}-rollout`;
const QUEUE = `${config.TEMPORAL_TASK_QUEUE}-rollout`;
/** A deployment of this run's own: Temporal keeps deployments and their versions. */
const DEPLOYMENT = `cticloud-rollout-${Date.now().toString(36)}`;
const OTHER_TENANT = 'rollout-other';

let stack: TestStack;
let connection: Connection;
let client: Client;
let ari: AriCommands;
let bridge: ManagedProcess;
const workers: ManagedProcess[] = [];
const where = { namespace: config.TEMPORAL_NAMESPACE, deployment: DEPLOYMENT };
const workerOf = (build: string) =>
  new ManagedProcess(`worker-rollout-${build}`, 'workers/worker.ts', {
    ARI_APP: APP,
    TEMPORAL_TASK_QUEUE: QUEUE,
    WORKER_BUILD_ID: build,
    WORKER_DEPLOYMENT: DEPLOYMENT,
    WORKER_METRICS_PORT: '0',
    TEMPORAL_SDK_METRICS_PORT: '0',
  }).start();

beforeAll(async () => {
  // The suite's own stack: its gateway and PostgreSQL for the other tenant's number.
  stack = await startStack({ gateway: true });
  connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
  client = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
  const raw = await connectAri({ url: config.ARI_URL, user: config.ARI_USER, password: config.ARI_PASSWORD });
  ari = new AriCommands(raw);
  bridge = new ManagedProcess('bridge-rollout', 'asterisk/bridge.ts', { ARI_APP: APP }).start();
  await bridge.waitFor(ready.bridge);
  workers.push(workerOf('b1'));
  await workers[0]!.waitFor(/worker deployment version registered/, 90_000);
}, 180_000);
afterAll(async () => {
  await rollback(connection, where).catch(() => undefined);
  await Promise.all([bridge?.stop(), ...workers.map((w) => w.stop())]);
  await connection?.close();
  await stack?.close();
});

/** Which build Temporal says ran the call's workflow, once the router has started it. */
async function buildOf(workflowId: string): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const d = await client.workflow
      .getHandle(workflowId)
      .describe()
      .catch(() => undefined);
    const build = d?.raw.workflowExecutionInfo?.versioningInfo?.deploymentVersion?.buildId;
    if (build) return build;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`no build recorded for ${workflowId}`);
}
/** `n` short calls to `to` (hanging up after a second), and the build each ran on. */
async function calls(n: number, to = '5551000'): Promise<string[]> {
  const placed = [];
  for (let i = 0; i < n; i++) {
    placed.push(await placeCall(ari, APP, config.ASTERISK_NODE, { to, holdSec: 1 }));
    await new Promise((r) => setTimeout(r, 100));
  }
  return Promise.all(placed.map((c) => buildOf(c.workflowId)));
}
const count = (builds: string[], b: string) => builds.filter((x) => x === b).length;

test('b1 current; b2 at 10 %, then for a chosen tenant; a call in progress stays on its build; rollback', async () => {
  expect(await rolloutStatus(connection, where.namespace, where.deployment)).toMatchObject({
    current: 'b1',
    ramping: null,
  });
  workers.push(workerOf('b2'));
  await workers[1]!.waitFor(/"msg":"worker ready"/, 90_000);
  expect(await calls(5)).toEqual(['b1', 'b1', 'b1', 'b1', 'b1']);

  // 10 % of new workflows to b2: about 6 of 60 (fewer than 1 or more than 15 is under one chance in 500).
  await rollout(connection, { ...where, buildId: 'b2', percent: 10, tenants: [] });
  const ramped = await calls(60);
  expect(count(ramped, 'b2')).toBeGreaterThanOrEqual(1);
  expect(count(ramped, 'b2')).toBeLessThanOrEqual(15);
  expect(count(ramped, 'b1') + count(ramped, 'b2')).toBe(60);

  // A chosen tenant (the default one, which the unrouted test number belongs to) gets b2 always; another
  // tenant, through its own number and flow, stays on b1.
  const otherKey = await createApiKey(stack.pool, OTHER_TENANT, Role.Admin);
  const asOther = apiClient(`http://${config.API_HOST}:${config.API_PORT}`, otherKey);
  const flow = await asOther(
    '/v1/flows',
    json('POST', {
      name: `rollout ${Date.now()}`,
      definition: { schemaVersion: 1, start: 'bye', nodes: [{ id: 'bye', type: 'hangup' }], edges: [] },
    }),
  );
  expect((await asOther(`/v1/flows/${flow.body.id}/publish`, json('POST'))).status).toBe(201);
  const otherNumber = `6${Date.now() % 10_000_000}`;
  await provisionNumber(stack.pool, OTHER_TENANT, otherNumber);
  expect(
    (await asOther('/v1/numbers', json('POST', { number: otherNumber, flowId: flow.body.id }))).status,
  ).toBe(201);
  await rollout(connection, { ...where, buildId: 'b2', percent: 0, tenants: [config.DEFAULT_TENANT] });
  // Each router has read the choice (the namespace's data, every 2 s).
  const chosen = new RegExp(`"tenants":\\["${config.DEFAULT_TENANT}"\\],"msg":"rollout read"`);
  await workers[0]!.waitFor(chosen, 10_000);
  await workers[1]!.waitFor(chosen, 10_000);
  expect(await calls(10)).toEqual(Array(10).fill('b2'));
  expect(await calls(5, otherNumber)).toEqual(Array(5).fill('b1'));

  // A call in progress on b1 when b2 becomes current finishes on b1; new calls run b2.
  await rollout(connection, { ...where, buildId: 'b2', percent: 0, tenants: [] });
  await new Promise((r) => setTimeout(r, 2500));
  const long = await placeCall(ari, APP, config.ASTERISK_NODE, {
    to: otherNumber.replace(/^6/, '7'),
    holdSec: 8,
  });
  expect(await buildOf(long.workflowId)).toBe('b1');
  await rollout(connection, { ...where, buildId: 'b2', percent: 100, tenants: [] });
  expect(await rolloutStatus(connection, where.namespace, where.deployment)).toMatchObject({
    current: 'b2',
    record: { buildId: 'b2', previous: 'b1' },
  });
  expect(await calls(5)).toEqual(Array(5).fill('b2'));
  const finished = await client.workflow.getHandle(long.workflowId).result();
  expect(finished).toMatchObject({ endedBy: expect.any(String) });
  expect(await buildOf(long.workflowId)).toBe('b1');

  // Rollback: b1 is current again, new calls run it.
  expect(await rollback(connection, where)).toMatchObject({ current: 'b1', ramping: null, record: null });
  expect(await calls(5)).toEqual(Array(5).fill('b1'));
}, 420_000);
