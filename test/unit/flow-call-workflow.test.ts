import { runWithNodeQueues } from '../support/node-queues';
import { eventCapture } from '../support/event-capture';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import path from 'node:path';
import type { CollectDigitsInput, PlayMediaInput } from '../../activities/ari';
import type { CdrInput } from '../../activities/cdr';
import { FlowCallWorkflow } from '../../workflows/flow-call/workflow';
import { flowStatusQuery, type FlowCallInput } from '../../workflows/flow-call/contract';
import { normalizeDefinition } from '../../domain/flow/normalize';
import { quietTemporalRuntime, temporalBinary } from '../support/temporal';

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  quietTemporalRuntime();
  env = await TestWorkflowEnvironment.createLocal({
    server: { executable: { type: 'existing-path', path: temporalBinary() } },
  });
  await env.connection.operatorService.addSearchAttributes({
    namespace: 'default',
    searchAttributes: { CallState: 2, CallerNumber: 2, DialedNumber: 2, TenantId: 2 },
  });
});
afterAll(async () => {
  await env?.teardown();
});

const sound = (name: string) => ({ kind: 'sound', name });
const definition = {
  schemaVersion: 1 as const,
  start: 'menu',
  nodes: [
    {
      id: 'menu',
      type: 'menu',
      params: {
        prompt: sound('menu'),
        options: [{ digit: '1' }, { digit: '2' }],
        invalidPrompt: sound('sorry'),
      },
      position: { x: 0, y: 0 },
    },
    {
      id: 'account',
      type: 'gather',
      params: { variable: 'account', maxDigits: 4 },
      position: { x: 0, y: 0 },
    },
    {
      id: 'big',
      type: 'branch',
      params: { conditions: [{ id: 'big', when: 'account > 40' }] },
      position: { x: 0, y: 0 },
    },
    {
      id: 'note',
      type: 'set',
      params: { assignments: [{ variable: 'pin', value: 'pin-{{account}}' }] },
      position: { x: 0, y: 0 },
    },
    { id: 'read', type: 'say', params: { as: 'digits', value: '{{account}}' }, position: { x: 0, y: 0 } },
    { id: 'bye', type: 'hangup', params: {}, position: { x: 0, y: 0 } },
  ],
  edges: [
    ['menu', 'option:2', 'account'],
    ['menu', 'option:1', 'bye'],
    ['menu', 'invalid', 'bye'],
    ['menu', 'no_input', 'bye'],
    ['account', 'valid', 'big'],
    ['account', 'invalid', 'bye'],
    ['account', 'no_input', 'bye'],
    ['big', 'when:big', 'note'],
    ['big', 'else', 'bye'],
    ['note', 'next', 'read'],
    ['read', 'next', 'bye'],
  ].map(([from, exit, to]) => ({ from: from!, exit: exit!, to: to! })),
  variables: [{ name: 'pin', secret: true }],
};

test('runs the pinned flow node by node, with retries, variables, masked secrets and a CDR', async () => {
  const answers = ['7', '2', '42']; // a wrong menu digit, then 2, then the account
  const collected: CollectDigitsInput[] = [];
  const played: PlayMediaInput[] = [];
  const hangups: string[] = [];
  const cdrs: CdrInput[] = [];
  const events: string[] = [];
  const capture = eventCapture((e) => events.push(e.data.nodeId ? `${e.type}:${e.data.nodeId}` : e.type));
  const activities = {
    answer: async () => undefined,
    collectDigits: async (i: CollectDigitsInput) => {
      collected.push(i);
      return { digits: answers.shift() ?? '', endedBy: 'terminator', nextSeq: i.fromSeq + 3 };
    },
    playMedia: async (i: PlayMediaInput) => {
      played.push(i);
      return { outcome: 'finished' };
    },
    hangup: async ({ channelId }: { channelId: string }) => void hangups.push(channelId),
    recordCdr: async (cdr: CdrInput) => void cdrs.push(cdr),
    ...capture.activities,
  };
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue: 'flow-test',
    workflowsPath: path.resolve(__dirname, '../../workflows'),
    activities,
    interceptors: capture.interceptors,
  });
  const input: FlowCallInput = {
    tenantId: 'default',
    channelId: 'c9',
    node: 'ast1',
    from: '5550100',
    to: '5551000',
    startedAt: '2026-11-25T10:00:00.000Z',
    eventSeq: 10,
    flow: {
      id: '11111111-1111-4111-8111-111111111111',
      version: 3,
      definition: normalizeDefinition(definition),
    },
  };
  const { result, queried } = await runWithNodeQueues(
    worker,
    {
      connection: env.nativeConnection,
      taskQueue: 'flow-test',
      nodes: ['ast1'],
      activities,
      interceptors: capture.interceptors,
    },
    async () => {
      const handle = await env.client.workflow.start(FlowCallWorkflow, {
        taskQueue: 'flow-test',
        workflowId: 'flow-call-1',
        args: [input],
      });
      const done = await handle.result();
      return { result: done, queried: await handle.query(flowStatusQuery) };
    },
  );

  expect(result.path.map((s) => `${s.nodeId}:${s.exit ?? ''}`)).toEqual([
    'menu:option:2',
    'account:valid',
    'big:when:big',
    'note:next',
    'read:next',
    'bye:',
  ]);
  // The menu retried after the wrong digit, apologising first; each read starts where the last stopped.
  expect(played.map((p) => p.media)).toEqual([['sound:sorry'], ['digits:42']]);
  expect(collected.map((c) => c.fromSeq)).toEqual([10, 13, 16]);
  expect(collected[0]).toMatchObject({ maxDigits: 1, terminator: '', prompt: ['sound:menu'] });
  expect(result.variables).toMatchObject({
    account: '42',
    pin: '***',
    'caller.number': '5550100',
    'call.to': '5551000',
  });
  expect(queried.variables.pin).toBe('***');
  expect(result).toMatchObject({
    flowId: input.flow.id,
    version: 3,
    endedBy: 'system',
    disposition: 'answered',
  });
  expect(hangups).toEqual(['c9']);
  expect(cdrs).toEqual([expect.objectContaining({ workflowId: 'flow-call-1', disposition: 'answered' })]);
  // Domain events: the call's life and each node entered (activities run side by side: order not kept).
  expect(events.filter((e) => !e.startsWith('flow.')).sort()).toEqual([
    'call.answered',
    'call.ended',
    'call.started',
  ]);
  expect(events.filter((e) => e.startsWith('flow.'))).toContain('flow.node_entered:menu');
});

test('a flow whose templates grow without bound ends the call at its render budget, not the worker', async () => {
  // b is 400 copies of a (800 KB), c 400 of b (320 MB), d 400 of c: before, the worker built strings until a
  // RangeError failed the workflow task, again at every retry.
  const growing = ['b', 'c', 'd'].map((v, i) => ({ variable: v, value: `{{${'abc'[i]}}}`.repeat(400) }));
  const hangups: string[] = [];
  const capture = eventCapture(() => undefined);
  const activities = {
    answer: async () => undefined,
    playMedia: async () => ({ outcome: 'finished' }),
    hangup: async ({ channelId }: { channelId: string }) => void hangups.push(channelId),
    recordCdr: async () => undefined,
    ...capture.activities,
  };
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue: 'flow-grow',
    workflowsPath: path.resolve(__dirname, '../../workflows'),
    activities,
    interceptors: capture.interceptors,
  });
  const input: FlowCallInput = {
    tenantId: 'default',
    channelId: 'c10',
    node: 'ast1',
    from: '5550100',
    to: '5551000',
    startedAt: '2026-11-25T10:00:00.000Z',
    eventSeq: 10,
    flow: {
      id: '11111111-1111-4111-8111-111111111111',
      version: 1,
      definition: normalizeDefinition({
        schemaVersion: 1,
        start: 'grow',
        nodes: [
          { id: 'grow', type: 'set', params: { assignments: growing }, position: { x: 0, y: 0 } },
          { id: 'bye', type: 'hangup', params: {}, position: { x: 0, y: 0 } },
        ],
        edges: [{ from: 'grow', exit: 'next', to: 'bye' }],
        variables: [{ name: 'a', initial: 'x'.repeat(2000), secret: false }],
      }),
    },
  };
  const result = await runWithNodeQueues(
    worker,
    {
      connection: env.nativeConnection,
      taskQueue: 'flow-grow',
      nodes: ['ast1'],
      activities,
      interceptors: capture.interceptors,
    },
    () =>
      env.client.workflow
        .start(FlowCallWorkflow, { taskQueue: 'flow-grow', workflowId: 'flow-grow-1', args: [input] })
        .then((handle) => handle.result()),
  );
  // The call ended as failed by the system where the budget ran out, and was hung up; c was never built.
  expect(result.path.map((s) => s.nodeId)).toEqual(['grow']);
  expect(result).toMatchObject({ disposition: 'failed', endedBy: 'system' });
  expect(hangups).toEqual(['c10']);
  expect(result.variables.b).toHaveLength(800_000);
  expect(result.variables.c).toBeUndefined();
});
