import { ApplicationFailure } from '@temporalio/common';
import type { Client } from '@temporalio/client';
import type { JetStreamClient } from 'nats';
import type { Pool } from '../lib/db';
import { afterRoutingChange } from '../lib/acd/dispatch';
import { positionOf, availableAgents as availableInQueue } from '../lib/acd/reads';
import { endCall, enterQueue, leaveQueue, releaseEntry, reportOffer } from '../lib/acd/store';
import { AcdWorkflow } from '../workflows/acd/workflow';
import { acdWorkflowId, enqueueSignal, positionQuery } from '../workflows/acd/contract';
import type { EntryPosition, QueueConfig, QueueEntry } from '../domain/acd/model';
import { QueueSettings } from '../domain/acd/settings';
import { publishEvent } from '../lib/events/publish';
import { activityEventId } from './events';

export interface AcdActivityDeps {
  pool: Pool;
  client: Client;
  /** At two sites, the other namespace this site serves (lib/acd/dispatch.ts). */
  otherClient?: Client;
  js: JetStreamClient;
  taskQueue: string;
}

/** What call and callback workflows need from the routing workflow and the queue configuration. */
export function createAcdActivities({ pool, client, otherClient, js, taskQueue }: AcdActivityDeps) {
  const routing = { pool, client, otherClient, js };
  const readQueue = async (tenantId: string, queueId: string): Promise<QueueConfig | undefined> => {
    const { rows } = await pool.query<{ id: string; name: string; config: unknown }>(
      'select id, name, config from queues where id = $1 and tenant_id = $2 and deleted_at is null',
      [queueId, tenantId],
    );
    return rows[0] && { id: rows[0].id, name: rows[0].name, ...QueueSettings.parse(rows[0].config) };
  };
  return {
    /** A queue's current configuration, defaults filled; a queue deleted or of another tenant is final. */
    async loadQueue({ tenantId, queueId }: { tenantId: string; queueId: string }): Promise<QueueConfig> {
      const queue = await readQueue(tenantId, queueId);
      if (!queue) {
        throw ApplicationFailure.create({
          type: 'QueueNotFound',
          message: `queue ${queueId} does not exist for tenant ${tenantId}`,
          nonRetryable: true,
        });
      }
      return queue;
    },

    /**
     * Joins a queue known by its id in one step: reads the queue, announces `queue.entered` (an id stable
     * across retries, so JetStream drops a repeat) and puts the entry in line with a routing pass. One
     * activity instead of three lets a callback that falls due cost a single workflow task, which is what
     * keeps thousands of callbacks due at once on time (docs/benchmarks.md, "Pending callbacks").
     * Idempotent like enterQueue. `false` when the queue is gone (nothing is written).
     */
    async joinQueue({
      tenantId,
      entry,
    }: {
      tenantId: string;
      entry: QueueEntry;
    }): Promise<{ joined: boolean }> {
      const queue = await readQueue(tenantId, entry.queueId);
      if (!queue) return { joined: false };
      await publishEvent(js, {
        id: activityEventId(),
        type: 'queue.entered',
        tenantId,
        occurredAt: new Date().toISOString(),
        data: {
          queueId: entry.queueId,
          entryId: entry.entryId,
          kind: entry.kind,
          priority: entry.priority,
          from: entry.from,
        },
      });
      await enterQueue(pool, tenantId, entry);
      await afterRoutingChange(routing, tenantId);
      return { joined: true };
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

    /** Agents of a queue who are available now, from the routing state: what progressive and predictive
     * dialing pace by. */
    async availableAgents({ tenantId, queueId }: { tenantId: string; queueId: string }): Promise<number> {
      return availableInQueue(pool, tenantId, queueId);
    },

    /** Kept for entries that joined the line before routing moved to PostgreSQL (legacy AcdWorkflow). */
    async position({
      tenantId,
      entryId,
    }: {
      tenantId: string;
      entryId: string;
    }): Promise<EntryPosition | null> {
      return client.workflow.getHandle(acdWorkflowId(tenantId)).query(positionQuery, entryId);
    },

    /**
     * Puts an entry in line (routing state in PostgreSQL) and runs a routing pass, which may offer it an
     * agent at once. Idempotent: an entry already in line keeps its place and any offer it has.
     */
    async enterQueue({ tenantId, entry }: { tenantId: string; entry: QueueEntry }): Promise<void> {
      await enterQueue(pool, tenantId, entry);
      await afterRoutingChange(routing, tenantId);
    },

    /** Out of line; an agent offered and not yet answering is freed (and may be offered to the next). */
    async leaveQueue(input: {
      tenantId: string;
      entryId: string;
      reason: 'abandoned' | 'overflow' | 'cancelled';
    }): Promise<void> {
      const changes = await leaveQueue(pool, input.tenantId, input.entryId, input.reason);
      await afterRoutingChange(routing, input.tenantId, changes);
    },

    /** How an offer ended (see lib/acd/store reportOffer); a stale offer id is a retry and changes nothing. */
    async reportOffer(input: {
      tenantId: string;
      entryId: string;
      offerId: string;
      outcome: 'answered' | 'no_answer' | 'failed';
    }): Promise<void> {
      const changes = await reportOffer(pool, input.tenantId, input);
      await afterRoutingChange(routing, input.tenantId, changes);
    },

    /** The conversation with the agent ended: wrap-up or available, and the next caller may be routed. */
    async endAgentCall(input: { tenantId: string; entryId: string; talkSeconds: number }): Promise<void> {
      const changes = await endCall(pool, input.tenantId, input);
      await afterRoutingChange(routing, input.tenantId, changes);
    },

    /** Frees whatever the entry still holds (an open offer, an agent): the `finally` of every queue entry. */
    async releaseEntry(input: {
      tenantId: string;
      entryId: string;
      talked: boolean;
      failed?: boolean;
    }): Promise<void> {
      const changes = await releaseEntry(pool, input.tenantId, input);
      await afterRoutingChange(routing, input.tenantId, changes);
    },

    /** Place in line and estimated wait, read from PostgreSQL (never from a workflow). */
    async queuePosition({
      tenantId,
      entryId,
    }: {
      tenantId: string;
      entryId: string;
    }): Promise<EntryPosition | null> {
      return positionOf(pool, tenantId, entryId);
    },
  };
}

export type AcdActivities = ReturnType<typeof createAcdActivities>;
