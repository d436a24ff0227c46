-- IVR flows: a mutable draft per flow and immutable numbered versions published from it.
create table flows (
  id uuid primary key default gen_random_uuid(),
  tenant_id text not null references tenants(id),
  name text not null,
  description text not null default '',
  draft jsonb not null,
  -- Optimistic concurrency for editors, and the replication version of the row.
  version integer not null default 1,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  deleted_at timestamptz
);
create unique index flows_tenant_name on flows (tenant_id, name) where deleted_at is null;

create table flow_versions (
  flow_id uuid not null references flows(id),
  number integer not null check (number > 0),
  definition jsonb not null,
  published_at timestamptz not null default now(),
  published_by uuid references api_keys(id),
  primary key (flow_id, number)
);
