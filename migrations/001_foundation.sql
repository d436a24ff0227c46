-- Tenants, API keys and call detail records. Every row carries a UUID and a version so configuration can
-- be replicated between clusters without id clashes.
create extension if not exists pgcrypto;

create table tenants (
  id text primary key check (id ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
  uuid uuid not null default gen_random_uuid() unique,
  name text not null,
  version integer not null default 1,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table api_keys (
  id uuid primary key default gen_random_uuid(),
  tenant_id text not null references tenants(id),
  name text not null,
  role text not null check (role in ('admin', 'supervisor', 'agent', 'developer')),
  -- sha256 of the secret part; the key itself is shown once and never stored.
  key_hash bytea not null unique,
  prefix text not null,
  version integer not null default 1,
  created_at timestamptz not null default now(),
  revoked_at timestamptz
);

create table cdrs (
  id uuid primary key default gen_random_uuid(),
  tenant_id text not null references tenants(id),
  workflow_id text not null unique,
  channel_id text not null,
  node text not null,
  from_number text not null,
  to_number text not null,
  started_at timestamptz not null,
  answered_at timestamptz,
  ended_at timestamptz not null,
  duration_ms integer generated always as ((extract(epoch from (ended_at - started_at)) * 1000)::integer) stored,
  disposition text not null check (disposition in ('answered', 'abandoned', 'failed')),
  ended_by text not null check (ended_by in ('caller', 'system')),
  digits text not null default '',
  created_at timestamptz not null default now()
);
create index cdrs_tenant_started on cdrs (tenant_id, started_at desc);
create index cdrs_tenant_from on cdrs (tenant_id, from_number);
create index cdrs_tenant_to on cdrs (tenant_id, to_number);
