import { proxyActivities } from '@temporalio/workflow';
import type { CampaignControlActivities } from '../../activities/campaign-control';
import type { CampaignScheduleInput } from './contract';

const control = proxyActivities<CampaignControlActivities>({
  startToCloseTimeout: '30 seconds',
  retry: {
    initialInterval: '1 second',
    maximumAttempts: 10,
    nonRetryableErrorTypes: ['CampaignNotStoppable'],
  },
});

/** Run by a campaign's Temporal schedule at its start or stop time. */
export async function CampaignScheduleWorkflow(input: CampaignScheduleInput): Promise<string> {
  return control.controlCampaign(input);
}
