import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { acdKit } from '../support/acd';
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

test('callers waiting in a queue survive a worker crash and a Temporal restart, and are all served', async () => {
  const { queue: makeQueue, agent: makeAgent, setState, queueFlow, call, result } = acdKit(stack);
  const queue = await makeQueue({ wrapUpSec: 0 });
  const agent = await makeAgent('103', [queue.id]);
  const number = await queueFlow(queue.id);
  const callers = [await call(number, { holdSec: 90 }), await call(number, { holdSec: 90 })];
  await sleep(3000);
  expect((await stack.api(`/v1/queues/${queue.id}/stats`)).body.waiting).toBe(2);

  await stack.worker.kill();
  await run('bash', [path.resolve(__dirname, '../../scripts/services.sh'), 'restart-temporal']);
  stack.worker.start();
  await stack.worker.waitFor(ready.worker, 90_000);
  // Still two in line, nobody lost, nobody offered twice.
  let waiting = -1;
  for (let i = 0; i < 50 && waiting !== 2; i++, await sleep(200)) {
    waiting = (await stack.api(`/v1/queues/${queue.id}/stats`)).body.waiting;
  }
  expect(waiting).toBe(2);

  await setState(agent.id, 'available');
  const done = await Promise.all(callers.map(result));
  expect(done.map((s) => s.path[0]?.exit)).toEqual(['served', 'served']);
  expect((await stack.api(`/v1/agents/${agent.id}`)).body.callsHandled).toBe(2);
}, 180_000);

test('ringing an agent that fails for good frees the agent, and the caller keeps their place', async () => {
  const { queue: makeQueue, agent: makeAgent, setState, queueFlow, call, result } = acdKit(stack);
  const queue = await makeQueue({ wrapUpSec: 0 });
  // Asterisk refuses to allocate this channel (HTTP 500): every try of the ring activity fails.
  const broken = await makeAgent('104', [queue.id]);
  await stack.api(`/v1/agents/${broken.id}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...broken, endpoint: `PJSIP/nobody-${Date.now()}` }),
  });
  expect((await setState(broken.id, 'available')).status).toBe(200);
  const number = await queueFlow(queue.id, { maxWaitSec: 150 });
  const caller = await call(number, { holdSec: 120 });

  const ringFailed = async () => {
    const history = await stack.temporal.workflow
      .getHandle(caller.workflowId)
      .fetchHistory()
      .catch(() => undefined); // not started yet
    return (history?.events ?? []).some((e) => e.activityTaskFailedEventAttributes);
  };
  for (let i = 0; i < 150 && !(await ringFailed()); i++) await sleep(200);
  expect(await ringFailed()).toBe(true);
  // Not stranded on_call: free again, and can log out (refused only while a new offer is ringing).
  let out = 0;
  for (let i = 0; i < 100 && out !== 200; i++, await sleep(200)) {
    out = (await setState(broken.id, 'offline')).status;
  }
  expect(out).toBe(200);
  const line = (await stack.api(`/v1/queues/${queue.id}/stats`)).body;
  expect(line.callers.map((c: { entryId: string }) => c.entryId)).toEqual([caller.workflowId]);

  const working = await makeAgent('104', [queue.id]);
  await setState(working.id, 'available');
  const done = await result(caller);
  expect(done.path[0]).toMatchObject({ nodeId: 'wait', exit: 'served' });
  expect((await stack.api(`/v1/agents/${working.id}`)).body.callsHandled).toBe(1);
  expect((await stack.api(`/v1/agents/${broken.id}`)).body).toMatchObject({
    state: 'offline',
    callsHandled: 0,
  });
}, 180_000);
