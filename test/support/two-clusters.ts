/**
 * A CTICloud stack on two Temporal clusters of its own (test/support/clusters.ts), as at two sites: its
 * namespace global and active on A, the gateway connected to A and the worker to B (each its local
 * frontend; B forwards to A while A is active), each with the other cluster as its fallback for when its
 * own frontend is gone.
 */
import { address, connectClusters, startFreshCluster, stopCluster, type Cluster } from './clusters';
import { startStack, type TestStack } from './stack';

export async function startTwoClusterStack(a: Cluster, b: Cluster, taskQueue: string): Promise<TestStack> {
  await startFreshCluster(a);
  await startFreshCluster(b);
  await connectClusters(a, b);
  Object.assign(process.env, {
    TEMPORAL_ADDRESS: address(a),
    TEMPORAL_FALLBACK_ADDRESSES: address(b),
    TEMPORAL_NAMESPACE: a.namespace,
    TEMPORAL_TASK_QUEUE: taskQueue,
    CALLBACK_START_DELAY_FROM_SEC: '3',
  });
  return startStack({
    gateway: true,
    workerEnv: { TEMPORAL_ADDRESS: address(b), TEMPORAL_FALLBACK_ADDRESSES: address(a) },
  });
}

/** Stops the stack and both clusters, whatever state a failed test left them in. */
export async function stopTwoClusterStack(
  stack: TestStack | undefined,
  a: Cluster,
  b: Cluster,
): Promise<void> {
  await stack?.close();
  await stopCluster(a).catch(() => undefined);
  await stopCluster(b).catch(() => undefined);
}
