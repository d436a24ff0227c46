import { ApplicationFailure, TypedSearchAttributes } from '@temporalio/common';
import { CallSearchAttributes } from '../workflows/call/contract';
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Pool } from '../lib/db';
import { CampaignWorkflow } from '../workflows/campaign/workflow';
import { campaignControlUpdate, campaignWorkflowId, type CampaignPlan } from '../workflows/campaign/contract';
import { CampaignSettings } from '../domain/campaign/settings';

/**
 * Starts a draft campaign's workflow; shared by the API and scheduled starts. Idempotent: a start that moved
 * the row to running and then could not reach Temporal (the request answered 503, the activity is retried)
 * is finished by the next call, which starts the workflow the row says is running. REJECT_DUPLICATE there:
 * a campaign whose workflow has run already is never started again.
 */
export async function startCampaign(
  deps: { pool: Pool; client: Client; taskQueue: string },
  tenantId: string,
  campaignId: string,
): Promise<{ started: true; plan: CampaignPlan } | { started: false }> {
  const moved = await deps.pool.query<{ config: unknown }>(
    `update campaigns set state = 'running', version = version + 1, updated_at = now()
      where id = $1 and tenant_id = $2 and state = 'draft' returning config`,
    [campaignId, tenantId],
  );
  const unfinished = moved.rows[0]
    ? undefined
    : await deps.pool.query<{ config: unknown }>(
        `select config from campaigns where id = $1 and tenant_id = $2 and state = 'running'`,
        [campaignId, tenantId],
      );
  const config = moved.rows[0]?.config ?? unfinished?.rows[0]?.config;
  if (config === undefined) return { started: false };
  const s = CampaignSettings.parse(config);
  const plan: CampaignPlan = {
    campaignId,
    tenantId,
    target: s.target,
    callerId: s.callerId,
    mode: s.mode,
    pacing: s.pacing,
    amd: s.amd,
    ringSeconds: s.ringSeconds,
  };
  try {
    await deps.client.workflow.start(CampaignWorkflow, {
      workflowId: campaignWorkflowId(campaignId),
      taskQueue: deps.taskQueue,
      args: [{ plan }],
      typedSearchAttributes: new TypedSearchAttributes([
        { key: CallSearchAttributes.tenant, value: tenantId },
      ]),
      ...(unfinished ? { workflowIdReusePolicy: 'REJECT_DUPLICATE' as const } : {}),
    });
  } catch (err) {
    // Running (or run) already: another request or an earlier try started it; this one changes nothing. On
    // the draft path too: a concurrent request can finish the start this one began (a 409, not a 500).
    if (err instanceof WorkflowExecutionAlreadyStartedError) return { started: false };
    throw err;
  }
  return { started: true, plan };
}

/** What a Temporal schedule does at a campaign's start or stop time. */
export function createCampaignControlActivities(deps: { pool: Pool; client: Client; taskQueue: string }) {
  return {
    async controlCampaign({
      tenantId,
      campaignId,
      action,
    }: {
      tenantId: string;
      campaignId: string;
      action: 'start' | 'stop';
    }) {
      if (action === 'start') {
        return (await startCampaign(deps, tenantId, campaignId)).started ? 'started' : 'not_draft';
      }
      try {
        await deps.client.workflow
          .getHandle(campaignWorkflowId(campaignId))
          .executeUpdate(campaignControlUpdate, {
            args: [{ action: 'stop' }],
          });
        return 'stopped';
      } catch (err) {
        // Never started, or already stopped or completed: nothing to stop.
        if (err instanceof WorkflowNotFoundError) return 'not_running';
        const message = (err as Error).message;
        throw ApplicationFailure.create({ type: 'CampaignNotStoppable', message, nonRetryable: true });
      }
    },
  };
}

export type CampaignControlActivities = ReturnType<typeof createCampaignControlActivities>;
