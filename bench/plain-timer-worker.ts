/**
 * A worker with nothing but PlainTimerWorkflow on PLAIN_TASK_QUEUE, default options like CTICloud's worker:
 * the baseline process of bench/callbacks-pending.ts.
 */
import { NativeConnection, Worker } from '@temporalio/worker';
import { loadConfig } from '../lib/config';

async function main(): Promise<void> {
  const config = loadConfig();
  const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  const worker = await Worker.create({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: process.env.PLAIN_TASK_QUEUE ?? 'bench-plain-timers',
    workflowsPath: require.resolve('./plain-timer-workflow'),
  });
  console.log('plain timer worker ready');
  try {
    await worker.run();
  } finally {
    await connection.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
