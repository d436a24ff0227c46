import {
  MAX_SIMULATION_TEXT,
  SimulationScript,
  simulateFlow,
  type SimulationEnv,
} from '../../lib/flow-simulator';
import type { FlowDefinition } from '../../domain/flow/definition';
import { normalizeDefinition } from '../../domain/flow/normalize';
import { validateFlow } from '../../domain/flow/validate';

const edges = (list: string[][]) => list.map(([from, exit, to]) => ({ from: from!, exit: exit!, to: to! }));
const node = (id: string, type: string, params: Record<string, unknown> = {}) => ({
  id,
  type,
  params,
  position: { x: 0, y: 0 },
});

const main: FlowDefinition = {
  schemaVersion: 1,
  start: 'menu',
  nodes: [
    node('menu', 'menu', {
      prompt: { kind: 'tts', text: 'Hello {{caller.number}}' },
      options: [{ digit: '1' }, { digit: '2' }],
      retries: 1,
      invalidPrompt: { kind: 'sound', name: 'option-is-invalid' },
    }),
    node('account', 'gather', { variable: 'account', maxDigits: 6, pattern: '^[0-9]{4}$', retries: 1 }),
    node('lookup', 'http', {
      url: 'https://crm.example.com/accounts/{{account}}?from={{caller.number}}',
      retries: 1,
      responseMap: [
        { variable: 'due', path: 'invoice.due' },
        { variable: 'pin', path: 'pin' },
      ],
    }),
    node('when', 'say', { as: 'date', value: '{{due}}' }),
    node('common', 'subflow', { flowId: '11111111-1111-4111-8111-111111111111' }),
    node('agent', 'transfer', { to: { kind: 'number', number: '101' } }),
    node('vm', 'voicemail', {}),
    node('bye', 'hangup'),
  ],
  edges: edges([
    ['menu', 'option:1', 'account'],
    ['menu', 'option:2', 'vm'],
    ['menu', 'invalid', 'bye'],
    ['menu', 'no_input', 'bye'],
    ['account', 'valid', 'lookup'],
    ['account', 'invalid', 'bye'],
    ['account', 'no_input', 'bye'],
    ['lookup', 'success', 'when'],
    ['lookup', 'error', 'vm'],
    ['lookup', 'timeout', 'vm'],
    ['when', 'next', 'common'],
    ['common', 'next', 'agent'],
    ['agent', 'completed', 'bye'],
    ['agent', 'busy', 'vm'],
    ['agent', 'no_answer', 'vm'],
    ['agent', 'failed', 'vm'],
    ['vm', 'recorded', 'bye'],
    ['vm', 'empty', 'bye'],
  ]),
  variables: [
    { name: 'due', secret: false },
    { name: 'pin', secret: true },
  ],
};

const common: FlowDefinition = {
  schemaVersion: 1,
  start: 'note',
  nodes: [
    node('note', 'set', { assignments: [{ variable: 'visited', value: 'yes {{account}}' }] }),
    node('done', 'return'),
  ],
  edges: edges([['note', 'next', 'done']]),
  variables: [],
};

const env: SimulationEnv = {
  tenantId: 'acme',
  allowHosts: ['*.example.com'],
  loadFlow: async (id) => ({ id, version: 3, definition: normalizeDefinition(common) }),
};
const flow = {
  id: '22222222-2222-4222-8222-222222222222',
  version: 0,
  definition: normalizeDefinition(main),
};
const simulate = (script: unknown, e = env) => simulateFlow(flow, SimulationScript.parse(script), e);

test('the flow under test is valid', () => {
  expect(validateFlow(main)).toEqual([]);
});

test('follows scripted input through menu retries, gather, http, a subflow and a transfer', async () => {
  const result = await simulate({
    caller: { from: '+15550123' },
    digits: ['9', '1', '12', '1234#'],
    http: [
      { status: 503 },
      { url: 'https://crm.example.com/', body: { invoice: { due: '2026-12-01' }, pin: '9876' } },
    ],
  });
  expect(result.path.map((s) => `${s.nodeId}:${s.exit ?? ''}`)).toEqual([
    'menu:option:1',
    'account:valid',
    'lookup:success',
    'when:next',
    'common:next',
    'note:next',
    'done:',
    'agent:completed',
    'bye:',
  ]);
  expect(result.path[5]!.flow).toEqual({ id: '11111111-1111-4111-8111-111111111111', version: 3 });
  expect(result.path[2]!.detail).toEqual({ status: '200', attempts: '2' });
  expect(result.ended).toEqual({ by: 'hangup_node', nodeId: 'bye' });
  expect(result.variables).toMatchObject({
    account: '1234',
    due: '2026-12-01',
    pin: '***',
    visited: 'yes 1234',
  });
  const prompts = result.events.filter((e) => e.kind === 'prompt').map((e) => e.media);
  expect(prompts).toEqual([
    [{ kind: 'tts', text: 'Hello +15550123', voice: 'en-us' }],
    [{ kind: 'sound', name: 'option-is-invalid' }],
    [{ kind: 'tts', text: 'Hello +15550123', voice: 'en-us' }],
    [{ kind: 'date', value: '2026-12-01' }],
  ]);
  const requests = result.events.filter((e) => e.kind === 'http').map((e) => e.request!.url);
  // The caller's number is escaped inside the URL: input cannot change its structure.
  expect(requests).toEqual([
    'https://crm.example.com/accounts/1234?from=%2B15550123',
    'https://crm.example.com/accounts/1234?from=%2B15550123',
  ]);
});

test('a host that is not on the allow-list takes the error exit, without retrying', async () => {
  const result = await simulate(
    { digits: ['1', '1234'], http: [{ body: {} }] },
    { ...env, allowHosts: ['api.other.com'] },
  );
  const lookup = result.path.find((s) => s.nodeId === 'lookup')!;
  expect(lookup.exit).toBe('error');
  expect(lookup.detail?.error).toMatch(/crm\.example\.com is not on the tenant's HTTP allow-list/);
  expect(result.events.filter((e) => e.kind === 'http')).toHaveLength(1);
});

test('timeouts, busy transfers and voicemail: each outcome takes its exit', async () => {
  const result = await simulate({
    digits: ['1', '1234'],
    http: [{ timeout: true }, { timeout: true }],
    voicemails: ['empty'],
  });
  expect(result.path.map((s) => `${s.nodeId}:${s.exit ?? ''}`).slice(2)).toEqual([
    'lookup:timeout',
    'vm:empty',
    'bye:',
  ]);
});

test('the caller hanging up ends the flow where it was', async () => {
  const atNode = await simulate({ digits: ['1', '1234'], http: [{ body: {} }], hangup: { atNode: 'agent' } });
  expect(atNode.ended).toEqual({ by: 'caller', nodeId: 'agent' });
  const outOfInput = await simulate({ digits: ['1'] });
  expect(outOfInput.ended).toEqual({ by: 'caller', nodeId: 'account' });
  expect(outOfInput.events.at(-1)).toMatchObject({ nodeId: 'menu', kind: 'input', digits: '1' });
});

test('an unpublished subflow ends the simulation with a message', async () => {
  const result = await simulate(
    { digits: ['1', '1234'], http: [{ body: {} }] },
    { ...env, loadFlow: async () => undefined },
  );
  expect(result.ended).toMatchObject({
    by: 'error',
    nodeId: 'common',
    message: expect.stringMatching(/no published/),
  });
});

test('an invalid date in a say node is skipped, not fatal', async () => {
  const result = await simulate({
    digits: ['1', '1234'],
    http: [{ body: { invoice: { due: '2026-02-30' } } }],
  });
  const when = result.path.find((s) => s.nodeId === 'when')!;
  expect(when).toMatchObject({ exit: 'next', detail: { skipped: expect.stringContaining('2026-02-30') } });
});

test('a secret declared in a subflow is masked in the variables and in the requests that carry it', async () => {
  const sub: FlowDefinition = {
    schemaVersion: 1,
    start: 'otp',
    nodes: [node('otp', 'set', { assignments: [{ variable: 'otp', value: 'zz-9911' }] })],
    edges: [],
    variables: [{ name: 'otp', secret: true }],
  };
  const caller: FlowDefinition = {
    schemaVersion: 1,
    start: 'sub',
    nodes: [
      node('sub', 'subflow', { flowId: '33333333-3333-4333-8333-333333333333' }),
      node('check', 'http', {
        method: 'POST',
        url: 'https://crm.example.com/otp/{{otp}}',
        body: 'otp={{otp}}',
      }),
      node('bye', 'hangup'),
    ],
    edges: edges([
      ['sub', 'next', 'check'],
      ['check', 'success', 'bye'],
      ['check', 'error', 'bye'],
      ['check', 'timeout', 'bye'],
    ]),
    variables: [],
  };
  const result = await simulateFlow(
    { id: '44444444-4444-4444-8444-444444444444', version: 0, definition: normalizeDefinition(caller) },
    SimulationScript.parse({ http: [{ status: 200, body: {} }] }),
    { ...env, loadFlow: async (id) => ({ id, version: 1, definition: normalizeDefinition(sub) }) },
  );
  expect(result.path.map((s) => s.nodeId)).toEqual(['sub', 'otp', 'check', 'bye']);
  expect(result.variables.otp).toBe('***');
  const request = result.events.find((e) => e.kind === 'http')!.request!;
  expect(request).toMatchObject({ url: 'https://crm.example.com/otp/***', body: 'otp=***' });
  expect(JSON.stringify(result)).not.toContain('zz-9911');
});

describe('bounded work (issue #13): the simulation shares the gateway with every other request', () => {
  const single = (
    nodes: ReturnType<typeof node>[],
    links: string[][],
    variables: FlowDefinition['variables'],
  ) => ({
    id: flow.id,
    version: 0,
    definition: normalizeDefinition({
      schemaVersion: 1,
      start: nodes[0]!.id,
      nodes,
      edges: edges(links),
      variables,
    }),
  });
  const run = (f: ReturnType<typeof single>) => simulateFlow(f, SimulationScript.parse({}), env);

  test('values that grow 400-fold at each assignment stop at the render budget, not out of memory', async () => {
    // b is 400 copies of a (2,000 characters), c 400 of b (320 MB), d 400 of c: before, a RangeError (500).
    const growing = ['b', 'c', 'd'].map((v, i) => ({ variable: v, value: `{{${'abc'[i]}}}`.repeat(400) }));
    const result = await run(
      single(
        [node('grow', 'set', { assignments: growing }), node('bye', 'hangup')],
        [['grow', 'next', 'bye']],
        [{ name: 'a', initial: 'x'.repeat(2000), secret: false }],
      ),
    );
    expect(result.ended).toEqual({
      by: 'error',
      nodeId: 'grow',
      message: `flow stopped: its templates read and wrote more than ${MAX_SIMULATION_TEXT} characters`,
    });
    const kept = Object.values(result.variables).reduce((sum, v) => sum + v.length, 0);
    expect(kept).toBeLessThanOrEqual(MAX_SIMULATION_TEXT);
  });

  test('the event loop gets a turn at every node, not once the simulation is over', async () => {
    // A set node looping on itself until the step limit: 400 nodes, no port in between to wait on.
    const loop = single(
      [node('again', 'set', { assignments: [{ variable: 'n', value: '{{n}}' }] })],
      [['again', 'next', 'again']],
      [{ name: 'n', initial: '', secret: false }],
    );
    let turns = 0;
    let ticking = true;
    const tick = () => {
      turns++;
      if (ticking) setImmediate(tick);
    };
    setImmediate(tick);
    const result = await run(loop);
    ticking = false;
    expect(result.ended).toMatchObject({ by: 'error', message: 'flow stopped: 400 nodes run' });
    expect(turns).toBeGreaterThanOrEqual(result.path.length - 1);
  });
});
