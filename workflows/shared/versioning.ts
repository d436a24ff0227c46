import type { WorkflowDefinitionOptions } from '@temporalio/common';
import { workflowInfo } from '@temporalio/workflow';

/**
 * A call finishes on the worker build that started it, whatever a rollout does meanwhile (lib/rollout.ts).
 * Only said to a versioned worker (WORKER_BUILD_ID set): an unversioned one must not name a behavior, and
 * Temporal refuses its tasks if it does.
 */
export const pinnedWhenVersioned = (): WorkflowDefinitionOptions =>
  // An unversioned worker has a build id of its own too, but no deployment.
  workflowInfo().currentDeploymentVersion?.deploymentName ? { versioningBehavior: 'PINNED' } : {};
