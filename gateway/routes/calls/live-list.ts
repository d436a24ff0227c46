import type { Client } from '@temporalio/client';
import type { z } from 'zod';
import { callStatusQuery } from '../../../workflows/call/contract';
import type { FlowCallStatus } from '../../../workflows/flow-call/contract';
import type { CallSummary } from './schemas';

type Summary = z.infer<typeof CallSummary>;

/** Queries in flight at once: a console polling a busy tenant must not flood the Temporal frontend. */
const PARALLEL = 16;
/** A workflow whose worker is busy or gone must not hold up the whole list. */
const QUERY_TIMEOUT_MS = 2000;

async function liveOf(client: Client, id: string): Promise<Summary['live']> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), QUERY_TIMEOUT_MS);
  });
  try {
    const status = (await Promise.race([
      client.workflow.getHandle(id).query(callStatusQuery),
      timeout,
    ])) as Partial<FlowCallStatus> | null;
    if (!status) return null;
    const current = status.currentNode
      ? [...(status.path ?? [])].reverse().find((step) => step.nodeId === status.currentNode)
      : undefined;
    const queue = status.queue;
    return {
      state: status.state ?? 'unknown',
      answeredAt: status.answeredAt ?? null,
      flowId: status.flowId ?? null,
      currentNode: status.currentNode ?? null,
      currentNodeType: current?.type ?? null,
      queue: queue
        ? {
            queueId: queue.queueId,
            queueName: queue.queueName,
            phase: queue.phase,
            enqueuedAt: queue.enqueuedAt,
            agent: queue.agent ? { id: queue.agent.id, name: queue.agent.name } : null,
          }
        : null,
    };
  } catch {
    // Ended between the list and the query, or no worker: the summary alone still says what it can.
    return null;
  } finally {
    clearTimeout(timer);
  }
}

/** Adds each running call's live state, querying the workflows a bounded number at a time. */
export async function withLive(client: Client, calls: Summary[]): Promise<Summary[]> {
  const out = calls.map((c) => ({ ...c, live: null as Summary['live'] }));
  let next = 0;
  const worker = async () => {
    while (next < out.length) {
      const call = out[next++]!;
      if (call.status === 'running') call.live = await liveOf(client, call.id);
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL, out.length) }, worker));
  return out;
}
