/**
 * bench/failover.ts's worker: TickWorkflow on TICK_TASK_QUEUE, connected to TEMPORAL_ADDRESS (its local
 * cluster) and following it to TEMPORAL_FALLBACK_ADDRESSES while it is gone, as CTICloud's worker does.
 */
import { Worker } from '@temporalio/worker';
import { createLogger } from '../lib/logger';
import { WorkerFrontends } from '../lib/temporal';

async function main(): Promise<void> {
  const frontends = await WorkerFrontends.connect(
    {
      TEMPORAL_ADDRESS: process.env.TEMPORAL_ADDRESS!,
      TEMPORAL_FALLBACK_ADDRESSES: process.env.TEMPORAL_FALLBACK_ADDRESSES,
    },
    createLogger('xdc-tick-worker'),
  );
  const worker = frontends.adopt(
    await Worker.create({
      connection: frontends.connection,
      namespace: process.env.TEMPORAL_NAMESPACE!,
      taskQueue: process.env.TICK_TASK_QUEUE ?? 'xdc-ticks',
      workflowsPath: require.resolve('./failover-workflow'),
    }),
  );
  console.log('tick worker ready');
  await worker.run();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
