-- Tickets: the workflow is the ticket; this is its projection for listing and search, kept at the newest
-- version the workflow wrote. Ticket settings (SLA targets, calendar) per tenant.
create table tickets (
  id uuid primary key,
  tenant_id text not null references tenants(id),
  subject text not null,
  description text not null default '',
  status text not null,
  priority text not null,
  assignee text,
  queue text,
  tags text[] not null default '{}',
  requester jsonb not null default '{}',
  calls text[] not null default '{}',
  recordings uuid[] not null default '{}',
  sla_breached boolean not null default false,
  created_at timestamptz not null,
  updated_at timestamptz not null,
  version integer not null,
  search tsvector generated always as (to_tsvector('simple', subject || ' ' || description)) stored
);
create index tickets_list on tickets (tenant_id, updated_at desc, id);
create index tickets_status on tickets (tenant_id, status);
-- An agent's queue of tickets, newest change first, without sorting their whole backlog.
create index tickets_assignee on tickets (tenant_id, assignee, updated_at desc, id desc);
create index tickets_search on tickets using gin (search);

alter table tenants add column ticket_settings jsonb;
