/**
 * A campaign attempt's end in one local activity (issue #14, I): its row written with the retry rules, and
 * its report signalled to the campaign. They were an activity and a signal from the attempt's workflow: two
 * round trips to the server, two more workflow tasks, 14 of an answered attempt's 51 history events, each
 * event several statements in Temporal's PostgreSQL (docs/benchmarks.md: that database is the box's
 * largest CPU consumer under a campaign). Running it again is harmless: the row is written once (on
 * conflict do nothing) and the campaign counts an attempt's report once (its in-flight set).
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { CampaignActivities } from './campaign';
import { attemptDoneSignal, campaignWorkflowId } from '../workflows/campaign/contract';
import type { AttemptResult } from '../workflows/campaign-attempt/contract';

export function createAttemptReport(deps: {
  recordAttempt: CampaignActivities['recordAttempt'];
  client: Client;
}) {
  return {
    async finishAttempt(input: {
      record: Parameters<CampaignActivities['recordAttempt']>[0];
      result: AttemptResult;
    }): Promise<void> {
      await deps.recordAttempt(input.record);
      try {
        await deps.client.workflow
          .getHandle(campaignWorkflowId(input.record.campaignId))
          .signal(attemptDoneSignal, input.result);
      } catch (err) {
        // The campaign has ended (stopped, or completed without waiting for this report): no one to tell.
        if (!(err instanceof WorkflowNotFoundError)) throw err;
      }
    },
  };
}

export type AttemptReportActivities = ReturnType<typeof createAttemptReport>;
