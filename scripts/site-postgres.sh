#!/usr/bin/env bash
# One site's own PostgreSQL 18 (scripts/provision-site-postgres.sh; docs/architecture.md "Two sites").
#   start <site> <port>  makes the site's cluster the first time (its data in the chroot under
#                        /srv/cticloud-sites/<site>), starts it on 127.0.0.1:<port> with logical replication
#                        on, and prints the URL of its `cticloud` database; a no-op when it runs already
#   stop <site>          stops it
#   kill <site>          kill -9 of its server, as when the site is lost (the next start recovers from its WAL)
#   drop <site>          stops it and removes its data
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

cmd="${1:-}" site="${2:-}" port="${3:-}"
[[ "$site" =~ ^[a-z][a-z0-9]{0,15}$ ]] || die "usage: site-postgres.sh start|stop|kill|drop <site> [port]"
PGBIN="/usr/lib/postgresql/$SITE_PG_MAJOR/bin"
DATA="/srv/cticloud-sites/$site"
PASSFILE="$STATE/sites/$site.password"
as_postgres() { chroot "$SITE_PG_ROOT" runuser -u postgres -- "$@"; }
running() { [ -f "$SITE_PG_ROOT$DATA/PG_VERSION" ] && as_postgres "$PGBIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; }

case "$cmd" in
  start)
    [[ "$port" =~ ^[0-9]+$ ]] || die "usage: site-postgres.sh start <site> <port>"
    bash "$ROOT/scripts/provision-site-postgres.sh"
    mkdir -p "$STATE/sites"
    [ -s "$PASSFILE" ] || (umask 077 && openssl rand -hex 16 >"$PASSFILE")
    if [ ! -f "$SITE_PG_ROOT$DATA/PG_VERSION" ]; then
      mkdir -p "$SITE_PG_ROOT$DATA" && chroot "$SITE_PG_ROOT" chown postgres:postgres "$DATA"
      as_postgres "$PGBIN/initdb" -D "$DATA" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
        >>"$LOGS/site-postgres-$site.log" 2>&1 || die "initdb for site $site failed: see $LOGS/site-postgres-$site.log"
    fi
    if ! running; then
      # An apply worker that stops (an error) restarts after wal_retrieve_retry_interval: 200 ms, not 5 s.
      # Small: several sites share this box. mmap for dynamic shared memory: the chroot has no /dev/shm.
      as_postgres "$PGBIN/pg_ctl" -D "$DATA" -l "$DATA/server.log" -w -t 30 start -o "-p $port \
        -c listen_addresses=127.0.0.1 -c unix_socket_directories=/tmp -c wal_level=logical \
        -c track_commit_timestamp=on -c max_connections=60 -c shared_buffers=32MB \
        -c dynamic_shared_memory_type=mmap -c max_wal_senders=10 -c max_replication_slots=10 \
        -c wal_retrieve_retry_interval=200ms" \
        >>"$LOGS/site-postgres-$site.log" 2>&1 \
        || die "site $site's PostgreSQL did not start: see $SITE_PG_ROOT$DATA/server.log"
    fi
    pass="$(cat "$PASSFILE")"
    # Superuser: it creates subscriptions and their triggers fire as it (a site's database is CTICloud's own).
    as_postgres "$PGBIN/psql" -h /tmp -p "$port" -qAtX -v ON_ERROR_STOP=1 >>"$LOGS/site-postgres-$site.log" 2>&1 <<SQL \
      || die "site $site's role and database: see $LOGS/site-postgres-$site.log"
select format('create role cticloud login superuser password %L', '$pass')
  where not exists (select from pg_roles where rolname = 'cticloud') \gexec
select format('alter role cticloud password %L', '$pass') \gexec
select 'create database cticloud owner cticloud' where not exists (select from pg_database where datname = 'cticloud') \gexec
select format('alter database cticloud set cticloud.site = %L', '$site') \gexec
SQL
    echo "postgres://cticloud:$pass@127.0.0.1:$port/cticloud"
    ;;
  stop)
    if running; then as_postgres "$PGBIN/pg_ctl" -D "$DATA" -m fast -w stop >>"$LOGS/site-postgres-$site.log" 2>&1; fi
    ;;
  kill)
    pid=$(head -1 "$SITE_PG_ROOT$DATA/postmaster.pid" 2>/dev/null) || true
    [ -z "$pid" ] || kill -KILL "$pid" 2>/dev/null || true
    ;;
  drop)
    if running; then as_postgres "$PGBIN/pg_ctl" -D "$DATA" -m immediate -w stop >>"$LOGS/site-postgres-$site.log" 2>&1; fi
    rm -rf "${SITE_PG_ROOT:?}$DATA"
    ;;
  *) die "usage: site-postgres.sh start|stop|kill|drop <site> [port]" ;;
esac
