import { generateApiKey, hashApiKey, Role } from '../../../lib/api-keys';
import type { Pool } from '../../../lib/db';

export interface Tenant {
  id: string;
  name: string;
  createdAt: string;
}
interface TenantRow {
  id: string;
  name: string;
  created_at: Date;
}
const toTenant = (r: TenantRow): Tenant => ({
  id: r.id,
  name: r.name,
  createdAt: r.created_at.toISOString(),
});

/** Tenants as the platform operator manages them. */
export function createTenantStore(pool: Pool) {
  return {
    async list(): Promise<Tenant[]> {
      const { rows } = await pool.query<TenantRow>(
        'select id, name, created_at from tenants order by id limit 10000',
      );
      return rows.map(toTenant);
    },

    /**
     * A new tenant and its first admin key, in one transaction: the key is returned once and only its hash
     * is kept. `undefined` when the id is taken.
     */
    async create(id: string, name: string): Promise<{ tenant: Tenant; adminKey: string } | undefined> {
      const client = await pool.connect();
      try {
        await client.query('begin');
        const { rows } = await client.query<TenantRow>(
          `insert into tenants (id, name) values ($1, $2) on conflict (id) do nothing
           returning id, name, created_at`,
          [id, name],
        );
        if (!rows[0]) {
          await client.query('rollback');
          return undefined;
        }
        const adminKey = generateApiKey();
        await client.query(
          'insert into api_keys (tenant_id, name, role, key_hash, prefix) values ($1, $2, $3, $4, $5)',
          [id, 'first admin', Role.Admin, hashApiKey(adminKey), adminKey.slice(0, 8)],
        );
        await client.query('commit');
        return { tenant: toTenant(rows[0]), adminKey };
      } catch (err) {
        await client.query('rollback').catch(() => undefined);
        throw err;
      } finally {
        client.release();
      }
    },
  };
}
