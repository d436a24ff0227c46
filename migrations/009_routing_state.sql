-- Live routing state, moved out of the tenant's routing workflow (AcdWorkflow): one workflow per tenant
-- could not carry a busy tenant's signals, history or payload (see docs/acd.md). Who waits, who is free and
-- what happened in the last hour are rows here; calls' own workflows change them through activities, and a
-- routing pass takes the tenant's advisory lock and locks the rows it books (SKIP LOCKED), so no agent is
-- ever booked twice and no process waits on another's rows.

-- An agent's live state; the configuration (skills, queues, endpoint) is copied at each state change, as
-- the routing workflow did, so an edit applies from the agent's next state change.
create table acd_agents (
  tenant_id text not null,
  agent_id uuid not null,
  name text not null,
  endpoint text not null,
  skills jsonb not null default '[]',
  queue_ids uuid[] not null default '{}',
  state text not null check (state in ('offline', 'available', 'on_call', 'wrap_up', 'not_ready')),
  reason text,
  since timestamptz not null,
  -- Longest-idle order: when the agent last became available (a released offer keeps it).
  available_since timestamptz,
  -- The entry the agent is offered or talking to, the queue it came from and the offer.
  current_entry text,
  current_queue uuid,
  offer_id text,
  calls_handled integer not null default 0,
  wrap_until timestamptz,
  -- When the watchdog last checked that the workflow of the agent's entry still runs.
  checked_at timestamptz not null default now(),
  primary key (tenant_id, agent_id)
);
create index acd_agents_available on acd_agents (tenant_id) where state = 'available';
create index acd_agents_wrap_up on acd_agents (wrap_until) where state = 'wrap_up';
create index acd_agents_busy on acd_agents (checked_at) where state = 'on_call';

-- Callers, callbacks and preview contacts in line. entry_id is the waiting workflow's id: offers are
-- signalled to it.
create table acd_entries (
  tenant_id text not null,
  entry_id text not null,
  queue_id uuid not null,
  kind text not null,
  priority integer not null,
  skills jsonb not null default '[]',
  enqueued_at timestamptz not null,
  from_number text not null default '',
  offer_id text,
  offered_agent uuid,
  offered_at timestamptz,
  -- How many times the offer was signalled: a routing pass that died before signalling is redone once.
  offer_signals integer not null default 0,
  -- After ringing an agent failed for a reason that was nobody's doing (the activity failed for good), the
  -- entry keeps its place but is not offered again before this, backing off with each failure in a row:
  -- the agent is free at once, and a broken dial cannot loop.
  hold_until timestamptz,
  system_failures integer not null default 0,
  primary key (tenant_id, entry_id)
);
-- Serving order within a queue: what routing, positions and the console read.
create index acd_entries_line on acd_entries (tenant_id, queue_id, priority desc, enqueued_at, entry_id);
create index acd_entries_offered on acd_entries (offered_at) where offer_id is not null;
create index acd_entries_held on acd_entries (hold_until) where hold_until is not null;

-- Answered and abandoned entries of the recent past: service level, handle times, estimated waits.
-- The id makes each write idempotent: an answered outcome is its offer, an abandon its stay in line.
create table acd_outcomes (
  id text primary key,
  tenant_id text not null,
  entry_id text not null,
  queue_id uuid not null,
  kind text not null check (kind in ('answered', 'abandoned')),
  agent_id uuid,
  enqueued_at timestamptz not null,
  at timestamptz not null default now(),
  wait_sec real not null,
  talk_sec real
);
create index acd_outcomes_recent on acd_outcomes (tenant_id, queue_id, at);
create index acd_outcomes_entry on acd_outcomes (tenant_id, entry_id) where kind = 'answered';

-- Where round-robin continues in each queue.
create table acd_round_robin (
  tenant_id text not null,
  queue_id uuid not null,
  last_agent uuid not null,
  primary key (tenant_id, queue_id)
);

create sequence acd_offer_seq;
