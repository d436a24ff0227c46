-- Which published version of a flow serves calls, and which dialed numbers reach which flow.
create table flow_rollouts (
  flow_id uuid primary key references flows(id),
  rollout jsonb not null,
  version integer not null default 1,
  updated_at timestamptz not null default now()
);

create table numbers (
  id uuid primary key default gen_random_uuid(),
  tenant_id text not null references tenants(id),
  -- As dialed into the inbound context: digits, optionally with a leading +.
  number text not null unique check (number ~ '^\+?[0-9*#]{1,32}$'),
  flow_id uuid not null references flows(id),
  version integer not null default 1,
  created_at timestamptz not null default now()
);
create index numbers_tenant on numbers (tenant_id);
