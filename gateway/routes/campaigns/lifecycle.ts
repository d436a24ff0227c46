import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { MONTHS, WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { startCampaign } from '../../../activities/campaign-control';
import { z } from 'zod';
import { Role } from '../../../lib/api-keys';
import {
  campaignControlUpdate,
  campaignProgressQuery,
  campaignWorkflowId,
  initialProgress,
} from '../../../workflows/campaign/contract';
import type { CampaignScheduleInput } from '../../../workflows/campaign-schedule/contract';
import { InvalidFieldError, NotFoundError } from '../../errors';
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
  const deps = { pool: app.pg, client: app.temporal, taskQueue: app.config.TEMPORAL_TASK_QUEUE };
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
      // A running one may be a start that did not finish (startCampaign finishes it, or says it had).
      if (campaign.state !== 'draft' && campaign.state !== 'running') {
        throw new ConflictError(`a ${campaign.state} campaign cannot start`);
      }
      // The row moves first and only from draft: two start requests cannot both start a workflow.
      const start = await startCampaign(deps, tenantId, campaign.id);
      if (!start.started) throw new ConflictError('the campaign was started already');
      // The workflow's first state, not a query of it: the campaign has started, and a query can time out
      // (a worker busy, a namespace just failed over), which must not turn a done start into an error.
      return reply.code(202).send(initialProgress(start.plan, new Date().toISOString()));
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

  app.put(
    '/:id/schedule',
    {
      config: { roles: operators },
      schema: {
        tags: ['campaigns'],
        summary: 'Start and/or stop the campaign at a time, by Temporal schedules (durable, replicated)',
        params: Params,
        body: z
          .object({
            startAt: z.iso.datetime({ offset: true }).optional(),
            stopAt: z.iso.datetime({ offset: true }).optional(),
          })
          .refine((b) => b.startAt || b.stopAt, 'startAt or stopAt')
          .refine((b) => !b.startAt || !b.stopAt || b.startAt < b.stopAt, {
            message: 'stopAt must be after startAt',
            path: ['stopAt'],
          }),
        response: {
          200: z.object({
            schedules: z.array(
              z.object({ id: z.string(), action: z.enum(['start', 'stop']), at: z.string() }),
            ),
          }),
          ...errors,
        },
      },
    },
    async (request) => {
      const { tenantId } = request.principal;
      const campaign = await campaignOf(tenantId, request.params.id);
      const schedules = [];
      for (const [action, at] of [
        ['start', request.body.startAt],
        ['stop', request.body.stopAt],
      ] as const) {
        if (!at) continue;
        if (Date.parse(at) <= Date.now()) throw new InvalidFieldError(`${action}At`, 'is in the past');
        const id = `campaign-${campaign.id}-${action}`;
        // Replacing a schedule: the previous one for this action goes first.
        await app.temporal.schedule
          .getHandle(id)
          .delete()
          .catch(() => undefined);
        await app.temporal.schedule.create({
          scheduleId: id,
          spec: { calendars: [oneShot(new Date(at))] },
          action: {
            type: 'startWorkflow',
            workflowType: 'CampaignScheduleWorkflow',
            taskQueue: app.config.TEMPORAL_TASK_QUEUE,
            args: [{ tenantId, campaignId: campaign.id, action } satisfies CampaignScheduleInput],
          },
          state: { remainingActions: 1 },
        });
        schedules.push({ id, action, at });
      }
      return { schedules };
    },
  );

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

/** A calendar entry that matches one second only (UTC). */
function oneShot(at: Date) {
  return {
    year: at.getUTCFullYear(),
    month: MONTHS[at.getUTCMonth()]!,
    dayOfMonth: at.getUTCDate(),
    hour: at.getUTCHours(),
    minute: at.getUTCMinutes(),
    second: at.getUTCSeconds(),
  };
}
