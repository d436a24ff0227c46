/** What the gateway's campaign schedules and CampaignScheduleWorkflow agree on. Safe to import anywhere. */

/** The input a campaign's Temporal schedule starts the workflow with, at its start or stop time. */
export interface CampaignScheduleInput {
  tenantId: string;
  campaignId: string;
  action: 'start' | 'stop';
}
