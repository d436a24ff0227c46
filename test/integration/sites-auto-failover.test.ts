/**
 * Issue #16's automatic failover, behind SITE_AUTO_FAILOVER_SEC (lib/sites/auto-failover.ts): two whole
 * sites (xa and xb at indexes 3 and 4 of scripts/site.sh) and a witness on loopback. Site A is killed whole
 * while the witness is down: B's takeover worker sees A silent on every path but has no second vote, and A's
 * namespace stays where it was. The witness comes back and agrees: B takes over by itself, and a callback
 * made at A is dialed once, from B. A comes back and takes its namespace back; B does not take it again.
 *
 * Then A dies for good, a callback's conversation and a caller waiting in line on its Asterisk: after B takes
 * over, both wait for A's node, until the operator declares it lost at B. Then the caller's call ends,
 * recorded as ended by the system, and the callback's attempt counts as failed and is dialed again from B.
 */
import type { AddressInfo } from 'node:net';
import { acdKit, json } from '../support/acd';
import { sleep } from '../support/campaigns';
import { channelsCreatedOn } from '../support/ari-log';
import {
  startSiteProcesses,
  startTwoSiteStack,
  stopTwoSiteStack,
  TEST_SITES,
  type SiteStack,
} from '../support/two-sites';
import { killSite, startSiteInfrastructure } from '../../lib/sites/bring-up';
import { createWitness } from '../../lib/sites/witness';
import { describeReplication } from '../../lib/temporal-clusters';
import { callbackWorkflowId, type CallbackStatus } from '../../workflows/callback/contract';

const PLACES = TEST_SITES;
const AFTER_SEC = 3;

/** The witness knows both sites' gateways; it is stopped and started again on the same port. */
const witnessSites = new Map<string, string>();
let witness = createWitness(witnessSites);
let witnessPort = 0;
const listen = () => new Promise<void>((r) => witness.listen(witnessPort, '127.0.0.1', r));
const close = () =>
  new Promise((r) => {
    witness.closeAllConnections();
    witness.close(r);
  });

let A: SiteStack;
let B: SiteStack;
beforeAll(async () => {
  await listen();
  witnessPort = (witness.address() as AddressInfo).port;
  process.env.SITE_AUTO_FAILOVER_SEC = String(AFTER_SEC);
  process.env.SITE_WITNESS_URL = `http://127.0.0.1:${witnessPort}`;
  process.env.CALLBACK_START_DELAY_FROM_SEC = '3';
  [A, B] = await startTwoSiteStack([PLACES[0], PLACES[1]]);
  for (const s of [A, B]) witnessSites.set(s.site, `http://127.0.0.1:${s.env.API_PORT}`);
}, 900_000);
afterAll(async () => {
  await close().catch(() => undefined);
  await stopTwoSiteStack([A, B], [...PLACES]);
}, 120_000);

/** Waits until `pattern` has matched the process's output `count` times. */
async function waitForCount(log: () => string, pattern: RegExp, count: number, timeoutMs = 30_000) {
  const until = Date.now() + timeoutMs;
  const times = () => (log().match(new RegExp(pattern.source, 'g')) ?? []).length;
  while (times() < count) {
    if (Date.now() > until) throw new Error(`${pattern} ${times()} times, not ${count}, in ${timeoutMs} ms`);
    await sleep(50);
  }
}

const activeClusterOf = async (site: SiteStack, namespace: string) =>
  (await describeReplication(site.temporal.connection, namespace)).activeCluster;

test('with no witness to agree B does not take over; once the witness agrees it does, by itself; A takes its namespace back and B leaves it there', async () => {
  const since = new Date();
  const atA = acdKit(A);
  const queue = await atA.queue({ wrapUpSec: 0 });
  const agent = await atA.agent('102', [queue.id]);
  const callback = await A.api(
    '/v1/callbacks',
    json('POST', { number: '150', queueId: queue.id, earliest: new Date(Date.now() + 20_000).toISOString() }),
  );
  expect(callback.status).toBe(201);

  // The witness is down when A dies: B sees A silent on every path, and waits.
  await close();
  await Promise.all(A.processes.map((p) => p.kill()));
  await killSite(A.site);
  const takeover = B.processes.find((p) => p.name.startsWith('worker-takeover'))!;
  await takeover.waitFor(/no witness to agree/, 30_000);
  await sleep(2 * AFTER_SEC * 1000);
  expect(await activeClusterOf(B, A.env.TEMPORAL_NAMESPACE)).toBe(A.env.TEMPORAL_CLUSTER);
  expect(takeover.log).not.toMatch(/witness agrees: taking over/);

  // The witness is back and cannot reach A either: B takes A's namespace over.
  witness = createWitness(witnessSites);
  await listen();
  const back = Date.now();
  await takeover.waitFor(/automatic site failover done/, 30_000);
  await takeover.waitFor(/"msg":"worker ready"/, 30_000);
  const tookOverMs = Date.now() - back;
  expect(await activeClusterOf(B, A.env.TEMPORAL_NAMESPACE)).toBe(B.env.TEMPORAL_CLUSTER);

  // A's callback is dialed once, from B, by A's agent signed in at B.
  expect((await acdKit(B).setState(agent.id, 'available')).status).toBe(200);
  const result = (await B.namespace(A.env.TEMPORAL_NAMESPACE)
    .workflow.getHandle(callbackWorkflowId(callback.body.id))
    .result()) as CallbackStatus;
  expect(result.state).toBe('completed');
  const dialed = (await channelsCreatedOn(B, since, B.env.ASTERISK_NODE)).filter((e) =>
    /^Local\/150@synthetic-party.*;1$/.test(e.channel?.name ?? ''),
  );
  expect(dialed).toHaveLength(1);

  // A comes back, stands by, and takes its namespace back; B hears from A again and leaves it there.
  A.processes = await startSiteProcesses(await startSiteInfrastructure(PLACES[0]), B.env);
  const failBack = await A.api('/v1/platform/temporal/failover', {
    ...json('POST', {
      namespace: A.env.TEMPORAL_NAMESPACE,
      cluster: A.env.TEMPORAL_CLUSTER,
      mode: 'graceful',
    }),
    key: process.env.OPERATOR_API_KEY!,
  });
  expect(failBack.status).toBe(200);
  await takeover.waitFor(/active elsewhere/, 30_000);
  await sleep(3 * AFTER_SEC * 1000);
  expect(await activeClusterOf(B, A.env.TEMPORAL_NAMESPACE)).toBe(A.env.TEMPORAL_CLUSTER);
  expect(takeover.log.match(/automatic site failover done/g)).toHaveLength(1);
  console.log(`automatic failover: B took over ${tookOverMs} ms after the witness came back`);
}, 420_000);

test("A dies for good: what was left on its Asterisk waits for it until the node is declared lost at B, then the caller's call ends by the system and the callback is dialed again from B", async () => {
  const since = new Date();
  const atA = acdKit(A);
  const queue = await atA.queue({ wrapUpSec: 0 });
  // An agent who talks for a minute: the callback's conversation is still on when A dies.
  const talker = await atA.agent('160', [queue.id]);
  expect((await atA.setState(talker.id, 'available')).status).toBe(200);
  const callback = await A.api(
    '/v1/callbacks',
    json('POST', { number: '630', queueId: queue.id, maxAttempts: 3, retryDelaysSec: [1] }),
  );
  expect(callback.status).toBe(201);
  const customerLegs = async (site: SiteStack) =>
    (await channelsCreatedOn(site, since, site.env.ASTERISK_NODE)).filter((e) =>
      /^Local\/630@synthetic-party.*;1$/.test(e.channel?.name ?? ''),
    );
  for (let i = 0; i < 300 && (await customerLegs(A)).length === 0; i++) await sleep(100);
  expect(await customerLegs(A)).toHaveLength(1);
  // A caller in line behind it, on A's Asterisk too.
  const caller = await atA.call(await atA.queueFlow(queue.id));
  await sleep(3000);

  // Declaring a node lost is for the site that runs the namespace: B does not, yet.
  const declare = (nodes: string[]) =>
    B.api('/v1/platform/temporal/lost-nodes', {
      ...json('PUT', { namespace: A.env.TEMPORAL_NAMESPACE, nodes }),
      key: process.env.OPERATOR_API_KEY!,
    });
  expect((await declare([A.env.ASTERISK_NODE])).status).toBe(409);
  const badName = await declare(['not a node']);
  expect([badName.status, JSON.stringify(badName.body)]).toEqual([400, expect.stringContaining('nodes')]);

  const takeover = B.processes.find((p) => p.name.startsWith('worker-takeover'))!;
  const readyBefore = (takeover.log.match(/"msg":"worker ready"/g) ?? []).length;
  await Promise.all(A.processes.map((p) => p.kill()));
  await killSite(A.site);
  await waitForCount(() => takeover.log, /automatic site failover done/, 2);
  await waitForCount(() => takeover.log, /"msg":"worker ready"/, readyBefore + 1);
  expect(await activeClusterOf(B, A.env.TEMPORAL_NAMESPACE)).toBe(B.env.TEMPORAL_CLUSTER);

  // Taken over, but both wait for A's node: nothing ends them.
  const inA = B.namespace(A.env.TEMPORAL_NAMESPACE);
  const callbackAtB = inA.workflow.getHandle(callbackWorkflowId(callback.body.id));
  const callerAtB = inA.workflow.getHandle(caller.workflowId);
  await sleep(8000);
  expect((await callbackAtB.describe()).status.name).toBe('RUNNING');
  expect((await callerAtB.describe()).status.name).toBe('RUNNING');

  // The talker went with A (agents' states are each site's own: not signed in at B); another agent signs in
  // at B. A's node is declared lost.
  const atB = acdKit(B);
  const agent = await atB.agent('102', [queue.id]);
  expect((await atB.setState(agent.id, 'available')).status).toBe(200);
  const declaredAt = Date.now();
  const declared = await declare([A.env.ASTERISK_NODE]);
  expect(declared.status).toBe(200);
  expect(declared.body.lostNodes).toEqual([A.env.ASTERISK_NODE]);
  await takeover.waitFor(/node declared lost/, 10_000);

  // The caller's call ends, ended by the system (its CDR, written at B, says so).
  await callerAtB.result();
  const endedMs = Date.now() - declaredAt;
  const { rows: cdrs } = await B.pool.query<{ ended_by: string; node: string }>(
    'select ended_by, node from cdrs where workflow_id = $1',
    [caller.workflowId],
  );
  expect(cdrs).toEqual([{ ended_by: 'system', node: A.env.ASTERISK_NODE }]);

  // The callback's attempt on A failed (its outcome cannot be known); its next one reached the customer from B.
  const result = (await callbackAtB.result()) as CallbackStatus;
  expect([result.state, result.attempts.map((a) => a.outcome)]).toEqual([
    'completed',
    ['failed', 'answered'],
  ]);
  expect(await customerLegs(B)).toHaveLength(1);
  console.log(`a site lost for good: its caller's call ended ${endedMs} ms after its node was declared lost`);
}, 420_000);
