/** A workflow that takes a workflow task every `everyMs`: failover time is the gap in its ticks. */
import { continueAsNew, sleep } from '@temporalio/workflow';

export async function TickWorkflow(input: { everyMs: number; ticksPerRun?: number }): Promise<void> {
  for (let i = 0; i < (input.ticksPerRun ?? 400); i++) await sleep(input.everyMs);
  await continueAsNew<typeof TickWorkflow>(input);
}
