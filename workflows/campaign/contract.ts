/** What the gateway, the UI and the campaign workflows agree on. Safe to import anywhere. */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { AttemptResult } from '../campaign-attempt/contract';

export type CampaignDisposition =
  'answered' | 'busy' | 'no_answer' | 'failed' | 'machine' | 'abandoned' | 'dnc';

/** The campaign's settings as plain values, for workflow code. */
export interface CampaignPlan {
  campaignId: string;
  tenantId: string;
  target: { kind: 'flow'; flowId: string } | { kind: 'queue'; queueId: string };
  callerId: string;
  mode: 'agentless' | 'preview' | 'progressive' | 'predictive';
  pacing: { callsPerSecond: number; maxConcurrent: number; ratio: number; maxAbandonRate: number };
  amd: boolean;
  ringSeconds: number;
}

export interface ClaimedContact {
  id: string;
  phone: string;
  timeZone: string;
  fields: Record<string, string>;
  /** This attempt's number, 1 for the first. */
  attempt: number;
}

export interface CampaignProgress {
  campaignId: string;
  state: 'running' | 'paused' | 'stopped' | 'completed';
  /** Attempts started and finished since the campaign started. */
  launched: number;
  finished: number;
  inFlight: number;
  byDisposition: Partial<Record<CampaignDisposition, number>>;
  /** Calls started per second over the last minute. */
  pace: number;
  /** Abandoned / (answered + abandoned) over the last five minutes (agent campaigns). */
  abandonRate: number | null;
  /** Calls per available agent now (progressive, predictive). */
  ratio: number;
  startedAt: string;
}

/** A campaign's progress when its workflow starts: the workflow's first state, and the start request's answer. */
export function initialProgress(plan: CampaignPlan, startedAt: string): CampaignProgress {
  return {
    campaignId: plan.campaignId,
    state: 'running',
    launched: 0,
    finished: 0,
    inFlight: 0,
    byDisposition: {},
    pace: 0,
    abandonRate: null,
    ratio: plan.pacing.ratio,
    startedAt,
  };
}

export const campaignWorkflowId = (campaignId: string): string => `campaign-${campaignId}`;

/** Stasis argument of campaign calls: the router leaves them to their attempt workflow. */
export const CAMPAIGN_LEG_ARG = 'cticloud:campaign-leg';

export const campaignControlUpdate = defineUpdate<
  CampaignProgress,
  [{ action: 'pause' | 'resume' | 'stop' }]
>('control');
export const campaignProgressQuery = defineQuery<CampaignProgress>('progress');
/** Sent by each attempt when it is over, to the campaign's current run. */
export const attemptDoneSignal = defineSignal<[AttemptResult]>('attemptDone');
