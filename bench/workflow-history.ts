/** Figures the benchmarks read from Temporal workflow histories. */
import type { Client } from '@temporalio/client';
import { temporalMs } from './acd-kit';
import { summarize } from './stats';

type HistoryEvent = NonNullable<
  Awaited<ReturnType<ReturnType<Client['workflow']['getHandle']>['fetchHistory']>>['events']
>[number];

/** The events of each workflow, fetched `concurrency` at a time. */
export async function histories(
  temporal: Client,
  ids: readonly string[],
  concurrency = 8,
): Promise<Map<string, HistoryEvent[]>> {
  const found = new Map<string, HistoryEvent[]>();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < ids.length) {
        const id = ids[next++]!;
        const history = await temporal.workflow
          .getHandle(id)
          .fetchHistory()
          .catch(() => undefined);
        found.set(id, history?.events ?? []);
      }
    }),
  );
  return found;
}

/** The completion of the first activity of this type, if it completed. */
export function activityCompleted(events: HistoryEvent[], type: string): HistoryEvent | undefined {
  const scheduled = events.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === type);
  if (!scheduled) return undefined;
  return events.find(
    (e) => String(e.activityTaskCompletedEventAttributes?.scheduledEventId) === String(scheduled.eventId),
  );
}

/**
 * The first local activity's marker: recorded when the workflow task that ran it completed, so its time is
 * when the activity's work was done at the latest.
 */
export const firstLocalActivity = (events: HistoryEvent[]): HistoryEvent | undefined =>
  events.find((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity');

/** Epoch milliseconds of an event (NaN without one). */
export const eventMs = (e: HistoryEvent | undefined): number => temporalMs(e?.eventTime);

/**
 * Workflow tasks of every run of one workflow: how long each waited to be picked up by a worker (scheduled →
 * started) and how long the worker took (started → completed), and how many signals the run took in.
 */
export async function workflowTasks(temporal: Client, workflowId: string) {
  const runs = [];
  for await (const info of temporal.workflow.list({ query: `WorkflowId = '${workflowId}'` })) {
    const events = (await temporal.workflow.getHandle(workflowId, info.runId).fetchHistory()).events ?? [];
    const [waits, work] = [[] as number[], [] as number[]];
    let [scheduled, started] = [NaN, NaN];
    for (const e of events) {
      if (e.workflowTaskScheduledEventAttributes) scheduled = eventMs(e);
      if (e.workflowTaskStartedEventAttributes) waits.push((started = eventMs(e)) - scheduled);
      if (e.workflowTaskCompletedEventAttributes) work.push(eventMs(e) - started);
    }
    runs.push({
      status: info.status.name,
      events: events.length,
      signals: events.filter((e) => e.workflowExecutionSignaledEventAttributes).length,
      inputBytes: events[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0]?.data?.length ?? 0,
      taskScheduleToStartMs: summarize(waits),
      taskStartToCompleteMs: summarize(work),
    });
  }
  return runs;
}
