import type { Pool } from '../../../lib/db';

export interface AuditEntry {
  tenantId: string;
  actorKeyId: string;
  actorRole: string;
  action: string;
  resourceType: string;
  resourceId: string | null;
  method: string;
  path: string;
  status: number;
  changes: Record<string, unknown>;
  requestId: string;
}

export interface AuditRow {
  id: string;
  at: Date;
  actor_key_id: string;
  actor_role: string;
  action: string;
  resource_type: string;
  resource_id: string | null;
  method: string;
  path: string;
  status: number;
  changes: Record<string, unknown>;
}

export async function appendAudit(pool: Pool, e: AuditEntry): Promise<void> {
  await pool.query(
    `insert into audit_log (tenant_id, actor_key_id, actor_role, action, resource_type, resource_id, method,
                            path, status, changes, request_id)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
    [
      e.tenantId,
      e.actorKeyId,
      e.actorRole,
      e.action,
      e.resourceType,
      e.resourceId,
      e.method,
      e.path,
      e.status,
      JSON.stringify(e.changes),
      e.requestId,
    ],
  );
}

export interface AuditFilter {
  action?: string;
  resourceType?: string;
  resourceId?: string;
  actorKeyId?: string;
  since?: string;
  until?: string;
  /** Rows with a smaller id (the previous page's last). */
  before?: string;
  limit: number;
}

/** A tenant's entries, newest first, keyset-paged by id. */
export async function listAudit(pool: Pool, tenantId: string, f: AuditFilter): Promise<AuditRow[]> {
  const { rows } = await pool.query<AuditRow>(
    `select id::text, at, actor_key_id, actor_role, action, resource_type, resource_id, method, path, status,
            changes
       from audit_log
      where tenant_id = $1
        and ($2::text is null or action = $2)
        and ($3::text is null or resource_type = $3)
        and ($4::text is null or resource_id = $4)
        and ($5::text is null or actor_key_id = $5)
        and ($6::timestamptz is null or at >= $6)
        and ($7::timestamptz is null or at < $7)
        and ($8::bigint is null or id < $8)
      order by id desc
      limit $9`,
    [
      tenantId,
      f.action ?? null,
      f.resourceType ?? null,
      f.resourceId ?? null,
      f.actorKeyId ?? null,
      f.since ?? null,
      f.until ?? null,
      f.before ?? null,
      f.limit,
    ],
  );
  return rows;
}
