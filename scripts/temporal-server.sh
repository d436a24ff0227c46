#!/usr/bin/env bash
# One Temporal cluster: the full server (go.temporal.io/server) on the project's PostgreSQL, its Web UI, and
# CTICloud's namespaces and search attributes. scripts/services.sh calls it for the default cluster.
#   temporal-server.sh start     schemas set up or upgraded, server and UI started, namespaces registered
#   temporal-server.sh stop
#   temporal-server.sh connect ADDRESS   connects this cluster and the one at ADDRESS both ways, and adds the other
#                                        cluster to CTICloud's namespaces (they replicate from then on)
# The cluster is named by the environment (defaults: the one-box cluster on TEMPORAL_ADDRESS):
#   CTI_CLUSTER (cluster-a), CTI_CLUSTER_INITIAL_VERSION (1), CTI_CLUSTER_DB_PREFIX (<DATABASE_URL's db>),
#   CTI_CLUSTER_PROCESS (temporal), TEMPORAL_ADDRESS, TEMPORAL_UI_PORT; CTI_CLUSTER_NAMESPACES=replicated for a
#   cluster that receives CTICloud's namespaces from the first one instead of creating them; CTI_CLUSTER_UI=no for
#   no Web UI (tests); CTI_CLUSTER_DYNAMIC_CONFIG for another dynamic config file (benchmarks); CTI_CLUSTER_PG_MAX_CONNS
#   for smaller PostgreSQL pools (the tests' extra clusters; default 20 per service).
# Ports from the frontend's P: history P+1, matching P+2, worker P+6, HTTP P+10, metrics P+11,
# membership P+20 to P+26: every port of a cluster within P…P+26, so clusters 100 apart never collide.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
load_env

CLUSTER="${CTI_CLUSTER:-cluster-a}"
PROCESS="${CTI_CLUSTER_PROCESS:-temporal}"
PORT="${TEMPORAL_ADDRESS##*:}"
BIN_DIR="$TEMPORAL_SERVER_HOME/bin"

pg_part() { sed -E "s#^[a-z]+://([^:]+):([^@]+)@([^:/]+):?([0-9]*)/([^?]+).*#\\$1#" <<<"$DATABASE_URL"; }
PG_USER=$(pg_part 1)
PG_PASSWORD=$(pg_part 2)
PG_HOST=$(pg_part 3)
PG_PORT=$(pg_part 4)
PG_PORT="${PG_PORT:-5432}"
DB_PREFIX="${CTI_CLUSTER_DB_PREFIX:-$(pg_part 5)}"
DB="${DB_PREFIX}_temporal"
VISIBILITY_DB="${DB_PREFIX}_temporal_visibility"

sql_tool() { # database args...
  local db="$1"; shift
  "$BIN_DIR/temporal-sql-tool" --plugin postgres12 --ep "$PG_HOST" -p "$PG_PORT" -u "$PG_USER" --pw "$PG_PASSWORD" \
    --db "$db" "$@" >>"$LOGS/$PROCESS-schema.log" 2>&1
}

# A new database gets the base schema, and every start applies the versions it lacks (an upgrade of the
# server brings new ones); both are the module's own tool and files.
schemas() {
  local psql=(runuser -u postgres -- psql -qAtX -v ON_ERROR_STOP=1)
  local db kind
  for kind in temporal visibility; do
    db=$DB && [ "$kind" = visibility ] && db=$VISIBILITY_DB
    if [ "$("${psql[@]}" -c "select 1 from pg_database where datname='$db'")" != 1 ]; then
      log "creating Temporal's $kind database $db"
      "${psql[@]}" -c "create database \"$db\" owner \"$PG_USER\"" >/dev/null
      sql_tool "$db" setup-schema -v 0.0 || die "temporal-sql-tool setup-schema failed: see $LOGS/$PROCESS-schema.log"
    fi
    sql_tool "$db" update-schema -d "$TEMPORAL_SERVER_HOME/schema/postgresql/v12/$kind/versioned" \
      || die "temporal-sql-tool update-schema failed: see $LOGS/$PROCESS-schema.log"
  done
}

# A global namespace replicates once a second cluster is connected (npm start -- --clusters 2); with one
# cluster it behaves as a local one.
namespaces() {
  local ns retention attrs=() have i
  for ns in "$TEMPORAL_NAMESPACE" "${TEMPORAL_NAMESPACE}-test"; do
    retention=72h && [ "$ns" != "$TEMPORAL_NAMESPACE" ] && retention=24h
    if ! temporal operator namespace describe -n "$ns" --address "$TEMPORAL_ADDRESS" >/dev/null 2>&1; then
      temporal operator namespace create -n "$ns" --global --active-cluster "$CLUSTER" --cluster "$CLUSTER" \
        --retention "$retention" --address "$TEMPORAL_ADDRESS" >>"$LOGS/$PROCESS.log" 2>&1 \
        || die "could not create namespace $ns (see $LOGS/$PROCESS.log)"
    fi
    # A namespace just created is "not found" until the frontend's registry refreshes (a second here).
    for i in $(seq 40); do
      have=$(temporal operator search-attribute list -n "$ns" --address "$TEMPORAL_ADDRESS" 2>/dev/null) || {
        sleep 0.25
        continue
      }
      attrs=()
      for a in CallState CallerNumber DialedNumber TenantId; do
        grep -qw "$a" <<<"$have" || attrs+=(--name "$a" --type Keyword)
      done
      ((${#attrs[@]})) || break
      temporal operator search-attribute create -n "$ns" "${attrs[@]}" --address "$TEMPORAL_ADDRESS" \
        >>"$LOGS/$PROCESS.log" 2>&1 || sleep 0.25
    done
    ((${#attrs[@]})) || continue
    die "could not add search attributes to $ns (see $LOGS/$PROCESS.log)"
  done
}

start_ui() {
  [ "${CTI_CLUSTER_UI:-yes}" = yes ] || return 0
  pid_alive "$PROCESS-ui" && return 0
  port_open 127.0.0.1 "$TEMPORAL_UI_PORT" && return 0
  CTI_TEMPORAL_ADDRESS="$TEMPORAL_ADDRESS" CTI_TEMPORAL_UI_PORT="$TEMPORAL_UI_PORT" \
    CTI_TEMPORAL_NAMESPACE="$TEMPORAL_NAMESPACE" \
    spawn "$PROCESS-ui" "$BIN_DIR/temporal-ui-$TEMPORAL_UI_VERSION" --root "$ROOT/temporal" --config ui --env cticloud start
}

start() {
  if ! port_open 127.0.0.1 "$PORT"; then
    schemas
    log "starting Temporal $TEMPORAL_SERVER_VERSION ($CLUSTER on :$PORT, PostgreSQL databases $DB, $VISIBILITY_DB)"
    CTI_TEMPORAL_CLUSTER="$CLUSTER" CTI_TEMPORAL_INITIAL_FAILOVER_VERSION="${CTI_CLUSTER_INITIAL_VERSION:-1}" \
      CTI_TEMPORAL_PORT="$PORT" CTI_TEMPORAL_MEMBERSHIP_PORT=$((PORT + 20)) CTI_TEMPORAL_HTTP_PORT=$((PORT + 10)) \
      CTI_TEMPORAL_METRICS_PORT=$((PORT + 11)) CTI_TEMPORAL_PG_ADDRESS="$PG_HOST:$PG_PORT" \
      CTI_TEMPORAL_PG_USER="$PG_USER" CTI_TEMPORAL_PG_PASSWORD="$PG_PASSWORD" CTI_TEMPORAL_DB="$DB" \
      CTI_TEMPORAL_PG_MAX_CONNS="${CTI_CLUSTER_PG_MAX_CONNS:-20}" CTI_TEMPORAL_VISIBILITY_DB="$VISIBILITY_DB" CTI_TEMPORAL_DYNAMIC_CONFIG="${CTI_CLUSTER_DYNAMIC_CONFIG:-$ROOT/temporal/dynamicconfig.yaml}" \
      spawn "$PROCESS" "$BIN_DIR/temporal-server" --config-file "$ROOT/temporal/server.yaml" --allow-no-auth start
    wait_port 127.0.0.1 "$PORT" 90 "Temporal ($CLUSTER)"
  fi
  # The frontend listens before the namespace registry is ready: retry until the first call answers.
  for _ in $(seq 150); do
    temporal operator cluster describe --address "$TEMPORAL_ADDRESS" >/dev/null 2>&1 && break
    sleep 0.2
  done
  [ "${CTI_CLUSTER_NAMESPACES:-create}" = replicated ] || namespaces
  start_ui
}

cluster_name_at() { # address
  temporal operator cluster describe --address "$1" -o json 2>/dev/null | sed -nE 's/.*"clusterName": *"([^"]+)".*/\1/p' | head -1
}

# Both directions of the connection, then both clusters in each namespace's replication config. A cluster
# just upserted is refused as "Invalid cluster name" until cluster metadata refreshes (1 s here: the dynamic
# config), hence the retries.
connect() { # other cluster's frontend address
  local other="$1" other_name ns i
  other_name=$(cluster_name_at "$other")
  [ -n "$other_name" ] || die "no Temporal cluster answers at $other"
  temporal operator cluster upsert --frontend-address "$other" --enable-connection --address "$TEMPORAL_ADDRESS" \
    >>"$LOGS/$PROCESS.log" 2>&1 || die "cluster upsert of $other into $CLUSTER failed (see $LOGS/$PROCESS.log)"
  temporal operator cluster upsert --frontend-address "$TEMPORAL_ADDRESS" --enable-connection --address "$other" \
    >>"$LOGS/$PROCESS.log" 2>&1 || die "cluster upsert of $CLUSTER into $other_name failed (see $LOGS/$PROCESS.log)"
  for ns in "$TEMPORAL_NAMESPACE" "${TEMPORAL_NAMESPACE}-test"; do
    for i in $(seq 60); do
      temporal operator namespace describe -n "$ns" --address "$TEMPORAL_ADDRESS" -o json 2>/dev/null |
        grep -q "\"$other_name\"" && break
      temporal operator namespace update -n "$ns" --cluster "$CLUSTER" --cluster "$other_name" \
        --address "$TEMPORAL_ADDRESS" >>"$LOGS/$PROCESS.log" 2>&1 || sleep 1
    done
    # Replicated: the other cluster knows the namespace.
    for i in $(seq 150); do
      temporal operator namespace describe -n "$ns" --address "$other" >/dev/null 2>&1 && break
      sleep 0.2
    done
    temporal operator namespace describe -n "$ns" --address "$other" >/dev/null 2>&1 ||
      die "namespace $ns did not reach $other_name (see $LOGS/$PROCESS.log)"
  done
}

case "${1:-start}" in
  start) start ;;
  stop) stop_pid "$PROCESS-ui"; stop_pid "$PROCESS" ;;
  connect) connect "${2:?usage: temporal-server.sh connect ADDRESS}" ;;
  *) die "usage: temporal-server.sh start|stop|connect ADDRESS" ;;
esac
