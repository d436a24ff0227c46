import { WorkflowNotFoundError } from '@temporalio/client';
import { afterRoutingChange, signalOffers, type RoutingDeps } from '../lib/acd/dispatch';
import { handOffLegacyRouting } from '../lib/acd/legacy-handoff';
import { staleOffers } from '../lib/acd/route';
import {
  endHolds,
  endWrapUps,
  leaveQueue,
  pruneOutcomes,
  releaseEntry,
  type AgentChange,
} from '../lib/acd/store';
import type { Logger } from '../lib/logger';

export interface WatchdogOptions {
  /** @default 1000 */
  intervalMs?: number;
  /** An offer booked this long ago and never signalled is signalled again. @default 3 */
  unsignalledAfterSec?: number;
  /** Agents checked per tick for a call whose workflow is gone. @default 20 */
  agentsPerCheck?: number;
}

const byTenant = (changes: readonly AgentChange[]) => {
  const map = new Map<string, AgentChange[]>();
  for (const c of changes) map.set(c.tenantId, [...(map.get(c.tenantId) ?? []), c]);
  return map;
};

/**
 * What no single call's workflow can do for routing, run by every worker (each step is safe to run in
 * several processes at once: single-statement updates and SKIP LOCKED claims):
 * - ends wrap-ups whose time is over, and routes the agents freed;
 * - routes entries whose hold-back after a failed ring is over;
 * - signals again an offer whose routing pass died between its commit and its signal;
 * - frees an agent held for an entry whose workflow is gone (terminated, or failed in a release without
 *   `QueuePlace.close`), and takes such an entry out of line;
 * - forgets outcomes too old for any statistic;
 * - moves what a pre-upgrade routing workflow still holds into the routing tables (lib/acd/legacy-handoff).
 */
export function watchRouting(deps: RoutingDeps & { log: Logger }, options: WatchdogOptions = {}): () => void {
  const interval = options.intervalMs ?? 1000;
  let running = false;
  let ticks = 0;

  // Gone from every namespace this site serves: an entry taken over from the other site runs in its namespace.
  const gone = async (workflowId: string): Promise<boolean> => {
    for (const client of [deps.client, deps.otherClient]) {
      if (!client) continue;
      try {
        const d = await client.workflow.getHandle(workflowId).describe();
        if (d.status.name === 'RUNNING') return false;
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) return false;
      }
    }
    return true;
  };

  const freeOrphans = async () => {
    const { rows } = await deps.pool.query<{ tenant_id: string; current_entry: string }>(
      `update acd_agents set checked_at = now()
        where (tenant_id, agent_id) in (
          select tenant_id, agent_id from acd_agents
           where state = 'on_call' and checked_at < now() - interval '10 seconds'
           order by checked_at limit $1 for update skip locked)
       returning tenant_id, current_entry`,
      [options.agentsPerCheck ?? 20],
    );
    for (const { tenant_id: tenantId, current_entry: entryId } of rows) {
      if (!entryId || !(await gone(entryId))) continue;
      deps.log.warn({ tenantId, entryId }, 'freeing an agent held for an entry whose workflow is gone');
      const changes = [
        ...(await leaveQueue(deps.pool, tenantId, entryId, 'cancelled')),
        ...(await releaseEntry(deps.pool, tenantId, { entryId, talked: true })),
      ];
      await afterRoutingChange(deps, tenantId, changes);
    }
  };

  const tick = async () => {
    if (running) return;
    running = true;
    ticks++;
    try {
      for (const [tenantId, changes] of byTenant(await endWrapUps(deps.pool))) {
        await afterRoutingChange(deps, tenantId, changes);
      }
      for (const tenantId of await endHolds(deps.pool)) await afterRoutingChange(deps, tenantId);
      const unsignalled = await staleOffers(deps.pool, options.unsignalledAfterSec ?? 3);
      if (unsignalled.length) {
        deps.log.warn({ offers: unsignalled.length }, 'signalling offers a routing pass left unsignalled');
        for (const [tenantId, changes] of byTenant(await signalOffers(deps, unsignalled))) {
          await afterRoutingChange(deps, tenantId, changes);
        }
      }
      if (ticks % 5 === 0) await freeOrphans();
      if (ticks % 600 === 0) await pruneOutcomes(deps.pool);
      // Agents still on a call in a pre-upgrade routing workflow move over once that call ends.
      if (ticks % 30 === 1) {
        const moved = await handOffLegacyRouting({ ...deps, warn: (m, c) => deps.log.warn(c, m) });
        if (moved.agents || moved.entries) deps.log.info(moved, 'routing moved from the routing workflow');
      }
    } catch (err) {
      deps.log.warn({ err: (err as Error).message }, 'routing watchdog tick failed');
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => void tick(), interval);
  return () => clearInterval(timer);
}
