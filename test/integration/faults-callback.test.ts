import { acdKit, json } from '../support/acd';
import { channelsCreatedSince } from '../support/ari-log';
import { ready, startStack, type TestStack } from '../support/stack';

/**
 * kill -9 of the worker in the middle of a callback's conversation, which then ends while no worker runs:
 * the retried attempt must find the conversation over in the event stream and report it, not call the
 * customer a second time (it used to record the agent as not answering and queue the callback again).
 */
let stack: TestStack;
beforeAll(async () => {
  stack = await startStack({ gateway: true });
});
afterAll(async () => {
  await stack?.close();
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('a callback whose conversation ends while the worker is dead is completed once, the customer dialed once', async () => {
  const since = new Date();
  // The agent talks 8 s; the customer (1xx) answers and hangs up after a short recording.
  const { queue, agent } = await acdKit(stack).queueWithAvailableAgent('108');
  const number = `1${String(Date.now() % 100).padStart(2, '0')}`;
  const created = await stack.api(
    '/v1/callbacks',
    json('POST', { number, queueId: queue.id, maxAttempts: 3 }),
  );
  expect(created.status).toBe(201);

  // Both legs up: the agent's and the customer's channels exist in Asterisk.
  let customerLegs = 0;
  for (let i = 0; i < 100 && !customerLegs; i++, await sleep(100)) {
    customerLegs = (await channelsCreatedSince(stack, since)).filter((c) =>
      c?.name.startsWith(`Local/${number}@synthetic-party`),
    ).length;
  }
  expect(customerLegs).toBeGreaterThan(0);
  await sleep(1500);
  await stack.worker.kill();
  await sleep(12_000); // the conversation ends with no worker running
  stack.worker.start();
  await stack.worker.waitFor(ready.worker, 90_000);

  let body: { state: string; attempts: { outcome?: string }[] } = { state: '', attempts: [] };
  for (let i = 0; i < 120 && !['completed', 'failed'].includes(body.state); i++, await sleep(500)) {
    body = (await stack.api(`/v1/callbacks/${created.body.id}`)).body;
  }
  expect(body).toMatchObject({ state: 'completed', attempts: [{ outcome: 'answered' }] });
  const dialed = (await channelsCreatedSince(stack, since)).filter(
    (c) => c?.name.startsWith(`Local/${number}@synthetic-party`) && c.name.endsWith(';1'),
  );
  expect(dialed).toHaveLength(1);
  // The agent is free again, not not_ready(dial_failed).
  const after = (await stack.api(`/v1/agents/${agent.id}`)).body;
  expect(['available', 'wrap_up']).toContain(after.state);
}, 180_000);
