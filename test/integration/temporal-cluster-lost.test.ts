/**
 * Cluster A lost at once (kill -9 of its server) with CTICloud's namespace active on it: the gateway, whose
 * own frontend is A's, moves to B by itself; the namespace is failed over to B through the gateway's
 * platform API (forced: the only way with A gone); a callback created on A before the loss is called once,
 * from B, and a new one is served while A is away. A comes back on its own databases, catches up as a
 * standby, and a graceful fail-back to A works. Then B is killed: the worker, whose own frontend is B's,
 * moves to A and serves the next callback. Issue #15.
 * Clusters of its own (ports 7833/7933, databases cticloud_xdck_*); the worker is on B, the gateway on A,
 * each with the other as its fallback.
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

/** A callback made through the gateway, once the gateway takes it, and how it ended. */
async function callbackThroughGateway(number: string, queueId: string) {
  const made = await eventually(
    () => stack.api('/v1/callbacks', json('POST', { number, queueId })),
    (r) => r.status === 201,
  );
  const ended = await eventually(
    async () => (await stack.api(`/v1/callbacks/${made.body.id}`)).body as CallbackStatus,
    (c) => c?.state === 'completed' || c?.state === 'failed',
  );
  return { id: made.body.id as string, ended };
}

test('A killed: the gateway moves to B, fail over through it, callbacks served from B; A back, fail back; B killed: the worker moves to A', async () => {
  const since = new Date();
  const { queue } = await acdKit(stack).queueWithAvailableAgent('130');
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
  // The operator's one call, to the gateway whose own frontend is gone: answered through B once it moved.
  const forced = await eventually(
    () =>
      stack.api('/v1/platform/temporal/failover', {
        ...json('POST', { namespace: NAMESPACE, cluster: B.name, mode: 'forced' }),
        key: stack.config.OPERATOR_API_KEY!,
      }),
    (r) => r.status === 200,
    30_000,
  );
  expect(forced.body).toMatchObject({ activeCluster: B.name, previousActiveCluster: A.name });
  await stack.gateway.waitFor(/"to":"127\.0\.0\.1:7933".*Temporal frontend changed/);
  const status = await eventually(
    () => onB.workflow.getHandle(workflowId).query<CallbackStatus>('callbackStatus'),
    (s) => s.state === 'completed' || s.state === 'failed',
  );
  expect(status).toMatchObject({ state: 'completed', attempts: [{ outcome: 'answered' }] });
  const onBHistory = await historyOn(onB, workflowId);
  expect(onBHistory.versions).toContain(forced.body.failoverVersion);
  // With A still away, the API goes on: a new callback is made and called through B.
  const whileAway = await callbackThroughGateway('183', queue.id);
  expect(whileAway.ended).toMatchObject({ state: 'completed', attempts: [{ outcome: 'answered' }] });

  // A comes back on its own databases and catches up as a standby: the callback's history as B has it.
  await startCluster(A);
  const toA = await Connection.connect({ address: address(A) });
  try {
    const onA = new Client({ connection: toA, namespace: NAMESPACE });
    await eventually(
      () => historyOn(onA, workflowId),
      (h) => h.count >= onBHistory.count,
    );
    // The gateway goes back to its own frontend once A answers again.
    await stack.gateway.waitFor(/"to":"127\.0\.0\.1:7833".*Temporal frontend changed/);

    // Back to A, gracefully; the gateway serves a new callback there.
    const back = await failover(toB, { namespace: NAMESPACE, cluster: A.name, mode: 'graceful' });
    expect(back).toMatchObject({ activeCluster: A.name, state: 'normal' });
    const second = await callbackThroughGateway('182', queue.id);
    expect(second.ended).toMatchObject({ state: 'completed', attempts: [{ outcome: 'answered' }] });
    expect([...(await historyOn(onA, callbackWorkflowId(second.id))).versions]).toEqual([
      back.failoverVersion,
    ]);

    // B, the worker's own frontend, lost: the worker moves to A and the next callback is still served.
    killCluster(B);
    await stack.worker.waitFor(/"to":"127\.0\.0\.1:7833".*Temporal frontend changed/, 30_000);
    const afterB = await callbackThroughGateway('184', queue.id);
    expect(afterB.ended).toMatchObject({ state: 'completed', attempts: [{ outcome: 'answered' }] });
  } finally {
    await toA.close();
  }

  // Each customer dialed once (the channels Asterisk created, from the event stream).
  const dialed = (await channelsCreatedSince(stack, since))
    .filter((c) => /^Local\/18[1-4]@synthetic-party/.test(c?.name ?? '') && c!.name.endsWith(';1'))
    .map((c) => c!.name.slice(6, 9));
  expect(dialed.sort()).toEqual(['181', '182', '183', '184']);
}, 420_000);
