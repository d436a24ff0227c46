import { ZodError } from 'zod';
import { LiquidTranslator } from '../../lib/flow-import/twilio-liquid';
import { importTwilioStudio, TwilioStudioFlow, type ImportIssue } from '../../lib/flow-import/twilio-studio';
import { parseExpression } from '../../domain/flow/expression';
import { validateFlow } from '../../domain/flow/validate';
import { studio } from './fixtures/twilio-studio-ivr';

const FLOW_ID = '33333333-3333-4333-8333-333333333333';
const SUBFLOW_ID = '44444444-4444-4444-8444-444444444444';
const QUEUE_ID = '55555555-5555-4555-8555-555555555555';

const validate = (definition: unknown) =>
  validateFlow(definition, { flowId: FLOW_ID, subflowsOf: () => undefined, runnable: () => true });
const codes = (problems: ReturnType<typeof validateFlow>) =>
  problems.map((p) => `${p.code}@${p.nodeId ?? p.path}`);
const edgesFrom = (edges: { from: string; exit: string; to: string }[], from: string) =>
  Object.fromEntries(edges.filter((e) => e.from === from).map((e) => [e.exit, e.to]));
const issue = (state: string, severity: ImportIssue['severity'], message: RegExp) =>
  expect.objectContaining({ state, severity, message: expect.stringMatching(message) });

describe('a realistic Studio IVR', () => {
  const { definition, report } = importTwilioStudio(studio);
  const node = (id: string) => definition.nodes.find((n) => n.id === id);

  test('starts at the incomingCall target and maps each widget to its node type', () => {
    expect(definition.start).toBe('set_defaults');
    expect(definition.nodes.map((n) => [n.id, n.type])).toEqual([
      ['set_defaults', 'set'],
      ['welcome', 'play'],
      ['main_menu', 'gather'],
      ['menu_split', 'branch'],
      ['balance_lookup', 'http'],
      ['say_balance', 'play'],
      ['connect_agent', 'transfer'],
      ['record_vm', 'voicemail'],
      ['vm_thanks', 'play'],
      ['no_input_goodbye', 'play'],
      ['sorry_sms', 'hangup'],
      ['sms_sent_notice', 'play'],
      ['end', 'hangup'],
    ]);
    expect(node('welcome')!.position).toEqual({ x: 20, y: 400 });
    expect(node('sorry_sms')!.label).toBe('Unmapped: send-message sorry_sms');
  });

  test('parameters carry over', () => {
    expect(node('set_defaults')!.params).toEqual({
      assignments: [{ variable: 'department', value: 'support' }],
    });
    expect(node('main_menu')!.params).toMatchObject({
      prompt: { kind: 'tts', text: 'Press 1 for your balance, 2 for an agent, 3 or 0 to leave a message.' },
      variable: 'main_menu_digits',
      maxDigits: 1,
      terminator: '#',
      timeoutMs: 5000,
      retries: 0,
    });
    expect(node('menu_split')!.params).toEqual({
      conditions: [
        { id: 'c1', when: "main_menu_digits == '1'" },
        { id: 'c2', when: "main_menu_digits == '2'" },
        { id: 'c3', when: "main_menu_digits == '3' || main_menu_digits == '0'" },
      ],
    });
    expect(node('balance_lookup')!.params).toMatchObject({
      method: 'GET',
      url: 'https://api.acme.example/accounts?phone={{caller.number}}',
      responseMap: [{ variable: 'balance_lookup_account_balance', path: 'account.balance' }],
    });
    expect(node('connect_agent')!.params).toEqual({
      to: { kind: 'number', number: '+14155550100' },
      ringSeconds: 20,
    });
    expect(node('record_vm')!.params).toEqual({ maxSeconds: 120, beep: true });
  });

  test('edges follow the transitions, with every dead end on the shared end node', () => {
    const { edges } = definition;
    expect(edgesFrom(edges, 'set_defaults')).toEqual({ next: 'welcome' });
    expect(edgesFrom(edges, 'main_menu')).toEqual({
      valid: 'menu_split',
      invalid: 'no_input_goodbye',
      no_input: 'no_input_goodbye',
    });
    expect(edgesFrom(edges, 'menu_split')).toEqual({
      'when:c1': 'balance_lookup',
      'when:c2': 'connect_agent',
      'when:c3': 'record_vm',
      else: 'sorry_sms',
    });
    expect(edgesFrom(edges, 'balance_lookup')).toEqual({
      success: 'say_balance',
      error: 'connect_agent',
      timeout: 'connect_agent',
    });
    expect(edgesFrom(edges, 'connect_agent')).toEqual({
      completed: 'end',
      busy: 'end',
      no_answer: 'end',
      failed: 'end',
    });
    expect(edgesFrom(edges, 'record_vm')).toEqual({ recorded: 'vm_thanks', empty: 'no_input_goodbye' });
    expect(edgesFrom(edges, 'say_balance')).toEqual({ next: 'end' });
    expect(edgesFrom(edges, 'sorry_sms')).toEqual({});
  });

  test('translates Liquid variables in prompts', () => {
    expect(node('welcome')!.params.prompt).toEqual({
      kind: 'tts',
      text: 'Thanks for calling Acme {{department}}. Calls from {{caller.number}} to {{call.to}} may be recorded.',
      voice: 'en-us',
    });
    expect(node('say_balance')!.params.prompt).toMatchObject({
      text: 'Your balance is {{balance_lookup_account_balance}} dollars. Goodbye.',
    });
    // Set only on some exits (gather: valid; http: success); Studio reads them as '' otherwise: declared empty.
    expect(definition.variables).toEqual([
      { name: 'main_menu_digits', initial: '', secret: false },
      { name: 'balance_lookup_account_balance', initial: '', secret: false },
    ]);
  });

  test('validates, the placeholder cutting off only the widget behind it', () => {
    expect(codes(validate(definition))).toEqual(['unreachable@sms_sent_notice']);
  });

  test('reports the unsupported widget, the dropped condition and the other start', () => {
    expect(report).toEqual(
      expect.arrayContaining([
        issue('sorry_sms', 'unmapped', /send-message widgets have no CTICloud equivalent/),
        issue('menu_split', 'unmapped', /If value contains 9/),
        issue('Trigger', 'unmapped', /incomingRequest/),
        issue('say_balance', 'approximated', /response/),
      ]),
    );
    expect(report.find((i) => i.state === 'sorry_sms')!.widgetType).toBe('send-message');
    expect(report).toHaveLength(4);
  });
});

describe('subflows and queues', () => {
  const flow = (states: unknown[]) => ({
    initial_state: 'Trigger',
    states: [
      { name: 'Trigger', type: 'trigger', transitions: [{ event: 'incomingCall', next: 'sub' }] },
      ...states,
    ],
  });
  const states = [
    {
      name: 'sub',
      type: 'run-subflow',
      transitions: [{ event: 'completed', next: 'flex' }, { event: 'failed' }],
      properties: { flow_sid: 'FW0123456789abcdef0123456789abcdef', flow_revision: 'LatestPublished' },
    },
    {
      name: 'flex',
      type: 'send-to-flex',
      transitions: [
        { event: 'callComplete' },
        { event: 'failedToEnqueue', next: 'sorry' },
        { event: 'callFailure' },
      ],
      properties: {
        workflow: 'WW11111111111111111111111111111111',
        channel: 'voice',
        priority: '5',
        timeout: '600',
      },
    },
    {
      name: 'sorry',
      type: 'say-play',
      transitions: [{ event: 'audioComplete' }],
      properties: { say: 'Sorry.' },
    },
  ];

  test('with mappings they become subflow and queue nodes', () => {
    const { definition, report } = importTwilioStudio(flow(states), {
      subflows: { FW0123456789abcdef0123456789abcdef: SUBFLOW_ID },
      queues: { WW11111111111111111111111111111111: QUEUE_ID },
    });
    expect(definition.nodes.slice(0, 2).map((n) => [n.type, n.params])).toEqual([
      ['subflow', { flowId: SUBFLOW_ID }],
      ['queue', { queueId: QUEUE_ID, priority: 5, skills: [], maxWaitSec: 600 }],
    ]);
    expect(edgesFrom(definition.edges, 'flex')).toEqual({ served: 'end', overflow: 'sorry' });
    expect(codes(validate(definition))).toEqual([]);
    expect(report).toEqual([]);
  });

  test('without, they are reported and leave hangup placeholders', () => {
    const { definition, report } = importTwilioStudio(flow(states));
    expect(definition.nodes.map((n) => [n.id, n.type, n.label])).toEqual([
      ['sub', 'hangup', 'Unmapped: run-subflow sub'],
      ['flex', 'hangup', 'Unmapped: send-to-flex flex'],
      ['sorry', 'play', 'sorry'],
      ['end', 'hangup', 'End'],
    ]);
    expect(report.map((i) => `${i.state} ${i.severity}`)).toEqual(['sub unmapped', 'flex unmapped']);
  });
});

test('a widget whose node would be invalid becomes a placeholder instead', () => {
  const { definition, report } = importTwilioStudio({
    states: [
      { name: 'Trigger', type: 'trigger', transitions: [{ event: 'incomingCall', next: 'fetch' }] },
      {
        name: 'fetch',
        type: 'make-http-request',
        transitions: [{ event: 'success' }, { event: 'failed' }],
        properties: { method: 'GET', url: 'ftp://files.acme.example/x' },
      },
    ],
  });
  expect(definition.nodes).toEqual([expect.objectContaining({ id: 'fetch', type: 'hangup' })]);
  expect(report).toEqual([issue('fetch', 'unmapped', /http node .* would be invalid \(url: /)]);
  expect(validate(definition)).toEqual([]);
});

test('state names become unique, valid node ids; end stays the shared end', () => {
  const say = (name: string, next?: string) => ({
    name,
    type: 'say-play',
    transitions: [{ event: 'audioComplete', next }],
    properties: { say: name },
  });
  const { definition } = importTwilioStudio({
    states: [
      { name: 'Trigger', type: 'trigger', transitions: [{ event: 'incomingCall', next: 'end' }] },
      say('end', 'Hello there!'),
      say('Hello there!', 'Hello_there_'),
      say('Hello_there_'),
    ],
  });
  expect(definition.nodes.map((n) => n.id)).toEqual(['end_2', 'Hello_there_', 'Hello_there__2', 'end']);
  expect(definition.start).toBe('end_2');
  expect(validate(definition)).toEqual([]);
});

describe('bad input fails the schema, naming the field', () => {
  test('states that are not an array', () => {
    const result = TwilioStudioFlow.safeParse({ initial_state: 'Trigger', states: { Trigger: {} } });
    expect(result.success).toBe(false);
    expect(result.error!.issues.map((i) => i.path)).toEqual([['states']]);
    expect(() => importTwilioStudio({ states: 'nope' })).toThrow(ZodError);
  });

  test('a state without a type; two states with one name', () => {
    const untyped = TwilioStudioFlow.safeParse({ states: [{ name: 'b', transitions: [] }] });
    expect(untyped.error!.issues.map((i) => i.path.join('.'))).toEqual(['states.0.type']);
    const twice = TwilioStudioFlow.safeParse({
      states: [
        { name: 'a', type: 'say-play' },
        { name: 'a', type: 'say-play' },
      ],
    });
    expect(twice.error!.issues.map((i) => i.path.join('.'))).toEqual(['states.1.name']);
  });
});

describe('Liquid translation', () => {
  const translate = (text: string) => {
    const issues: string[] = [];
    const out = new LiquidTranslator().template(text, (severity, message) =>
      issues.push(`${severity}: ${message}`),
    );
    return { out, issues };
  };

  test('known references become our variables without a report', () => {
    expect(
      translate('{{flow.variables.acct}} {{widgets.pin-entry.Digits}} {{trigger.call.CallSid}}'),
    ).toEqual({
      out: '{{acct}} {{pin_entry_digits}} {{call.id}}',
      issues: [],
    });
  });

  test('what has no equivalent is reported: unknown fields, filters, tags, flow data', () => {
    const { out, issues } = translate(
      "{{widgets.rec.RecordingUrl}}|{{flow.variables.name | upcase}}|{% if x %}y{% endif %}|{{flow.data.ref}}|{{ 'hi' }}",
    );
    expect(out).toBe('{{widgets_rec_RecordingUrl}}|{{name}}|y|{{ref}}|hi');
    expect(issues).toEqual([
      expect.stringMatching(/^unmapped: \{\{widgets.rec.RecordingUrl\}\} has no CTICloud equivalent/),
      expect.stringMatching(/^approximated: Liquid filters are dropped/),
      expect.stringMatching(/^unmapped: Liquid tag \{% if x %\}/),
      expect.stringMatching(/^unmapped: Liquid tag \{% endif %\}/),
      expect.stringMatching(/^approximated: \{\{flow.data.ref\}\}/),
    ]);
  });

  test('conditions the expression language can say parse; the others are undefined', () => {
    const liquid = new LiquidTranslator();
    const cond = (type: string, value: string) => liquid.condition('x', type, value, () => undefined);
    const sayable = {
      does_not_match_any_of: cond('does_not_match_any_of', 'a,b'),
      is_blank: cond('is_blank', ''),
      less_than: cond('less_than', '10'),
      greater_than: cond('greater_than', '{{flow.variables.limit}}'),
      not_equal_to: cond('not_equal_to', "it's"),
    };
    expect(sayable).toEqual({
      does_not_match_any_of: "x != 'a' && x != 'b'",
      is_blank: "x == ''",
      less_than: 'x < 10',
      greater_than: 'x > limit',
      not_equal_to: 'x != "it\'s"',
    });
    for (const expr of Object.values(sayable)) expect(() => parseExpression(expr!)).not.toThrow();
    expect([cond('regex', '^1'), cond('starts_with', '1'), cond('equal_to', `'"`)]).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
  });
});

test('names that are also Object.prototype keys are nothing special', () => {
  const { definition, report } = importTwilioStudio(
    {
      states: [
        { name: 'Trigger', type: 'trigger', transitions: [{ event: 'incomingCall', next: 'toString' }] },
        {
          name: 'toString',
          type: 'say-play',
          transitions: [{ event: 'audioComplete', next: 'q' }],
          properties: { say: '{{constructor}}' },
        },
        { name: 'q', type: 'enqueue-call', transitions: [], properties: { queue_name: 'constructor' } },
        { name: 'c', type: 'constructor' },
      ],
    },
    { queues: {} },
  );
  expect(definition.nodes.map((n) => n.type)).toEqual(['play', 'hangup', 'hangup']);
  expect(definition.nodes[0]!.params.prompt).toMatchObject({ text: '{{constructor}}' });
  expect(report.map((i) => `${i.state} ${i.severity}`)).toEqual([
    'toString unmapped',
    'q unmapped',
    'c unmapped',
  ]);
});
