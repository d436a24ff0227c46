import type { Pool } from '../../../lib/db';
import type { QueueSettings } from '../../../domain/acd/settings';
import { InvalidFieldError } from '../../errors';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Queues named in a tenant's settings must be that tenant's: another tenant's queue answers exactly like
 * one that does not exist (ids cannot be probed), and nothing stored points across tenants.
 */
export async function assertOwnQueues(pool: Pool, tenantId: string, ids: readonly string[], field: string) {
  if (!ids.length) return;
  const { rows } = await pool.query<{ id: string }>(
    'select id from queues where tenant_id = $1 and id = any($2::uuid[]) and deleted_at is null',
    [tenantId, ids],
  );
  const found = new Set(rows.map((r) => r.id));
  const missing = ids.find((id) => !found.has(id));
  if (missing) throw new InvalidFieldError(field, `no queue ${missing}`);
}

/** A queue's overflow to a queue or a flow goes to one of the tenant's own. */
export async function assertOwnOverflow(pool: Pool, tenantId: string, overflow: QueueSettings['overflow']) {
  if (!overflow?.target || (overflow.kind !== 'queue' && overflow.kind !== 'flow')) return;
  const field = 'body.overflow.target';
  if (!UUID.test(overflow.target)) throw new InvalidFieldError(field, `a ${overflow.kind} id is a UUID`);
  if (overflow.kind === 'queue') return assertOwnQueues(pool, tenantId, [overflow.target], field);
  const { rowCount } = await pool.query(
    'select 1 from flows where tenant_id = $1 and id = $2 and deleted_at is null',
    [tenantId, overflow.target],
  );
  if (!rowCount) throw new InvalidFieldError(field, `no flow ${overflow.target}`);
}
