import { AgentState, type QueueConfig, type QueueEntry } from '../../domain/acd/model';
import {
  ALLOWED_TRANSITIONS,
  averageHandleSec,
  byServingOrder,
  emptyState,
  positionOf,
  queueStats,
  route,
  type AcdState,
  type Outcome,
  type RoutedAgent,
} from '../../domain/acd/routing';

const T0 = Date.parse('2026-11-25T10:00:00.000Z');
/** ISO time `sec` seconds after T0 (negative: before). */
const at = (sec: number) => new Date(T0 + sec * 1000).toISOString();
const NOW = new Date(T0 + 3600 * 1000);

const queue = (id: string, over: Partial<QueueConfig> = {}): QueueConfig => ({
  ...{ id, name: id, strategy: 'longest_idle', skills: [], maxWaitSec: 600, mohClass: 'default' },
  ...{ announce: { position: true, estimatedWait: true, intervalSec: 60 }, wrapUpSec: 10, record: true },
  ...{ ringTimeoutSec: 20, serviceLevelSec: 20, ...over },
});
/** Available since T0, in q1, no skills. */
const agent = (id: string, over: Partial<RoutedAgent> = {}): RoutedAgent => ({
  ...{ id, name: `Agent ${id}`, endpoint: `PJSIP/${id}`, skills: [], queueIds: ['q1'], callsHandled: 0 },
  ...{ state: AgentState.Available, since: at(0), availableSince: at(0), ...over },
});
const entry = (entryId: string, over: Partial<QueueEntry> = {}): QueueEntry => ({
  ...{ entryId, kind: 'call', queueId: 'q1', priority: 0, skills: [], enqueuedAt: at(0), from: '5550100' },
  ...over,
});
type Parts = { queues?: QueueConfig[]; agents?: RoutedAgent[]; waiting?: QueueEntry[] };
const stateOf = (parts: Parts & Partial<Pick<AcdState, 'offers' | 'lastAgent' | 'outcomes'>>): AcdState => ({
  ...emptyState('t1'),
  ...parts,
  queues: Object.fromEntries((parts.queues ?? [queue('q1')]).map((q) => [q.id, q])),
  agents: Object.fromEntries((parts.agents ?? []).map((a) => [a.id, a])),
  waiting: parts.waiting ?? [],
});
/** route() as `entry->agent` strings, in the order it paired them. */
const pairs = (parts: Parameters<typeof stateOf>[0]) =>
  route(stateOf(parts)).map((p) => `${p.entry.entryId}->${p.agent.id}`);
/** `'sales:3 german:2'` as an agent's skill levels, or with `req` as requirements. */
const levels = (spec: string) =>
  spec.split(' ').map((s) => ({ name: s.split(':')[0]!, level: Number(s.split(':')[1]) }));
const req = (spec: string) => levels(spec).map(({ name, level }) => ({ name, minLevel: level }));

describe('strategies', () => {
  test('longest_idle picks the agent available the longest, by availableSince, then since, then id', () => {
    const agents = [
      agent('a', { availableSince: at(30) }),
      agent('b', { availableSince: at(10), since: at(50) }), // a recent state change does not reset idle time
      agent('c', { availableSince: at(20) }),
    ];
    expect(pairs({ agents, waiting: [entry('e1')] })).toEqual(['e1->b']);
    const noIdleMark = [agent('a', { availableSince: at(30) }), agent('b', { availableSince: undefined })];
    expect(pairs({ agents: noIdleMark, waiting: [entry('e1')] })).toEqual(['e1->b']);
    const tie = [agent('z'), agent('m')];
    expect(pairs({ agents: tie, waiting: [entry('e1')] })).toEqual(['e1->m']);
    const two = [entry('e1', { enqueuedAt: at(1) }), entry('e2', { enqueuedAt: at(2) })];
    expect(pairs({ agents, waiting: two })).toEqual(['e1->b', 'e2->c']);
  });

  test('round_robin continues after the queue’s last agent and wraps around', () => {
    const queues = [queue('q1', { strategy: 'round_robin' })];
    const agents = [agent('c'), agent('a'), agent('b', { availableSince: at(-100) })];
    const one = (lastAgent: Record<string, string>) =>
      pairs({ queues, agents, waiting: [entry('e1')], lastAgent });
    expect(one({})).toEqual(['e1->a']);
    expect(one({ q1: 'a' })).toEqual(['e1->b']);
    expect(one({ q1: 'b' })).toEqual(['e1->c']);
    expect(one({ q1: 'c' })).toEqual(['e1->a']);
    // The last agent of another queue does not move this queue's turn.
    expect(one({ q2: 'b' })).toEqual(['e1->a']);
  });

  test('round_robin skips busy agents and an unknown last agent, and continues within one route()', () => {
    const queues = [queue('q1', { strategy: 'round_robin' })];
    const agents = [agent('a'), agent('b', { state: AgentState.OnCall }), agent('c'), agent('d')];
    const waiting = [entry('e1', { enqueuedAt: at(1) }), entry('e2', { enqueuedAt: at(2) })];
    expect(pairs({ queues, agents, waiting, lastAgent: { q1: 'a' } })).toEqual(['e1->c', 'e2->d']);
    expect(pairs({ queues, agents, waiting, lastAgent: { q1: 'bb' } })).toEqual(['e1->c', 'e2->d']);
    expect(pairs({ queues, agents, waiting, lastAgent: { q1: 'c' } })).toEqual(['e1->d', 'e2->a']);
  });

  test('fewest_calls picks the agent with the fewest calls, then the longest idle', () => {
    const queues = [queue('q1', { strategy: 'fewest_calls' })];
    const agents = [
      agent('a', { callsHandled: 5, availableSince: at(-500) }),
      agent('b', { callsHandled: 2, availableSince: at(20) }),
      agent('c', { callsHandled: 2, availableSince: at(10) }),
    ];
    const waiting = [1, 2, 3].map((n) => entry(`e${n}`, { enqueuedAt: at(n) }));
    expect(pairs({ queues, agents, waiting })).toEqual(['e1->c', 'e2->b', 'e3->a']);
  });

  test('each queue routes with its own strategy', () => {
    const queues = [queue('q1', { strategy: 'fewest_calls' }), queue('q2', { strategy: 'longest_idle' })];
    const agents = [
      agent('busy', { callsHandled: 9, availableSince: at(-100), queueIds: ['q1', 'q2'] }),
      agent('fresh', { callsHandled: 0, availableSince: at(50), queueIds: ['q1', 'q2'] }),
    ];
    expect(pairs({ queues, agents, waiting: [entry('e1', { queueId: 'q1' })] })).toEqual(['e1->fresh']);
    expect(pairs({ queues, agents, waiting: [entry('e1', { queueId: 'q2' })] })).toEqual(['e1->busy']);
  });
});

describe('serving order', () => {
  test('higher priority goes first, whatever the time; equal priorities by enqueuedAt', () => {
    const agents = [agent('a', { availableSince: at(1) }), agent('b', { availableSince: at(2) })];
    const waiting = [
      entry('old-low', { enqueuedAt: at(-600), priority: 0 }),
      entry('new-high', { enqueuedAt: at(0), priority: 5 }),
      entry('mid-high', { enqueuedAt: at(-10), priority: 5 }),
    ];
    expect(pairs({ agents, waiting })).toEqual(['mid-high->a', 'new-high->b']);
  });

  test('a callback keeps its caller’s time, not its list place; ties go by entry id; order spans queues', () => {
    const waiting = [
      entry('call', { enqueuedAt: at(-100) }),
      entry('callback', { kind: 'callback', enqueuedAt: at(-300) }),
    ];
    expect(pairs({ agents: [agent('a')], waiting })).toEqual(['callback->a']);
    const tied = [entry('y', { enqueuedAt: at(5) }), entry('x', { enqueuedAt: at(5) })];
    expect(pairs({ agents: [agent('a')], waiting: tied })).toEqual(['x->a']);
    // Serving order spans queues: an agent in two queues takes the earliest caller of either.
    const spanning = [entry('q1-late', { enqueuedAt: at(20) }), entry('q2-early', { queueId: 'q2' })];
    const multi = [agent('a', { queueIds: ['q1', 'q2'] })];
    expect(pairs({ queues: [queue('q1'), queue('q2')], agents: multi, waiting: spanning })).toEqual([
      'q2-early->a',
    ]);
  });

  test('an earlier caller is not passed over for an agent who qualifies for them', () => {
    // The only Spanish speaker could take either: the earlier caller, who needs no skill, gets her.
    const agents = [agent('es', { skills: levels('spanish:5') })];
    const waiting = [
      entry('later-es', { enqueuedAt: at(2), skills: req('spanish:3') }),
      entry('earlier', { enqueuedAt: at(1) }),
    ];
    expect(pairs({ agents, waiting })).toEqual(['earlier->es']);
  });

  test('a later caller goes first only when no free agent qualifies for the earlier one', () => {
    const agents = [agent('en', { skills: levels('english:5') })];
    const waiting = [
      entry('earlier-fr', { enqueuedAt: at(1), skills: req('french:1') }),
      entry('later', { enqueuedAt: at(2) }),
    ];
    expect(pairs({ agents, waiting })).toEqual(['later->en']);
    // A French speaker frees up: now the earlier caller gets them, and the other still serves the later.
    agents.push(agent('fr', { skills: levels('french:1'), availableSince: at(9) }));
    expect(pairs({ agents, waiting })).toEqual(['earlier-fr->fr', 'later->en']);
  });

  test('randomised: no waiting caller is ever passed over, and no agent is offered twice', () => {
    let seed = 7;
    const rand = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 16) % n;
    };
    const skills = ['a', 'b', 'c'];
    const states = Object.values(AgentState);
    const stats = { pairs: 0, skipped: 0 };
    for (let round = 0; round < 300; round++) {
      const queues = [queue('q1', { strategy: 'round_robin' }), queue('q2', { strategy: 'fewest_calls' })];
      queues[1]!.skills = rand(2) ? [{ name: 'a', minLevel: 2 }] : [];
      const agents = Array.from({ length: 1 + rand(6) }, (_, i) =>
        agent(`ag${i}`, {
          state: rand(3) ? AgentState.Available : states[rand(states.length)]!,
          availableSince: at(rand(100)),
          callsHandled: rand(4),
          queueIds: [['q1'], ['q2'], ['q1', 'q2']][rand(3)]!,
          skills: skills.filter(() => rand(2)).map((name) => ({ name, level: 1 + rand(3) })),
        }),
      );
      const waiting = Array.from({ length: rand(8) }, (_, i) =>
        entry(`e${i}`, {
          queueId: rand(2) ? 'q1' : 'q2',
          priority: rand(3),
          enqueuedAt: at(rand(50)),
          skills: rand(2) ? [{ name: skills[rand(3)]!, minLevel: 1 + rand(3) }] : [],
        }),
      );
      const offers: AcdState['offers'] =
        waiting[0] && rand(2)
          ? { [waiting[0].entryId]: { offerId: 'x', agentId: 'ag0', queueId: 'q1' } }
          : {};
      const state = stateOf({ queues, agents, waiting, offers, lastAgent: { q1: 'ag2' } });
      const result = route(state);
      stats.pairs += result.length;
      stats.skipped += waiting.length - result.length;

      const fits = (a: RoutedAgent, e: QueueEntry) =>
        a.state === AgentState.Available &&
        a.queueIds.includes(e.queueId) &&
        [...state.queues[e.queueId]!.skills, ...e.skills].every((r) =>
          a.skills.some((s) => s.name === r.name && s.level >= r.minLevel),
        );
      const served = new Map(result.map((p) => [p.entry.entryId, p.agent]));
      expect(new Set(result.map((p) => p.agent.id)).size).toBe(result.length);
      for (const p of result) {
        expect(fits(p.agent, p.entry)).toBe(true);
        expect(offers[p.entry.entryId]).toBeUndefined();
      }
      const order = [...waiting].sort(byServingOrder); // itself pinned down by the tests above
      for (const [i, skipped] of order.entries()) {
        if (served.has(skipped.entryId) || offers[skipped.entryId]) continue;
        // Nobody left free fits the skipped caller, and no later caller took an agent who would have.
        const taken = new Set(result.map((p) => p.agent.id));
        expect(agents.filter((a) => !taken.has(a.id) && fits(a, skipped))).toEqual([]);
        for (const later of order.slice(i + 1)) {
          const agentOfLater = served.get(later.entryId);
          if (agentOfLater) expect(fits(agentOfLater, skipped)).toBe(false);
        }
      }
    }
    // The generator makes both kinds of round often enough to mean something.
    expect(stats.pairs).toBeGreaterThan(150);
    expect(stats.skipped).toBeGreaterThan(150);
  });
});

describe('eligibility', () => {
  test('queue skills and the entry’s skills must both be met, at least at the required level', () => {
    const queues = [queue('q1', { skills: req('sales:3') })];
    const waiting = [entry('e1', { skills: req('german:2') })];
    const offer = (spec: string) =>
      pairs({ queues, waiting, agents: [agent('a', { skills: levels(spec) })] });
    expect(offer('sales:3')).toEqual([]);
    expect(offer('german:9')).toEqual([]);
    expect(offer('sales:2 german:2')).toEqual([]);
    expect(offer('sales:3 german:1')).toEqual([]);
    expect(offer('sales:3 german:2')).toEqual(['e1->a']);
    expect(offer('sales:10 german:10 x:1')).toEqual(['e1->a']);
  });

  test('only members of the entry’s queue are offered, however skilled', () => {
    const queues = [queue('q1'), queue('q2')];
    const agents = [agent('other', { queueIds: ['q2'], availableSince: at(-999) }), agent('member')];
    expect(pairs({ queues, agents, waiting: [entry('e1')] })).toEqual(['e1->member']);
    expect(pairs({ queues, agents: [agent('none', { queueIds: [] })], waiting: [entry('e1')] })).toEqual([]);
  });

  test('only available agents are offered', () => {
    const busy = (
      [AgentState.Offline, AgentState.OnCall, AgentState.WrapUp, AgentState.NotReady] as AgentState[]
    ).map((state, i) => agent(`x${i}`, { state, availableSince: at(-100) }));
    expect(pairs({ agents: busy, waiting: [entry('e1')] })).toEqual([]);
    expect(pairs({ agents: [...busy, agent('free')], waiting: [entry('e1')] })).toEqual(['e1->free']);
  });

  test('no agent is offered twice in one route(): more callers than agents leaves the rest waiting', () => {
    const agents = [agent('a'), agent('b', { state: AgentState.WrapUp }), agent('c')];
    const waiting = [1, 2, 3, 4].map((n) => entry(`e${n}`, { enqueuedAt: at(n) }));
    const result = route(stateOf({ agents, waiting }));
    expect(result.map((p) => p.entry.entryId)).toEqual(['e1', 'e2']);
    expect(new Set(result.map((p) => p.agent.id))).toEqual(new Set(['a', 'c']));
  });

  test('entries with an outstanding offer are skipped; entries of unknown queues too', () => {
    const waiting = [
      entry('offered', { enqueuedAt: at(1), priority: 9 }),
      entry('orphan', { enqueuedAt: at(2), queueId: 'gone' }),
      entry('next', { enqueuedAt: at(3) }),
    ];
    const offers = { offered: { offerId: 'offered#1', agentId: 'ringing', queueId: 'q1' } };
    const agents = [agent('ringing', { state: AgentState.OnCall, currentEntry: 'offered' }), agent('a')];
    expect(pairs({ agents, waiting, offers })).toEqual(['next->a']);
    expect(route(stateOf({ waiting }))).toEqual([]);
  });
});

const outcome = (o: Partial<Outcome> & { ago: number }): Outcome => ({
  entryId: `o${o.ago}`,
  queueId: 'q1',
  enqueuedAt: at(3600 - o.ago - (o.waitSec ?? 0)),
  at: at(3600 - o.ago),
  kind: 'answered',
  waitSec: 5,
  ...o,
});

describe('positionOf and estimated waits', () => {
  const waiting = [
    entry('a1', { enqueuedAt: at(1) }),
    entry('b1', { enqueuedAt: at(2), queueId: 'q2' }),
    entry('a2', { enqueuedAt: at(3) }),
    entry('vip', { enqueuedAt: at(4), priority: 1 }),
  ];
  const queues = [queue('q1'), queue('q2')];

  test('position counts the entry’s own queue in serving order; unknown entries have none', () => {
    const state = stateOf({ queues, waiting });
    expect(positionOf(state, 'vip', NOW)).toEqual({ position: 1, estimatedWaitSec: null });
    expect(positionOf(state, 'a1', NOW)?.position).toBe(2);
    expect(positionOf(state, 'a2', NOW)?.position).toBe(3);
    expect(positionOf(state, 'b1', NOW)?.position).toBe(1);
    expect(positionOf(state, 'nope', NOW)).toBeNull();
  });

  test('estimated wait: position × average handle time ÷ agents staffing the queue', () => {
    const agents = [
      agent('avail'),
      agent('talking', { state: AgentState.OnCall }),
      agent('wrapping', { state: AgentState.WrapUp }),
      agent('away', { state: AgentState.NotReady }),
      agent('gone', { state: AgentState.Offline }),
      agent('elsewhere', { queueIds: ['q2'] }),
    ];
    const outcomes = [
      outcome({ ago: 60, talkSec: 100 }),
      outcome({ ago: 70, talkSec: 200 }),
      outcome({ ago: 80 }), // answered, still talking: no talk time yet
      outcome({ ago: 90, kind: 'abandoned' }),
      outcome({ ago: 95, queueId: 'q2', talkSec: 9000 }),
    ];
    const state = stateOf({ queues, agents, waiting, outcomes });
    expect(averageHandleSec(state, 'q1', NOW)).toBe(150);
    expect(positionOf(state, 'a2', NOW)).toEqual({ position: 3, estimatedWaitSec: 150 }); // 3 × 150 / 3
    // Nobody staffing: one agent's worth, not a division by zero.
    const unstaffed = stateOf({
      queues,
      waiting,
      outcomes,
      agents: [agent('x', { state: AgentState.NotReady })],
    });
    expect(positionOf(unstaffed, 'vip', NOW)).toEqual({ position: 1, estimatedWaitSec: 150 });
    expect(averageHandleSec(state, 'q3', NOW)).toBeNull();
  });
});

describe('queueStats', () => {
  test('waiting, longest wait and agents by state count the queue’s own', () => {
    const state = stateOf({
      queues: [queue('q1'), queue('q2')],
      waiting: [
        entry('a', { enqueuedAt: at(3000) }),
        entry('b', { enqueuedAt: at(3500), priority: 3 }),
        entry('other', { enqueuedAt: at(0), queueId: 'q2' }),
      ],
      agents: [
        agent('1'),
        agent('2', { state: AgentState.OnCall }),
        agent('3', { state: AgentState.OnCall, queueIds: ['q1', 'q2'] }),
        agent('4', { state: AgentState.NotReady }),
        agent('5', { state: AgentState.Available, queueIds: ['q2'] }),
      ],
    });
    const stats = queueStats(state, 'q1', NOW);
    expect(stats).toMatchObject({ queueId: 'q1', waiting: 2, longestWaitSec: 600, at: NOW.toISOString() });
    expect(stats.agents).toEqual({ offline: 0, available: 1, on_call: 2, wrap_up: 0, not_ready: 1 });
    const empty = queueStats(state, 'q3', NOW);
    expect(empty).toMatchObject({ waiting: 0, longestWaitSec: 0, answered60m: 0, averageHandleSec: null });
    expect(empty.serviceLevel).toEqual({ last15m: null, last60m: null });
    expect(Object.values(empty.agents)).toEqual([0, 0, 0, 0, 0]);
  });

  test('service level: answered within serviceLevelSec among answered and abandoned, per window', () => {
    const outcomes = [
      outcome({ ago: 60, waitSec: 10, talkSec: 31 }), // in time
      outcome({ ago: 120, kind: 'abandoned', waitSec: 3 }), // abandoned counts against, however quick
      outcome({ ago: 900, waitSec: 20, talkSec: 40 }), // exactly 15 min ago, exactly the threshold: in both
      outcome({ ago: 901, waitSec: 21 }), // late, and only in the hour
      outcome({ ago: 3000, waitSec: 1 }),
      outcome({ ago: 3600, kind: 'abandoned', waitSec: 50 }),
      outcome({ ago: 100, queueId: 'q2', kind: 'abandoned' }),
    ];
    const state = stateOf({ outcomes });
    const stats = queueStats(state, 'q1', NOW);
    expect(stats.serviceLevel).toEqual({ last15m: 0.667, last60m: 0.5 });
    expect(stats).toMatchObject({ answered60m: 4, abandoned60m: 2, averageHandleSec: 35.5 });
    // The threshold is the queue's own.
    const strict = stateOf({ outcomes, queues: [queue('q1', { serviceLevelSec: 5 })] });
    expect(queueStats(strict, 'q1', NOW).serviceLevel).toEqual({ last15m: 0, last60m: 0.167 });
    // Only old outcomes: nothing for the last 15 minutes.
    const quiet = stateOf({ outcomes: [outcome({ ago: 1800 })] });
    expect(queueStats(quiet, 'q1', NOW).serviceLevel).toEqual({ last15m: null, last60m: 1 });
  });

  // The workflow prunes outcomes only when an event arrives: the counts apply the window themselves.
  test('answered60m, abandoned60m and averageHandleSec cover only the last 60 minutes', () => {
    const state = stateOf({
      outcomes: [outcome({ ago: 5400, talkSec: 300 }), outcome({ ago: 4000, kind: 'abandoned' })],
    });
    expect(queueStats(state, 'q1', NOW)).toMatchObject({
      serviceLevel: { last15m: null, last60m: null },
      answered60m: 0,
      abandoned60m: 0,
      averageHandleSec: null,
    });
  });
});

describe('ALLOWED_TRANSITIONS', () => {
  test('the table: who may move where', () => {
    expect(ALLOWED_TRANSITIONS).toEqual({
      offline: ['available', 'not_ready'],
      available: ['not_ready', 'offline'],
      not_ready: ['available', 'offline', 'not_ready'],
      wrap_up: ['available', 'not_ready', 'offline'],
      on_call: [],
    });
    // on_call and wrap_up are entered only by routing; every state but on_call can log off.
    for (const [from, to] of Object.entries(ALLOWED_TRANSITIONS)) {
      expect(to).not.toContain(AgentState.OnCall);
      expect(to).not.toContain(AgentState.WrapUp);
      expect(to.includes(AgentState.Offline)).toBe(from !== AgentState.OnCall && from !== AgentState.Offline);
    }
    expect(Object.keys(ALLOWED_TRANSITIONS).sort()).toEqual(Object.values(AgentState).sort());
  });
});
