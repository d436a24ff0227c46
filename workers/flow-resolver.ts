import type { Pool } from '../lib/db';
import type { FlowDefinition } from '../domain/flow/definition';
import { normalizeDefinition } from '../domain/flow/normalize';
import type { z } from 'zod';
import { pickVersion, type Rollout } from '../domain/flow/rollout';

export interface PublishedFlow {
  id: string;
  version: number;
  definition: FlowDefinition;
}

export interface ResolvedFlow {
  tenantId: string;
  flow: PublishedFlow;
}

/**
 * The flow a dialed number reaches and the version this call runs. Undefined when the number has no
 * published flow.
 */
export async function resolveFlow(
  pool: Pool,
  dialed: string,
  callId: string,
  caller?: string,
): Promise<ResolvedFlow | undefined> {
  const { rows } = await pool.query<{ tenant_id: string; flow_id: string }>(
    'select tenant_id, flow_id from numbers where number = $1',
    [dialed],
  );
  const row = rows[0];
  if (!row) return undefined;
  const flow = await loadPublishedFlow(pool, row.tenant_id, row.flow_id, callId, undefined, caller);
  return flow && { tenantId: row.tenant_id, flow };
}

/**
 * A published version of a tenant's flow: the one asked for, else the rollout's pick for the call id,
 * else the newest. Parameters are normalized here, outside the workflow sandbox (see domain/flow/normalize.ts).
 */
export async function loadPublishedFlow(
  pool: Pool,
  tenantId: string,
  flowId: string,
  callId: string,
  version?: number,
  /** The calling number, for the rollout's customer segments. */
  caller?: string,
): Promise<PublishedFlow | undefined> {
  const { rows } = await pool.query<{ rollout: z.input<typeof Rollout> | null; latest: number | null }>(
    `select r.rollout, (select max(v.number) from flow_versions v where v.flow_id = f.id) as latest
       from flows f
       left join flow_rollouts r on r.flow_id = f.id
      where f.id = $1 and f.tenant_id = $2 and f.deleted_at is null`,
    [flowId, tenantId],
  );
  const row = rows[0];
  if (!row || row.latest === null) return undefined;
  const number = version ?? (row.rollout ? pickVersion(row.rollout, callId, caller) : row.latest);
  const found = await pool.query<{ definition: FlowDefinition }>(
    'select definition from flow_versions where flow_id = $1 and number = $2',
    [flowId, number],
  );
  if (!found.rows[0]) return undefined;
  return { id: flowId, version: number, definition: normalizeDefinition(found.rows[0].definition) };
}
