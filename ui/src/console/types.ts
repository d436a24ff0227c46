import type { FlowStep } from '../../../domain/flow/interpreter';

/** The API's answers as the console reads them (the gateway's zod schemas are the source of truth). */

export interface LiveInfo {
  state: string;
  answeredAt: string | null;
  flowId: string | null;
  currentNode: string | null;
  currentNodeType: string | null;
  queue: {
    queueId: string;
    queueName: string;
    phase: string;
    enqueuedAt: string;
    agent: { id: string; name: string } | null;
  } | null;
}

export interface CallSummary {
  id: string;
  status: string;
  state: string | null;
  from: string | null;
  to: string | null;
  startedAt: string;
  closedAt: string | null;
  live?: LiveInfo | null;
}

/** A step of a call's path, as the interpreter records it. */
export type { FlowStep };

export interface CallDetail {
  id: string;
  status: string;
  live: {
    state: string;
    from: string;
    to: string;
    startedAt: string;
    answeredAt?: string;
    endedAt?: string;
    endedBy?: string;
    disposition?: string;
    flowId?: string;
    version?: number;
    currentNode?: string;
    path?: FlowStep[];
    variables?: Record<string, string>;
    queue?: {
      queueId: string;
      queueName: string;
      phase: string;
      enqueuedAt: string;
      agent?: { id: string; name: string };
    };
  } | null;
  cdr: {
    from: string;
    to: string;
    startedAt: string;
    answeredAt: string | null;
    endedAt: string;
    durationMs: number;
    disposition: string;
    endedBy: string;
  } | null;
  temporalUrl: string;
}

export interface TimelineEntry {
  eventId: number;
  at: string;
  kind: string;
  title: string;
  name: string | null;
  detail: string | null;
}

export interface Queue {
  id: string;
  name: string;
}

export interface QueueStats {
  queueId: string;
  waiting: number;
  longestWaitSec: number;
  agents: Record<string, number>;
  serviceLevel: { last15m: number | null; last60m: number | null };
  answered60m: number;
  abandoned60m: number;
  averageHandleSec: number | null;
  at: string;
  callers: { entryId: string; kind: string; priority: number; enqueuedAt: string; from: string }[];
}

export interface Agent {
  id: string;
  name: string;
  endpoint: string;
  state: string;
  reason?: string;
  since?: string;
  currentCall?: string;
  callsHandled: number;
  queueIds: string[];
  version: number;
}

export const AGENT_STATES = ['offline', 'available', 'on_call', 'wrap_up', 'not_ready'] as const;
export const SETTABLE_STATES = ['available', 'not_ready', 'offline'] as const;
