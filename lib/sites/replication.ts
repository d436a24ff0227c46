/**
 * Configuration replicated both ways between two sites' PostgreSQL (16 or later): each site publishes its
 * configuration tables, and subscribes to the other's with `origin = none`, so a change travels once and
 * never loops. Triggers (replication.sql) order concurrent changes the same way at both sites and record
 * what lost. docs/architecture.md, "Two sites".
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Pool } from 'pg';

/** A replicated table and its unique keys, primary first ('a,b', or 'a,b;live': unique among rows not deleted). */
interface Replicated {
  table: string;
  keys: readonly string[];
}

/**
 * What both sites share: a tenant's configuration, and its campaigns with their contacts and attempts (a
 * campaign taken over by the other site works through the same rows). Calls, CDRs, projections and queues'
 * live state are per site.
 */
export const REPLICATED_TABLES: readonly Replicated[] = [
  { table: 'tenants', keys: ['id', 'uuid'] },
  { table: 'api_keys', keys: ['id', 'key_hash'] },
  { table: 'flows', keys: ['id', 'tenant_id,name;live'] },
  { table: 'flow_versions', keys: ['flow_id,number'] },
  { table: 'flow_rollouts', keys: ['flow_id'] },
  { table: 'tenant_numbers', keys: ['number'] },
  { table: 'numbers', keys: ['id', 'number'] },
  { table: 'queues', keys: ['id', 'tenant_id,name;live'] },
  { table: 'agents', keys: ['id', 'tenant_id,name;live'] },
  { table: 'webhooks', keys: ['id'] },
  { table: 'dnc_numbers', keys: ['tenant_id,phone'] },
  { table: 'campaigns', keys: ['id', 'tenant_id,name'] },
  { table: 'campaign_contacts', keys: ['id', 'campaign_id,phone'] },
  { table: 'campaign_attempts', keys: ['id', 'call_id'] },
] as const;

/**
 * Sites number their rows apart: a replicated table's `bigserial` counts in steps of this, from the site's
 * index, so ids made at two sites never meet (contacts uploaded at A and at B, attempts recorded at either).
 * Up to 9 sites (scripts/site.sh's indexes).
 */
export const SITE_ID_STRIDE = 10;

export const PUBLICATION = 'cticloud_sites';
const SQL = readFileSync(path.join(__dirname, 'replication.sql'), 'utf8');
const ident = (name: string): string => `"${name.replace(/"/g, '""')}"`;
const literal = (text: string): string => `'${text.replace(/'/g, "''")}'`;

/**
 * Makes a site's database ready to replicate (after its migrations): the columns that order changes, the
 * triggers, the publication, and (given the site's index, 1-9) ids of its own. Idempotent.
 */
export async function prepareSite(pool: Pool, siteIndex?: number): Promise<void> {
  await pool.query(SQL);
  if (siteIndex !== undefined) await numberRowsApart(pool, siteIndex);
  for (const { table, keys } of REPLICATED_TABLES) {
    const t = ident(table);
    await pool.query(
      `alter table ${t} add column if not exists version integer not null default 1,
         add column if not exists updated_at timestamptz not null default now(),
         add column if not exists updated_site text not null default ''`,
    );
    await pool.query(`drop trigger if exists replicated_write on ${t}`);
    await pool.query(
      `create trigger replicated_write before insert or update on ${t} for each row
         execute function cticloud_replicated_write(${keys.map(literal).join(', ')})`,
    );
    await pool.query(`alter table ${t} enable always trigger replicated_write`);
  }
  const tables = [...REPLICATED_TABLES.map((r) => r.table), 'site_heartbeats'].map(ident).join(', ');
  const { rowCount } = await pool.query('select 1 from pg_publication where pubname = $1', [PUBLICATION]);
  if (rowCount) await pool.query(`alter publication ${PUBLICATION} set table ${tables}`);
  else await pool.query(`create publication ${PUBLICATION} for table ${tables}`);
}

/**
 * Each replicated table's id sequence counts in steps of SITE_ID_STRIDE from the site's index, above every
 * id it gave so far. Left as it is once it steps so (a restart must not move it back).
 */
async function numberRowsApart(pool: Pool, siteIndex: number): Promise<void> {
  if (!Number.isInteger(siteIndex) || siteIndex < 1 || siteIndex >= SITE_ID_STRIDE) {
    throw new RangeError(`site index ${siteIndex}: 1 to ${SITE_ID_STRIDE - 1}`);
  }
  for (const { table } of REPLICATED_TABLES) {
    const { rows } = await pool.query<{ seq: string | null }>(
      `select pg_get_serial_sequence($1, 'id') as seq
         from information_schema.columns where table_schema = 'public' and table_name = $2 and column_name = 'id'`,
      [ident(table), table],
    );
    const seq = rows[0]?.seq;
    if (!seq) continue;
    const { rows: state } = await pool.query<{ increment_by: string; last_value: string | null }>(
      `select increment_by, last_value from pg_sequences where format('%I.%I', schemaname, sequencename) = $1`,
      [seq],
    );
    if (Number(state[0]?.increment_by) === SITE_ID_STRIDE) continue;
    const last = Number(state[0]?.last_value ?? 0);
    const next = last + 1 + ((siteIndex - ((last + 1) % SITE_ID_STRIDE) + SITE_ID_STRIDE) % SITE_ID_STRIDE);
    await pool.query(`alter sequence ${seq} increment by ${SITE_ID_STRIDE} restart with ${next}`);
  }
}

/**
 * Subscribes this site to `peer`'s changes. `copyData`: take the peer's rows first (the site joining an
 * existing one); false when both start from the same rows. Idempotent (a subscription of that name stays).
 */
export async function subscribe(
  pool: Pool,
  peer: { site: string; url: string },
  copyData: boolean,
): Promise<void> {
  const name = `cticloud_from_${peer.site}`;
  const { rowCount } = await pool.query('select 1 from pg_subscription where subname = $1', [name]);
  if (rowCount) return;
  await pool.query(
    `create subscription ${ident(name)} connection ${literal(libpqConnection(peer.url))}
       publication ${PUBLICATION} with (origin = none, copy_data = ${copyData ? 'true' : 'false'})`,
  );
}

/** A postgres:// URL as libpq's key=value connection string (CREATE SUBSCRIPTION takes either; this quotes safely). */
function libpqConnection(url: string): string {
  const u = new URL(url);
  const quote = (v: string) => `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  return [
    `host=${quote(u.hostname)}`,
    `port=${quote(u.port || '5432')}`,
    `dbname=${quote(decodeURIComponent(u.pathname.slice(1)))}`,
    `user=${quote(decodeURIComponent(u.username))}`,
    `password=${quote(decodeURIComponent(u.password))}`,
  ].join(' ');
}

/** This site's heartbeat: the other site stamps when it applies it (replicationLag). */
export async function beat(pool: Pool, site: string): Promise<void> {
  await pool.query(
    `insert into site_heartbeats (site, beat_at) values ($1, clock_timestamp())
       on conflict (site) do update set beat_at = excluded.beat_at`,
    [site],
  );
}

/** `peer`'s last heartbeat as this site applied it: when it was sent, and when it arrived here. */
export async function heartbeatOf(
  pool: Pool,
  peer: string,
): Promise<{ beatAt: Date; appliedAt: Date | null } | undefined> {
  const { rows } = await pool.query<{ beat_at: Date; applied_at: Date | null }>(
    'select beat_at, applied_at from site_heartbeats where site = $1',
    [peer],
  );
  return rows[0] && { beatAt: rows[0].beat_at, appliedAt: rows[0].applied_at };
}

/** How far `peer`'s last applied heartbeat lagged, in ms (undefined before the first): same clock on one box. */
export async function replicationLag(pool: Pool, peer: string): Promise<number | undefined> {
  const { rows } = await pool.query<{ ms: number | null }>(
    `select (extract(epoch from (applied_at - beat_at)) * 1000)::float8 as ms from site_heartbeats where site = $1`,
    [peer],
  );
  return rows[0]?.ms ?? undefined;
}
