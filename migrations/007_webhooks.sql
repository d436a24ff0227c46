-- Webhooks: a tenant's HTTPS endpoints subscribed to event types, and every delivery attempt made to them.
-- Delivery itself is a workflow per (webhook, event); these rows are what the API shows.
create table webhooks (
  id uuid primary key default gen_random_uuid(),
  tenant_id text not null references tenants(id),
  url text not null,
  -- Event types (see lib/events/schemas.ts); validated by the API.
  event_types text[] not null,
  -- The HMAC key deliveries are signed with; shown once, at creation.
  secret text not null,
  description text not null default '',
  -- The Temporal task queue whose workers deliver it: the gateway's own at creation. Installations sharing
  -- NATS and the database (test stacks side by side) then each deliver only their own webhooks.
  task_queue text not null,
  version integer not null default 1,
  created_at timestamptz not null default now(),
  deleted_at timestamptz
);
create index webhooks_tenant on webhooks (tenant_id) where deleted_at is null;

create table webhook_deliveries (
  id bigserial primary key,
  webhook_id uuid not null references webhooks(id),
  tenant_id text not null,
  event_id uuid not null,
  event_type text not null,
  attempt integer not null,
  -- delivered: 2xx; failed: will be retried; rejected: a 4xx that stops retries, or a refused address.
  status text not null check (status in ('delivered', 'failed', 'rejected')),
  response_code integer,
  duration_ms integer not null,
  error text,
  attempted_at timestamptz not null default now()
);
create index webhook_deliveries_webhook on webhook_deliveries (webhook_id, id desc);

-- Deliveries to private, loopback and link-local addresses are refused (no probing the cluster's own
-- network through a webhook) unless the tenant is allowed them, e.g. an on-premises install.
alter table tenants add column webhook_allow_private boolean not null default false;
