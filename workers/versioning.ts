/**
 * The worker's side of gradual rollout (lib/rollout.ts), all of it behind WORKER_BUILD_ID: the deployment
 * options every Temporal worker of the process takes (one build per process, so a pinned call's activities
 * run on the build that runs the call), and, while the namespace is served, the first build made current and
 * the rollout's chosen tenants read for the router. Unset, workers are unversioned and none of this runs.
 */
import type { ConnectionLike } from '@temporalio/client';
import type { VersioningOverride } from '@temporalio/common';
import type { WorkerOptions } from '@temporalio/worker';
import type { Logger } from 'pino';
import type { Config } from '../lib/config';
import { ensureCurrentVersion } from '../lib/rollout';
import { watchRollout } from './rollout-watch';

export function deploymentOptions(config: Config): Pick<WorkerOptions, 'workerDeploymentOptions'> {
  if (!config.WORKER_BUILD_ID) return {};
  return {
    workerDeploymentOptions: {
      useWorkerVersioning: true,
      version: { deploymentName: config.WORKER_DEPLOYMENT, buildId: config.WORKER_BUILD_ID },
      // Long-lived workflows move to the current build (patches keep them replay-safe); calls pin themselves
      // (workflows/shared/versioning.ts).
      defaultVersioningBehavior: 'AUTO_UPGRADE',
    },
  };
}

/** While the namespace is served: the router's pins, if versioned; `stop` when it no longer is. */
export function followRollout(
  config: Config,
  connection: ConnectionLike,
  log: Logger,
  signal: AbortSignal,
): { pinFor?: (tenantId: string) => VersioningOverride | undefined; stop(): void } {
  if (!config.WORKER_BUILD_ID) return { stop: () => undefined };
  const version = { deployment: config.WORKER_DEPLOYMENT, buildId: config.WORKER_BUILD_ID };
  // A deployment's first build makes itself current: until one is, Temporal routes to unversioned workers.
  ensureCurrentVersion(connection, { namespace: config.TEMPORAL_NAMESPACE, ...version }, signal)
    .then((done) => log.info({ ...version, done }, 'worker deployment version registered'))
    .catch((err: unknown) => log.error({ err, ...version }, 'worker deployment has no current version'));
  const watch = watchRollout({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    deployment: config.WORKER_DEPLOYMENT,
    log,
  });
  return { pinFor: (tenantId) => watch.pinFor(tenantId), stop: () => watch.stop() };
}
