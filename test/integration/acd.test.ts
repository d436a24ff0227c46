import { connect } from 'nats';
import { acdKit, json } from '../support/acd';
import { createApiKey } from '../support/keys';
import { hostPath, waitForFile } from '../support/media';
import { startStack, type TestStack } from '../support/stack';
import { toneShare } from '../support/tones';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

let stack: TestStack;
beforeAll(async () => {
  stack = await startStack({ gateway: true });
});
afterAll(async () => {
  await stack?.close();
});

const kit = () => acdKit(stack);

test('a caller is connected to an available agent; the recording has both of them', async () => {
  const { queue: makeQueue, agent: makeAgent, setState, queueFlow, call, result } = kit();
  const queue = await makeQueue();
  const agent = await makeAgent('106', [queue.id]);
  expect((await setState(agent.id, 'available')).body).toMatchObject({ state: 'available' });
  const number = await queueFlow(queue.id);

  const caller = await call(number);
  // While the agent is on the call, nobody can move them: 409 says why.
  for (let i = 0; i < 50 && (await stack.api(`/v1/agents/${agent.id}`)).body.state !== 'on_call'; i++) {
    await new Promise((r) => setTimeout(r, 200));
  }
  const busy = await setState(agent.id, 'not_ready', 'break');
  expect(busy.status).toBe(409);
  expect(busy.body.message).toMatch(/on_call cannot become not_ready; allowed: none until the call ends/);
  const status = await result(caller);
  expect(status.path.map((s) => `${s.nodeId}:${s.exit ?? ''}`)).toEqual(['wait:served', 'served:']);

  const { body } = await stack.api(`/v1/recordings?kind=call&callId=${caller.workflowId}`);
  const recording = body.recordings[0];
  expect(recording).toMatchObject({ kind: 'call', agentId: agent.id });
  const audio = await fetch(`http://127.0.0.1:${stack.config.API_PORT}/v1/recordings/${recording.id}/audio`, {
    headers: { authorization: `Bearer ${stack.config.ADMIN_API_KEY}` },
  });
  const file = path.join(await mkdtemp(path.join(os.tmpdir(), 'acd-')), 'call.wav');
  await writeFile(file, Buffer.from(await audio.arrayBuffer()));
  // The bridge's mix: the caller's 440 Hz and the agent's 1000 Hz are both in it.
  expect(await toneShare(file, 440)).toBeGreaterThan(0.05);
  expect(await toneShare(file, 1000)).toBeGreaterThan(0.05);

  // The agent wraps up, then is available again.
  const after = await stack.api(`/v1/agents/${agent.id}`);
  expect(after.body.callsHandled).toBe(1);
  await waitForFile(hostPath(caller.heard));
}, 90_000);

test('an agent who does not answer is made not ready and the caller goes to the next agent', async () => {
  const { queue: makeQueue, agent: makeAgent, setState, queueFlow, call, result } = kit();
  const queue = await makeQueue({ ringTimeoutSec: 5 });
  const silent = await makeAgent('901', [queue.id]);
  const answering = await makeAgent('104', [queue.id]);
  // The silent agent has been idle longest: longest-idle offers the call to them first.
  await setState(silent.id, 'available');
  await setState(answering.id, 'available');
  const number = await queueFlow(queue.id);
  const status = await result(await call(number));
  expect(status.path.map((s) => s.exit)).toEqual(['served', undefined]);
  const after = await stack.api(`/v1/agents/${silent.id}`);
  expect(after.body).toMatchObject({ state: 'not_ready', reason: 'ring_timeout' });
  expect((await stack.api(`/v1/agents/${answering.id}`)).body.callsHandled).toBe(1);
}, 90_000);

test('higher priority first, then who came first; skills decide who may take a call; overflow after the wait', async () => {
  const { queue: makeQueue, agent: makeAgent, setState, queueFlow, call, result } = kit();
  const queue = await makeQueue({ wrapUpSec: 0 });
  const agent = await makeAgent('103', [queue.id], [{ name: 'french', level: 2 }]);
  const normal = await queueFlow(queue.id);
  const urgent = await queueFlow(queue.id, { priority: 5 });
  const expert = await queueFlow(queue.id, { skills: [{ name: 'french', minLevel: 5 }], maxWaitSec: 20 });

  const first = await call(normal);
  await new Promise((r) => setTimeout(r, 1500));
  const second = await call(normal);
  await new Promise((r) => setTimeout(r, 1500));
  const third = await call(urgent);
  const unserved = await call(expert);
  await new Promise((r) => setTimeout(r, 2000));
  // Everyone waits; the stats show it.
  const stats = await stack.api(`/v1/queues/${queue.id}/stats`);
  expect(stats.body).toMatchObject({ waiting: 4 });
  expect(stats.body.callers.map((c: { entryId: string }) => c.entryId)).toEqual(
    expect.arrayContaining([first.workflowId, second.workflowId, third.workflowId, unserved.workflowId]),
  );

  await setState(agent.id, 'available');
  const done = await Promise.all([first, second, third].map(result));
  const servedAt = done.map((s) => Date.parse(s.endedAt!));
  // The urgent caller, then the first, then the second: each talk lasts 3 s with one agent.
  expect(servedAt[2]).toBeLessThan(servedAt[0]!);
  expect(servedAt[0]).toBeLessThan(servedAt[1]!);
  // Nobody has french at level 5: that caller overflows after its 20 s.
  const overflowed = await result(unserved);
  expect(overflowed.path[0]).toMatchObject({ nodeId: 'wait', exit: 'overflow' });

  const after = await stack.api(`/v1/queues/${queue.id}/stats`);
  expect(after.body).toMatchObject({ waiting: 0, answered60m: 3, abandoned60m: 1 });
  expect(after.body.serviceLevel.last15m).toBeGreaterThanOrEqual(0);
}, 120_000);

test('agent states: on_call is never requested; an agent key changes only its own agent', async () => {
  const { queue: makeQueue, agent: makeAgent, setState } = kit();
  const queue = await makeQueue();
  const agent = await makeAgent('105', [queue.id]);
  const other = await makeAgent('107', [queue.id]);
  expect((await setState(agent.id, 'not_ready', 'lunch')).body).toMatchObject({
    state: 'not_ready',
    reason: 'lunch',
  });
  const bad = await stack.api(`/v1/agents/${agent.id}/state`, json('POST', { state: 'on_call' }));
  expect(bad.status).toBe(400);
  expect(bad.body.message).toMatch(/state/);
  const key = await createApiKey(stack.pool, 'default', 'agent', 'agent key');
  await stack.pool.query('update api_keys set agent_id = $1 where prefix = $2', [agent.id, key.slice(0, 8)]);
  const own = await stack.api(`/v1/agents/${agent.id}/state`, {
    ...json('POST', { state: 'available' }),
    key,
  });
  expect(own.body).toMatchObject({ state: 'available' });
  const theirs = await stack.api(`/v1/agents/${other.id}/state`, {
    ...json('POST', { state: 'available' }),
    key,
  });
  expect(theirs.status).toBe(403);
  await setState(agent.id, 'offline');
  const fromOffline = await stack.api(`/v1/agents/${agent.id}/state`, json('POST', { state: 'offline' }));
  expect(fromOffline.status).toBe(200);
});

test('blind transfer from an agent to another queue; live statistics arrive over NATS', async () => {
  const { queue: makeQueue, agent: makeAgent, setState, queueFlow, call, result } = kit();
  const first = await makeQueue({ wrapUpSec: 0 });
  const second = await makeQueue({ wrapUpSec: 0 });
  const talker = await makeAgent('130', [first.id]);
  const expert = await makeAgent('104', [second.id]);
  await setState(talker.id, 'available');
  await setState(expert.id, 'available');

  const nc = await connect({ servers: stack.config.NATS_URL });
  const stats = nc.subscribe(`cticloud.default.queue.${first.id}.stats`, { max: 1 });
  const number = await queueFlow(first.id);
  const caller = await call(number);
  let status = { queue: { phase: '' } };
  for (let i = 0; i < 100 && status.queue?.phase !== 'talking'; i++) {
    await new Promise((r) => setTimeout(r, 200));
    status = (await stack.api(`/v1/calls/${caller.workflowId}`)).body.live ?? status;
  }
  expect(status.queue.phase).toBe('talking');
  const moved = await stack.api(
    `/v1/calls/${caller.workflowId}/transfer`,
    json('POST', { to: { kind: 'queue', queueId: second.id } }),
  );
  expect(moved.status).toBe(202);
  const done = await result(caller);
  expect(done.path.map((s) => `${s.nodeId}:${s.exit ?? ''}`)).toEqual(['wait:served', 'served:']);
  expect((await stack.api(`/v1/agents/${talker.id}`)).body.callsHandled).toBe(1);
  expect((await stack.api(`/v1/agents/${expert.id}`)).body.callsHandled).toBe(1);

  for await (const m of stats) {
    expect(m.json()).toMatchObject({ queueId: first.id, agents: expect.any(Object) });
  }
  await nc.close();
  const refused = await stack.api(
    `/v1/calls/${caller.workflowId}/transfer`,
    json('POST', { to: { kind: 'number', number: '101' } }),
  );
  expect(refused.status).toBe(409);
}, 120_000);

test('a waiting caller hears their position at the queue’s interval', async () => {
  const { queue: makeQueue, queueFlow, call, result } = kit();
  const queue = await makeQueue({ announce: { position: true, estimatedWait: true, intervalSec: 10 } });
  const number = await queueFlow(queue.id, { maxWaitSec: 13 });
  const caller = await call(number);
  const status = await result(caller);
  expect(status.path[0]).toMatchObject({ nodeId: 'wait', exit: 'overflow' });
  const history = await stack.temporal.workflow.getHandle(caller.workflowId).fetchHistory();
  const played = (history.events ?? [])
    .filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'playMedia')
    .flatMap((e) => e.activityTaskScheduledEventAttributes!.input!.payloads!)
    .map((p) => Buffer.from(p.data!).toString());
  // Alone in line: "you are next", once, ten seconds in.
  expect(played).toHaveLength(1);
  expect(played[0]).toContain('sound:queue-youarenext');
}, 60_000);

test('every call of this file replays deterministically from its history', async () => {
  const { replayed, failures } = await stack.replayCalls();
  expect(failures).toEqual([]);
  expect(replayed).toBeGreaterThan(0);
}, 120_000);
