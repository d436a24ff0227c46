/**
 * Turns routing state changes into what the outside sees: after any change that can free an agent or add a
 * caller, a routing pass books offers (./route.ts) and this signals each to the entry's workflow, and every
 * agent state change becomes an `agent.state_changed` event. Used by the worker's activities, its
 * watchdog, and the gateway (agent state changes), so routing runs wherever the change was made.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { JetStreamClient } from 'nats';
import type { Pool } from '../db';
import { publishEvent } from '../events/publish';
import { stableUuid } from '../events/ids';
import { agentOfferedSignal } from '../../workflows/acd/contract';
import { routeTenant, type BookedOffer } from './route';
import { leaveQueue, type AgentChange } from './store';

export interface RoutingDeps {
  pool: Pool;
  client: Client;
  /**
   * At two sites, the other namespace this site serves (its takeover worker's, or the site's own for that
   * worker): an entry in this site's routing tables may be a workflow of either.
   */
  otherClient?: Client;
  js: JetStreamClient;
  /** Told when an event could not be published or an offer not signalled; routing goes on. */
  warn?: (message: string, context: Record<string, unknown>) => void;
}

/** Passes one change may run at most: each pass books offers, a vanished entry frees its agent again. */
const MAX_PASSES = 5;

/** Publishes agent state changes; the id is derived from the change, so a retried activity adds nothing. */
export async function tellAgentChanges(deps: RoutingDeps, changes: readonly AgentChange[]): Promise<void> {
  await Promise.all(
    changes.map((ch) =>
      publishEvent(deps.js, {
        id: stableUuid(`agent-state/${ch.tenantId}/${ch.agentId}/${ch.since}/${ch.state}`),
        type: 'agent.state_changed',
        tenantId: ch.tenantId,
        occurredAt: ch.since,
        data: {
          agentId: ch.agentId,
          state: ch.state,
          ...(ch.previousState ? { previousState: ch.previousState } : {}),
          ...(ch.reason ? { reason: ch.reason } : {}),
          ...(ch.entryId ? { entryId: ch.entryId } : {}),
        },
      }).catch((err: Error) => deps.warn?.('agent state event not published', { err: err.message })),
    ),
  );
}

/**
 * Signals booked offers to their entries' workflows. An entry whose workflow is gone (ended without
 * leaving the line) is taken out, which frees its agent: the returned changes need another pass.
 */
export async function signalOffers(
  deps: RoutingDeps,
  offers: readonly BookedOffer[],
): Promise<AgentChange[]> {
  const freed: AgentChange[] = [];
  await Promise.all(
    offers.map(async ({ tenantId, entryId, offer }) => {
      try {
        if (!(await signalEntry(deps, entryId, offer))) {
          throw new WorkflowNotFoundError('no such entry workflow', entryId, undefined);
        }
        await deps.pool.query(
          'update acd_entries set offer_signals = offer_signals + 1 where tenant_id = $1 and entry_id = $2 and offer_id = $3',
          [tenantId, entryId, offer.offerId],
        );
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) {
          // Left booked and unsignalled: the watchdog signals it again in a few seconds.
          deps.warn?.('offer not signalled', { entryId, err: (err as Error).message });
          return;
        }
        freed.push(...(await leaveQueue(deps.pool, tenantId, entryId, 'cancelled')));
      }
    }),
  );
  return freed;
}

/** Signals the offer to the entry's workflow in whichever namespace it runs; false when in none. */
async function signalEntry(
  deps: RoutingDeps,
  entryId: string,
  offer: BookedOffer['offer'],
): Promise<boolean> {
  for (const client of [deps.client, deps.otherClient]) {
    if (!client) continue;
    try {
      await client.workflow.getHandle(entryId).signal(agentOfferedSignal, offer);
      return true;
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
  }
  return false;
}

/**
 * Publishes `changes` (made by the caller's own transaction) and routes the tenant until nothing more can
 * be booked. Returns the offers it made, for tests and benchmarks.
 */
export async function afterRoutingChange(
  deps: RoutingDeps,
  tenantId: string,
  changes: readonly AgentChange[] = [],
): Promise<BookedOffer[]> {
  const made: BookedOffer[] = [];
  let pending = [...changes];
  for (let pass = 0; pass < MAX_PASSES; pass++) {
    const routed = await routeTenant(deps.pool, tenantId);
    await tellAgentChanges(deps, [...pending, ...routed.changes]);
    pending = await signalOffers(deps, routed.offers);
    made.push(...routed.offers);
    if (!pending.length) break;
  }
  if (pending.length) await tellAgentChanges(deps, pending);
  return made;
}
