import type { Pool } from '../../../lib/db';

/** Numbers as the API shows them: provisioned to a tenant by the operator, routed to a flow by the tenant. */
export interface NumberRoute {
  id: string;
  number: string;
  flowId: string;
  createdAt: string;
}
export interface ProvisionedNumber {
  number: string;
  tenantId: string;
  /** The flow the tenant sends it to, if any. */
  flowId: string | null;
  provisionedAt: string;
}

interface RouteRow {
  id: string;
  number: string;
  flow_id: string;
  created_at: Date;
}
const toRoute = (r: RouteRow): NumberRoute => ({
  id: r.id,
  number: r.number,
  flowId: r.flow_id,
  createdAt: r.created_at.toISOString(),
});

interface ProvisionedRow {
  number: string;
  tenant_id: string;
  flow_id: string | null;
  provisioned_at: Date;
}
const toProvisioned = (r: ProvisionedRow): ProvisionedNumber => ({
  number: r.number,
  tenantId: r.tenant_id,
  flowId: r.flow_id,
  provisionedAt: r.provisioned_at.toISOString(),
});

const PROVISIONED = `select p.number, p.tenant_id, n.flow_id, p.provisioned_at
                       from tenant_numbers p left join numbers n on n.number = p.number`;

/** What a route write found instead of the row it wanted to write. */
export const NumberWriteResult = {
  NotProvisioned: 'not_provisioned',
  Routed: 'routed',
  Taken: 'taken',
} as const;
export type NumberWriteResult = (typeof NumberWriteResult)[keyof typeof NumberWriteResult];

export function createNumberStore(pool: Pool) {
  return {
    async routes(tenantId: string): Promise<NumberRoute[]> {
      const { rows } = await pool.query<RouteRow>(
        'select id, number, flow_id, created_at from numbers where tenant_id = $1 order by number',
        [tenantId],
      );
      return rows.map(toRoute);
    },

    /**
     * Routes a number the operator provisioned to this tenant. One answer for a number nobody has and one
     * another tenant has: a tenant cannot learn which numbers other tenants hold.
     */
    async route(
      tenantId: string,
      number: string,
      flowId: string,
    ): Promise<NumberRoute | typeof NumberWriteResult.NotProvisioned | typeof NumberWriteResult.Routed> {
      const { rows } = await pool.query<RouteRow>(
        `insert into numbers (tenant_id, number, flow_id)
         select $1, $2, $3 where exists (select 1 from tenant_numbers where number = $2 and tenant_id = $1)
         on conflict (number) do nothing
         returning id, number, flow_id, created_at`,
        [tenantId, number, flowId],
      );
      if (rows[0]) return toRoute(rows[0]);
      const provisioned = await pool.query(
        'select 1 from tenant_numbers where number = $1 and tenant_id = $2',
        [number, tenantId],
      );
      return provisioned.rowCount ? NumberWriteResult.Routed : NumberWriteResult.NotProvisioned;
    },

    async unroute(tenantId: string, id: string): Promise<boolean> {
      const { rowCount } = await pool.query('delete from numbers where tenant_id = $1 and id = $2', [
        tenantId,
        id,
      ]);
      return Boolean(rowCount);
    },

    /** The numbers provisioned to one tenant, or to every tenant (the operator's view). */
    async provisioned(tenantId?: string): Promise<ProvisionedNumber[]> {
      const { rows } = tenantId
        ? await pool.query<ProvisionedRow>(`${PROVISIONED} where p.tenant_id = $1 order by p.number`, [
            tenantId,
          ])
        : await pool.query<ProvisionedRow>(`${PROVISIONED} order by p.number limit 10000`);
      return rows.map(toProvisioned);
    },

    async provision(
      number: string,
      tenantId: string,
    ): Promise<ProvisionedNumber | typeof NumberWriteResult.Taken | 'no_tenant'> {
      const tenant = await pool.query('select 1 from tenants where id = $1', [tenantId]);
      if (!tenant.rowCount) return 'no_tenant';
      const { rows } = await pool.query<ProvisionedRow>(
        `insert into tenant_numbers (number, tenant_id) values ($1, $2) on conflict (number) do nothing
         returning number, tenant_id, null::uuid as flow_id, provisioned_at`,
        [number, tenantId],
      );
      return rows[0] ? toProvisioned(rows[0]) : NumberWriteResult.Taken;
    },

    /** Takes a number back from its tenant; refused while the tenant still routes it. */
    async release(number: string): Promise<boolean | typeof NumberWriteResult.Routed> {
      try {
        const { rowCount } = await pool.query('delete from tenant_numbers where number = $1', [number]);
        return Boolean(rowCount);
      } catch (err) {
        // numbers_provisioned: the tenant still sends it to a flow.
        if ((err as { code?: string }).code === '23503') return NumberWriteResult.Routed;
        throw err;
      }
    },
  };
}
