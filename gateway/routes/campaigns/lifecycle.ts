import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { TypedSearchAttributes } from '@temporalio/common';
import { z } from 'zod';
import { Role } from '../../../lib/api-keys';
import { CallSearchAttributes } from '../../../workflows/call-contract';
import {
  campaignControlUpdate,
  campaignProgressQuery,
  campaignWorkflowId,
  type CampaignPlan,
} from '../../../workflows/campaign/contract';
import { CampaignSettings } from '../../../workflows/campaign/settings';
import { NotFoundError } from '../../errors';
import { ErrorBody } from '../../plugins/error-handler';
import { ConflictError } from '../flows/store';

const Progress = z
  .object({
    campaignId: z.string(),
    state: z.enum(['running', 'paused', 'stopped', 'completed']),
    launched: z.number().int(),
    finished: z.number().int(),
    inFlight: z.number().int(),
    byDisposition: z.record(z.string(), z.number().int()),
    pace: z.number(),
    abandonRate: z.number().nullable(),
    ratio: z.number(),
    startedAt: z.string(),
  })
  .meta({ id: 'CampaignProgress' });
const Params = z.object({ id: z.string().uuid('a campaign id is a UUID') });
const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody };
const operators = [Role.Admin, Role.Developer, Role.Supervisor] as const;

/** Starting, pausing, resuming and stopping a campaign, and its live progress, from its workflow. */
const lifecycle: FastifyPluginAsyncZod = async (app) => {
  const campaignOf = async (tenantId: string, id: string) => {
    const { rows } = await app.pg.query<{ id: string; config: unknown; state: string }>(
      'select id, config, state from campaigns where id = $1 and tenant_id = $2',
      [id, tenantId],
    );
    if (!rows[0]) throw new NotFoundError('campaign', id);
    return rows[0];
  };

  app.post(
    '/:id/start',
    {
      config: { roles: operators },
      schema: {
        tags: ['campaigns'],
        summary: 'Start dialing the campaign’s contacts',
        params: Params,
        response: { 202: Progress, ...errors },
      },
    },
    async (request, reply) => {
      const { tenantId } = request.principal;
      const campaign = await campaignOf(tenantId, request.params.id);
      if (campaign.state !== 'draft') throw new ConflictError(`a ${campaign.state} campaign cannot start`);
      const s = CampaignSettings.parse(campaign.config);
      const plan: CampaignPlan = {
        campaignId: campaign.id,
        tenantId,
        target: s.target,
        callerId: s.callerId,
        mode: s.mode,
        pacing: s.pacing,
        amd: s.amd,
        ringSeconds: s.ringSeconds,
      };
      // The row moves first and only from draft: two start requests cannot both start a workflow.
      const moved = await app.pg.query(
        `update campaigns set state = 'running', version = version + 1, updated_at = now() where id = $1 and state = 'draft'`,
        [campaign.id],
      );
      if (!moved.rowCount) throw new ConflictError('the campaign was started already');
      const handle = await app.temporal.workflow.start('CampaignWorkflow', {
        workflowId: campaignWorkflowId(campaign.id),
        taskQueue: app.config.TEMPORAL_TASK_QUEUE,
        args: [{ plan }],
        typedSearchAttributes: new TypedSearchAttributes([
          { key: CallSearchAttributes.tenant, value: tenantId },
        ]),
      });
      return reply.code(202).send(await handle.query(campaignProgressQuery));
    },
  );

  for (const action of ['pause', 'resume', 'stop'] as const) {
    app.post(
      `/:id/${action}`,
      {
        config: { roles: operators },
        schema: {
          tags: ['campaigns'],
          summary: {
            pause: 'Stop launching calls at once; calls in progress go on',
            resume: 'Launch calls again',
            stop: 'End the campaign: no call is placed after this, unanswered ones are cancelled',
          }[action],
          params: Params,
          response: { 200: Progress, ...errors },
        },
      },
      async (request) => {
        await campaignOf(request.principal.tenantId, request.params.id);
        const handle = app.temporal.workflow.getHandle(campaignWorkflowId(request.params.id));
        try {
          return await handle.executeUpdate(campaignControlUpdate, { args: [{ action }] });
        } catch (err) {
          if (err instanceof WorkflowUpdateFailedError) {
            throw new ConflictError((err.cause as Error | undefined)?.message ?? err.message);
          }
          if (err instanceof WorkflowNotFoundError) throw new ConflictError('the campaign has not started');
          throw new ConflictError(`the campaign cannot ${action} now: ${(err as Error).message}`);
        }
      },
    );
  }

  app.get(
    '/:id/progress',
    {
      config: { roles: [...operators, Role.Agent] },
      schema: {
        tags: ['campaigns'],
        summary:
          'Live: attempts launched and finished, by disposition, current pace, abandon rate, ratio, ETA',
        params: Params,
        response: { 200: Progress.extend({ etaSec: z.number().nullable() }), ...errors },
      },
    },
    async (request) => {
      const { tenantId } = request.principal;
      await campaignOf(tenantId, request.params.id);
      const handle = app.temporal.workflow.getHandle(campaignWorkflowId(request.params.id));
      const progress = await handle.query(campaignProgressQuery).catch((err: unknown) => {
        if (err instanceof WorkflowNotFoundError) throw new ConflictError('the campaign has not started');
        throw err;
      });
      const { rows } = await app.pg.query<{ open: string }>(
        `select count(*) as open from campaign_contacts where campaign_id = $1 and state in ('pending', 'dialing')`,
        [request.params.id],
      );
      const open = Number(rows[0]?.open ?? 0);
      // At the pace of the last minute; unknown before the first call.
      const etaSec = progress.pace > 0 ? Math.round(open / progress.pace) : null;
      return { ...progress, etaSec };
    },
  );
};

export default lifecycle;
