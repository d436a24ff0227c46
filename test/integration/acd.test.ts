import type { FlowCallStatus } from '../../workflows/flow-call-contract';
import { placeCall, type PlacedCall } from '../support/caller';
import { hostPath, waitForFile } from '../support/media';
import { callWorkflow, startStack, type TestStack } from '../support/stack';
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

const json = (method: string, body?: unknown): RequestInit => ({
  method,
  body: body === undefined ? undefined : JSON.stringify(body),
  headers: body === undefined ? undefined : { 'content-type': 'application/json' },
});
const unique = (name: string) => `${name} ${Date.now()}-${Math.round(Math.random() * 1e6)}`;

async function createQueue(settings: Record<string, unknown> = {}) {
  const queue = await stack.api(
    '/v1/queues',
    json('POST', {
      name: unique('Q'),
      wrapUpSec: 1,
      ringTimeoutSec: 5,
      announce: { position: false, estimatedWait: false },
      ...settings,
    }),
  );
  expect(queue.status).toBe(201);
  return queue.body as { id: string };
}

async function createAgent(ext: string, queueIds: string[], skills: { name: string; level: number }[] = []) {
  const agent = await stack.api(
    '/v1/agents',
    json('POST', {
      name: unique(`agent ${ext}`),
      endpoint: `Local/${ext}@synthetic-agent/n`,
      queueIds,
      skills,
    }),
  );
  expect(agent.status).toBe(201);
  return agent.body as { id: string };
}

const setState = (agentId: string, state: string, reason?: string) =>
  stack.api(`/v1/agents/${agentId}/state`, json('POST', { state, reason }));

/** A published flow: queue, then hang up either way; answers the number that reaches it. */
async function queueFlow(queueId: string, params: Record<string, unknown> = {}) {
  const flow = await stack.api(
    '/v1/flows',
    json('POST', {
      name: unique('ACD'),
      definition: {
        schemaVersion: 1,
        start: 'wait',
        nodes: [
          { id: 'wait', type: 'queue', params: { queueId, ...params } },
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
  expect((await stack.api('/v1/numbers', json('POST', { number, flowId: flow.body.id }))).status).toBe(201);
  return number;
}

const call = (to: string, extra: Parameters<typeof placeCall>[3] = {}) =>
  placeCall(stack.ari, stack.config.ARI_APP, stack.config.ASTERISK_NODE, {
    to,
    holdSec: 60,
    tone: '440',
    ...extra,
  });
const resultOf = async (c: PlacedCall, timeoutMs = 60_000) =>
  (await (await callWorkflow(stack.temporal, c.workflowId)).result()) as FlowCallStatus;

test('a caller is connected to an available agent; the recording has both of them', async () => {
  const queue = await createQueue();
  const agent = await createAgent('106', [queue.id]);
  expect((await setState(agent.id, 'available')).body).toMatchObject({ state: 'available' });
  const number = await queueFlow(queue.id);

  const caller = await call(number);
  const status = await resultOf(caller);
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
