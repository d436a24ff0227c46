import { ApplicationFailure } from '@temporalio/common';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Pool } from '../lib/db';
import { AcdWorkflow } from '../workflows/acd';
import {
  acdWorkflowId,
  agentsQuery,
  enqueueSignal,
  positionQuery,
  type EntryPosition,
  type QueueConfig,
  type QueueEntry,
} from '../workflows/acd/contract';
import { QueueSettings } from '../workflows/acd/settings';

export interface AcdActivityDeps {
  pool: Pool;
  client: Client;
  taskQueue: string;
}

/** What call and callback workflows need from the routing workflow and the queue configuration. */
export function createAcdActivities({ pool, client, taskQueue }: AcdActivityDeps) {
  return {
    /** A queue's current configuration, defaults filled; a queue deleted or of another tenant is final. */
    async loadQueue({ tenantId, queueId }: { tenantId: string; queueId: string }): Promise<QueueConfig> {
      const { rows } = await pool.query<{ id: string; name: string; config: unknown }>(
        'select id, name, config from queues where id = $1 and tenant_id = $2 and deleted_at is null',
        [queueId, tenantId],
      );
      if (!rows[0]) {
        throw ApplicationFailure.create({
          type: 'QueueNotFound',
          message: `queue ${queueId} does not exist for tenant ${tenantId}`,
          nonRetryable: true,
        });
      }
      return { id: rows[0].id, name: rows[0].name, ...QueueSettings.parse(rows[0].config) };
    },

    /**
     * Puts an entry in line, starting the tenant's routing workflow if it is not running: only a client
     * can signal-with-start, so this is an activity. Idempotent: the workflow ignores a known entry.
     */
    async enqueue({ tenantId, entry, queue }: { tenantId: string; entry: QueueEntry; queue: QueueConfig }) {
      await client.workflow.signalWithStart(AcdWorkflow, {
        workflowId: acdWorkflowId(tenantId),
        taskQueue,
        args: [{ tenantId }],
        signal: enqueueSignal,
        signalArgs: [{ entry, queue }],
      });
    },

    /** Agents of a queue who are available now: what progressive and predictive dialing pace by. */
    async availableAgents({ tenantId, queueId }: { tenantId: string; queueId: string }): Promise<number> {
      try {
        const agents = await client.workflow.getHandle(acdWorkflowId(tenantId)).query(agentsQuery);
        return agents.filter((a) => a.state === 'available' && a.queueIds.includes(queueId)).length;
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return 0;
        throw err;
      }
    },

    async position({
      tenantId,
      entryId,
    }: {
      tenantId: string;
      entryId: string;
    }): Promise<EntryPosition | null> {
      return client.workflow.getHandle(acdWorkflowId(tenantId)).query(positionQuery, entryId);
    },
  };
}

export type AcdActivities = ReturnType<typeof createAcdActivities>;
