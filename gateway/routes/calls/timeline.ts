import { tsToMs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { Role } from '../../../lib/api-keys';
import { InvalidFieldError } from '../../errors';
import { ErrorBody } from '../../plugins/error-handler';
import { tenantCall } from './lookup';
import { CallId } from './schemas';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
const EventType = temporal.api.enums.v1.EventType;

export const TimelineEntry = z
  .object({
    eventId: z.number().int(),
    at: z.string(),
    kind: z
      .string()
      .describe('workflow, signal, activity, timer, child, update, search_attributes, marker or other'),
    /** e.g. "activity scheduled", "signal received". */
    title: z.string(),
    /** The activity, signal, timer, child workflow or update it is about. */
    name: z.string().nullable(),
    /** Why something failed, or timer lengths: never a payload (they may hold callers' input or secrets). */
    detail: z.string().nullable(),
  })
  .meta({ id: 'CallTimelineEntry' });
type TimelineEntry = z.infer<typeof TimelineEntry>;

/** The SDK records a local activity as a marker; its metadata (not its result) names the activity. */
const LOCAL_ACTIVITY_MARKER = 'core_local_activity';
function localActivityType(data: Uint8Array | null | undefined): string | null {
  if (!data) return null;
  try {
    const meta = JSON.parse(Buffer.from(data).toString('utf8')) as Record<string, unknown>;
    const type = meta.activityType ?? meta.activity_type;
    return typeof type === 'string' ? type : null;
  } catch {
    return null;
  }
}

const seconds = (d: { seconds?: unknown; nanos?: number | null } | null | undefined): string =>
  d ? `${Number(d.seconds ?? 0) + (d.nanos ?? 0) / 1e9}s` : '';

/** Completions name only the event that scheduled them; the name comes from there. */
function describe(event: HistoryEvent, names: Map<number, string>): Omit<TimelineEntry, 'eventId' | 'at'> {
  const e = event;
  const named = (id: unknown) => names.get(Number(id)) ?? null;
  const entry = (kind: string, title: string, name: string | null = null, detail: string | null = null) => ({
    kind,
    title,
    name,
    detail,
  });
  switch (e.eventType) {
    case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
      return entry(
        'workflow',
        'workflow started',
        e.workflowExecutionStartedEventAttributes?.workflowType?.name,
      );
    case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED:
      return entry('workflow', 'workflow completed');
    case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED:
      return entry(
        'workflow',
        'workflow failed',
        null,
        e.workflowExecutionFailedEventAttributes?.failure?.message ?? null,
      );
    case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT:
      return entry('workflow', 'workflow timed out');
    case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED:
      return entry('workflow', 'workflow cancelled');
    case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED:
      return entry(
        'workflow',
        'workflow terminated',
        null,
        e.workflowExecutionTerminatedEventAttributes?.reason,
      );
    case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
      return entry('signal', 'signal received', e.workflowExecutionSignaledEventAttributes?.signalName);
    case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
      return entry(
        'update',
        'update accepted',
        e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name,
      );
    case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED:
      return entry('update', 'update completed');
    case EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
      return entry(
        'activity',
        'activity scheduled',
        e.activityTaskScheduledEventAttributes?.activityType?.name,
      );
    case EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED: {
      const a = e.activityTaskStartedEventAttributes;
      const attempt = a?.attempt && a.attempt > 1 ? `attempt ${a.attempt}` : null;
      return entry('activity', 'activity started', named(a?.scheduledEventId), attempt);
    }
    case EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
      return entry(
        'activity',
        'activity completed',
        named(e.activityTaskCompletedEventAttributes?.scheduledEventId),
      );
    case EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED: {
      const a = e.activityTaskFailedEventAttributes;
      return entry('activity', 'activity failed', named(a?.scheduledEventId), a?.failure?.message ?? null);
    }
    case EventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT:
      return entry(
        'activity',
        'activity timed out',
        named(e.activityTaskTimedOutEventAttributes?.scheduledEventId),
      );
    case EventType.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED:
      return entry(
        'activity',
        'activity cancel requested',
        named(e.activityTaskCancelRequestedEventAttributes?.scheduledEventId),
      );
    case EventType.EVENT_TYPE_ACTIVITY_TASK_CANCELED:
      return entry(
        'activity',
        'activity cancelled',
        named(e.activityTaskCanceledEventAttributes?.scheduledEventId),
      );
    case EventType.EVENT_TYPE_TIMER_STARTED: {
      const a = e.timerStartedEventAttributes;
      return entry('timer', 'timer started', a?.timerId, seconds(a?.startToFireTimeout));
    }
    case EventType.EVENT_TYPE_TIMER_FIRED:
      return entry('timer', 'timer fired', e.timerFiredEventAttributes?.timerId);
    case EventType.EVENT_TYPE_TIMER_CANCELED:
      return entry('timer', 'timer cancelled', e.timerCanceledEventAttributes?.timerId);
    case EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED: {
      const a = e.startChildWorkflowExecutionInitiatedEventAttributes;
      return entry('child', 'child workflow initiated', a?.workflowType?.name, a?.workflowId);
    }
    case EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED:
      return entry(
        'child',
        'child workflow started',
        named(e.childWorkflowExecutionStartedEventAttributes?.initiatedEventId),
      );
    case EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED:
      return entry(
        'child',
        'child workflow completed',
        named(e.childWorkflowExecutionCompletedEventAttributes?.initiatedEventId),
      );
    case EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED: {
      const a = e.childWorkflowExecutionFailedEventAttributes;
      return entry('child', 'child workflow failed', named(a?.initiatedEventId), a?.failure?.message ?? null);
    }
    case EventType.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED: {
      const a = e.signalExternalWorkflowExecutionInitiatedEventAttributes;
      return entry('signal', 'signal sent', a?.signalName, a?.workflowExecution?.workflowId);
    }
    case EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
      return entry('search_attributes', 'search attributes updated');
    case EventType.EVENT_TYPE_MARKER_RECORDED: {
      const a = e.markerRecordedEventAttributes;
      if (a?.markerName !== LOCAL_ACTIVITY_MARKER) return entry('marker', 'marker recorded', a?.markerName);
      const failed = Boolean(a.failure);
      return entry(
        'activity',
        failed ? 'local activity failed' : 'local activity completed',
        localActivityType(a.details?.data?.payloads?.[0]?.data),
        a.failure?.message ?? null,
      );
    }
    default: {
      const name = EventType[e.eventType ?? 0] ?? 'unknown';
      return entry(
        'other',
        name
          .replace(/^EVENT_TYPE_/, '')
          .toLowerCase()
          .replaceAll('_', ' '),
      );
    }
  }
}

/** Workflow tasks are the SDK's bookkeeping: a reader of the timeline learns nothing from them. */
const bookkeeping: ReadonlySet<number> = new Set([
  EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
  EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED,
  EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
]);

const TimelineQuery = z.object({
  cursor: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/, 'the nextCursor of the previous page')
    .max(4000)
    .optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(200).describe('History events read for this page'),
});

const timeline: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/:id/timeline',
    {
      config: { roles: [Role.Admin, Role.Supervisor, Role.Developer] },
      schema: {
        tags: ['calls'],
        summary: "The call's workflow history as a readable timeline, oldest first, a page at a time",
        description:
          'Signals, activities (scheduled, started, completed, failed, with their type), timers and child ' +
          'workflows, with timestamps. Payloads are left out. Page on with `cursor` = `nextCursor`.',
        params: z.object({ id: CallId }),
        querystring: TimelineQuery,
        response: {
          200: z.object({ entries: z.array(TimelineEntry), nextCursor: z.string().nullable() }),
          400: ErrorBody,
          401: ErrorBody,
          403: ErrorBody,
          404: ErrorBody,
        },
      },
    },
    async (request) => {
      const { id } = request.params;
      const { cursor, limit } = request.query;
      await tenantCall(app.temporal, id, request.principal.tenantId);
      const names = new Map<number, string>();
      let page;
      try {
        page = await app.temporal.workflowService.getWorkflowExecutionHistory({
          namespace: app.temporal.options.namespace,
          execution: { workflowId: id },
          maximumPageSize: limit,
          nextPageToken: cursor ? Buffer.from(cursor, 'base64url') : undefined,
        });
      } catch (err) {
        // Temporal's own word for a token it did not issue (INVALID_ARGUMENT).
        if (cursor && (err as { code?: number }).code === 3) {
          throw new InvalidFieldError('querystring.cursor', 'not a cursor of this call');
        }
        throw err;
      }
      const entries: TimelineEntry[] = [];
      for (const event of page.history?.events ?? []) {
        const eventId = Number(event.eventId);
        const described = describe(event, names);
        if (
          event.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED ||
          event.eventType === EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED
        ) {
          if (described.name) names.set(eventId, described.name);
        }
        if (bookkeeping.has(event.eventType ?? 0)) continue;
        entries.push({ eventId, at: new Date(tsToMs(event.eventTime)).toISOString(), ...described });
      }
      const token = page.nextPageToken;
      return { entries, nextCursor: token?.length ? Buffer.from(token).toString('base64url') : null };
    },
  );
};

export default timeline;
