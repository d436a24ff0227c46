import { createHash, randomBytes } from 'node:crypto';
import type { Pool } from './db';

export const Role = {
  Admin: 'admin',
  Supervisor: 'supervisor',
  Agent: 'agent',
  Developer: 'developer',
} as const;
export type Role = (typeof Role)[keyof typeof Role];
export const ROLES = Object.values(Role) as [Role, ...Role[]];

export const hashApiKey = (key: string): Buffer => createHash('sha256').update(key).digest();

/** Keys look like `cti_<43 url-safe characters>`; only their hash is stored. */
export const generateApiKey = (): string => `cti_${randomBytes(32).toString('base64url')}`;

export interface ApiPrincipal {
  keyId: string;
  tenantId: string;
  role: Role;
  /** For agent keys: the agent whose state the key may change. */
  agentId?: string;
}

export async function findApiKey(pool: Pool, key: string): Promise<ApiPrincipal | undefined> {
  return findPrincipal(pool, 'key_hash', hashApiKey(key));
}

/** The principal of a key known by its id (a stream token names the key it was minted with). */
export async function findApiKeyById(pool: Pool, keyId: string): Promise<ApiPrincipal | undefined> {
  return findPrincipal(pool, 'id', keyId);
}

async function findPrincipal(
  pool: Pool,
  column: 'key_hash' | 'id',
  value: Buffer | string,
): Promise<ApiPrincipal | undefined> {
  const { rows } = await pool.query<{ id: string; tenant_id: string; role: Role; agent_id: string | null }>(
    `select id, tenant_id, role, agent_id from api_keys where ${column} = $1 and revoked_at is null`,
    [value],
  );
  const row = rows[0];
  return (
    row && { keyId: row.id, tenantId: row.tenant_id, role: row.role, agentId: row.agent_id ?? undefined }
  );
}

/** The default tenant and the bootstrap admin key from .env exist after this; safe to run at every start. */
export async function ensureBootstrap(pool: Pool, tenantId: string, adminKey: string): Promise<void> {
  await pool.query(`insert into tenants (id, name) values ($1, $1) on conflict (id) do nothing`, [tenantId]);
  await pool.query(
    `insert into api_keys (tenant_id, name, role, key_hash, prefix) values ($1, 'bootstrap admin', 'admin', $2, $3)
     on conflict (key_hash) do update set revoked_at = null`,
    [tenantId, hashApiKey(adminKey), adminKey.slice(0, 8)],
  );
  // Changing ADMIN_API_KEY in .env is how the bootstrap key is rotated: the old one stops working.
  await pool.query(
    `update api_keys set revoked_at = now()
      where tenant_id = $1 and name = 'bootstrap admin' and key_hash <> $2 and revoked_at is null`,
    [tenantId, hashApiKey(adminKey)],
  );
}
