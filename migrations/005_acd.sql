-- ACD configuration: queues and agents. Live state (who waits, who is available) lives in the tenant's
-- routing workflow, not here: it must survive a cluster, and Temporal replicates workflows.
create table queues (
  id uuid primary key default gen_random_uuid(),
  tenant_id text not null references tenants(id),
  name text not null,
  -- strategy, skills, limits, overflow, announcements, wrap-up: validated by the API's zod schema.
  config jsonb not null,
  version integer not null default 1,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  deleted_at timestamptz
);
create unique index queues_tenant_name on queues (tenant_id, name) where deleted_at is null;

create table agents (
  id uuid primary key default gen_random_uuid(),
  tenant_id text not null references tenants(id),
  name text not null,
  -- Dial string that rings the agent: PJSIP/<endpoint> for a softphone.
  endpoint text not null,
  skills jsonb not null default '[]',
  queue_ids uuid[] not null default '{}',
  version integer not null default 1,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  deleted_at timestamptz
);
create unique index agents_tenant_name on agents (tenant_id, name) where deleted_at is null;

-- Conversations recorded from the bridge join voicemails and prompts.
alter table recordings drop constraint recordings_kind_check;
alter table recordings add constraint recordings_kind_check check (kind in ('voicemail', 'prompt', 'call'));
alter table recordings add column agent_id uuid;

-- An agent's API key may change that agent's state and no one else's.
alter table api_keys add column agent_id uuid references agents(id);
