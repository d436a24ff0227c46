import type { Pool } from '../lib/db';
import type { FlowDefinition } from '../workflows/flow/definition';
import { normalizeDefinition } from '../workflows/flow/normalize';
import { pickVersion, type Rollout } from '../workflows/flow/rollout';

export interface ResolvedFlow {
  tenantId: string;
  flow: { id: string; version: number; definition: FlowDefinition };
}

/**
 * The flow a dialed number reaches and the version this call runs: the rollout's pick for the call id, or
 * the newest published version when the flow has no rollout rule. Undefined when the number has no
 * published flow.
 */
export async function resolveFlow(
  pool: Pool,
  dialed: string,
  callId: string,
): Promise<ResolvedFlow | undefined> {
  const { rows } = await pool.query<{
    tenant_id: string;
    flow_id: string;
    rollout: Rollout | null;
    latest: number | null;
  }>(
    `select n.tenant_id, n.flow_id, r.rollout,
            (select max(v.number) from flow_versions v where v.flow_id = n.flow_id) as latest
       from numbers n
       join flows f on f.id = n.flow_id and f.deleted_at is null
       left join flow_rollouts r on r.flow_id = n.flow_id
      where n.number = $1`,
    [dialed],
  );
  const row = rows[0];
  if (!row || row.latest === null) return undefined;
  const version = row.rollout ? pickVersion(row.rollout, callId) : row.latest;
  const found = await pool.query<{ definition: FlowDefinition }>(
    'select definition from flow_versions where flow_id = $1 and number = $2',
    [row.flow_id, version],
  );
  if (!found.rows[0]) return undefined;
  // Defaults are filled in here, outside the workflow sandbox (see flow/normalize.ts).
  const definition = normalizeDefinition(found.rows[0].definition);
  return { tenantId: row.tenant_id, flow: { id: row.flow_id, version, definition } };
}
