import { createHash, randomBytes } from 'node:crypto';
import type { Pool } from './db';

export const Role = {
  Admin: 'admin',
  Supervisor: 'supervisor',
  Agent: 'agent',
  Developer: 'developer',
  /** The platform operator: creates tenants and provisions numbers to them; never reads a tenant's data. */
  Operator: 'operator',
} as const;
export type Role = (typeof Role)[keyof typeof Role];
export const ROLES = Object.values(Role) as [Role, ...Role[]];
/** The roles of a tenant's own people and programs: every tenant route allows some of these, never Operator. */
export const TENANT_ROLES = [Role.Admin, Role.Supervisor, Role.Agent, Role.Developer] as const;

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

/**
 * The default tenant, the bootstrap admin key from .env and, when set, the platform operator's key exist
 * after this; safe to run at every start.
 */
export async function ensureBootstrap(
  pool: Pool,
  tenantId: string,
  adminKey: string,
  operatorKey?: string,
): Promise<void> {
  await pool.query(`insert into tenants (id, name) values ($1, $1) on conflict (id) do nothing`, [tenantId]);
  await ensureBootstrapKey(pool, tenantId, 'bootstrap admin', Role.Admin, adminKey);
  // The operator's key needs a tenant row to hang on; it reads nothing of that tenant (no tenant route allows it).
  if (operatorKey) await ensureBootstrapKey(pool, tenantId, 'bootstrap operator', Role.Operator, operatorKey);
}

/** `1000-1019,5551234` → each number; ranges keep the first number's width and + sign. */
export function numberList(spec: string, max = 1000): string[] {
  const out: string[] = [];
  for (const part of spec.split(',').filter(Boolean)) {
    const [first, last = first] = part.split('-') as [string, string?];
    const plus = first.startsWith('+') ? '+' : '';
    const from = BigInt(first.replace('+', ''));
    const to = BigInt(last!.replace('+', ''));
    for (let n = from; n <= to && out.length < max; n++)
      out.push(`${plus}${n.toString().padStart(first.length - plus.length, '0')}`);
  }
  return out;
}

/** What the operator would provision to the default tenant of a one-box install; kept if already provisioned. */
export async function ensureDefaultNumbers(pool: Pool, tenantId: string, spec: string | undefined) {
  const numbers = spec ? numberList(spec) : [];
  if (!numbers.length) return;
  await pool.query(
    `insert into tenant_numbers (number, tenant_id) select unnest($1::text[]), $2 on conflict (number) do nothing`,
    [numbers, tenantId],
  );
}

async function ensureBootstrapKey(pool: Pool, tenantId: string, name: string, role: Role, key: string) {
  await pool.query(
    `insert into api_keys (tenant_id, name, role, key_hash, prefix) values ($1, $2, $3, $4, $5)
     on conflict (key_hash) do update set revoked_at = null`,
    [tenantId, name, role, hashApiKey(key), key.slice(0, 8)],
  );
  // Changing the key in .env is how a bootstrap key is rotated: the old one stops working.
  await pool.query(
    `update api_keys set revoked_at = now()
      where tenant_id = $1 and name = $2 and key_hash <> $3 and revoked_at is null`,
    [tenantId, name, hashApiKey(key)],
  );
}
