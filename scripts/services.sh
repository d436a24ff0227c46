#!/usr/bin/env bash
# Starts (or stops) the infrastructure: PostgreSQL, NATS JetStream, Temporal, Asterisk. Each start is a no-op
# when the service already answers, so `npm start`, `npm test` and CI can all call it.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
load_env

db_host_port() { # prints "host port" of DATABASE_URL
  local rest="${DATABASE_URL#*@}"; rest="${rest%%/*}"
  echo "${rest%%:*} ${rest##*:}"
}

start_postgres() {
  read -r host port < <(db_host_port)
  if ! port_open "$host" "$port"; then
    log "starting PostgreSQL"
    local cluster; cluster=$(pg_lsclusters --no-header | awk 'NR==1 {print $1" "$2}')
    [ -n "$cluster" ] || die "no PostgreSQL cluster found (pg_lsclusters)"
    # shellcheck disable=SC2086
    pg_ctlcluster $cluster start >>"$LOGS/postgres.log" 2>&1 || die "pg_ctlcluster $cluster start failed"
    wait_port "$host" "$port" 30 PostgreSQL
  fi
  # Each Temporal server holds a pool per service (frontend, history, matching, worker) for each of its two
  # databases: about 100 connections for one cluster at its defaults, the whole of PostgreSQL's default 100.
  # Two clusters (and the failover tests' own) need more; raised once, with one restart.
  local max; max=$(runuser -u postgres -- psql -qAtX -c "show max_connections")
  if [ "$max" -lt 500 ]; then
    log "raising PostgreSQL's max_connections from $max to 500 (Temporal's clusters), restarting it once"
    runuser -u postgres -- psql -qAtX -c "alter system set max_connections = 500" >/dev/null
    local cluster; cluster=$(pg_lsclusters --no-header | awk 'NR==1 {print $1" "$2}')
    # shellcheck disable=SC2086
    pg_ctlcluster $cluster restart >>"$LOGS/postgres.log" 2>&1 || die "pg_ctlcluster $cluster restart failed"
    wait_port "$host" "$port" 30 PostgreSQL
  fi
  # The project's role and databases; the schema itself comes from migrations/.
  local user pass db
  user=$(sed -E 's#^[a-z]+://([^:]+):.*#\1#' <<<"$DATABASE_URL")
  pass=$(sed -E 's#^[a-z]+://[^:]+:([^@]+)@.*#\1#' <<<"$DATABASE_URL")
  db="${DATABASE_URL##*/}"; db="${db%%\?*}"
  local psql=(runuser -u postgres -- psql -qAtX -v ON_ERROR_STOP=1)
  if [ "$("${psql[@]}" -c "select 1 from pg_roles where rolname='$user'")" != 1 ]; then
    "${psql[@]}" -c "create role \"$user\" login password '$pass' createdb" >/dev/null
  fi
  for d in "$db" "${db}_test"; do
    if [ "$("${psql[@]}" -c "select 1 from pg_database where datname='$d'")" != 1 ]; then
      "${psql[@]}" -c "create database \"$d\" owner \"$user\"" >/dev/null
    fi
  done
}

start_nats() {
  local port="${NATS_URL##*:}"
  port_open 127.0.0.1 "$port" && return 0
  log "starting NATS with JetStream"
  mkdir -p "$STATE/nats"
  spawn nats nats-server -js -sd "$STATE/nats" -a 127.0.0.1 -p "$port" -m "$NATS_MONITOR_PORT"
  wait_port 127.0.0.1 "$port" 20 nats-server
}

# Which engine runs: the full server on PostgreSQL (default) or the CLI's dev server (TEMPORAL_MODE=dev, a
# quick try: one process, SQLite). A running engine of the other kind is stopped first (same port).
temporal_mode() { [ "${TEMPORAL_MODE:-server}" = dev ] && echo dev || echo server; }

# Which engine answers on TEMPORAL_ADDRESS, asked of the server itself (another checkout's stack may have
# started it): the full server keeps its state in PostgreSQL, the dev server in SQLite.
running_engine() {
  local described i
  for i in $(seq 25); do # a server still starting answers a few seconds later
    described=$(temporal operator cluster describe --address "$TEMPORAL_ADDRESS" -o json 2>/dev/null) && break
    sleep 0.2
  done
  grep -q '"persistenceStore": *"postgres12"' <<<"$described" && echo server || echo dev
}

start_temporal() {
  local port="${TEMPORAL_ADDRESS##*:}" mode; mode=$(temporal_mode)
  if port_open 127.0.0.1 "$port" && [ "$(running_engine)" != "$mode" ]; then
    pid_alive temporal || die "Temporal's $(running_engine) engine answers on port $port, not started here ($mode wanted): stop it first"
    log "switching Temporal to the $mode engine"
    stop_pid temporal; stop_pid temporal-ui
  fi
  # The full server's script is idempotent (namespaces, UI); the dev server has both built in.
  [ "$mode" = dev ] && port_open 127.0.0.1 "$port" && return 0
  if [ "$mode" = dev ]; then start_temporal_dev; else start_temporal_server; fi
  for _ in $(seq 150); do
    temporal operator namespace describe -n "$TEMPORAL_NAMESPACE" --address "$TEMPORAL_ADDRESS" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  die "Temporal did not register namespace $TEMPORAL_NAMESPACE (see $LOGS/temporal.log)"
}

start_temporal_dev() {
  local port="${TEMPORAL_ADDRESS##*:}"
  # Eager activities: an activity on the workflow's own task queue (CDRs, routing, campaigns) starts on
  # the worker that scheduled it, without a poll round trip; channel commands are on node queues, not eager.
  # WAL with synchronous=NORMAL: the default rollback journal fsyncs several times per transaction and
  # capped call starts at ~13/s; a crash of the process loses nothing, an OS crash only the last moments.
  log "starting Temporal (dev server, state in $STATE/temporal.db)"
  spawn temporal temporal server start-dev --db-filename "$STATE/temporal.db" --ip 127.0.0.1 \
    --port "$port" --ui-port "$TEMPORAL_UI_PORT" --log-level warn \
    --namespace "$TEMPORAL_NAMESPACE" --namespace "${TEMPORAL_NAMESPACE}-test" \
    --search-attribute CallState=Keyword --search-attribute CallerNumber=Keyword \
    --search-attribute DialedNumber=Keyword --search-attribute TenantId=Keyword \
    --dynamic-config-value system.enableEagerWorkflowStart=true \
    --dynamic-config-value system.enableActivityEagerExecution=true \
    --sqlite-pragma journal_mode=wal --sqlite-pragma synchronous=NORMAL
  wait_port 127.0.0.1 "$port" 60 Temporal
}

start_temporal_server() {
  [ -x "$TEMPORAL_SERVER_HOME/bin/temporal-server" ] || die "no Temporal server; run scripts/provision.sh"
  bash "$ROOT/scripts/temporal-server.sh" start
}

# TEMPORAL_CLUSTERS=2 (npm start -- --clusters 2): a second cluster, cluster-b, on its own ports and databases,
# connected both ways; CTICloud's namespaces replicate to it (docs/temporal.md).
cluster_b() { # temporal-server.sh arguments...
  local db="${DATABASE_URL##*/}"; db="${db%%\?*}"
  CTI_CLUSTER=cluster-b CTI_CLUSTER_INITIAL_VERSION=2 CTI_CLUSTER_DB_PREFIX="${db}_b" CTI_CLUSTER_PROCESS=temporal-b \
    CTI_CLUSTER_NAMESPACES=replicated TEMPORAL_ADDRESS="${TEMPORAL_B_ADDRESS:-127.0.0.1:7333}" \
    TEMPORAL_UI_PORT="${TEMPORAL_B_UI_PORT:-8234}" bash "$ROOT/scripts/temporal-server.sh" "$@"
}

start_second_cluster() {
  [ "${TEMPORAL_CLUSTERS:-1}" = 2 ] || return 0
  [ "$(temporal_mode)" = server ] || die "two clusters need the full server (TEMPORAL_MODE=dev cannot replicate)"
  cluster_b start
  bash "$ROOT/scripts/temporal-server.sh" connect "${TEMPORAL_B_ADDRESS:-127.0.0.1:7333}"
}

# The chroot's config is the project's asterisk/conf plus the ARI user; prints "changed" when it differs.
sync_asterisk_config() {
  local etc="$ASTERISK_ROOT/etc/cticloud-asterisk" next
  next=$(mktemp -d)
  cp "$ROOT"/asterisk/conf/*.conf "$next/"
  printf '[%s]\ntype = user\nread_only = no\npassword = %s\n' "$ARI_USER" "$ARI_PASSWORD" > "$next/ari-users.conf"
  if ! diff -rq "$next" "$etc" >/dev/null 2>&1; then
    rm -rf "$etc" && mv "$next" "$etc" && echo changed
  else
    rm -rf "$next"
  fi
}

start_asterisk() {
  # ARI_URL set means "use that Asterisk" (scripts/provision.sh then builds no chroot either).
  [ -z "${ARI_URL:-}" ] || return 0
  [ -f "$ASTERISK_ROOT/.cticloud-ready" ] || die "no Asterisk chroot; run scripts/provision.sh"
  mkdir -p "$ASTERISK_ROOT/var/run/asterisk" "$ASTERISK_ROOT/var/spool/asterisk/recording"
  # Asterisk looks up its own host name; answer it locally instead of waiting on a resolver.
  grep -qw "$(hostname)" "$ASTERISK_ROOT/etc/hosts" 2>/dev/null ||
    printf '127.0.0.1 localhost\n127.0.1.1 %s\n' "$(hostname)" >> "$ASTERISK_ROOT/etc/hosts"
  if port_open 127.0.0.1 8088; then
    if [ "$(sync_asterisk_config)" = changed ]; then
      log "asterisk/conf changed: reloading Asterisk"
      asterisk_cli "core reload" >/dev/null
      # A module that declined to load for want of its config (app_amd), or was not loaded before (res_prometheus),
      # is not loaded by a reload.
      for module in app_amd.so res_prometheus.so; do
        asterisk_cli "module show like ${module%.so}" 2>/dev/null | grep -q Running ||
          asterisk_cli "module load $module" >/dev/null 2>&1 || true
      done
    fi
    return 0
  fi
  log "starting Asterisk 22 (chroot $ASTERISK_ROOT)"
  sync_asterisk_config >/dev/null
  mountpoint -q "$ASTERISK_ROOT/proc" || mount -t proc proc "$ASTERISK_ROOT/proc"
  spawn asterisk chroot "$ASTERISK_ROOT" /usr/sbin/asterisk -f -C /etc/cticloud-asterisk/asterisk.conf
  wait_port 127.0.0.1 8088 60 Asterisk
  for _ in $(seq 100); do
    curl -fs -u "$ARI_USER:$ARI_PASSWORD" http://127.0.0.1:8088/ari/asterisk/info >/dev/null && return 0
    sleep 0.2
  done
  die "ARI did not answer (see $LOGS/asterisk.log)"
}

asterisk_cli() { chroot "$ASTERISK_ROOT" /usr/sbin/asterisk -C /etc/cticloud-asterisk/asterisk.conf -rx "$1"; }

case "${1:-start}" in
  start) start_postgres; start_nats; start_temporal; start_second_cluster; start_asterisk ;;
  # Two sites (npm start -- --sites 2) bring their own NATS, Temporal and Asterisk; their clusters keep their
  # state in this PostgreSQL.
  postgres) start_postgres ;;
  stop) for s in asterisk temporal-b-ui temporal-b temporal-ui temporal nats; do stop_pid "$s"; done ;;
  # For fault tests: Temporal goes away and comes back on the same state (PostgreSQL, or the dev server's file).
  restart-temporal) stop_pid temporal; start_temporal ;;
  asterisk-cli) asterisk_cli "$2" ;;
  *) die "usage: services.sh start|postgres|stop|restart-temporal|asterisk-cli CMD" ;;
esac
