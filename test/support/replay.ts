import type { Client, HistoryAndWorkflowId } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { loadWorkflowBundle } from '../../workers/workflow-bundle';
import { HISTORY_CEILINGS } from '../../domain/history-ceilings';

/**
 * Replays the history of every workflow of the namespace that started since `since` and has closed,
 * with today's workflow code: a change that breaks determinism for a call the suite made fails here. Each
 * history must also be within its type's ceiling (HISTORY_CEILINGS): a change that makes a workflow record
 * more than its design allows fails here too.
 */
export async function replayClosedSince(
  temporal: Client,
  since: Date,
): Promise<{ replayed: number; failures: string[] }> {
  const query = `StartTime >= "${since.toISOString()}" AND ExecutionStatus != "Running"`;
  const histories: HistoryAndWorkflowId[] = [];
  const failures: string[] = [];
  for await (const execution of temporal.workflow.list({ query })) {
    const handle = temporal.workflow.getHandle(execution.workflowId, execution.runId);
    histories.push({ workflowId: execution.workflowId, history: await handle.fetchHistory() });
    const ceiling = (HISTORY_CEILINGS as Record<string, number>)[execution.type];
    if (ceiling === undefined)
      failures.push(`${execution.workflowId}: no history ceiling for ${execution.type}`);
    else if (execution.historyLength > ceiling) {
      failures.push(
        `${execution.workflowId}: ${execution.historyLength} events, over ${execution.type}'s ${ceiling}`,
      );
    }
  }
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
