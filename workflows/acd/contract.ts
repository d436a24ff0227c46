/**
 * What the gateway, the UI, call workflows and the tenant's routing workflow (AcdWorkflow) agree on.
 * Safe to import anywhere: only @temporalio/workflow's definition helpers. The queues, agents and entries
 * its messages carry are the routing model (domain/acd/model.ts).
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type {
  AgentConfig,
  AgentState,
  AgentStatus,
  EntryPosition,
  QueueConfig,
  QueueEntry,
  QueueStats,
} from '../../domain/acd/model';

/** Offer of an agent to a waiting entry; the entry's workflow dials and reports back. */
export interface AgentOffer {
  offerId: string;
  agent: { id: string; name: string; endpoint: string };
  ringTimeoutSec: number;
  record: boolean;
}

export interface OfferResult {
  entryId: string;
  offerId: string;
  outcome: 'answered' | 'no_answer' | 'failed';
}

export const acdWorkflowId = (tenantId: string): string => `acd-${tenantId}`;

export const enqueueSignal = defineSignal<[{ entry: QueueEntry; queue: QueueConfig }]>('enqueue');
export const leaveSignal =
  defineSignal<[{ entryId: string; reason: 'abandoned' | 'overflow' | 'cancelled' }]>('leave');
export const offerResultSignal = defineSignal<[OfferResult]>('offerResult');
export const callEndedSignal =
  defineSignal<[{ entryId: string; agentId: string; talkSeconds: number }]>('callEnded');
export const setAgentStateUpdate = defineUpdate<
  AgentStatus,
  [{ agent: AgentConfig; state: AgentState; reason?: string }]
>('setAgentState');
export const queueStatsQuery = defineQuery<QueueStats, [string]>('queueStats');
export const agentsQuery = defineQuery<AgentStatus[]>('agents');
export const positionQuery = defineQuery<EntryPosition | null, [string]>('position');
export const waitingQuery = defineQuery<QueueEntry[], [string]>('waiting');

/** Sent by AcdWorkflow to the waiting entry's workflow. */
export const agentOfferedSignal = defineSignal<[AgentOffer]>('agentOffered');

/** Where a blind transfer sends a call: another queue (a new place in line) or a number. */
export type TransferTarget = { kind: 'queue'; queueId: string } | { kind: 'number'; number: string };

/** Sent to a call's workflow (by the API) to move it away from its agent or queue. */
export const transferCallSignal = defineSignal<[{ to: TransferTarget; by: string }]>('transferCall');
