/** The baseline of bench/callbacks-pending.ts: a workflow that only waits for one durable timer. */
import { sleep } from '@temporalio/workflow';

/** Sleeps until `fireAt` (ISO), as CallbackWorkflow waits for `earliest`, then completes. */
export async function PlainTimerWorkflow(input: { fireAt: string }): Promise<void> {
  await sleep(Math.max(1, Date.parse(input.fireAt) - Date.now()));
}
