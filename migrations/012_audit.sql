-- The audit log (issue #19): every configuration change and supervisor action made through the API, with
-- who (key and role), when, what, and the changed fields before and after (secrets masked). Append-only:
-- the database refuses to change or remove a row, whoever asks.
create table audit_log (
  id bigserial primary key,
  tenant_id text not null,
  at timestamptz not null default now(),
  actor_key_id text not null,
  actor_role text not null,
  action text not null,
  resource_type text not null,
  resource_id text,
  method text not null,
  path text not null,
  status integer not null,
  -- { field: { before, after } } for the fields that changed; { params, body } for an action.
  changes jsonb not null default '{}',
  request_id text not null
);
create index audit_log_tenant on audit_log (tenant_id, id desc);
create index audit_log_resource on audit_log (tenant_id, resource_type, resource_id, id desc);

create or replace function audit_log_append_only() returns trigger language plpgsql as $$
begin
  raise exception 'the audit log is append-only';
end $$;
create trigger audit_log_append_only before update or delete on audit_log
  for each row execute function audit_log_append_only();
