import type { Pool } from '../../lib/db';

/**
 * What the platform operator does before a tenant can route a number (POST /v1/platform/numbers), done in
 * the database so tests that are about something else need no operator key. The operator API has its own
 * tests (tenant-matrix, flows-api).
 */
export async function provisionNumber(pool: Pool, tenantId: string, number: string): Promise<void> {
  await pool.query(`insert into tenants (id, name) values ($1, $1) on conflict do nothing`, [tenantId]);
  await pool.query('insert into tenant_numbers (number, tenant_id) values ($1, $2) on conflict do nothing', [
    number,
    tenantId,
  ]);
}
