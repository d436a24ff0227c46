import { ApplicationFailure, TypedSearchAttributes } from '@temporalio/common';
import { CallSearchAttributes } from '../workflows/call/contract';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Pool } from '../lib/db';
import { CampaignWorkflow } from '../workflows/campaign/workflow';
import { campaignControlUpdate, campaignWorkflowId, type CampaignPlan } from '../workflows/campaign/contract';
import { CampaignSettings } from '../domain/campaign/settings';

/** Starts a draft campaign's workflow; shared by the API and scheduled starts. */
export async function startCampaign(
  deps: { pool: Pool; client: Client; taskQueue: string },
  tenantId: string,
  campaignId: string,
): Promise<'started' | 'not_draft'> {
  const { rows } = await deps.pool.query<{ config: unknown }>(
    `update campaigns set state = 'running', version = version + 1, updated_at = now()
      where id = $1 and tenant_id = $2 and state = 'draft' returning config`,
    [campaignId, tenantId],
  );
  if (!rows[0]) return 'not_draft';
  const s = CampaignSettings.parse(rows[0].config);
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
  await deps.client.workflow.start(CampaignWorkflow, {
    workflowId: campaignWorkflowId(campaignId),
    taskQueue: deps.taskQueue,
    args: [{ plan }],
    typedSearchAttributes: new TypedSearchAttributes([{ key: CallSearchAttributes.tenant, value: tenantId }]),
  });
  return 'started';
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
      if (action === 'start') return startCampaign(deps, tenantId, campaignId);
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
