import { Worker } from '@temporalio/worker';
import path from 'node:path';
import type { FlowCallStatus } from '../../workflows/flow-call/contract';
import { isOpen } from '../../domain/flow/hours';
import { nodeSpec } from '../../domain/flow/registry';
import { placeCall } from '../support/caller';
import { audioStats, hostPath, waitForFile } from '../support/media';
import { callWorkflow, startStack, type TestStack } from '../support/stack';
import { provisionNumber } from '../support/numbers';

let stack: TestStack;
beforeAll(async () => {
  stack = await startStack({ gateway: true });
});
afterAll(async () => {
  await stack?.close();
});

const sound = (name: string) => ({ kind: 'sound', name });
const hoursParams = {
  timeZone: 'Europe/Paris',
  weekly: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], open: '08:00', close: '20:00' }],
  holidays: [{ date: '2026-12-25' }],
};
const post = (url: string, body?: unknown) =>
  stack.api(url, {
    method: 'POST',
    body: body === undefined ? undefined : JSON.stringify(body),
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
  });

test('a call to an assigned number runs the published flow: hours, menu, gather, branch, say, hang up', async () => {
  const definition = {
    schemaVersion: 1,
    start: 'hours',
    nodes: [
      { id: 'hours', type: 'hours', params: hoursParams },
      {
        id: 'menu',
        type: 'menu',
        params: { prompt: sound('vm-enter-num-to-call'), options: [{ digit: '1' }, { digit: '2' }] },
      },
      { id: 'account', type: 'gather', params: { variable: 'account', maxDigits: 4, timeoutMs: 4000 } },
      { id: 'big', type: 'branch', params: { conditions: [{ id: 'big', when: 'account > 40' }] } },
      { id: 'read', type: 'say', params: { as: 'digits', value: '{{account}}' } },
      {
        id: 'thanks',
        type: 'play',
        params: { prompt: { kind: 'tts', text: 'Thank you, account {{account}}. Goodbye.' } },
      },
      { id: 'bye', type: 'hangup' },
    ],
    edges: [
      ['hours', 'open', 'menu'],
      ['hours', 'closed', 'menu'],
      ['menu', 'option:2', 'account'],
      ['menu', 'option:1', 'bye'],
      ['menu', 'invalid', 'bye'],
      ['menu', 'no_input', 'bye'],
      ['account', 'valid', 'big'],
      ['account', 'invalid', 'bye'],
      ['account', 'no_input', 'bye'],
      ['big', 'when:big', 'read'],
      ['big', 'else', 'bye'],
      ['read', 'next', 'thanks'],
      ['thanks', 'next', 'bye'],
    ].map(([from, exit, to]) => ({ from, exit, to })),
  };
  const flow = await post('/v1/flows', { name: `Real call ${Date.now()}`, definition });
  expect(flow.status).toBe(201);
  expect((await post(`/v1/flows/${flow.body.id}/publish`)).body).toEqual({ number: 1 });
  const number = `7${Date.now() % 1_000_000}`;
  await provisionNumber(stack.pool, stack.config.DEFAULT_TENANT, number);
  expect((await post('/v1/numbers', { number, flowId: flow.body.id })).status).toBe(201);

  const call = await placeCall(stack.ari, stack.config.ARI_APP, stack.config.ASTERISK_NODE, {
    to: number,
    from: '5550120',
    digits: '242#',
    delaySec: 1,
    // The flow ends the call; the caller only has to outlast it, also on a loaded machine.
    holdSec: 40,
  });
  const handle = await callWorkflow(stack.temporal, call.workflowId);
  const result = (await handle.result()) as FlowCallStatus;

  // Either exit continues to the menu; the one taken must match the hours at the step's workflow time.
  const hoursStep = result.path[0]!;
  const hoursOpen = isOpen(
    nodeSpec('hours')!.params.parse(hoursParams) as Parameters<typeof isOpen>[0],
    new Date(hoursStep.enteredAt),
  );
  expect(hoursStep).toMatchObject({ nodeId: 'hours', exit: hoursOpen ? 'open' : 'closed' });
  expect(result.path.slice(1).map((s) => `${s.nodeId}:${s.exit ?? ''}`)).toEqual([
    'menu:option:2',
    'account:valid',
    'big:when:big',
    'read:next',
    'thanks:next',
    'bye:',
  ]);
  expect(result).toMatchObject({
    flowId: flow.body.id,
    version: 1,
    endedBy: 'system',
    disposition: 'answered',
  });
  expect(result.variables).toMatchObject({ account: '42', 'caller.number': '5550120', 'call.to': number });

  const history = await handle.fetchHistory();
  await Worker.runReplayHistory(
    { workflowsPath: path.resolve(__dirname, '../../workflows') },
    history,
    call.workflowId,
  );

  // The caller heard the prompts, the read-back and the spoken thanks: seconds of non-silent audio.
  await waitForFile(hostPath(call.recording));
  const heard = await audioStats(hostPath(call.recording));
  expect(heard.seconds).toBeGreaterThan(4);
  expect(heard.rms).toBeGreaterThan(0.01);

  const detail = await stack.api(`/v1/calls/${call.workflowId}`);
  expect(detail.body.cdr).toMatchObject({ from: '5550120', to: number, disposition: 'answered' });
});

test('a number without a published flow keeps the built-in call script', async () => {
  const call = await placeCall(stack.ari, stack.config.ARI_APP, stack.config.ASTERISK_NODE, {
    to: '5551999',
    digits: '5#',
  });
  const result = await (await callWorkflow(stack.temporal, call.workflowId)).result();
  expect(result).toMatchObject({ digits: '5', collectEndedBy: 'terminator' });
});

test('a rollout by customer segment: callers of the segment run the canary, everyone else stable', async () => {
  const definition = (text: string) => ({
    schemaVersion: 1,
    start: 'hello',
    nodes: [
      { id: 'hello', type: 'play', params: { prompt: { kind: 'tts', text } } },
      { id: 'bye', type: 'hangup' },
    ],
    edges: [{ from: 'hello', exit: 'next', to: 'bye' }],
  });
  const created = await post('/v1/flows', { name: `Segments ${Date.now()}`, definition: definition('one') });
  const flowId = created.body.id as string;
  expect((await post(`/v1/flows/${flowId}/publish`)).status).toBe(201);
  const update = { name: created.body.name, version: created.body.version, definition: definition('two') };
  await stack.api(`/v1/flows/${flowId}`, {
    method: 'PUT',
    body: JSON.stringify(update),
    headers: { 'content-type': 'application/json' },
  });
  expect((await post(`/v1/flows/${flowId}/publish`)).status).toBe(201);
  const rollout = await stack.api(`/v1/flows/${flowId}/rollout`, {
    method: 'PUT',
    body: JSON.stringify({ stable: 1, canary: { version: 2, percent: 0, callers: ['555017'] } }),
    headers: { 'content-type': 'application/json' },
  });
  expect(rollout.status).toBe(200);
  const number = `6${Date.now() % 10_000_000}`;
  await provisionNumber(stack.pool, stack.config.DEFAULT_TENANT, number);
  expect((await post('/v1/numbers', { number, flowId })).status).toBe(201);

  const versionFor = async (from: string) => {
    const call = await placeCall(stack.ari, stack.config.ARI_APP, stack.config.ASTERISK_NODE, {
      to: number,
      from,
      holdSec: 15,
    });
    return ((await (await callWorkflow(stack.temporal, call.workflowId)).result()) as FlowCallStatus).version;
  };
  expect(await versionFor('5550177')).toBe(2);
  expect(await versionFor('5550120')).toBe(1);
}, 90_000);

test('every call of this file replays deterministically from its history', async () => {
  const { replayed, failures } = await stack.replayCalls();
  expect(failures).toEqual([]);
  expect(replayed).toBeGreaterThan(0);
}, 60_000);
