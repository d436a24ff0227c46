-- Outbound campaigns: the campaign's settings and lifecycle, its contacts (streamed in, deduplicated by
-- number), every dial attempt, and each tenant's do-not-call list. The campaign's progress lives in its
-- workflow; these rows are what it works through and what the API pages.
create table campaigns (
  id uuid primary key default gen_random_uuid(),
  tenant_id text not null references tenants(id),
  name text not null,
  -- target, caller id, dialing mode, pacing, windows, retries, AMD: validated by the API's zod schema.
  config jsonb not null,
  state text not null default 'draft'
    check (state in ('draft', 'running', 'paused', 'stopped', 'completed')),
  version integer not null default 1,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create unique index campaigns_tenant_name on campaigns (tenant_id, name);

create table campaign_contacts (
  id bigserial primary key,
  campaign_id uuid not null references campaigns(id) on delete cascade,
  -- E.164.
  phone text not null,
  time_zone text not null,
  -- The upload named the zone (else it was derived from the number): a later upload that names none keeps it.
  time_zone_given boolean not null default false,
  fields jsonb not null default '{}',
  -- pending: due at next_attempt_at; dialing: claimed by an attempt; done: reached; failed: out of attempts
  -- or a final disposition; dnc: on the do-not-call list when its turn came.
  state text not null default 'pending' check (state in ('pending', 'dialing', 'done', 'failed', 'dnc')),
  attempts integer not null default 0,
  last_disposition text,
  next_attempt_at timestamptz not null default now(),
  -- The attempt that claimed it: a retried claim finds its own rows.
  claim uuid,
  -- The input line it came from, for the bad-row report and paging in upload order.
  line integer,
  updated_at timestamptz not null default now(),
  unique (campaign_id, phone)
);
create index campaign_contacts_due on campaign_contacts (campaign_id, state, next_attempt_at);
-- GET /v1/campaigns/:id/contacts pages by id within a campaign (keyset), in upload order.
create index campaign_contacts_page on campaign_contacts (campaign_id, id);

create table campaign_attempts (
  id bigserial primary key,
  campaign_id uuid not null references campaigns(id) on delete cascade,
  contact_id bigint not null references campaign_contacts(id) on delete cascade,
  attempt integer not null,
  call_id text not null unique,
  started_at timestamptz not null,
  ended_at timestamptz,
  disposition text,
  -- answered, busy, no_answer, failed, machine, abandoned, dnc
  amd text
);
create index campaign_attempts_contact on campaign_attempts (contact_id);

create table dnc_numbers (
  tenant_id text not null references tenants(id),
  phone text not null,
  reason text,
  added_at timestamptz not null default now(),
  primary key (tenant_id, phone)
);
