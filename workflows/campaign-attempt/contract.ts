/** What CampaignWorkflow and its CampaignAttemptWorkflow children agree on. Safe to import anywhere. */
import { defineSignal } from '@temporalio/workflow';
import type { CampaignDisposition, CampaignPlan, ClaimedContact } from '../campaign/contract';

export interface AttemptInput {
  plan: CampaignPlan;
  contact: ClaimedContact;
  /**
   * When the dial may start (ISO, real time): the campaign launches a second's attempts at once, each
   * with its slot, since durable timers are too coarse to space calls below a second.
   */
  notBefore?: string;
}

export interface AttemptResult {
  attemptId: string;
  contactId: string;
  disposition: CampaignDisposition;
  amd?: string;
  /** Not dialed: the campaign was paused or stopped before its slot; the contact is pending again. */
  released?: boolean;
}

export const attemptWorkflowId = (campaignId: string, contactId: string, attempt: number): string =>
  `campaign-${campaignId}-contact-${contactId}-attempt-${attempt}`;

/**
 * Sent by the campaign to an attempt it found already started (Temporal issue #10286): after a forced
 * failover the campaign's start of an attempt can be lost while the attempt itself was replicated, without
 * the first workflow task the server creates only once the parent recorded the start. A signal gives it
 * one. The attempt has nothing to do with it.
 */
export const attemptWakeSignal = defineSignal('attemptWake');
