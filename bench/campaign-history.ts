/**
 * What a campaign's workflows weigh, for the campaign-dialer bench (bench/campaign-dialer.ts): the history
 * of every CampaignWorkflow run and of a sample of attempts, and how late the pacing timers fired.
 */
import { temporal as proto } from '@temporalio/proto';
import { campaignWorkflowId } from '../workflows/campaign/contract';
import { temporalMs, type BenchStack } from './acd-kit';
import { summarize } from './stats';

/** Events and encoded bytes of a workflow run's history, and each fired timer's requested and actual delay. */
async function historySize(stack: BenchStack, workflowId: string, runId?: string) {
  const history = await stack.temporal.workflow.getHandle(workflowId, runId).fetchHistory();
  const events = history.events ?? [];
  const started = new Map<string, { at: number; requestedMs: number }>();
  const timers: { requestedMs: number; firedAfterMs: number }[] = [];
  for (const e of events) {
    const start = e.timerStartedEventAttributes;
    if (start?.timerId)
      started.set(start.timerId, {
        at: temporalMs(e.eventTime),
        requestedMs: temporalMs(start.startToFireTimeout),
      });
    const timer = started.get(e.timerFiredEventAttributes?.timerId ?? '');
    if (timer)
      timers.push({ requestedMs: timer.requestedMs, firedAfterMs: temporalMs(e.eventTime) - timer.at });
  }
  return {
    events: events.length,
    bytes: proto.api.history.v1.History.encode(history).finish().length,
    previousRunId: events[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId ?? undefined,
    timers,
  };
}

/** Every run of the campaign's workflow, newest first, following the continue-as-new chain back. */
export async function campaignRuns(stack: BenchStack, campaignId: string) {
  const id = campaignWorkflowId(campaignId);
  const runs: { events: number; bytes: number }[] = [];
  const timers: { requestedMs: number; firedAfterMs: number }[] = [];
  let runId: string | undefined;
  do {
    const run = await historySize(stack, id, runId);
    runs.push({ events: run.events, bytes: run.bytes });
    timers.push(...run.timers);
    runId = run.previousRunId || undefined;
  } while (runId && runs.length < 1000);
  return { runs, timers };
}

/** History sizes of up to `per` attempts of each disposition. */
export async function attemptHistories(stack: BenchStack, campaignId: string, per = 20) {
  const { rows } = await stack.pool.query<{ call_id: string; disposition: string }>(
    `select call_id, disposition from (
       select call_id, disposition, row_number() over (partition by disposition order by random()) as n
         from campaign_attempts where campaign_id = $1) s where n <= $2`,
    [campaignId, per],
  );
  const by: Record<string, { events: number[]; bytes: number[] }> = {};
  for (const row of rows) {
    const size = await historySize(stack, row.call_id);
    const d = (by[row.disposition] ??= { events: [], bytes: [] });
    d.events.push(size.events);
    d.bytes.push(size.bytes);
  }
  return Object.fromEntries(
    Object.entries(by).map(([k, v]) => [k, { events: summarize(v.events), bytes: summarize(v.bytes) }]),
  );
}
