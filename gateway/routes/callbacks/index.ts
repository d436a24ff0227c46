import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import {
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type WorkflowExecutionInfo,
} from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { Role } from '../../../lib/api-keys';
import { readCallbackStatus, startCallback, wakeIfDelayed } from '../../../lib/callbacks';
import {
  callbackWorkflowId,
  cancelUpdate,
  rescheduleUpdate,
  type CallbackStatus,
} from '../../../workflows/callback/contract';
import { hours as hoursNode } from '../../../domain/flow/nodes/logic';
import { InvalidFieldError, NotFoundError } from '../../errors';
import { ErrorBody } from '../../plugins/error-handler';
import { ConflictError } from '../flows/store';

const Hours = hoursNode.params;
const CallbackInput = z
  .object({
    number: z.string().regex(/^\+?[0-9]{3,20}$/, 'digits, optionally with a leading +'),
    queueId: z.string().uuid(),
    earliest: z.iso.datetime({ offset: true }).optional(),
    latest: z.iso.datetime({ offset: true }).optional(),
    /** Calling hours in the customer's time zone (same model as the flows' hours node). */
    hours: Hours.optional(),
    /** @default 3 */
    maxAttempts: z.number().int().min(1).max(20).default(3),
    /** Seconds before attempt 2, 3, …; the last repeats. @default [60, 300, 900] */
    retryDelaysSec: z
      .array(
        z
          .number()
          .int()
          .min(0)
          .max(7 * 86_400),
      )
      .min(1)
      .max(20)
      .default([60, 300, 900]),
    priority: z.number().int().min(0).max(100).default(0),
    notes: z.string().max(2000).optional(),
    /** Seconds the customer's phone rings per attempt. @default 30 */
    ringSeconds: z.number().int().min(5).max(120).default(30),
    /**
     * Answering machine detection (Asterisk's AMD()) on the customer's leg: a machine counts as an attempt
     * that did not reach them and is retried. @default false
     */
    amd: z.boolean().default(false),
  })
  .refine((b) => !b.earliest || !b.latest || b.earliest < b.latest, {
    message: 'earliest must be before latest',
    path: ['latest'],
  });
const Reschedule = z
  .object({
    earliest: z.iso.datetime({ offset: true }).optional(),
    latest: z.iso.datetime({ offset: true }).optional(),
    hours: Hours.optional(),
    priority: z.number().int().min(0).max(100).optional(),
    notes: z.string().max(2000).optional(),
  })
  .refine((b) => Object.keys(b).length > 0, 'nothing to change');
const Attempt = z.object({
  number: z.number().int(),
  startedAt: z.string(),
  endedAt: z.string().optional(),
  agentId: z.string().optional(),
  outcome: z.enum(['answered', 'busy', 'no_answer', 'failed', 'machine', 'agent_no_answer']).optional(),
  talkSeconds: z.number().optional(),
});
const Callback = z
  .object({
    id: z.string(),
    state: z.enum(['scheduled', 'queued', 'dialing', 'connected', 'completed', 'failed', 'cancelled']),
    number: z.string(),
    queueId: z.string(),
    priority: z.number().int(),
    notes: z.string().optional(),
    earliest: z.string().optional(),
    latest: z.string().optional(),
    maxAttempts: z.number().int(),
    attempts: z.array(Attempt),
    nextAttemptAt: z.string().optional(),
    reason: z.string().optional(),
    recordingId: z.string().optional(),
    fromCall: z.string().optional(),
    /** The place in line it keeps: when the caller who asked for it entered the queue. */
    enqueuedAt: z.string().optional(),
    amd: z.boolean(),
    createdAt: z.string(),
  })
  .meta({ id: 'Callback' });
const CallbackId = z.object({ id: z.string().uuid('a callback id is a UUID') });
const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody };
const readers = [Role.Admin, Role.Supervisor, Role.Developer, Role.Agent] as const;
const writers = [Role.Admin, Role.Supervisor, Role.Developer] as const;

const toCallback = (s: CallbackStatus) => ({
  id: s.callbackId,
  state: s.state,
  number: s.request.number,
  queueId: s.request.queueId,
  priority: s.request.priority,
  notes: s.request.notes,
  earliest: s.request.earliest,
  latest: s.request.latest,
  maxAttempts: s.request.maxAttempts,
  attempts: s.attempts,
  nextAttemptAt: s.nextAttemptAt,
  reason: s.reason,
  recordingId: s.recordingId,
  enqueuedAt: s.request.enqueuedAt,
  amd: s.request.amd ?? false,
  fromCall: s.request.fromCall,
  createdAt: s.createdAt,
});

/** Callbacks: each one a CallbackWorkflow, listed from Temporal's visibility by tenant. */
const callbacks: FastifyPluginAsyncZod = async (app) => {
  const handleOf = async (tenantId: string, id: string) => {
    const handle = app.temporal.workflow.getHandle(callbackWorkflowId(id));
    try {
      const status = await readCallbackStatus(app.temporal, handle.workflowId);
      if (status.request.tenantId !== tenantId) throw new NotFoundError('callback', id);
      return { handle, status };
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw new NotFoundError('callback', id);
      throw err;
    }
  };
  const update = async <T>(
    { handle, status }: Awaited<ReturnType<typeof handleOf>>,
    run: () => Promise<T>,
  ): Promise<T> => {
    // A closed callback's workflow has ended: it takes no more updates.
    if (['completed', 'failed', 'cancelled'].includes(status.state)) {
      throw new ConflictError(`the callback is ${status.state}`);
    }
    try {
      await wakeIfDelayed(app.temporal, handle, app.config.TEMPORAL_TASK_QUEUE);
      return await run();
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError) {
        throw new ConflictError((err.cause as Error | undefined)?.message ?? err.message);
      }
      throw err;
    }
  };

  app.post(
    '/',
    {
      config: { roles: writers },
      schema: {
        tags: ['callbacks'],
        summary:
          'Owe a customer a call: dialed agent-first when its turn in the queue comes, retried until answered',
        body: CallbackInput,
        response: { 201: Callback, ...errors },
      },
    },
    async (request, reply) => {
      const { tenantId } = request.principal;
      const found = await app.pg.query(
        'select 1 from queues where id = $1 and tenant_id = $2 and deleted_at is null',
        [request.body.queueId, tenantId],
      );
      if (!found.rowCount) throw new InvalidFieldError('queueId', `no queue ${request.body.queueId}`);
      if (request.body.latest && Date.parse(request.body.latest) < Date.now()) {
        throw new InvalidFieldError('latest', 'is in the past');
      }
      const status = await startCallback(
        app.temporal,
        app.config.TEMPORAL_TASK_QUEUE,
        {
          callbackId: randomUUID(),
          request: { ...request.body, tenantId },
          createdAt: new Date().toISOString(),
        },
        { delayFromMs: app.config.CALLBACK_START_DELAY_FROM_SEC * 1000 },
      );
      return reply.code(201).send(toCallback(status));
    },
  );

  app.get(
    '/',
    {
      config: { roles: readers },
      schema: {
        tags: ['callbacks'],
        querystring: z.object({
          open: z.enum(['true', 'false']).optional(),
          limit: z.coerce.number().int().min(1).max(200).default(50),
        }),
        response: { 200: z.object({ callbacks: z.array(Callback) }), ...errors },
      },
    },
    async (request) => {
      const { tenantId } = request.principal;
      const status =
        request.query.open === 'true'
          ? ` AND ExecutionStatus = "Running"`
          : request.query.open === 'false'
            ? ` AND ExecutionStatus != "Running"`
            : '';
      const query = `WorkflowType = "CallbackWorkflow" AND TenantId = "${tenantId}"${status}`;
      const executions: WorkflowExecutionInfo[] = [];
      for await (const info of app.temporal.workflow.list({ query, pageSize: request.query.limit })) {
        executions.push(info);
        if (executions.length >= request.query.limit) break;
      }
      const list = await Promise.all(
        executions.map((e) =>
          readCallbackStatus(app.temporal, e.workflowId, e.runId, e.executionTime).catch(() => undefined),
        ),
      );
      return { callbacks: list.filter((s): s is CallbackStatus => !!s).map(toCallback) };
    },
  );

  app.get(
    '/:id',
    {
      config: { roles: readers },
      schema: { tags: ['callbacks'], params: CallbackId, response: { 200: Callback, ...errors } },
    },
    async (request) => toCallback((await handleOf(request.principal.tenantId, request.params.id)).status),
  );

  app.patch(
    '/:id',
    {
      config: { roles: writers },
      schema: {
        tags: ['callbacks'],
        summary:
          'Reschedule: new earliest/latest time, calling hours, priority or notes; 409 once it is closed',
        params: CallbackId,
        body: Reschedule,
        response: { 200: Callback, ...errors },
      },
    },
    async (request) => {
      const found = await handleOf(request.principal.tenantId, request.params.id);
      return toCallback(
        await update(found, () => found.handle.executeUpdate(rescheduleUpdate, { args: [request.body] })),
      );
    },
  );

  app.delete(
    '/:id',
    {
      config: { roles: writers },
      schema: {
        tags: ['callbacks'],
        summary: 'Cancel; an attempt under way finishes first. 409 once it is closed',
        params: CallbackId,
        response: { 200: Callback, ...errors },
      },
    },
    async (request) => {
      const found = await handleOf(request.principal.tenantId, request.params.id);
      return toCallback(
        await update(found, () =>
          found.handle.executeUpdate(cancelUpdate, { args: [{ reason: 'cancelled by request' }] }),
        ),
      );
    },
  );
};

export default callbacks;
