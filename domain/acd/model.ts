/**
 * Queues, agents and waiting entries as the routing rules (routing.ts), the routing in PostgreSQL
 * (lib/acd), the gateway and the workflows (workflows/acd/contract.ts) all see them. Plain values only.
 */

export const AgentState = {
  Offline: 'offline',
  Available: 'available',
  /** Ringing for an offered call or talking on one. */
  OnCall: 'on_call',
  WrapUp: 'wrap_up',
  NotReady: 'not_ready',
} as const;
export type AgentState = (typeof AgentState)[keyof typeof AgentState];

export const RoutingStrategy = {
  LongestIdle: 'longest_idle',
  RoundRobin: 'round_robin',
  FewestCalls: 'fewest_calls',
} as const;
export type RoutingStrategy = (typeof RoutingStrategy)[keyof typeof RoutingStrategy];

export interface SkillRequirement {
  name: string;
  minLevel: number;
}

export interface QueueConfig {
  id: string;
  name: string;
  strategy: RoutingStrategy;
  /** Every agent who takes a call from this queue has these skills at these levels at least. */
  skills: SkillRequirement[];
  maxWaitSec: number;
  /** Where a caller goes after maxWaitSec when the flow leaves the queue node's `overflow` exit unconnected. */
  overflow?: { kind: 'queue' | 'voicemail' | 'callback' | 'flow'; target?: string };
  mohClass: string;
  announce: { position: boolean; estimatedWait: boolean; intervalSec: number };
  wrapUpSec: number;
  ringTimeoutSec: number;
  /** Answered within this many seconds counts toward the service level. */
  serviceLevelSec: number;
  record: boolean;
}

export interface AgentConfig {
  id: string;
  name: string;
  endpoint: string;
  skills: { name: string; level: number }[];
  queueIds: string[];
}

/** A caller (or a callback keeping a caller's place) waiting in a queue. */
export interface QueueEntry {
  /** The waiting workflow's id: offers are signalled to it. */
  entryId: string;
  kind: 'call' | 'callback';
  queueId: string;
  /** Higher is served first; equal priorities go by enqueuedAt. */
  priority: number;
  /** Required on top of the queue's. */
  skills: SkillRequirement[];
  /** ISO time the caller entered: a callback keeps the time of the call it replaces. */
  enqueuedAt: string;
  /** The caller's number, for the supervisor console. */
  from: string;
}

export interface AgentStatus extends AgentConfig {
  state: AgentState;
  reason?: string;
  since: string;
  currentEntry?: string;
  callsHandled: number;
  /** While in wrap-up: when it ends. */
  wrapUntil?: string;
}

export interface QueueStats {
  queueId: string;
  waiting: number;
  longestWaitSec: number;
  agents: Record<AgentState, number>;
  /** Share of calls answered within serviceLevelSec, among answered and abandoned; null with none. */
  serviceLevel: { last15m: number | null; last60m: number | null };
  answered60m: number;
  abandoned60m: number;
  /** Average talk time of recent calls, the basis of estimated waits. */
  averageHandleSec: number | null;
  at: string;
}

export interface EntryPosition {
  /** 1 is next. */
  position: number;
  estimatedWaitSec: number | null;
}
