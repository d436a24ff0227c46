/**
 * Starts a campaign's attempts as workflows of their own, a batch per call (issue #14, I). The campaign
 * workflow started them as children before: three events and about one workflow task of the campaign's per
 * attempt, and that one workflow was busy 86 % of the time at 5 attempts/s (docs/benchmarks.md). Attempts
 * report by signal either way, so nothing needs the parent–child link.
 */
import { activityInfo } from '@temporalio/activity';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { TypedSearchAttributes } from '@temporalio/common';
import { CallSearchAttributes } from '../workflows/call/contract';
import type { CampaignPlan, ClaimedContact } from '../workflows/campaign/contract';
import { attemptWorkflowId, type AttemptInput } from '../workflows/campaign-attempt/contract';

export interface AttemptLaunch {
  contact: ClaimedContact;
  /** The attempt's slot (AttemptInput.notBefore). */
  notBefore?: string;
}

export function createAttemptLauncher(deps: { client: Client; taskQueue: string }) {
  /**
   * Whether a run of `workflowId` was started since this activity was first scheduled: a retry must not
   * start again an attempt its first try started and that has ended meanwhile (a busy number ends in a
   * second). An earlier run of the same id (a released attempt keeps its number) is older than that.
   */
  const startedByThisLaunch = async (workflowId: string): Promise<boolean> => {
    try {
      const run = await deps.client.workflow.getHandle(workflowId).describe();
      return run.startTime.getTime() >= activityInfo().scheduledTimestampMs;
    } catch {
      return false;
    }
  };

  return {
    /** Starts each attempt once; one already running (or started by an earlier try of this call) is left as it is. */
    async startAttempts({
      plan,
      launches,
    }: {
      plan: CampaignPlan;
      launches: AttemptLaunch[];
    }): Promise<void> {
      const retry = activityInfo().attempt > 1;
      await Promise.all(
        launches.map(async ({ contact, notBefore }) => {
          const workflowId = attemptWorkflowId(plan.campaignId, contact.id, contact.attempt);
          if (retry && (await startedByThisLaunch(workflowId))) return;
          const input: AttemptInput = { plan, contact, ...(notBefore ? { notBefore } : {}) };
          try {
            await deps.client.workflow.start('CampaignAttemptWorkflow', {
              workflowId,
              taskQueue: deps.taskQueue,
              args: [input],
              typedSearchAttributes: new TypedSearchAttributes([
                { key: CallSearchAttributes.tenant, value: plan.tenantId },
                { key: CallSearchAttributes.dialed, value: contact.phone },
              ]),
            });
          } catch (err) {
            // Running already: started by an earlier try of this call, it reports by signal.
            if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
          }
        }),
      );
    },
  };
}

export type AttemptLauncherActivities = ReturnType<typeof createAttemptLauncher>;
