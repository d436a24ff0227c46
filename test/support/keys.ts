import { generateApiKey, hashApiKey, type Role } from '../../lib/api-keys';
import type { Pool } from '../../lib/db';

/** A fresh API key of a tenant and role, stored the way the product stores keys (hash only). */
export async function createApiKey(
  pool: Pool,
  tenantId: string,
  role: Role,
  name = `test ${role}`,
): Promise<string> {
  await pool.query(`insert into tenants (id, name) values ($1, $1) on conflict do nothing`, [tenantId]);
  const key = generateApiKey();
  await pool.query(
    'insert into api_keys (tenant_id, name, role, key_hash, prefix) values ($1, $2, $3, $4, $5)',
    [tenantId, name, role, hashApiKey(key), key.slice(0, 8)],
  );
  return key;
}
