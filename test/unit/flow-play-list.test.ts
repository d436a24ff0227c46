import { runFlow, type FlowRun } from '../../domain/flow/interpreter';
import { normalizeDefinition } from '../../domain/flow/normalize';
import { MAX_PLAY_LIST_NODES } from '../../domain/flow/play-list';
import { CallerHungUp, type FlowPorts, type MediaItem, type PlayListResult } from '../../domain/flow/ports';

const sound = (name: string) => ({ kind: 'sound', name });
const node = (id: string, type: string, params: Record<string, unknown>) => ({
  id,
  type,
  params,
  position: { x: 0, y: 0 },
});
const edges = (...list: [string, string, string][]) => list.map(([from, exit, to]) => ({ from, exit, to }));

/** greeting → set → branch → say → (tts) notice → closing → menu: two lists, split by the TTS prompt. */
const definition = normalizeDefinition({
  schemaVersion: 1 as const,
  start: 'greeting',
  nodes: [
    node('greeting', 'play', { prompt: sound('hello') }),
    node('mark', 'set', { assignments: [{ variable: 'ref', value: '{{caller.number}}7' }] }),
    node('long', 'branch', { conditions: [{ id: 'long', when: 'ref > 100' }] }),
    node('readRef', 'say', { as: 'digits', value: '{{ref}}' }),
    node('notice', 'play', { prompt: { kind: 'tts', text: 'Ref {{ref}}', voice: 'en' } }),
    node('closing', 'play', { prompt: sound('goodbye') }),
    node('after', 'set', { assignments: [{ variable: 'done', value: 'yes' }] }),
    node('menu', 'menu', { prompt: sound('menu'), options: [{ digit: '1' }], retries: 0 }),
    node('bye', 'hangup', {}),
  ],
  edges: edges(
    ['greeting', 'next', 'mark'],
    ['mark', 'next', 'long'],
    ['long', 'when:long', 'readRef'],
    ['long', 'else', 'closing'],
    ['readRef', 'next', 'notice'],
    ['notice', 'next', 'closing'],
    ['closing', 'next', 'after'],
    ['after', 'next', 'menu'],
    ['menu', 'option:1', 'bye'],
    ['menu', 'invalid', 'bye'],
    ['menu', 'no_input', 'bye'],
  ),
  variables: [
    { name: 'ref', secret: false },
    { name: 'done', secret: false },
  ],
});
const flow = { id: 'f', version: 1, definition };

interface Played {
  plays: MediaItem[][];
  lists: MediaItem[][][];
}

/**
 * Ports as a call's: `play` plays one node; with `lists`, `playList` plays several. `hangUpAt` counts
 * prompts (a node's media, in a list or not) from 0: the caller hangs up during that one.
 */
function ports(options: { lists: boolean; hangUpAt?: number }): { ports: FlowPorts; played: Played } {
  const played: Played = { plays: [], lists: [] };
  let prompts = 0;
  const base: FlowPorts = {
    async play(media) {
      played.plays.push(media);
      if (prompts++ === options.hangUpAt) throw new CallerHungUp();
    },
    collect: async () => '1',
    hangup: async () => undefined,
    http: async () => ({ kind: 'timeout' }),
    transfer: async () => 'failed',
    record: async () => ({ durationMs: 0, callerHungUp: false }),
    queue: async () => 'served',
    queueOverflow: async () => undefined,
    createCallback: async () => 'cb',
    loadFlow: async () => flow,
    now: () => new Date('2026-12-07T10:00:00Z'),
  };
  if (options.lists) {
    base.playList = async (segments): Promise<PlayListResult> => {
      played.lists.push(segments);
      const startedAt = segments.map((_, i) => `2026-12-07T10:00:0${i}.000Z`);
      for (let i = 0; i < segments.length; i++) {
        if (prompts++ === options.hangUpAt) return { reached: i, startedAt: startedAt.slice(0, i + 1) };
      }
      return { reached: segments.length, startedAt };
    };
  }
  return { ports: base, played };
}

async function run(options: { lists: boolean; hangUpAt?: number }) {
  const { ports: p, played } = ports(options);
  const state: FlowRun = { variables: { 'caller.number': '55', ref: '', done: '' }, path: [] };
  const entered: string[] = [];
  state.onEnter = (step) => entered.push(step.nodeId);
  const outcome = await runFlow(flow, p, state).catch((err: unknown) => {
    if (err instanceof CallerHungUp) return 'caller hung up';
    throw err;
  });
  const path = state.path.map((s) => `${s.nodeId}${s.exit ? `:${s.exit}` : ''}`);
  return { outcome, path, variables: state.variables, entered, played, steps: state.path };
}

test('consecutive media nodes play as one list, with the same path, variables and events as node by node', async () => {
  const single = await run({ lists: false });
  const listed = await run({ lists: true });
  expect(listed.path).toEqual(single.path);
  expect(listed.path).toEqual([
    'greeting:next',
    'mark:next',
    'long:when:long',
    'readRef:next',
    'notice:next',
    'closing:next',
    'after:next',
    'menu:option:1',
    'bye',
  ]);
  expect(listed.variables).toEqual(single.variables);
  expect(listed.variables).toMatchObject({ ref: '557', done: 'yes' });
  expect(listed.entered).toEqual(single.entered);
  // Two lists: up to the TTS prompt, which needs synthesizing, and from it on; nothing played on its own.
  expect(listed.played.plays).toEqual([]);
  expect(listed.played.lists).toEqual([
    [[sound('hello')], [{ kind: 'digits', value: '557' }]],
    [[{ kind: 'tts', text: 'Ref 557', voice: 'en' }], [sound('goodbye')]],
  ]);
  expect(listed.played.lists.flat()).toEqual(single.played.plays);
  // Each node entered when its media started.
  expect(listed.steps.find((s) => s.nodeId === 'readRef')!.enteredAt).toBe('2026-12-07T10:00:01.000Z');
  expect(listed.steps.find((s) => s.nodeId === 'long')!.enteredAt).toBe('2026-12-07T10:00:01.000Z');
});

test.each([0, 1, 2, 3])(
  'a caller hanging up in prompt %i leaves the call where it did node by node',
  async (at) => {
    const single = await run({ lists: false, hangUpAt: at });
    const listed = await run({ lists: true, hangUpAt: at });
    expect(listed.outcome).toBe('caller hung up');
    expect(listed.path).toEqual(single.path);
    expect(listed.variables).toEqual(single.variables);
    expect(listed.entered).toEqual(single.entered);
    // The node the caller hung up in has no exit.
    expect(listed.path.at(-1)).not.toContain(':');
  },
);

test('a list stops at its node limit; the rest plays as the next list', async () => {
  const many = normalizeDefinition({
    schemaVersion: 1 as const,
    start: 'p0',
    nodes: [
      ...Array.from({ length: MAX_PLAY_LIST_NODES + 4 }, (_, i) =>
        node(`p${i}`, 'play', { prompt: sound(`s${i}`) }),
      ),
      node('bye', 'hangup', {}),
    ],
    edges: edges(
      ...Array.from({ length: MAX_PLAY_LIST_NODES + 4 }, (_, i): [string, string, string] => [
        `p${i}`,
        'next',
        i === MAX_PLAY_LIST_NODES + 3 ? 'bye' : `p${i + 1}`,
      ]),
    ),
    variables: [],
  });
  const { ports: p, played } = ports({ lists: true });
  const state: FlowRun = { variables: {}, path: [] };
  await runFlow({ id: 'm', version: 1, definition: many }, p, state);
  expect(played.lists.map((l) => l.length)).toEqual([MAX_PLAY_LIST_NODES, 4]);
  expect(state.path).toHaveLength(MAX_PLAY_LIST_NODES + 5);
});
