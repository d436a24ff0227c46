/** What CampaignWorkflow and its CampaignAttemptWorkflow children agree on. Safe to import anywhere. */
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
