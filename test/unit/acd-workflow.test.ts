import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import path from 'node:path';
import {
  acdWorkflowId,
  agentsQuery,
  callEndedSignal,
  enqueueSignal,
  leaveSignal,
  offerResultSignal,
  positionQuery,
  queueStatsQuery,
  setAgentStateUpdate,
  waitingQuery,
  type AgentOffer,
} from '../../workflows/acd/contract';
import type { AgentState, QueueConfig, QueueEntry } from '../../domain/acd/model';
import { emptyState, type AcdState, type RoutedAgent } from '../../domain/acd/routing';
import { quietTemporalRuntime, temporalBinary } from '../support/temporal';
import { AcdWorkflow, doneSignal, EntryWorkflow, offersQuery } from './fixtures/acd-entry-workflows';

const taskQueue = `acd-test-${process.pid}-${Date.now()}`;
let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;
beforeAll(async () => {
  quietTemporalRuntime();
  env = await TestWorkflowEnvironment.createLocal({
    server: { executable: { type: 'existing-path', path: temporalBinary() } },
  });
  worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowsPath: path.resolve(__dirname, 'fixtures/acd-entry-workflows.ts'),
    // Agent state events are published through these activities; NATS is not part of these tests.
    activities: { emitEvent: async () => undefined, emitEvents: async () => undefined },
  });
  running = worker.run();
});
afterAll(async () => {
  worker?.shutdown();
  await running;
  await env?.teardown();
});

type Acd = WorkflowHandle<typeof AcdWorkflow>;
const queue: QueueConfig = {
  ...{
    id: 'q1',
    name: 'Support',
    strategy: 'longest_idle',
    skills: [],
    maxWaitSec: 600,
    mohClass: 'default',
  },
  ...{ announce: { position: true, estimatedWait: true, intervalSec: 60 }, record: true },
  ...{ wrapUpSec: 1, ringTimeoutSec: 20, serviceLevelSec: 20 },
};
const agentConfig = (id: string) => ({
  id,
  name: `Agent ${id}`,
  endpoint: `PJSIP/${id}`,
  skills: [],
  queueIds: ['q1'],
});
const entry = (entryId: string, priority = 0, agoSec = 0): QueueEntry => ({
  ...{ entryId, kind: 'call', queueId: 'q1', priority, skills: [], from: '5550100' },
  enqueuedAt: new Date(Date.now() - agoSec * 1000).toISOString(),
});

let tenants = 0;
/** A fresh tenant's routing workflow; entry ids are prefixed with the tenant so workflow ids never clash. */
async function startAcd(state?: (tenantId: string) => AcdState) {
  const tenantId = `t${++tenants}-${Date.now()}`;
  const acd = await env.client.workflow.start(AcdWorkflow, {
    taskQueue,
    workflowId: acdWorkflowId(tenantId),
    args: [{ tenantId, state: state?.(tenantId) }],
  });
  const id = (name: string) => `${tenantId}-${name}`;
  return { acd, id, tenantId };
}
const startEntry = (workflowId: string) =>
  env.client.workflow.start(EntryWorkflow, { taskQueue, workflowId });
const setState = (acd: Acd, agentId: string, state: AgentState, reason?: string) =>
  acd.executeUpdate(setAgentStateUpdate, { args: [{ agent: agentConfig(agentId), state, reason }] });
/** The agents query; the copies carry availableSince too. */
const agents = async (acd: Acd): Promise<Record<string, RoutedAgent>> =>
  Object.fromEntries((await acd.query(agentsQuery)).map((a) => [a.id, a]));

/** Polls until `ok` holds, answering the last value; throws with it after the timeout. */
async function eventually<T>(probe: () => Promise<T>, ok: (v: T) => boolean, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`still not there: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
const agentsWhen = (acd: Acd, ok: (a: Record<string, RoutedAgent>) => boolean, ms?: number) =>
  eventually(() => agents(acd), ok, ms);
const waitingWhen = (acd: Acd, ok: (w: QueueEntry[]) => boolean) =>
  eventually(() => acd.query(waitingQuery, 'q1'), ok);
const offersTo = (handle: WorkflowHandle<typeof EntryWorkflow>, count = 1): Promise<AgentOffer[]> =>
  eventually(
    () => handle.query(offersQuery),
    (o) => o.length >= count,
  );

test('the higher-priority caller gets the first agent, even if they came later', async () => {
  const { acd, id } = await startAcd();
  const low = await startEntry(id('low'));
  const high = await startEntry(id('high'));
  await acd.signal(enqueueSignal, { entry: entry(id('low'), 0, 60), queue });
  await acd.signal(enqueueSignal, { entry: entry(id('high'), 5), queue });
  await waitingWhen(acd, (w) => w.length === 2);
  expect(await acd.query(positionQuery, id('low'))).toEqual({ position: 2, estimatedWaitSec: null });

  const status = await setState(acd, 'a1', 'available');
  expect(status).toMatchObject({ id: 'a1', state: 'available', callsHandled: 0 });

  const [offer] = await offersTo(high);
  expect(offer).toEqual({
    offerId: `${id('high')}#1`,
    agent: { id: 'a1', name: 'Agent a1', endpoint: 'PJSIP/a1' },
    ringTimeoutSec: 20,
    record: true,
  });
  expect((await agents(acd)).a1).toMatchObject({ state: 'on_call', currentEntry: id('high') });
  expect(await low.query(offersQuery)).toEqual([]);
  await Promise.all([low.signal(doneSignal), high.signal(doneSignal)]);
});

test('no answer: agent not_ready (ring_timeout), caller offered the next agent; answer, wrap-up, available', async () => {
  const { acd, id } = await startAcd();
  const caller = await startEntry(id('e'));
  await setState(acd, 'a1', 'available'); // idle longest
  await setState(acd, 'a2', 'available');
  await acd.signal(enqueueSignal, { entry: entry(id('e')), queue });
  const [first] = await offersTo(caller);
  expect(first!.agent.id).toBe('a1');

  // A stale or foreign result changes nothing; the real one sends a1 away and the call to a2.
  await acd.signal(offerResultSignal, { entryId: id('e'), offerId: 'bogus', outcome: 'no_answer' });
  await acd.signal(offerResultSignal, { entryId: id('e'), offerId: first!.offerId, outcome: 'no_answer' });
  const [, second] = await offersTo(caller, 2);
  expect(second).toMatchObject({ offerId: `${id('e')}#2`, agent: { id: 'a2' } });
  const afterMiss = await agents(acd);
  expect(afterMiss.a1).toMatchObject({ state: 'not_ready', reason: 'ring_timeout' });
  expect(afterMiss.a1!.currentEntry).toBeUndefined();
  expect(afterMiss.a2).toMatchObject({ state: 'on_call', currentEntry: id('e') });
  expect(await acd.query(positionQuery, id('e'))).toMatchObject({ position: 1 });

  await acd.signal(offerResultSignal, { entryId: id('e'), offerId: second!.offerId, outcome: 'answered' });
  await waitingWhen(acd, (w) => w.length === 0);
  expect(await acd.query(positionQuery, id('e'))).toBeNull();

  await acd.signal(callEndedSignal, { entryId: id('e'), agentId: 'a2', talkSeconds: 42 });
  const wrapping = await agentsWhen(acd, (a) => a.a2?.state === 'wrap_up');
  expect(wrapping.a2).toMatchObject({ callsHandled: 1 });
  expect(wrapping.a2!.currentEntry).toBeUndefined();
  const wrapMs = Date.parse(wrapping.a2!.wrapUntil!) - Date.parse(wrapping.a2!.since);
  expect(wrapMs).toBe(1000);

  const done = await agentsWhen(acd, (a) => a.a2?.state === 'available', 5000);
  expect(done.a2!.wrapUntil).toBeUndefined();
  expect(Date.parse(done.a2!.availableSince!)).toBeGreaterThanOrEqual(Date.parse(wrapping.a2!.wrapUntil!));
  expect(await acd.query(queueStatsQuery, 'q1')).toMatchObject({
    waiting: 0,
    answered60m: 1,
    abandoned60m: 0,
    averageHandleSec: 42,
    serviceLevel: { last15m: 1, last60m: 1 },
    agents: { available: 1, not_ready: 1, on_call: 0 },
  });
  await caller.signal(doneSignal);
});

test('an invalid transition is refused by the update, naming the allowed states, and changes nothing', async () => {
  const { acd, id } = await startAcd();
  const caller = await startEntry(id('e'));
  await setState(acd, 'a1', 'available');
  await acd.signal(enqueueSignal, { entry: entry(id('e')), queue });
  await offersTo(caller);

  const refusal = async (p: Promise<unknown>) => {
    const err = await p.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
    const cause = (err as WorkflowUpdateFailedError).cause;
    expect(cause).toBeInstanceOf(ApplicationFailure);
    expect((cause as ApplicationFailure).type).toBe('InvalidAgentTransition');
    return cause as ApplicationFailure;
  };
  const onCall = await refusal(setState(acd, 'a1', 'available'));
  expect(onCall.message).toBe(
    'an agent who is on_call cannot become available; allowed: none until the call ends',
  );
  expect(onCall.details).toEqual([{ current: 'on_call', allowed: [] }]);
  const offline = await refusal(setState(acd, 'a9', 'wrap_up'));
  expect(offline.message).toBe(
    'an agent who is offline cannot become wrap_up; allowed: available, not_ready',
  );
  expect((await refusal(setState(acd, 'a1', 'offline'))).message).toMatch(/on_call cannot become offline/);

  const now = await agents(acd);
  expect(now.a1).toMatchObject({ state: 'on_call', currentEntry: id('e') });
  expect(now.a9).toBeUndefined(); // refused before the handler ran: no record made

  // not_ready → not_ready is allowed: it changes the reason.
  await setState(acd, 'a3', 'not_ready', 'lunch');
  expect(await setState(acd, 'a3', 'not_ready', 'training')).toMatchObject({
    state: 'not_ready',
    reason: 'training',
  });
  await caller.signal(doneSignal);
});

test('a caller leaving with an outstanding offer releases the agent, idle time intact, to the next caller', async () => {
  const { acd, id } = await startAcd();
  const [first, second] = await Promise.all([startEntry(id('e1')), startEntry(id('e2'))]);
  const { availableSince } = (await setState(acd, 'a1', 'available')) as RoutedAgent;
  expect(availableSince).toBeDefined();
  await acd.signal(enqueueSignal, { entry: entry(id('e1')), queue });
  const [offer] = await offersTo(first);

  await acd.signal(leaveSignal, { entryId: id('e1'), reason: 'abandoned' });
  const freed = await agentsWhen(acd, (a) => a.a1?.state === 'available');
  expect(freed.a1!.currentEntry).toBeUndefined();
  expect(freed.a1!.availableSince).toBe(availableSince);
  expect(await acd.query(queueStatsQuery, 'q1')).toMatchObject({
    waiting: 0,
    abandoned60m: 1,
    answered60m: 0,
  });

  // The late answer to the withdrawn offer is ignored; the next caller gets the agent.
  await acd.signal(offerResultSignal, { entryId: id('e1'), offerId: offer!.offerId, outcome: 'answered' });
  await acd.signal(enqueueSignal, { entry: entry(id('e2')), queue });
  expect((await offersTo(second))[0]!.agent.id).toBe('a1');
  expect((await acd.query(queueStatsQuery, 'q1')).answered60m).toBe(0);
  await Promise.all([first.signal(doneSignal), second.signal(doneSignal)]);
});

test('an entry whose workflow is gone is dropped when offered, and the agent freed', async () => {
  const { acd, id } = await startAcd();
  await setState(acd, 'a1', 'available');
  await acd.signal(enqueueSignal, { entry: entry(id('ghost')), queue });
  const after = await waitingWhen(acd, (w) => w.length === 0);
  expect(after).toEqual([]);
  expect((await agents(acd)).a1).toMatchObject({ state: 'available' });
  expect((await acd.query(queueStatsQuery, 'q1')).abandoned60m).toBe(0);
});

test('a new run (continue-as-new input) resumes wrap-up timers from the state', async () => {
  const soon = new Date(Date.now() + 1500).toISOString();
  const { acd } = await startAcd((tenantId) => {
    const state = emptyState(tenantId);
    state.queues.q1 = queue;
    const base = {
      ...agentConfig('w1'),
      state: 'wrap_up' as const,
      since: new Date().toISOString(),
      callsHandled: 3,
    };
    state.agents.w1 = { ...base, wrapUntil: soon };
    state.agents.w2 = { ...base, id: 'w2', wrapUntil: new Date(Date.now() - 1000).toISOString() };
    return state;
  });
  const a = await agentsWhen(acd, (x) => x.w2?.state === 'available');
  expect(a.w1).toMatchObject({ state: 'wrap_up', wrapUntil: soon });
  await agentsWhen(acd, (x) => x.w1?.state === 'available', 5000);
});

test('continue-as-new after EVENTS_PER_RUN keeps waiting callers, offers and agent states', async () => {
  const { acd, id } = await startAcd();
  const [ringing, low, high] = await Promise.all(['ringing', 'low', 'high'].map((n) => startEntry(id(n))));
  await setState(acd, 'r1', 'available');
  await acd.signal(enqueueSignal, { entry: entry(id('ringing'), 0, 120), queue });
  const [offer] = await offersTo(ringing!);
  await setState(acd, 'a1', 'not_ready', 'lunch');
  await setState(acd, 'a2', 'offline');
  await acd.signal(enqueueSignal, { entry: entry(id('low'), 0, 60), queue });
  await acd.signal(enqueueSignal, { entry: entry(id('high'), 3), queue });

  // 2,100 cheap events: callers who join and cancel at once (no agent is free, so none is offered).
  const lanes = 4;
  await Promise.all(
    Array.from({ length: lanes }, async (_, lane) => {
      for (let i = lane; i < 1050; i += lanes) {
        await acd.signal(enqueueSignal, { entry: entry(id(`noise-${i}`)), queue });
        await acd.signal(leaveSignal, { entryId: id(`noise-${i}`), reason: 'cancelled' });
      }
    }),
  );
  await eventually(
    async () => (await acd.describe()).runId,
    (runId) => runId !== acd.firstExecutionRunId,
    30_000,
  );
  const first = await env.client.workflow.getHandle(acd.workflowId, acd.firstExecutionRunId).describe();
  expect(first.status.name).toBe('CONTINUED_AS_NEW');

  const waiting = await waitingWhen(acd, (w) => !w.some((e) => e.entryId.includes('noise')));
  expect(waiting.map((e) => e.entryId).sort()).toEqual([id('high'), id('low'), id('ringing')].sort());
  const carried = await agents(acd);
  expect(carried.r1).toMatchObject({ state: 'on_call', currentEntry: id('ringing') });
  expect(carried.a1).toMatchObject({ state: 'not_ready', reason: 'lunch' });
  expect(carried.a2).toMatchObject({ state: 'offline' });
  expect(await acd.query(positionQuery, id('low'))).toEqual({ position: 3, estimatedWaitSec: null });
  expect((await acd.query(queueStatsQuery, 'q1')).abandoned60m).toBe(0);

  // The new run honours the offer made by the old one, and routes on.
  await acd.signal(offerResultSignal, {
    entryId: id('ringing'),
    offerId: offer!.offerId,
    outcome: 'answered',
  });
  await setState(acd, 'a1', 'available');
  expect((await offersTo(high!))[0]).toMatchObject({ agent: { id: 'a1' } });
  expect((await acd.query(waitingQuery, 'q1')).map((e) => e.entryId).sort()).toEqual(
    [id('high'), id('low')].sort(),
  );
  expect(await low!.query(offersQuery)).toEqual([]);
  await Promise.all([ringing, low, high].map((h) => h!.signal(doneSignal)));
});

// Only available, offline and not_ready may be said again: re-entering wrap-up would drop its timer.
test('re-asserting wrap_up does not strand the agent in wrap-up', async () => {
  const { acd } = await startAcd((tenantId) => {
    const state = emptyState(tenantId);
    const until = new Date(Date.now() + 1500).toISOString();
    state.agents.w1 = {
      ...agentConfig('w1'),
      state: 'wrap_up',
      since: new Date().toISOString(),
      wrapUntil: until,
      callsHandled: 1,
    };
    return state;
  });
  // Refusing the request would be a fix too: then the wrap-up simply runs out.
  await setState(acd, 'w1', 'wrap_up').catch(() => undefined);
  await agentsWhen(acd, (a) => a.w1?.state === 'available', 5000);
});

// callEnded finds the wrap-up through the queue kept on the agent: the call's `answered` outcome may have
// been pruned (outcomes are kept an hour) while the agent talked.
test('a call longer than an hour still gets its queue’s wrap-up', async () => {
  const { acd, id } = await startAcd((tenantId) => {
    const state = emptyState(tenantId);
    state.queues.q1 = { ...queue, wrapUpSec: 30 };
    const answeredAt = new Date(Date.now() - 61 * 60_000).toISOString();
    const entryId = `${tenantId}-long`;
    state.outcomes.push({
      entryId,
      queueId: 'q1',
      enqueuedAt: answeredAt,
      at: answeredAt,
      kind: 'answered',
      waitSec: 3,
    });
    state.agents.a1 = {
      ...agentConfig('a1'),
      state: 'on_call',
      since: answeredAt,
      currentEntry: entryId,
      currentQueue: 'q1',
      callsHandled: 0,
    };
    return state;
  });
  // The first run has pruned the hour-old outcome, as it would have during the call.
  await eventually(
    () => acd.query(queueStatsQuery, 'q1'),
    (s) => s.answered60m === 0,
  );
  await acd.signal(callEndedSignal, { entryId: id('long'), agentId: 'a1', talkSeconds: 3700 });
  const after = await agentsWhen(acd, (a) => a.a1?.callsHandled === 1);
  expect(after.a1).toMatchObject({ state: 'wrap_up' });
});
