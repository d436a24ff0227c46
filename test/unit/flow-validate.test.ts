import { validateFlow, type FlowProblem } from '../../domain/flow/validate';

const FLOW_A = '11111111-1111-4111-8111-111111111111';
const FLOW_B = '22222222-2222-4222-8222-222222222222';
const tts = (text: string) => ({ kind: 'tts', text });

type N = { id: string; type: string; params?: Record<string, unknown> };
const flow = (nodes: N[], edges: [string, string, string][], extra: Record<string, unknown> = {}) => ({
  schemaVersion: 1,
  start: nodes[0]!.id,
  nodes,
  edges: edges.map(([from, exit, to]) => ({ from, exit, to })),
  ...extra,
});
const codes = (problems: FlowProblem[]) => problems.map((p) => `${p.code}@${p.nodeId ?? p.path}`).sort();

/** A small, valid IVR: greet, menu, billing branch on a gathered account, hang up. */
const good = flow(
  [
    { id: 'greet', type: 'play', params: { prompt: tts('Welcome {{caller.name}}') } },
    {
      id: 'menu',
      type: 'menu',
      params: { prompt: tts('1 billing, 2 sales'), options: [{ digit: '1' }, { digit: '2' }] },
    },
    { id: 'account', type: 'gather', params: { variable: 'account', maxDigits: 6 } },
    { id: 'check', type: 'branch', params: { conditions: [{ id: 'big', when: 'account > 500000' }] } },
    { id: 'bye', type: 'hangup' },
  ],
  [
    ['greet', 'next', 'menu'],
    ['menu', 'option:1', 'account'],
    ['menu', 'option:2', 'bye'],
    ['menu', 'invalid', 'menu'],
    ['menu', 'no_input', 'bye'],
    ['account', 'valid', 'check'],
    ['account', 'invalid', 'account'],
    ['account', 'no_input', 'bye'],
    ['check', 'when:big', 'bye'],
    ['check', 'else', 'bye'],
  ],
);

test('a well-formed flow has no problems', () => {
  expect(validateFlow(good)).toEqual([]);
});

test('structure errors come with their path', () => {
  const problems = validateFlow({ schemaVersion: 2, start: 'x', nodes: [], edges: [] });
  expect(problems.map((p) => p.path).sort()).toEqual(['nodes', 'schemaVersion']);
});

test('unknown types and invalid parameters name the node and the parameter', () => {
  const problems = validateFlow(
    flow(
      [
        { id: 'a', type: 'teleport' },
        { id: 'b', type: 'menu', params: { prompt: tts('x'), options: [{ digit: 'x' }] } },
      ],
      [],
    ),
  );
  expect(problems).toEqual(
    expect.arrayContaining([
      expect.objectContaining({ code: 'unknown_type', nodeId: 'a', path: 'nodes.0.type' }),
      expect.objectContaining({ code: 'invalid', nodeId: 'b', path: 'nodes.1.params.options.0.digit' }),
    ]),
  );
});

test('edges to missing nodes, exits a node does not have, and exits connected twice', () => {
  const problems = validateFlow(
    flow(
      [
        { id: 'a', type: 'play', params: { prompt: tts('x') } },
        { id: 'b', type: 'hangup' },
      ],
      [
        ['a', 'next', 'b'],
        ['a', 'next', 'a'],
        ['a', 'nope', 'b'],
        ['b', 'next', 'ghost'],
      ],
    ),
  );
  expect(codes(problems)).toEqual(
    expect.arrayContaining(['duplicate_exit@a', 'unknown_exit@a', 'dangling_edge@b']),
  );
});

test('an exit that goes nowhere and a node nothing leads to', () => {
  const problems = validateFlow(
    flow(
      [
        { id: 'a', type: 'play', params: { prompt: tts('x') } },
        { id: 'orphan', type: 'hangup' },
      ],
      [],
    ),
  );
  expect(codes(problems)).toEqual(['missing_exit@a', 'unreachable@orphan']);
});

test("a queue's overflow may stay unconnected (the queue's own target applies); served may not", () => {
  const queueId = '33333333-3333-4333-8333-333333333333';
  const nodes = [
    { id: 'q', type: 'queue', params: { queueId } },
    { id: 'bye', type: 'hangup' },
  ];
  expect(validateFlow(flow(nodes, [['q', 'served', 'bye']]))).toEqual([]);
  expect(codes(validateFlow(flow(nodes, [['q', 'overflow', 'bye']])))).toEqual(['missing_exit@q']);
});

test('a loop that never waits for the caller is refused; one through a menu is fine', () => {
  const busy = flow(
    [
      { id: 'start', type: 'set', params: { assignments: [{ variable: 'n', value: '1' }] } },
      { id: 'again', type: 'branch', params: { conditions: [{ id: 'more', when: 'n < 10' }] } },
      { id: 'end', type: 'hangup' },
    ],
    [
      ['start', 'next', 'again'],
      ['again', 'when:more', 'start'],
      ['again', 'else', 'end'],
    ],
  );
  expect(codes(validateFlow(busy))).toEqual(['busy_loop@again']);
  expect(codes(validateFlow(good))).toEqual([]);
});

test('a variable read on a path where nothing set it', () => {
  const problems = validateFlow(
    flow(
      [
        {
          id: 'lookup',
          type: 'http',
          params: { url: 'https://crm/{{caller.number}}', responseMap: [{ variable: 'tier', path: 'tier' }] },
        },
        { id: 'ok', type: 'set', params: { assignments: [{ variable: 'tier_known', value: 'yes' }] } },
        {
          id: 'route',
          type: 'branch',
          params: { conditions: [{ id: 'gold', when: "tier_known == 'yes'" }] },
        },
        { id: 'end', type: 'hangup' },
      ],
      [
        ['lookup', 'success', 'ok'],
        ['lookup', 'error', 'route'],
        ['lookup', 'timeout', 'end'],
        ['ok', 'next', 'route'],
        ['route', 'when:gold', 'end'],
        ['route', 'else', 'end'],
      ],
    ),
  );
  // Set on the success path only, read after both: reported. caller.number is a system variable.
  expect(problems).toEqual([
    expect.objectContaining({
      code: 'read_before_set',
      nodeId: 'route',
      message: expect.stringContaining('tier_known'),
    }),
  ]);
});

test('declared variables count as set from the start', () => {
  const problems = validateFlow(
    flow(
      [
        { id: 'say', type: 'say', params: { as: 'number', value: '{{limit}}' } },
        { id: 'end', type: 'hangup' },
      ],
      [['say', 'next', 'end']],
      { variables: [{ name: 'limit', initial: '3' }] },
    ),
  );
  expect(problems).toEqual([]);
});

test('a subflow that leads back to the flow that calls it', () => {
  const definition = flow(
    [
      { id: 'sub', type: 'subflow', params: { flowId: FLOW_B } },
      { id: 'end', type: 'hangup' },
    ],
    [['sub', 'next', 'end']],
  );
  const calls: Record<string, string[]> = { [FLOW_B]: [FLOW_A] };
  expect(codes(validateFlow(definition, { flowId: FLOW_A, subflowsOf: (id) => calls[id] }))).toEqual([
    'subflow_recursion@sub',
  ]);
  expect(validateFlow(definition, { flowId: FLOW_A, subflowsOf: () => [] })).toEqual([]);
});
