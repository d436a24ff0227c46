import { acdKit, json } from '../support/acd';
import { startStack, type TestStack } from '../support/stack';

let stack: TestStack;
beforeAll(async () => {
  // Callbacks due more than 3 s ahead wait as a start delay (60 s in production), so a test can see one
  // wait in Temporal and then run.
  process.env.CALLBACK_START_DELAY_FROM_SEC = '3';
  stack = await startStack({ gateway: true });
});
afterAll(async () => {
  await stack?.close();
});

interface Callback {
  id: string;
  state: string;
  attempts: { outcome?: string; agentId?: string; startedAt: string; endedAt?: string }[];
  nextAttemptAt?: string;
  reason?: string;
  recordingId?: string;
}

async function until(id: string, done: (c: Callback) => boolean, timeoutMs = 60_000): Promise<Callback> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const { body } = await stack.api(`/v1/callbacks/${id}`);
    if (done(body as Callback)) return body as Callback;
    if (Date.now() > end) throw new Error(`callback ${id} stuck: ${JSON.stringify(body)}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

test('a callback rings the agent first, then dials the customer, and records the conversation', async () => {
  const { queue: makeQueue, agent: makeAgent, setState } = acdKit(stack);
  const queue = await makeQueue();
  const agent = await makeAgent('120', [queue.id]);
  await setState(agent.id, 'available');
  const created = await stack.api(
    '/v1/callbacks',
    json('POST', { number: '101', queueId: queue.id, notes: 'billing' }),
  );
  expect(created.status).toBe(201);
  const done = await until(created.body.id, (c) => c.state === 'completed' || c.state === 'failed');
  expect(done).toMatchObject({ state: 'completed', attempts: [{ outcome: 'answered', agentId: agent.id }] });
  expect(done.recordingId).toMatch(/^[0-9a-f-]{36}$/);
  // Listing reads Temporal's visibility store, which the full server updates asynchronously (its PostgreSQL
  // visibility lags a closed workflow by a moment): the list is asked again until the close shows, for 10 s.
  let listed = await stack.api('/v1/callbacks?open=false');
  for (let i = 0; i < 50 && !listed.body.callbacks.some((c: Callback) => c.id === created.body.id); i++) {
    await new Promise((r) => setTimeout(r, 200));
    listed = await stack.api('/v1/callbacks?open=false');
  }
  expect(listed.body.callbacks.map((c: Callback) => c.id)).toContain(created.body.id);
}, 90_000);

test('busy customers are retried after the delay until the attempts run out; every outcome is kept', async () => {
  const { queue: makeQueue, agent: makeAgent, setState } = acdKit(stack);
  const queue = await makeQueue({ wrapUpSec: 0 });
  const agent = await makeAgent('110', [queue.id]);
  await setState(agent.id, 'available');
  const created = await stack.api(
    '/v1/callbacks',
    json('POST', { number: '201', queueId: queue.id, maxAttempts: 2, retryDelaysSec: [3] }),
  );
  const scheduled = await until(created.body.id, (c) => c.attempts.length === 1 && c.state === 'scheduled');
  const wait = Date.parse(scheduled.nextAttemptAt!) - Date.parse(scheduled.attempts[0]!.endedAt!);
  expect(wait).toBeGreaterThanOrEqual(2900);
  const done = await until(created.body.id, (c) => c.state === 'failed');
  expect(done.attempts.map((a) => a.outcome)).toEqual(['busy', 'busy']);
  expect(done.reason).toMatch(/after 2 attempts/);
}, 90_000);

test('with AMD on, an answering machine is not a reached customer: it is retried, and the outcome says so', async () => {
  const { queue: makeQueue, agent: makeAgent, setState } = acdKit(stack);
  const queue = await makeQueue({ wrapUpSec: 0 });
  const agent = await makeAgent('112', [queue.id]);
  await setState(agent.id, 'available');
  // 5xx parties answer with a long greeting and never pause: what AMD() calls a machine.
  const created = await stack.api(
    '/v1/callbacks',
    json('POST', { number: '501', queueId: queue.id, maxAttempts: 2, retryDelaysSec: [2], amd: true }),
  );
  expect(created.status).toBe(201);
  const done = await until(created.body.id, (c) => c.state === 'failed', 90_000);
  expect(done.attempts.map((a) => a.outcome)).toEqual(['machine', 'machine']);
  expect(done.recordingId).toBeUndefined();
  // The same party without AMD is an answered callback: AMD is what made the difference.
  const plain = await stack.api('/v1/callbacks', json('POST', { number: '502', queueId: queue.id }));
  const reached = await until(plain.body.id, (c) => c.state === 'completed' || c.state === 'failed', 90_000);
  expect(reached.attempts.map((a) => a.outcome)).toEqual(['answered']);
}, 200_000);

test('outside the allowed time it waits; it can be rescheduled and cancelled, and not cancelled twice', async () => {
  const { queue: makeQueue } = acdKit(stack);
  const queue = await makeQueue();
  const earliest = new Date(Date.now() + 3600_000).toISOString();
  const created = await stack.api(
    '/v1/callbacks',
    json('POST', { number: '101', queueId: queue.id, earliest }),
  );
  expect(created.body).toMatchObject({ state: 'scheduled', nextAttemptAt: earliest });
  const later = new Date(Date.now() + 7200_000).toISOString();
  const moved = await stack.api(`/v1/callbacks/${created.body.id}`, json('PATCH', { earliest: later }));
  expect(moved.body).toMatchObject({ state: 'scheduled', earliest: later });
  await until(created.body.id, (c) => c.nextAttemptAt === later, 5000);
  const cancelled = await stack.api(`/v1/callbacks/${created.body.id}`, { method: 'DELETE' });
  expect(cancelled.status).toBe(200);
  await until(created.body.id, (c) => c.state === 'cancelled', 5000);
  const again = await stack.api(`/v1/callbacks/${created.body.id}`, { method: 'DELETE' });
  expect(again.status).toBe(409);
  expect(again.body.message).toMatch(/cancelled/);
  const bad = await stack.api('/v1/callbacks', json('POST', { number: 'abc', queueId: queue.id }));
  expect(bad.status).toBe(400);
  expect(bad.body.message).toMatch(/number/);
}, 60_000);

test('a callback due later waits in Temporal, not in a worker, and runs when its time comes', async () => {
  const { queue: makeQueue } = acdKit(stack);
  const queue = await makeQueue();
  const earliest = new Date(Date.now() + 10_000).toISOString();
  const created = await stack.api(
    '/v1/callbacks',
    json('POST', { number: '101', queueId: queue.id, earliest }),
  );
  expect(created.status).toBe(201);
  expect(created.body).toMatchObject({ state: 'scheduled', nextAttemptAt: earliest, attempts: [] });
  // Temporal holds it until `earliest`: no workflow task yet, so no worker has it in memory.
  const handle = stack.temporal.workflow.getHandle(`callback-${created.body.id}`);
  const described = await handle.describe();
  expect(Math.abs(described.executionTime!.getTime() - Date.parse(earliest))).toBeLessThan(2000);
  expect(
    (await handle.fetchHistory()).events!.map((e) =>
      e.workflowExecutionStartedEventAttributes ? 'started' : 'other',
    ),
  ).toEqual(['started']);
  // The API answers for it all the same, alone and in the list.
  const read = await stack.api(`/v1/callbacks/${created.body.id}`);
  expect(read.body).toMatchObject({ state: 'scheduled', nextAttemptAt: earliest, number: '101' });
  const listed = await stack.api('/v1/callbacks?open=true&limit=200');
  expect(listed.body.callbacks.find((c: Callback) => c.id === created.body.id)).toMatchObject({
    state: 'scheduled',
  });
  // When its time comes it runs: no agent in the queue, so it waits in line.
  await until(created.body.id, (c) => c.state === 'queued', 40_000);
  const firstTask = (await handle.fetchHistory()).events!.find(
    (e) => e.workflowTaskScheduledEventAttributes,
  )!;
  expect(Number(firstTask.eventTime!.seconds) * 1000 + 999).toBeGreaterThanOrEqual(Date.parse(earliest));
  // Falling due cost one workflow task: no timer first, the queue joined by a local activity inside it
  // (its marker is among the first task's commands).
  const events = (await handle.fetchHistory()).events!;
  const joinedAt = events.findIndex(
    (e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity',
  );
  expect(joinedAt).toBeGreaterThan(0);
  expect(events.slice(0, joinedAt).filter((e) => e.workflowTaskCompletedEventAttributes)).toHaveLength(1);
  expect(events.slice(0, joinedAt).some((e) => e.timerStartedEventAttributes)).toBe(false);
  expect((await stack.api(`/v1/callbacks/${created.body.id}`, { method: 'DELETE' })).status).toBe(200);

  // Cancelled while it still waits in Temporal: the cancel wakes it and it ends at once.
  const tomorrow = new Date(Date.now() + 86_400_000).toISOString();
  const waiting = await stack.api(
    '/v1/callbacks',
    json('POST', { number: '102', queueId: queue.id, earliest: tomorrow }),
  );
  const cancelled = await stack.api(`/v1/callbacks/${waiting.body.id}`, { method: 'DELETE' });
  expect(cancelled.status).toBe(200);
  expect(cancelled.body).toMatchObject({ reason: 'cancelled by request', attempts: [] });
  const closed = await until(waiting.body.id, (c) => c.state === 'cancelled', 10_000);
  expect(closed).toMatchObject({ reason: 'cancelled by request', attempts: [] });
}, 90_000);

test('a callback offered in a flow keeps the caller’s place: served before a caller who came later', async () => {
  const { queue: makeQueue, agent: makeAgent, setState, queueFlow, call, result } = acdKit(stack);
  const queue = await makeQueue({ wrapUpSec: 0 });
  const agent = await makeAgent('104', [queue.id]);
  const offersCallback = await queueFlow(queue.id, { maxWaitSec: 5 }, [
    {
      id: 'overflow',
      type: 'callback',
      params: { prompt: { kind: 'sound', name: 'beep' }, queueId: queue.id, acceptDigit: '1' },
    },
  ]);
  const plain = await queueFlow(queue.id);

  // B waits, gives up after 5 s and accepts a callback; A came after B, C after the callback was made.
  // B's number is a synthetic party that answers: the callback reaches them.
  const b = await call(offersCallback, { from: '102', digits: '1', delaySec: 6, holdSec: 4 });
  await new Promise((r) => setTimeout(r, 1000));
  const a = await call(plain);
  const bStatus = await result(b);
  const callbackId = bStatus.path.find((s) => s.nodeId === 'overflow')!.detail!.callbackId!;
  expect(bStatus.path.map((s) => `${s.nodeId}:${s.exit ?? ''}`)).toEqual([
    'wait:overflow',
    'overflow:accepted',
    'served:',
  ]);
  const c = await call(plain);
  await new Promise((r) => setTimeout(r, 1000));

  await setState(agent.id, 'available');
  const callback = await until(callbackId, (x) => x.state === 'completed' || x.state === 'failed', 90_000);
  expect(callback.state).toBe('completed');
  const [aDone, cDone] = await Promise.all([result(a), result(c)]);
  const callbackStarted = Date.parse(callback.attempts[0]!.startedAt);
  // One agent talking 4 s a call: the callback first (B's place), then A, then C.
  expect(callbackStarted).toBeLessThan(Date.parse(aDone.endedAt!) - 4000);
  expect(Date.parse(aDone.endedAt!)).toBeLessThan(Date.parse(cDone.endedAt!));
}, 150_000);
