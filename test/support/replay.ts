import type { Client, HistoryAndWorkflowId } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { loadWorkflowBundle } from '../../workers/workflow-bundle';

/**
 * Replays the history of every workflow of the namespace that started since `since` and has closed,
 * with today's workflow code: a change that breaks determinism for a call the suite made fails here.
 */
export async function replayClosedSince(
  temporal: Client,
  since: Date,
): Promise<{ replayed: number; failures: string[] }> {
  const query = `StartTime >= "${since.toISOString()}" AND ExecutionStatus != "Running"`;
  const histories: HistoryAndWorkflowId[] = [];
  for await (const execution of temporal.workflow.list({ query })) {
    const handle = temporal.workflow.getHandle(execution.workflowId, execution.runId);
    histories.push({ workflowId: execution.workflowId, history: await handle.fetchHistory() });
  }
  const failures: string[] = [];
  let replayed = 0;
  for await (const result of Worker.runReplayHistories(
    { workflowBundle: await loadWorkflowBundle(), replayName: 'suite' },
    histories,
  )) {
    replayed++;
    if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
  }
  return { replayed, failures };
}
