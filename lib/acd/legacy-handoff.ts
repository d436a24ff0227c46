/**
 * The upgrade from the routing workflow (AcdWorkflow, one per tenant) to routing in PostgreSQL: run by each
 * worker at start, idempotent. For every tenant whose routing workflow still runs it copies the agents'
 * states and the waiting entries into the routing tables (what is already there wins), then logs the agents
 * out of the old workflow, so the two can never offer one agent twice. Entries copied this way still report
 * to the old workflow (their code replays the old protocol); the watchdog frees their agent when the call's
 * workflow ends.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Pool } from '../db';
import { acdWorkflowId, agentsQuery, setAgentStateUpdate, waitingQuery } from '../../workflows/acd/contract';
import { AgentState } from '../../domain/acd/model';
import { enterQueue } from './store';

export async function handOffLegacyRouting(deps: {
  pool: Pool;
  client: Client;
  warn: (message: string, context: Record<string, unknown>) => void;
}): Promise<{ tenants: number; agents: number; entries: number }> {
  const { rows: tenants } = await deps.pool.query<{ tenant_id: string; ids: string[] }>(
    'select tenant_id, array_agg(id::text) as ids from queues where deleted_at is null group by tenant_id',
  );
  const moved = { tenants: 0, agents: 0, entries: 0 };
  for (const { tenant_id: tenantId, ids } of tenants) {
    const handle = deps.client.workflow.getHandle(acdWorkflowId(tenantId));
    try {
      const { status } = await handle.describe();
      if (status.name !== 'RUNNING') continue;
      const agents = await handle.query(agentsQuery);
      const loggedIn = agents.filter((a) => a.state !== AgentState.Offline);
      if (!loggedIn.length) continue;
      moved.tenants++;
      for (const a of loggedIn) {
        // An agent on a call in the old workflow stays with it until that call ends; the others move now.
        if (a.state === AgentState.OnCall) continue;
        const state = a.state === AgentState.WrapUp ? AgentState.Available : a.state;
        const { rowCount } = await deps.pool.query(
          `insert into acd_agents (tenant_id, agent_id, name, endpoint, skills, queue_ids, state, reason, since,
                                   available_since, calls_handled)
           values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10) on conflict do nothing`,
          [
            tenantId,
            a.id,
            a.name,
            a.endpoint,
            JSON.stringify(a.skills),
            a.queueIds,
            state,
            a.reason ?? null,
            a.since,
            a.callsHandled,
          ],
        );
        moved.agents += rowCount ?? 0;
        const config = {
          id: a.id,
          name: a.name,
          endpoint: a.endpoint,
          skills: a.skills,
          queueIds: a.queueIds,
        };
        await handle.executeUpdate(setAgentStateUpdate, {
          args: [{ agent: config, state: AgentState.Offline }],
        });
      }
      for (const queueId of ids) {
        for (const entry of await handle.query(waitingQuery, queueId)) {
          await enterQueue(deps.pool, tenantId, entry);
          moved.entries++;
        }
      }
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) continue;
      deps.warn('routing hand-off from the routing workflow failed; retried at the next start', {
        tenantId,
        err: (err as Error).message,
      });
    }
  }
  return moved;
}
