import { stat } from 'node:fs/promises';
import { ChannelGoneError } from '../../asterisk/ari-errors';
import { Role } from '../../lib/api-keys';
import { callStatusQuery } from '../../workflows/call/contract';
import type { FlowCallStatus } from '../../workflows/flow-call/contract';
import { placeCall, type PlacedCall } from '../support/caller';
import { createApiKey } from '../support/keys';
import { hostPath, waitForFile } from '../support/media';
import { callWorkflow, ready, startStack, type TestStack } from '../support/stack';
import { toneShare } from '../support/tones';
import { provisionNumber } from '../support/numbers';

// Who hears whom is told apart by tones: the caller sends 440 Hz, the agent 1000 Hz, the supervisor 2000 Hz.
const CALLER = 440;
const AGENT = 1000;
const SUPERVISOR = 2000;
/**
 * A party's tone is "heard" above this share of a recording's energy and "not heard" below ABSENT. Measured:
 * a heard tone 0.23 (a barge stopped after 10 of 31 s) to 1.0, an unheard one below 1e-6.
 */
const HEARD = 0.1;
const ABSENT = 0.001;

let stack: TestStack;
beforeAll(async () => {
  stack = await startStack({ gateway: true });
});
afterAll(async () => {
  await stack?.close();
});
/** Recordings are named per party, not per call: only one written during the test is this test's. */
let testStartedAt = 0;
beforeEach(() => {
  testStartedAt = Date.now();
});

const json = (method: string, body?: unknown, key?: string): RequestInit & { key?: string } => ({
  method,
  body: body === undefined ? undefined : JSON.stringify(body),
  headers: body === undefined ? undefined : { 'content-type': 'application/json' },
  ...(key ? { key } : {}),
});
const unique = (name: string) => `${name} ${Date.now()}-${Math.round(Math.random() * 1e6)}`;

async function createQueue() {
  const queue = await stack.api(
    '/v1/queues',
    json('POST', {
      name: unique('Q'),
      wrapUpSec: 1,
      ringTimeoutSec: 5,
      announce: { position: false, estimatedWait: false },
    }),
  );
  expect(queue.status).toBe(201);
  return queue.body as { id: string };
}

async function createAgent(ext: string, queueIds: string[]) {
  const agent = await stack.api(
    '/v1/agents',
    json('POST', { name: unique(`agent ${ext}`), endpoint: `Local/${ext}@synthetic-agent/n`, queueIds }),
  );
  expect(agent.status).toBe(201);
  const { id } = agent.body as { id: string };
  const state = await stack.api(`/v1/agents/${id}/state`, json('POST', { state: 'available' }));
  expect(state.body).toMatchObject({ state: 'available' });
  return id;
}

/** A published flow: queue, then hang up either way; answers the number that reaches it. */
async function queueFlow(queueId: string) {
  const flow = await stack.api(
    '/v1/flows',
    json('POST', {
      name: unique('Monitor'),
      definition: {
        schemaVersion: 1,
        start: 'wait',
        nodes: [
          { id: 'wait', type: 'queue', params: { queueId } },
          { id: 'served', type: 'hangup' },
          { id: 'overflow', type: 'hangup' },
        ],
        edges: [
          { from: 'wait', exit: 'served', to: 'served' },
          { from: 'wait', exit: 'overflow', to: 'overflow' },
        ],
      },
    }),
  );
  expect((await stack.api(`/v1/flows/${flow.body.id}/publish`, json('POST'))).status).toBe(201);
  const number = `5${Date.now() % 10_000_000}`;
  await provisionNumber(stack.pool, stack.config.DEFAULT_TENANT, number);
  expect((await stack.api('/v1/numbers', json('POST', { number, flowId: flow.body.id }))).status).toBe(201);
  return number;
}

const call = (to: string) =>
  placeCall(stack.ari, stack.config.ARI_APP, stack.config.ASTERISK_NODE, {
    to,
    holdSec: 60,
    tone: String(CALLER),
  });

/** The call's queue status once the agent has answered: their leg is Up. */
async function whenTalking(caller: PlacedCall, timeoutMs = 20_000) {
  const handle = await callWorkflow(stack.temporal, caller.workflowId);
  const until = Date.now() + timeoutMs;
  for (;;) {
    const { queue } = (await handle.query(callStatusQuery)) as FlowCallStatus;
    if (queue?.agentLegId) {
      const leg = await stack.ari.getChannel(queue.agentLegId).catch(() => undefined);
      if (leg?.state === 'Up') return queue;
    }
    if (Date.now() > until) throw new Error(`${caller.workflowId} did not reach an agent`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** A call talking to a fresh agent on `agentExt` (1xx talks xx seconds); the agent's heard recording. */
async function talkingCall(agentExt: string) {
  const queue = await createQueue();
  await createAgent(agentExt, [queue.id]);
  const caller = await call(await queueFlow(queue.id));
  const queued = await whenTalking(caller);
  return { caller, agentLegId: queued.agentLegId!, agentHeard: `agent-${agentExt}-heard.wav` };
}

/** Monitors with the synthetic supervisor `ext`, or with `endpoint` when given. */
const monitor = (callId: string, mode: string, ext: string, key?: string, endpoint?: string) =>
  stack.api(
    `/v1/calls/${callId}/monitor`,
    json('POST', { mode, endpoint: endpoint ?? `Local/${ext}@synthetic-supervisor/n` }, key),
  );

/** A recording Asterisk has finished during this test: present, and no longer growing. */
async function finished(asteriskPath: string): Promise<string> {
  const file = hostPath(asteriskPath);
  await waitForFile(file, 30_000);
  const until = Date.now() + 30_000;
  let size = -1;
  for (;;) {
    const { size: now, mtimeMs } = await stat(file);
    if (now === size && mtimeMs >= testStartedAt) return file;
    if (Date.now() > until) throw new Error(`${file} was not written by this test`);
    size = now;
    await new Promise((r) => setTimeout(r, 1000));
  }
}

type Party = 'supervisor' | 'agent' | 'caller';

/** Each party's tone in what each party heard, printed for tuning the thresholds. */
async function heard(label: string, files: Record<Party, string>) {
  const shares = {} as Record<Party, Record<number, number>>;
  for (const party of Object.keys(files) as Party[]) {
    const file = await finished(`/var/spool/asterisk/recording/${files[party]}`);
    shares[party] = {};
    for (const tone of [CALLER, AGENT, SUPERVISOR]) shares[party][tone] = await toneShare(file, tone);
  }
  console.log(`${label}: tone shares heard by each party\n${JSON.stringify(shares, null, 2)}`);
  return shares;
}

const channelGone = (id: string) =>
  stack.ari.getChannel(id).then(
    () => false,
    (err: unknown) => err instanceof ChannelGoneError,
  );

async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 200));
  }
  return check();
}

test('who may monitor, and only a call that talks to an agent', async () => {
  const agentKey = await createApiKey(stack.pool, stack.config.DEFAULT_TENANT, Role.Agent);
  const otherTenant = await createApiKey(stack.pool, `${stack.config.DEFAULT_TENANT}-other`, Role.Supervisor);

  expect((await monitor('call-ast1-nosuchchannel', 'listen', '800')).status).toBe(404);

  // Queued with nobody to answer: the call waits, it does not talk to an agent.
  const queue = await createQueue();
  const caller = await call(await queueFlow(queue.id));
  const handle = await callWorkflow(stack.temporal, caller.workflowId);
  for (let i = 0; i < 50; i++) {
    if (((await handle.query(callStatusQuery)) as FlowCallStatus).queue) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const waiting = await monitor(caller.workflowId, 'listen', '800');
  expect(waiting.status).toBe(409);
  expect(waiting.body.message).toMatch(/not talking to an agent/);

  expect((await monitor(caller.workflowId, 'listen', '800', agentKey)).status).toBe(403);
  expect((await monitor(caller.workflowId, 'listen', '800', otherTenant)).status).toBe(404);
  const badMode = await monitor(caller.workflowId, 'shout', '800');
  expect(badMode.status).toBe(400);
  expect(
    (await stack.api(`/v1/calls/${caller.workflowId}/monitor/0123456789ab`, json('DELETE'))).status,
  ).toBe(404);

  await stack.ari.hangup(caller.callerChannelId);
  await (await callWorkflow(stack.temporal, caller.workflowId)).result().catch(() => undefined);
}, 60_000);

test('listen: the supervisor hears caller and agent, nobody hears the supervisor', async () => {
  const { caller, agentLegId, agentHeard } = await talkingCall('131');
  const started = await monitor(caller.workflowId, 'listen', '801');
  expect(started.status).toBe(201);
  expect(started.body).toMatchObject({ callId: caller.workflowId, mode: 'listen' });

  await (await callWorkflow(stack.temporal, caller.workflowId)).result();
  // The conversation's end ends the session; the supervisor's own script would talk on for a minute.
  const supervisorId = `${caller.workflowId}-mon-${started.body.id}`;
  expect(await until(() => channelGone(supervisorId), 5000)).toBe(true);
  expect(await channelGone(agentLegId)).toBe(true);

  const shares = await heard('listen', {
    supervisor: 'supervisor-801-heard.wav',
    agent: agentHeard,
    caller: `caller-${caller.id}-heard.wav`,
  });
  expect(shares.supervisor[CALLER]).toBeGreaterThan(HEARD);
  expect(shares.supervisor[AGENT]).toBeGreaterThan(HEARD);
  expect(shares.agent[SUPERVISOR]).toBeLessThan(ABSENT);
  expect(shares.caller[SUPERVISOR]).toBeLessThan(ABSENT);
}, 90_000);

test('a session still ends with the conversation after the gateway and the worker were killed', async () => {
  const { caller, agentLegId } = await talkingCall('125');
  const started = await monitor(caller.workflowId, 'listen', '804');
  expect(started.status).toBe(201);
  const supervisorId = `${caller.workflowId}-mon-${started.body.id}`;
  // Nothing in any process remembers the session: it is a workflow.
  await Promise.all([stack.gateway.kill(), stack.worker.kill()]);
  stack.worker.start();
  stack.gateway.start();
  await Promise.all([stack.worker.waitFor(ready.worker, 90_000), stack.gateway.waitFor(ready.gateway)]);
  expect(await channelGone(supervisorId)).toBe(false);

  await (await callWorkflow(stack.temporal, caller.workflowId)).result();
  expect(await channelGone(agentLegId)).toBe(true);
  expect(await until(() => channelGone(supervisorId), 10_000)).toBe(true);
  const session = stack.temporal.workflow.getHandle(`monitor-${caller.workflowId}-${started.body.id}`);
  expect(await session.result()).toEqual({ ended: 'hangup' });
}, 150_000);

test('whisper: the agent hears the supervisor, the caller does not', async () => {
  const { caller, agentHeard } = await talkingCall('132');
  const started = await monitor(caller.workflowId, 'whisper', '802');
  expect(started.status).toBe(201);

  await (await callWorkflow(stack.temporal, caller.workflowId)).result();
  const shares = await heard('whisper', {
    supervisor: 'supervisor-802-heard.wav',
    agent: agentHeard,
    caller: `caller-${caller.id}-heard.wav`,
  });
  expect(shares.supervisor[CALLER]).toBeGreaterThan(HEARD);
  expect(shares.supervisor[AGENT]).toBeGreaterThan(HEARD);
  expect(shares.agent[SUPERVISOR]).toBeGreaterThan(HEARD);
  expect(shares.caller[SUPERVISOR]).toBeLessThan(ABSENT);
}, 90_000);

test('barge: caller and agent both hear the supervisor, until the session is stopped', async () => {
  const { caller, agentHeard } = await talkingCall('133');
  // A supervisor who is busy, or cannot be dialed at all, does not join.
  const busy = await monitor(caller.workflowId, 'barge', '', undefined, 'Local/200@synthetic-party/n');
  expect(busy.status).toBe(409);
  expect(busy.body.message).toMatch(/did not answer/);
  const nowhere = await monitor(caller.workflowId, 'barge', '', undefined, 'PJSIP/nosuchendpoint');
  expect(nowhere.status).toBe(400);
  expect(nowhere.body.fields[0].field).toBe('body.endpoint');

  const started = await monitor(caller.workflowId, 'barge', '803');
  expect(started.status).toBe(201);

  await new Promise((r) => setTimeout(r, 10_000));
  const stop = `/v1/calls/${caller.workflowId}/monitor/${started.body.id}`;
  expect((await stack.api(stop, json('DELETE'))).status).toBe(204);
  expect(await channelGone(`${caller.workflowId}-mon-${started.body.id}`)).toBe(true);
  expect((await stack.api(stop, json('DELETE'))).status).toBe(404);

  // The conversation goes on without the supervisor.
  const status = (await (await callWorkflow(stack.temporal, caller.workflowId)).result()) as FlowCallStatus;
  expect(status.path.map((s) => `${s.nodeId}:${s.exit ?? ''}`)).toEqual(['wait:served', 'served:']);
  const shares = await heard('barge', {
    supervisor: 'supervisor-803-heard.wav',
    agent: agentHeard,
    caller: `caller-${caller.id}-heard.wav`,
  });
  expect(shares.supervisor[CALLER]).toBeGreaterThan(HEARD);
  expect(shares.supervisor[AGENT]).toBeGreaterThan(HEARD);
  expect(shares.agent[SUPERVISOR]).toBeGreaterThan(HEARD);
  expect(shares.caller[SUPERVISOR]).toBeGreaterThan(HEARD);
}, 90_000);
