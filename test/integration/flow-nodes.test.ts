import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { FlowCallStatus } from '../../workflows/flow-call/contract';
import { placeCall } from '../support/caller';
import { audioStats, hostPath, waitForFile } from '../support/media';
import { callWorkflow, startStack, type TestStack } from '../support/stack';
import { provisionNumber } from '../support/numbers';

const run = promisify(execFile);

let stack: TestStack;
let crm: Server;
const crmRequests: { method: string; url: string }[] = [];
beforeAll(async () => {
  stack = await startStack({ gateway: true });
  // The customer's system an http node calls.
  crm = createServer((req: IncomingMessage, res) => {
    crmRequests.push({ method: req.method!, url: req.url! });
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ invoice: { due: '2026-12-01' }, name: 'Ann' }));
  });
  await new Promise<void>((resolve) => crm.listen(0, '127.0.0.1', resolve));
});
afterAll(async () => {
  crm?.close();
  await stack?.close();
});

const json = (method: string, body?: unknown): RequestInit => ({
  method,
  body: body === undefined ? undefined : JSON.stringify(body),
  headers: body === undefined ? undefined : { 'content-type': 'application/json' },
});
const edges = (list: string[][]) => list.map(([from, exit, to]) => ({ from, exit, to }));

/** Creates, publishes and assigns a fresh number to a flow; answers the flow id and the number. */
async function publish(name: string, definition: object, assign = true) {
  const flow = await stack.api('/v1/flows', json('POST', { name: `${name} ${Date.now()}`, definition }));
  expect(flow.status).toBe(201);
  const published = await stack.api(`/v1/flows/${flow.body.id}/publish`, json('POST'));
  expect(published).toMatchObject({ status: 201 });
  const number = `6${Date.now() % 10_000_000}`;
  await provisionNumber(stack.pool, stack.config.DEFAULT_TENANT, number);
  if (assign) {
    expect((await stack.api('/v1/numbers', json('POST', { number, flowId: flow.body.id }))).status).toBe(201);
  }
  return { flowId: flow.body.id as string, number };
}

const stepsOf = (status: FlowCallStatus) => status.path.map((s) => `${s.nodeId}:${s.exit ?? ''}`);

test('transfer: a busy number, one that never answers, then a party that answers and talks', async () => {
  const transfer = (number: string, ringSeconds = 10) => ({ to: { kind: 'number', number }, ringSeconds });
  const { number } = await publish('Transfers', {
    schemaVersion: 1,
    start: 'busy',
    nodes: [
      { id: 'busy', type: 'transfer', params: transfer('201') },
      { id: 'silent', type: 'transfer', params: transfer('301', 5) },
      { id: 'agent', type: 'transfer', params: transfer('101') },
      { id: 'bye', type: 'hangup' },
    ],
    edges: edges([
      ['busy', 'busy', 'silent'],
      ...['completed', 'no_answer', 'failed'].map((e) => ['busy', e, 'bye']),
      ['silent', 'no_answer', 'agent'],
      ...['completed', 'busy', 'failed'].map((e) => ['silent', e, 'bye']),
      ...['completed', 'busy', 'no_answer', 'failed'].map((e) => ['agent', e, 'bye']),
    ]),
  });
  const call = await placeCall(stack.ari, stack.config.ARI_APP, stack.config.ASTERISK_NODE, {
    to: number,
    holdSec: 60,
  });
  const status = (await (await callWorkflow(stack.temporal, call.workflowId)).result()) as FlowCallStatus;
  expect(stepsOf(status)).toEqual(['busy:busy', 'silent:no_answer', 'agent:completed', 'bye:']);
  expect(status).toMatchObject({ endedBy: 'system', disposition: 'answered' });
  // The caller heard the party (tt-monkeys, several seconds) through the bridge.
  await waitForFile(hostPath(call.recording));
  const heard = await audioStats(hostPath(call.recording));
  expect(heard.rms).toBeGreaterThan(0.01);
}, 90_000);

test('voicemail: the caller speaks after the beep and hangs up; the message is stored and downloadable', async () => {
  const { flowId, number } = await publish('Voicemail', {
    schemaVersion: 1,
    start: 'vm',
    nodes: [
      {
        id: 'vm',
        type: 'voicemail',
        params: { prompt: { kind: 'tts', text: 'Please leave a message.' }, ticketQueue: 'billing' },
      },
      { id: 'bye', type: 'hangup' },
    ],
    edges: edges([
      ['vm', 'recorded', 'bye'],
      ['vm', 'empty', 'bye'],
    ]),
  });
  const call = await placeCall(stack.ari, stack.config.ARI_APP, stack.config.ASTERISK_NODE, {
    to: number,
    delaySec: 4,
    play: 'tt-weasels',
    holdSec: 1,
  });
  const status = (await (await callWorkflow(stack.temporal, call.workflowId)).result()) as FlowCallStatus;
  expect(status.endedBy).toBe('caller');
  const vm = status.path.find((s) => s.nodeId === 'vm')!;
  const recordingId = vm.detail?.recordingId;
  expect(recordingId).toMatch(/^[0-9a-f-]{36}$/);

  const meta = await stack.api(`/v1/recordings/${recordingId}`);
  expect(meta.body).toMatchObject({
    kind: 'voicemail',
    callId: call.workflowId,
    flowId,
    nodeId: 'vm',
    ticketQueue: 'billing',
  });
  const audio = await fetch(`http://127.0.0.1:${stack.config.API_PORT}/v1/recordings/${recordingId}/audio`, {
    headers: { authorization: `Bearer ${stack.config.ADMIN_API_KEY}` },
  });
  expect(audio.headers.get('content-type')).toBe('audio/wav');
  const dir = await mkdtemp(path.join(os.tmpdir(), 'vm-'));
  const file = path.join(dir, 'vm.wav');
  await writeFile(file, Buffer.from(await audio.arrayBuffer()));
  const stats = await audioStats(file);
  expect(stats.seconds).toBeGreaterThan(1);
  expect(stats.rms).toBeGreaterThan(0.01);
}, 60_000);

test('http, say date, an uploaded prompt, a subflow and a queue with no agent on one call; simulate agrees', async () => {
  // The suite's CRM is on loopback: a destination only tenants allowed private ranges may call.
  await stack.pool.query('update tenants set webhook_allow_private = true where id = $1', [
    stack.config.DEFAULT_TENANT,
  ]);
  const allow = await stack.api('/v1/tenant/http-allow-hosts', json('PUT', { hosts: ['127.0.0.1'] }));
  expect(allow.body.httpAllowHosts).toEqual(['127.0.0.1']);

  const dir = await mkdtemp(path.join(os.tmpdir(), 'prompt-'));
  const tone = path.join(dir, 'tone.wav');
  await run('sox', ['-n', '-r', '44100', '-c', '2', tone, 'synth', '1', 'sine', '440']);
  const upload = await fetch(`http://127.0.0.1:${stack.config.API_PORT}/v1/recordings?name=tone`, {
    method: 'POST',
    body: await readFile(tone),
    headers: { authorization: `Bearer ${stack.config.ADMIN_API_KEY}`, 'content-type': 'audio/wav' },
  });
  const prompt = (await upload.json()) as { id: string; durationMs: number };
  expect(upload.status).toBe(201);
  expect(prompt.durationMs).toBeGreaterThan(900);

  const sub = await publish(
    'Greeting',
    {
      schemaVersion: 1,
      start: 'mark',
      nodes: [
        { id: 'mark', type: 'set', params: { assignments: [{ variable: 'greeted', value: 'yes' }] } },
        { id: 'beep', type: 'play', params: { prompt: { kind: 'sound', name: 'beep' } } },
        { id: 'back', type: 'return' },
      ],
      edges: edges([
        ['mark', 'next', 'beep'],
        ['beep', 'next', 'back'],
      ]),
      variables: [{ name: 'greeted' }],
    },
    false,
  );
  // A queue nobody staffs: hold music until the node's wait limit, then overflow.
  const emptyQueue = await stack.api('/v1/queues', json('POST', { name: `Nobody ${Date.now()}` }));
  expect(emptyQueue.status).toBe(201);
  const port = (crm.address() as AddressInfo).port;
  const definition = {
    schemaVersion: 1,
    start: 'lookup',
    nodes: [
      {
        id: 'lookup',
        type: 'http',
        params: {
          url: `http://127.0.0.1:${port}/accounts?caller={{caller.number}}`,
          responseMap: [
            { variable: 'due', path: 'invoice.due' },
            { variable: 'name', path: 'name' },
          ],
        },
      },
      { id: 'when', type: 'say', params: { as: 'date', value: '{{due}}' } },
      { id: 'tone', type: 'play', params: { prompt: { kind: 'recording', recordingId: prompt.id } } },
      { id: 'greet', type: 'subflow', params: { flowId: sub.flowId } },
      {
        id: 'hold',
        type: 'queue',
        params: { queueId: emptyQueue.body.id, maxWaitSec: 5 },
      },
      { id: 'bye', type: 'hangup' },
    ],
    edges: edges([
      ['lookup', 'success', 'when'],
      ['lookup', 'error', 'bye'],
      ['lookup', 'timeout', 'bye'],
      ['when', 'next', 'tone'],
      ['tone', 'next', 'greet'],
      ['greet', 'next', 'hold'],
      ['hold', 'served', 'bye'],
      ['hold', 'overflow', 'bye'],
    ]),
    variables: [{ name: 'due' }, { name: 'name' }, { name: 'greeted' }],
  };
  const { flowId, number } = await publish('Everything', definition);
  const call = await placeCall(stack.ari, stack.config.ARI_APP, stack.config.ASTERISK_NODE, {
    to: number,
    from: '5550177',
    holdSec: 60,
  });
  const status = (await (await callWorkflow(stack.temporal, call.workflowId)).result()) as FlowCallStatus;
  const expected = [
    'lookup:success',
    'when:next',
    'tone:next',
    'greet:next',
    'mark:next',
    'beep:next',
    'back:',
    'hold:overflow',
    'bye:',
  ];
  expect(stepsOf(status)).toEqual(expected);
  expect(status.variables).toMatchObject({ due: '2026-12-01', name: 'Ann', greeted: 'yes' });
  expect(status.path.find((s) => s.nodeId === 'mark')!.flow).toEqual({ id: sub.flowId, version: 1 });
  const held = status.path.find((s) => s.nodeId === 'hold')!;
  const heldMs = Date.parse(status.path.at(-1)!.enteredAt) - Date.parse(held.enteredAt);
  expect(heldMs).toBeGreaterThanOrEqual(5000);
  expect(crmRequests).toContainEqual({ method: 'GET', url: '/accounts?caller=5550177' });

  // The simulator runs the same interpreter: with the CRM's answer stubbed, it takes the same path.
  const simulated = await stack.api(
    `/v1/flows/${flowId}/simulate`,
    json('POST', {
      version: 1,
      caller: { from: '5550177' },
      http: [{ body: { invoice: { due: '2026-12-01' }, name: 'Ann' } }],
    }),
  );
  expect(simulated.status).toBe(200);
  expect(
    simulated.body.path.map((s: { nodeId: string; exit?: string }) => `${s.nodeId}:${s.exit ?? ''}`),
  ).toEqual(expected);
  expect(
    simulated.body.events
      .filter((e: { kind: string }) => e.kind === 'prompt')
      .map((e: { media: unknown }) => e.media),
  ).toEqual([
    [{ kind: 'date', value: '2026-12-01' }],
    [{ kind: 'recording', recordingId: prompt.id }],
    [{ kind: 'sound', name: 'beep' }],
  ]);
}, 90_000);

test('consecutive prompts play as one list; a caller hanging up in the middle leaves the path at that prompt', async () => {
  const { number } = await publish('Play list', {
    schemaVersion: 1,
    start: 'greeting',
    nodes: [
      { id: 'greeting', type: 'play', params: { prompt: { kind: 'sound', name: 'hello-world' } } },
      { id: 'mark', type: 'set', params: { assignments: [{ variable: 'heard', value: 'greeting' }] } },
      // About ten seconds of digits: the caller who hangs up after four is in this one.
      { id: 'long', type: 'say', params: { as: 'digits', value: '12345678901234567890' } },
      { id: 'closing', type: 'play', params: { prompt: { kind: 'sound', name: 'beep' } } },
      { id: 'bye', type: 'hangup' },
    ],
    edges: edges([
      ['greeting', 'next', 'mark'],
      ['mark', 'next', 'long'],
      ['long', 'next', 'closing'],
      ['closing', 'next', 'bye'],
    ]),
    variables: [{ name: 'heard' }],
  });
  const place = (holdSec: number) =>
    placeCall(stack.ari, stack.config.ARI_APP, stack.config.ASTERISK_NODE, { to: number, holdSec });
  const playSteps = async (workflowId: string) => {
    const handle = await callWorkflow(stack.temporal, workflowId);
    const status = (await handle.result()) as FlowCallStatus;
    const history = await handle.fetchHistory();
    const plays = history.events!.filter(
      (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'playMedia',
    ).length;
    return { status, plays };
  };

  const whole = await playSteps((await place(30)).workflowId);
  expect(stepsOf(whole.status)).toEqual(['greeting:next', 'mark:next', 'long:next', 'closing:next', 'bye:']);
  // Three prompts, one media step; each node entered when Asterisk moved on to its media.
  expect(whole.plays).toBe(1);
  const entered = whole.status.path.map((s) => Date.parse(s.enteredAt));
  expect(entered[2]! - entered[0]!).toBeGreaterThan(500);
  expect(entered[3]! - entered[2]!).toBeGreaterThan(5000);

  const left = await playSteps((await place(4)).workflowId);
  expect(stepsOf(left.status)).toEqual(['greeting:next', 'mark:next', 'long:']);
  expect(left.status.variables).toMatchObject({ heard: 'greeting' });
}, 90_000);

test('every call of this file replays deterministically from its history', async () => {
  const { replayed, failures } = await stack.replayCalls();
  expect(failures).toEqual([]);
  expect(replayed).toBeGreaterThanOrEqual(3);
}, 60_000);
