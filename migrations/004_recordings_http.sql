-- Recordings (voicemails left in flows, prompts uploaded for flows) and the hosts a tenant's flows may call.
create table recordings (
  id uuid primary key default gen_random_uuid(),
  tenant_id text not null references tenants(id),
  kind text not null check (kind in ('voicemail', 'prompt')),
  name text not null default '',
  -- For voicemails: the call that left it, where in which flow, and where its ticket goes.
  call_id text,
  flow_id uuid,
  node_id text,
  ticket_queue text,
  -- Asterisk's recording name: a retried store of the same voicemail finds it instead of adding another.
  source_name text unique,
  content_type text not null default 'audio/wav',
  duration_ms integer not null default 0,
  -- 8 kHz mono 16-bit wav; a voicemail of the 600 s maximum is under 10 MB.
  audio bytea not null,
  version integer not null default 1,
  created_at timestamptz not null default now()
);
create index recordings_tenant_kind on recordings (tenant_id, kind, created_at desc);

-- Host names (exact, or `*.example.com` for subdomains) that http nodes may call. Empty: none.
alter table tenants add column http_allow_hosts text[] not null default '{}';
