import { acdKit, json, unique } from '../support/acd';
import { startStack, type TestStack } from '../support/stack';
import { provisionNumber } from '../support/numbers';

// A queue node whose overflow exit the flow leaves unconnected follows the queue's own overflow setting.
let stack: TestStack;
beforeAll(async () => {
  stack = await startStack({ gateway: true });
});
afterAll(async () => {
  await stack?.close();
});

const kit = () => acdKit(stack);

/** A published flow that queues the caller and hangs up once served; overflow is left to the queue. */
async function queueOnlyFlow(queueId: string): Promise<{ number: string; flowId: string }> {
  const definition = {
    schemaVersion: 1,
    start: 'wait',
    nodes: [
      { id: 'wait', type: 'queue', params: { queueId } },
      { id: 'served', type: 'hangup' },
    ],
    edges: [{ from: 'wait', exit: 'served', to: 'served' }],
  };
  const flow = await stack.api('/v1/flows', json('POST', { name: unique('overflow'), definition }));
  expect(flow.status).toBe(201);
  // Publishing accepts the unconnected overflow: the queue has a default for it.
  const published = await stack.api(`/v1/flows/${flow.body.id}/publish`, json('POST'));
  expect(published.status).toBe(201);
  const number = `5${Date.now() % 10_000_000}`;
  await provisionNumber(stack.pool, stack.config.DEFAULT_TENANT, number);
  expect((await stack.api('/v1/numbers', json('POST', { number, flowId: flow.body.id }))).status).toBe(201);
  return { number, flowId: flow.body.id };
}

test('past its wait limit a queue hands the caller to its overflow queue, where an agent serves them', async () => {
  const { queue: makeQueue, agent: makeAgent, setState, call, result } = kit();
  const second = await makeQueue();
  const agent = await makeAgent('108', [second.id]);
  await setState(agent.id, 'available');
  const first = await makeQueue({ maxWaitSec: 5, overflow: { kind: 'queue', target: second.id } });
  const { number, flowId } = await queueOnlyFlow(first.id);

  // Simulation follows the same rule: overflow from the first queue, served by the second.
  const simulated = await stack.api(
    `/v1/flows/${flowId}/simulate`,
    json('POST', { version: 1, queues: ['overflow', 'served'] }),
  );
  expect(simulated.status).toBe(200);
  expect(
    simulated.body.path.map((s: { nodeId: string; exit?: string }) => `${s.nodeId}:${s.exit ?? ''}`),
  ).toEqual(['wait:served', 'served:']);

  const caller = await call(number);
  const status = await result(caller);
  expect(status.path.map((s) => `${s.nodeId}:${s.exit ?? ''}`)).toEqual(['wait:served', 'served:']);
  expect(status.path[0]!.detail).toMatchObject({ overflow1: `queue ${second.id}` });
  const served = await stack.api(`/v1/agents/${agent.id}`);
  expect(served.body.callsHandled).toBe(1);
}, 120_000);

test('a queue that overflows to a callback offer creates a callback that keeps the caller’s place', async () => {
  const { queue: makeQueue, call, result } = kit();
  const queue = await makeQueue({ maxWaitSec: 5, overflow: { kind: 'callback' } });
  const { number } = await queueOnlyFlow(queue.id);
  // The caller presses 1 while the offer plays (five seconds of waiting, then the offer).
  const caller = await call(number, { digits: '1', delaySec: 8, holdSec: 20 });
  const status = await result(caller);
  const step = status.path[0]!;
  expect(step).toMatchObject({ nodeId: 'wait', detail: { overflow1: 'callback' } });
  const callbackId = step.detail!.callbackId!;
  expect(callbackId).toMatch(/^[0-9a-f-]{36}$/);
  const callback = await stack.api(`/v1/callbacks/${callbackId}`);
  expect(callback.body).toMatchObject({
    queueId: queue.id,
    state: expect.stringMatching(/scheduled|queued/),
  });
  // Its place is when the caller entered the queue, not when the offer was accepted.
  expect(Date.parse(callback.body.enqueuedAt)).toBeLessThanOrEqual(Date.parse(step.enteredAt) + 2000);
  await stack.api(`/v1/callbacks/${callbackId}`, { method: 'DELETE' });
}, 120_000);

test('every call of this file replays deterministically from its history', async () => {
  const { replayed, failures } = await stack.replayCalls();
  expect(failures).toEqual([]);
  expect(replayed).toBeGreaterThan(0);
}, 120_000);
