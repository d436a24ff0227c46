-- Configuration replicated both ways between two sites' PostgreSQL (16+, subscriptions with origin = none):
-- docs/architecture.md, "Two sites". Applied to each site's CTICloud database after its migrations, by
-- lib/sites/replication.ts, which fills in the table list. Idempotent.

-- What a replicated write lost to, at this site: the row kept and the row dropped.
create table if not exists replication_conflicts (
  id bigserial primary key,
  at timestamptz not null default clock_timestamp(),
  table_name text not null,
  kept jsonb not null,
  lost jsonb not null
);

-- Each site writes its own row every second; the other site stamps when it applied it: replication lag.
create table if not exists site_heartbeats (
  site text primary key,
  beat_at timestamptz not null,
  applied_at timestamptz
);

-- The order of two versions of a row, the same at both sites: version, then when, then which site wrote it.
create or replace function cticloud_newer(a jsonb, b jsonb) returns boolean language sql immutable
  set search_path = public, pg_catalog as $$
  select (coalesce((a ->> 'version')::bigint, 0), coalesce((a ->> 'updated_at')::timestamptz, '-infinity'),
          coalesce(a ->> 'updated_site', ''))
       > (coalesce((b ->> 'version')::bigint, 0), coalesce((b ->> 'updated_at')::timestamptz, '-infinity'),
          coalesce(b ->> 'updated_site', ''))
$$;

-- Functions name their search path: the apply worker runs with an empty one.

-- Before every insert and update of a replicated table, local or applied (ENABLE ALWAYS: the apply worker
-- runs with session_replication_role = replica, where ordinary triggers do not fire).
-- A local write is stamped with when and where. An applied update is kept only if it is newer than the row
-- here. An applied insert meeting a row here with the same key, or the same natural key (the trigger's
-- arguments: 'col,col' or 'col,col;live' for a key unique among rows not deleted), is the same object: the
-- newer one stays, so a conflict never stops replication (PostgreSQL would stop on "insert_exists").
create or replace function cticloud_replicated_write() returns trigger language plpgsql
  set search_path = public, pg_catalog as $$
declare
  here text := coalesce(current_setting('cticloud.site', true), '');
  incoming jsonb := to_jsonb(new);
  existing jsonb;
  spec text;
  cond text;
begin
  -- Inserts of the same key, local or applied, one after the other: without this an applied insert could
  -- check for a row a local insert had not yet committed, then fail on the unique index once it did
  -- ("insert_exists": the apply worker stops and restarts, a stall measured at 4 s under concurrent writes).
  -- The keys are locked in the trigger's argument order, the same everywhere.
  if tg_op = 'INSERT' then
    foreach spec in array tg_argv loop
      select string_agg(coalesce(incoming ->> c, ''), '|') into cond
        from unnest(string_to_array(split_part(spec, ';', 1), ',')) c;
      perform pg_advisory_xact_lock(hashtextextended(tg_table_name || ':' || spec || ':' || cond, 0));
    end loop;
  end if;
  if current_setting('session_replication_role') <> 'replica' then
    new.updated_at := clock_timestamp();
    new.updated_site := here;
    -- Every local change moves the version, so a later change is never taken for a concurrent one.
    if tg_op = 'UPDATE' and new.version <= old.version then
      new.version := old.version + 1;
    end if;
    return new;
  end if;
  if tg_op = 'UPDATE' then
    if not cticloud_newer(incoming, to_jsonb(old)) then
      insert into replication_conflicts (table_name, kept, lost) values (tg_table_name, to_jsonb(old), incoming);
      return null;
    end if;
    -- A write made here that had not reached the other site loses to a concurrent one made there.
    if old.updated_site = here and (to_jsonb(old) ->> 'version') is not distinct from (incoming ->> 'version') then
      insert into replication_conflicts (table_name, kept, lost) values (tg_table_name, incoming, to_jsonb(old));
    end if;
    return new;
  end if;
  foreach spec in array tg_argv loop
    select string_agg(format('t.%I is not distinct from ($1).%I', c, c), ' and ')
      into cond from unnest(string_to_array(split_part(spec, ';', 1), ',')) c;
    if split_part(spec, ';', 2) = 'live' then
      if (incoming ->> 'deleted_at') is not null then continue; end if;
      cond := cond || ' and t.deleted_at is null';
    end if;
    existing := null;
    execute format('select to_jsonb(t) from %I.%I t where %s limit 1', tg_table_schema, tg_table_name, cond)
      into existing using new;
    if existing is null then continue; end if;
    if not cticloud_newer(incoming, existing) then
      insert into replication_conflicts (table_name, kept, lost) values (tg_table_name, existing, incoming);
      return null;
    end if;
    -- The incoming row wins. Deleting the row here inside the apply carries the other site's origin, so it is
    -- not sent back.
    execute format('delete from %I.%I t where %s', tg_table_schema, tg_table_name, cond) using new;
    insert into replication_conflicts (table_name, kept, lost) values (tg_table_name, incoming, existing);
  end loop;
  return new;
end $$;

create or replace function cticloud_heartbeat_applied() returns trigger language plpgsql
  set search_path = public, pg_catalog as $$
begin
  if current_setting('session_replication_role') = 'replica' then
    new.applied_at := clock_timestamp();
  end if;
  return new;
end $$;
drop trigger if exists heartbeat_applied on site_heartbeats;
create trigger heartbeat_applied before insert or update on site_heartbeats
  for each row execute function cticloud_heartbeat_applied();
alter table site_heartbeats enable always trigger heartbeat_applied;
