/** bench/failover.ts's worker: TickWorkflow on TICK_TASK_QUEUE, connected to TEMPORAL_ADDRESS (its local cluster). */
import { NativeConnection, Worker } from '@temporalio/worker';

async function main(): Promise<void> {
  const connection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS! });
  const worker = await Worker.create({
    connection,
    namespace: process.env.TEMPORAL_NAMESPACE!,
    taskQueue: process.env.TICK_TASK_QUEUE ?? 'xdc-ticks',
    workflowsPath: require.resolve('./failover-workflow'),
  });
  console.log('tick worker ready');
  await worker.run();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
