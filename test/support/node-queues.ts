import { Worker, type NativeConnection, type WorkerOptions } from '@temporalio/worker';
import { ariTaskQueue } from '../../domain/asterisk-nodes';

/**
 * Runs `fn` while `worker` runs, with activity-only workers on the task queues of `nodes` serving the same
 * activities: a workflow schedules a channel's commands on its node's queue (see onChannelNode), so a
 * workflow test with fake activities must poll those queues too.
 */
export async function runWithNodeQueues<T>(
  worker: Worker,
  options: {
    connection: NativeConnection;
    taskQueue: string;
    nodes: readonly string[];
    activities: object;
    /** The main worker's activity interceptors, e.g. eventCapture's. */
    interceptors?: WorkerOptions['interceptors'];
  },
  fn: () => Promise<T>,
): Promise<T> {
  const nodeWorkers = await Promise.all(
    options.nodes.map((node) =>
      Worker.create({
        connection: options.connection,
        taskQueue: ariTaskQueue(options.taskQueue, node),
        activities: options.activities,
        interceptors: options.interceptors,
      }),
    ),
  );
  return worker.runUntil(async () => {
    const runs = nodeWorkers.map((w) => w.run());
    try {
      return await fn();
    } finally {
      for (const w of nodeWorkers) w.shutdown();
      await Promise.all(runs);
    }
  });
}
