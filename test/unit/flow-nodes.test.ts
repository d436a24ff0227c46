import { digitPatternProblem, matchesDigitPattern } from '../../domain/flow/digit-pattern';
import { NODE_TYPES, nodeSpec } from '../../domain/flow/registry';

const QUEUE = '2b7f7f6e-62d4-4a47-9d6d-0d2d1b1f7c11';
const tts = (text: string) => ({ kind: 'tts', text });

/** For each node type: parameters it accepts (with the exits they give) and parameters it refuses. */
const cases: Record<string, { valid: unknown; exits: string[]; invalid: unknown; error: RegExp }> = {
  play: {
    valid: { prompt: { kind: 'sound', name: 'hello-world' } },
    exits: ['next'],
    invalid: { prompt: { kind: 'sound', name: '../etc' } },
    error: /sound name/,
  },
  say: {
    valid: { as: 'digits', value: '{{account}}' },
    exits: ['next'],
    invalid: { as: 'poem', value: '1' },
    error: /Invalid option/,
  },
  menu: {
    valid: { prompt: tts('Press 1 or 2'), options: [{ digit: '1' }, { digit: '2' }] },
    exits: ['option:1', 'option:2', 'invalid', 'no_input'],
    invalid: { prompt: tts('x'), options: [{ digit: '1' }, { digit: '1' }] },
    error: /each digit may appear once/,
  },
  gather: {
    valid: { variable: 'account', maxDigits: 8, pattern: '^[0-9]{8}$' },
    exits: ['valid', 'invalid', 'no_input'],
    invalid: { variable: 'account', minDigits: 9, maxDigits: 8 },
    error: /minDigits is more than maxDigits/,
  },
  set: {
    valid: { assignments: [{ variable: 'greeting', value: 'Hi {{caller.name}}' }] },
    exits: ['next'],
    invalid: { assignments: [{ variable: '1bad', value: '' }] },
    error: /variable name/,
  },
  branch: {
    valid: { conditions: [{ id: 'vip', when: "tier == 'gold'" }] },
    exits: ['when:vip', 'else'],
    invalid: { conditions: [{ id: 'x', when: 'a ==' }] },
    error: /unexpected end/,
  },
  http: {
    valid: {
      url: 'https://crm.example/customers/{{caller.number}}',
      responseMap: [{ variable: 'tier', path: 'customer.tier' }],
    },
    exits: ['success', 'error', 'timeout'],
    invalid: { url: 'file:///etc/passwd' },
    error: /http:\/\/ or https:\/\//,
  },
  hours: {
    valid: { timeZone: 'Europe/Paris', weekly: [{ days: ['mon', 'fri'], open: '09:00', close: '17:30' }] },
    exits: ['open', 'closed'],
    invalid: { timeZone: 'Mars/Olympus', weekly: [] },
    error: /IANA time zone/,
  },
  queue: {
    valid: { queueId: QUEUE, skills: [{ name: 'billing', minLevel: 3 }] },
    exits: ['served', 'overflow'],
    invalid: { queueId: 'sales' },
    error: /UUID/,
  },
  transfer: {
    valid: { to: { kind: 'number', number: '+33123456789' } },
    exits: ['completed', 'busy', 'no_answer', 'failed'],
    invalid: { to: { kind: 'sip', endpoint: 'SIP/x' } },
    error: /PJSIP/,
  },
  voicemail: {
    valid: { maxSeconds: 60 },
    exits: ['recorded', 'empty'],
    invalid: { maxSeconds: 3600 },
    error: /<=600/,
  },
  callback: {
    valid: { prompt: tts('Press 1 to be called back'), queueId: QUEUE },
    exits: ['accepted', 'declined'],
    invalid: { prompt: tts('x'), queueId: QUEUE, acceptDigit: '12' },
    error: /0-9, \* or #/,
  },
  subflow: {
    valid: { flowId: QUEUE },
    exits: ['next'],
    invalid: { flowId: QUEUE, version: 0 },
    error: />0/,
  },
  hangup: { valid: {}, exits: [], invalid: { reason: 'angry' }, error: /Invalid option/ },
  return: { valid: {}, exits: [], invalid: { unexpected: 1 }, error: /Unrecognized key/ },
};

test('the registry has every node type of the flow language, each with a case here', () => {
  expect(NODE_TYPES.map((n) => n.type).sort()).toEqual(Object.keys(cases).sort());
});

describe.each(Object.entries(cases))('node type %s', (type, c) => {
  const spec = nodeSpec(type)!;

  test('accepts valid parameters and names its exits', () => {
    const parsed = spec.params.parse(c.valid);
    expect(spec.exits(parsed)).toEqual(c.exits);
  });

  test('refuses invalid parameters with a message that says why', () => {
    const result = spec.params.safeParse(c.invalid);
    expect(result.success).toBe(false);
    expect(result.error!.issues.map((i) => i.message).join('; ')).toMatch(c.error);
  });
});

test('reads and writes: what the validator needs to check variables', () => {
  const set = nodeSpec('set')!;
  const p = set.params.parse({
    assignments: [{ variable: 'greeting', value: 'Hi {{caller.name}} {{tier}}' }],
  });
  expect(set.reads(p)).toEqual(['caller.name', 'tier']);
  expect(set.writes(p)).toEqual(['greeting']);
  const branch = nodeSpec('branch')!;
  expect(branch.reads(branch.params.parse({ conditions: [{ id: 'a', when: 'x > 1 && y' }] })).sort()).toEqual(
    ['x', 'y'],
  );
});

describe('gather patterns (RE2)', () => {
  test('a catastrophic pattern answers at once; a backreference or lookahead is refused', () => {
    // Backtracking engines take minutes on this; RE2 is linear in the input.
    expect(matchesDigitPattern('^(\\d|\\d|\\d|\\d)*$', `${'1'.repeat(30)}*`)).toBe(false);
    expect(matchesDigitPattern('^(\\d|\\d|\\d|\\d)*$', '1'.repeat(30))).toBe(true);
    expect(matchesDigitPattern('^[0-9]{8}$', '12345678')).toBe(true);
    expect(digitPatternProblem('^(1)\\1$')).toMatch(/RE2/);
    expect(digitPatternProblem('^(?=1)\\d+$')).toMatch(/RE2/);
    expect(digitPatternProblem('^\\d{4}$')).toBeUndefined();
    // A pattern saved before patterns were checked with RE2 matches nothing rather than running.
    expect(matchesDigitPattern('^(1)\\1$', '11')).toBe(false);
  });
});

describe('sound prompts', () => {
  test('relative Asterisk sound names only: no absolute path to any file Asterisk can read', () => {
    const play = (name: string) =>
      nodeSpec('play')!.params.safeParse({ prompt: { kind: 'sound', name } }).success;
    expect(play('digits/1')).toBe(true);
    expect(play('beep')).toBe(true);
    expect(play('/var/spool/asterisk/recording/other-tenant')).toBe(false);
    expect(play('digits//1')).toBe(false);
  });
});

test('an overlong condition or pattern is refused for its length, not parsed or compiled (issue #13)', () => {
  // zod runs refinements even when max failed: a megabyte condition took 150 ms to parse.
  const condition = nodeSpec('branch')!.params.safeParse({
    conditions: [{ id: 'c', when: '('.repeat(501) }],
  });
  expect(condition.error!.issues.map((i) => i.code)).toEqual(['too_big']);
  const pattern = nodeSpec('gather')!.params.safeParse({
    variable: 'x',
    maxDigits: 4,
    pattern: '('.repeat(201),
  });
  expect(pattern.error!.issues.map((i) => i.code)).toEqual(['too_big']);
});
