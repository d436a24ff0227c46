/**
 * Cluster A lost at once (kill -9 of its server) with CTICloud's namespace active on it: the namespace is
 * failed over to B through B (forced: the only way with A gone), and a callback created on A before the loss
 * is called once, from B. A comes back on its own databases, catches up as a standby, and a graceful
 * fail-back to A works: a new callback made through the gateway on A is served there. Issue #15.
 * Clusters of its own (ports 7833/7933, databases cticloud_xdck_*); the worker is on B, the gateway on A.
 */
import { Client, Connection } from '@temporalio/client';
import { acdKit, json } from '../support/acd';
import { channelsCreatedSince } from '../support/ari-log';
import { address, clusterPair, killCluster, startCluster } from '../support/clusters';
import type { TestStack } from '../support/stack';
import { startTwoClusterStack, stopTwoClusterStack } from '../support/two-clusters';
import { failover } from '../../lib/temporal-clusters';
import { callbackWorkflowId, type CallbackStatus } from '../../workflows/callback/contract';

const NAMESPACE = 'cticloud-xdck';
const [A, B] = clusterPair('xdck', 7833, NAMESPACE);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let stack: TestStack;
let toB: Connection;
beforeAll(async () => {
  stack = await startTwoClusterStack(A, B, 'calls-xdck');
  toB = await Connection.connect({ address: address(B) });
}, 180_000);
afterAll(async () => {
  await toB?.close();
  await stopTwoClusterStack(stack, A, B);
});

/** A workflow's events as one cluster has them: their count and the failover versions that wrote them. */
async function historyOn(client: Client, workflowId: string) {
  const events = (await client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
  return { count: events.length, versions: new Set(events.map((e) => Number(e.version))) };
}

/** Asks `read` again every 300 ms until `done` holds of what it answers; a read that fails is asked again. */
async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 90_000) {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await read();
      if (done(value)) return value;
      last = value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > end) throw new Error(`still not there after ${timeoutMs} ms: ${String(last)}`);
    await sleep(300);
  }
}

test('A killed: fail over to B through B, a callback made on A is called once from B; A back, fail back to A', async () => {
  const { queue: makeQueue, agent: makeAgent, setState } = acdKit(stack);
  const since = new Date();
  const queue = await makeQueue({ wrapUpSec: 0 });
  const agent = await makeAgent('130', [queue.id]);
  await setState(agent.id, 'available');
  const earliest = new Date(Date.now() + 8000).toISOString();
  const made = await stack.api('/v1/callbacks', json('POST', { number: '181', queueId: queue.id, earliest }));
  expect(made.status).toBe(201);
  // Replicated to B before A goes (replication lag p99 under a second here).
  const onB = new Client({ connection: toB, namespace: NAMESPACE });
  const workflowId = callbackWorkflowId(made.body.id);
  await eventually(
    () => historyOn(onB, workflowId),
    (h) => h.count > 0,
  );

  killCluster(A);
  const forced = await failover(toB, { namespace: NAMESPACE, cluster: B.name, mode: 'forced' });
  expect(forced).toMatchObject({ activeCluster: B.name, previousActiveCluster: A.name });
  const status = await eventually(
    () => onB.workflow.getHandle(workflowId).query<CallbackStatus>('callbackStatus'),
    (s) => s.state === 'completed' || s.state === 'failed',
  );
  expect(status).toMatchObject({ state: 'completed', attempts: [{ outcome: 'answered' }] });
  const onBHistory = await historyOn(onB, workflowId);
  expect(onBHistory.versions).toContain(forced.failoverVersion);

  // A comes back on its own databases and catches up as a standby: the callback's history as B has it.
  await startCluster(A);
  const toA = await Connection.connect({ address: address(A) });
  try {
    const onA = new Client({ connection: toA, namespace: NAMESPACE });
    await eventually(
      () => historyOn(onA, workflowId),
      (h) => h.count >= onBHistory.count,
    );

    // Back to A, gracefully; the gateway, connected to A all along, serves a new callback there.
    const back = await failover(toB, { namespace: NAMESPACE, cluster: A.name, mode: 'graceful' });
    expect(back).toMatchObject({ activeCluster: A.name, state: 'normal' });
    const now = await eventually(
      () => stack.api('/v1/callbacks', json('POST', { number: '182', queueId: queue.id })),
      (r) => r.status === 201,
    );
    const second = await eventually(
      async () => (await stack.api(`/v1/callbacks/${now.body.id}`)).body as CallbackStatus,
      (c) => c?.state === 'completed' || c?.state === 'failed',
    );
    expect(second).toMatchObject({ state: 'completed', attempts: [{ outcome: 'answered' }] });
    expect([...(await historyOn(onA, callbackWorkflowId(now.body.id))).versions]).toEqual([
      back.failoverVersion,
    ]);
  } finally {
    await toA.close();
  }

  // Each customer dialed once (the channels Asterisk created, from the event stream).
  const dialed = (await channelsCreatedSince(stack, since))
    .filter((c) => /^Local\/18[12]@synthetic-party/.test(c?.name ?? '') && c!.name.endsWith(';1'))
    .map((c) => c!.name.slice(6, 9));
  expect(dialed.sort()).toEqual(['181', '182']);
}, 300_000);
