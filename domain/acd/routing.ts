/**
 * The routing rules as pure functions over the routing workflow's state: which waiting entry gets which
 * available agent, positions, estimated waits and queue statistics. No Temporal imports, unit-tested alone.
 */
import {
  AgentState,
  RoutingStrategy,
  type AgentStatus,
  type EntryPosition,
  type QueueConfig,
  type QueueEntry,
  type QueueStats,
  type SkillRequirement,
} from './model';

export interface RoutedAgent extends AgentStatus {
  /** When the agent last became available: longest-idle order. */
  availableSince?: string;
  /** The queue of the call the agent is offered or talking on. */
  currentQueue?: string;
}

export interface Outcome {
  entryId: string;
  queueId: string;
  enqueuedAt: string;
  at: string;
  kind: 'answered' | 'abandoned';
  waitSec: number;
  talkSec?: number;
}

export interface AcdState {
  tenantId: string;
  queues: Record<string, QueueConfig>;
  agents: Record<string, RoutedAgent>;
  waiting: QueueEntry[];
  /** Offers awaiting the entry's answer, by entry id. */
  offers: Record<string, { offerId: string; agentId: string; queueId: string }>;
  /** The agent each queue gave its last call to: where round-robin continues. */
  lastAgent: Record<string, string>;
  /** Outcomes of the last hour: service level and handle times. */
  outcomes: Outcome[];
  offerSeq: number;
}

export const emptyState = (tenantId: string): AcdState => ({
  tenantId,
  queues: {},
  agents: {},
  waiting: [],
  offers: {},
  lastAgent: {},
  outcomes: [],
  offerSeq: 0,
});

const hasSkills = (agent: RoutedAgent, required: readonly SkillRequirement[]): boolean =>
  required.every((r) => agent.skills.some((s) => s.name === r.name && s.level >= r.minLevel));

/** Whether this agent may take this entry at all (state aside). */
export function qualifies(agent: RoutedAgent, entry: QueueEntry, queue: QueueConfig): boolean {
  return (
    agent.queueIds.includes(queue.id) && hasSkills(agent, queue.skills) && hasSkills(agent, entry.skills)
  );
}

/** Serving order: higher priority first, then who entered first (callbacks keep their caller's time). */
export function byServingOrder(a: QueueEntry, b: QueueEntry): number {
  return (
    b.priority - a.priority || a.enqueuedAt.localeCompare(b.enqueuedAt) || a.entryId.localeCompare(b.entryId)
  );
}

function pick(
  strategy: RoutingStrategy,
  candidates: RoutedAgent[],
  lastAgent: string | undefined,
): RoutedAgent {
  const idle = (a: RoutedAgent) => a.availableSince ?? a.since;
  const longestIdle = (a: RoutedAgent, b: RoutedAgent) =>
    idle(a).localeCompare(idle(b)) || a.id.localeCompare(b.id);
  if (strategy === RoutingStrategy.FewestCalls) {
    return [...candidates].sort((a, b) => a.callsHandled - b.callsHandled || longestIdle(a, b))[0]!;
  }
  if (strategy === RoutingStrategy.RoundRobin) {
    const ring = [...candidates].sort((a, b) => a.id.localeCompare(b.id));
    return ring.find((a) => lastAgent !== undefined && a.id.localeCompare(lastAgent) > 0) ?? ring[0]!;
  }
  return [...candidates].sort(longestIdle)[0]!;
}

/**
 * Pairs waiting entries with available agents. Entries are taken in serving order and each gets the best
 * qualified agent still free, so an earlier caller is never passed over for an agent who could take them;
 * a later caller is served first only when no free agent qualifies for the earlier one.
 */
export function route(state: AcdState): { entry: QueueEntry; agent: RoutedAgent }[] {
  const free = new Set(
    Object.values(state.agents)
      .filter((a) => a.state === AgentState.Available)
      .map((a) => a.id),
  );
  const pairs: { entry: QueueEntry; agent: RoutedAgent }[] = [];
  for (const entry of [...state.waiting].sort(byServingOrder)) {
    if (!free.size) break;
    if (state.offers[entry.entryId]) continue;
    const queue = state.queues[entry.queueId];
    if (!queue) continue;
    const candidates = [...free].map((id) => state.agents[id]!).filter((a) => qualifies(a, entry, queue));
    if (!candidates.length) continue;
    const agent = pick(queue.strategy, candidates, state.lastAgent[queue.id]);
    free.delete(agent.id);
    pairs.push({ entry, agent });
  }
  return pairs;
}

const HOUR_MS = 60 * 60_000;

/** Mean talk time of the queue's calls of the last hour (at `now`, not at the last prune). */
export function averageHandleSec(state: AcdState, queueId: string, now = new Date()): number | null {
  const since = now.getTime() - HOUR_MS;
  const talks = state.outcomes.filter(
    (o) => o.queueId === queueId && o.talkSec !== undefined && Date.parse(o.at) >= since,
  );
  return talks.length ? talks.reduce((sum, o) => sum + o.talkSec!, 0) / talks.length : null;
}

const staffed = (state: AcdState, queueId: string): number =>
  Object.values(state.agents).filter(
    (a) => a.queueIds.includes(queueId) && a.state !== AgentState.Offline && a.state !== AgentState.NotReady,
  ).length;

/**
 * Place in line among the queue's waiting entries, and the estimated wait: the callers ahead, each taking
 * an average handle time, shared among the agents staffing the queue. Null while nothing has been handled.
 */
export function positionOf(state: AcdState, entryId: string, now = new Date()): EntryPosition | null {
  const entry = state.waiting.find((e) => e.entryId === entryId);
  if (!entry) return null;
  const line = state.waiting.filter((e) => e.queueId === entry.queueId).sort(byServingOrder);
  const position = line.findIndex((e) => e.entryId === entryId) + 1;
  const aht = averageHandleSec(state, entry.queueId, now);
  const estimatedWaitSec =
    aht === null ? null : Math.round((position * aht) / Math.max(1, staffed(state, entry.queueId)));
  return { position, estimatedWaitSec };
}

export function queueStats(state: AcdState, queueId: string, now: Date): QueueStats {
  const waiting = state.waiting.filter((e) => e.queueId === queueId);
  const agents = Object.fromEntries(Object.values(AgentState).map((s) => [s, 0])) as Record<
    AgentState,
    number
  >;
  for (const agent of Object.values(state.agents))
    if (agent.queueIds.includes(queueId)) agents[agent.state]++;
  const threshold = state.queues[queueId]?.serviceLevelSec ?? 20;
  const level = (minutes: number): number | null => {
    const since = now.getTime() - minutes * 60_000;
    const recent = state.outcomes.filter((o) => o.queueId === queueId && Date.parse(o.at) >= since);
    if (!recent.length) return null;
    const inTime = recent.filter((o) => o.kind === 'answered' && o.waitSec <= threshold).length;
    return Math.round((inTime / recent.length) * 1000) / 1000;
  };
  const hour = state.outcomes.filter(
    (o) => o.queueId === queueId && Date.parse(o.at) >= now.getTime() - HOUR_MS,
  );
  const aht = averageHandleSec(state, queueId, now);
  return {
    queueId,
    waiting: waiting.length,
    longestWaitSec: waiting.length
      ? Math.round((now.getTime() - Math.min(...waiting.map((e) => Date.parse(e.enqueuedAt)))) / 1000)
      : 0,
    agents,
    serviceLevel: { last15m: level(15), last60m: level(60) },
    answered60m: hour.filter((o) => o.kind === 'answered').length,
    abandoned60m: hour.filter((o) => o.kind === 'abandoned').length,
    averageHandleSec: aht === null ? null : Math.round(aht * 10) / 10,
    at: now.toISOString(),
  };
}

/** Which states an agent (or a supervisor for them) may move to from each state. */
export const ALLOWED_TRANSITIONS: Record<AgentState, readonly AgentState[]> = {
  offline: [AgentState.Available, AgentState.NotReady],
  available: [AgentState.NotReady, AgentState.Offline],
  not_ready: [AgentState.Available, AgentState.Offline, AgentState.NotReady],
  wrap_up: [AgentState.Available, AgentState.NotReady, AgentState.Offline],
  // A call ends by itself; moving away mid-call would double-book or drop it.
  on_call: [],
};
