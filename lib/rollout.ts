/**
 * Gradual rollout of a new worker build (issue #19) on Temporal's worker deployments: each worker with
 * WORKER_BUILD_ID set is a version `<WORKER_DEPLOYMENT>/<build>`. Calls are pinned to the build that started
 * them (they finish on it); long-lived workflows (callbacks, campaigns, tickets, routing) move to the current
 * build at their next task, their code kept replay-safe by patches. A new build takes a share of new
 * workflows (Temporal's ramping version) and, for chosen tenants, every new call (the router pins their calls
 * to it); at 100 % it becomes the current version; a rollback returns to the build before. The chosen tenants
 * live in the namespace's data, replicated with it like its active cluster. docs/operations.md, "Rolling out".
 */
import type { ConnectionLike } from '@temporalio/client';

/** The namespace data key of the tenants that get the ramping build: JSON `{ buildId, tenants, previous }`. */
export const ROLLOUT_KEY = 'cticloud.rollout';

export interface RolloutRecord {
  /** The build being rolled out. */
  buildId: string;
  /** Tenants whose new calls all go to it. */
  tenants: string[];
  /** The build that was current before it became current: what a rollback returns to. */
  previous?: string;
}

export interface RolloutStatus {
  current: string | null;
  ramping: string | null;
  percent: number;
  record: RolloutRecord | null;
}

/** A rollout that cannot be made as asked: the API and the command say why. */
export class RolloutError extends Error {
  constructor(
    message: string,
    readonly context: { readonly deployment: string; readonly buildId?: string },
  ) {
    super(message);
    this.name = 'RolloutError';
  }
}

export const BUILD_ID = /^[A-Za-z0-9._-]{1,64}$/;

export function parseRollout(value: string | undefined | null): RolloutRecord | null {
  if (!value) return null;
  try {
    const r = JSON.parse(value) as RolloutRecord;
    return typeof r.buildId === 'string' && Array.isArray(r.tenants) ? r : null;
  } catch {
    return null;
  }
}

export async function rolloutStatus(
  connection: ConnectionLike,
  namespace: string,
  deployment: string,
): Promise<RolloutStatus> {
  const [described, ns] = await Promise.all([
    connection.workflowService
      .describeWorkerDeployment({ namespace, deploymentName: deployment })
      .catch(() => undefined),
    connection.workflowService.describeNamespace({ namespace }),
  ]);
  const routing = described?.workerDeploymentInfo?.routingConfig;
  return {
    current: routing?.currentDeploymentVersion?.buildId || null,
    ramping: routing?.rampingDeploymentVersion?.buildId || null,
    percent: routing?.rampingVersionPercentage ?? 0,
    record: parseRollout(ns.namespaceInfo?.data?.[ROLLOUT_KEY]),
  };
}

async function writeRecord(connection: ConnectionLike, namespace: string, record: RolloutRecord | null) {
  await connection.workflowService.updateNamespace({
    namespace,
    updateInfo: { data: { [ROLLOUT_KEY]: record ? JSON.stringify(record) : '' } },
  });
}

/**
 * Sends `percent` of new workflows to `buildId` (100: it becomes the current version) and every new call of
 * `tenants` to it. The build's workers must be polling already (Temporal knows a version once they do).
 */
export async function rollout(
  connection: ConnectionLike,
  o: { namespace: string; deployment: string; buildId: string; percent: number; tenants: string[] },
): Promise<RolloutStatus> {
  if (!BUILD_ID.test(o.buildId)) throw new RolloutError(`not a build id: ${o.buildId}`, o);
  const before = await rolloutStatus(connection, o.namespace, o.deployment);
  const base = { namespace: o.namespace, deploymentName: o.deployment, identity: 'cticloud-rollout' };
  try {
    if (o.percent >= 100) {
      await connection.workflowService.setWorkerDeploymentCurrentVersion({ ...base, buildId: o.buildId });
    } else {
      await connection.workflowService.setWorkerDeploymentRampingVersion({
        ...base,
        buildId: o.buildId,
        percentage: o.percent,
      });
    }
  } catch (err) {
    throw new RolloutError(`Temporal refused the rollout: ${(err as Error).message}`, o);
  }
  // The build that was current when this rollout began: kept through its stages, what a rollback restores.
  const previous =
    (before.record?.buildId === o.buildId ? before.record.previous : before.current) ?? undefined;
  await writeRecord(connection, o.namespace, { buildId: o.buildId, tenants: o.tenants, previous });
  return rolloutStatus(connection, o.namespace, o.deployment);
}

/**
 * Back to the build before: no ramping version, no chosen tenants, and the previous build current again
 * when the new one had been made current. Workflows already on the new build stay on it (pinned calls end
 * there); new ones start on the previous build.
 */
export async function rollback(
  connection: ConnectionLike,
  o: { namespace: string; deployment: string },
): Promise<RolloutStatus> {
  const before = await rolloutStatus(connection, o.namespace, o.deployment);
  const base = { namespace: o.namespace, deploymentName: o.deployment, identity: 'cticloud-rollout' };
  if (before.ramping) {
    await connection.workflowService.setWorkerDeploymentRampingVersion({
      ...base,
      buildId: '',
      percentage: 0,
    });
  }
  const previous = before.record?.previous;
  if (before.record && before.current === before.record.buildId && previous) {
    await connection.workflowService.setWorkerDeploymentCurrentVersion({ ...base, buildId: previous });
  }
  await writeRecord(connection, o.namespace, null);
  return rolloutStatus(connection, o.namespace, o.deployment);
}

/**
 * A deployment's first build becomes its current version by itself: until one is current, Temporal sends
 * new workflows to unversioned workers, and there are none. Retried while the build's pollers register.
 */
export async function ensureCurrentVersion(
  connection: ConnectionLike,
  o: { namespace: string; deployment: string; buildId: string },
  signal?: AbortSignal,
): Promise<'set' | 'already'> {
  for (let i = 0; ; i++) {
    const status = await rolloutStatus(connection, o.namespace, o.deployment).catch(() => undefined);
    if (status?.current) return 'already';
    try {
      await connection.workflowService.setWorkerDeploymentCurrentVersion({
        namespace: o.namespace,
        deploymentName: o.deployment,
        buildId: o.buildId,
        identity: 'cticloud-worker',
      });
      return 'set';
    } catch (err) {
      if (i >= 60 || signal?.aborted) throw err;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}
