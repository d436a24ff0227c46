#!/usr/bin/env bash
# npm start: installs what is missing, starts the infrastructure and CTICloud's own processes, prints URLs.
# Another stack on this machine (another checkout) may share the infrastructure, never the API port or the Stasis
# app: start refuses, saying who holds them, instead of reporting that stack's gateway as its own.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# npm start -- --clusters 2: a second Temporal cluster replicating the first (docs/temporal.md).
# npm start -- --sites 2: two whole sites, a and b, each with its own infrastructure (docs/architecture.md).
SITES=1
while [ $# -gt 0 ]; do
  case "$1" in
    --clusters) export TEMPORAL_CLUSTERS="${2:?--clusters needs a number}"; shift 2 ;;
    --sites) SITES="${2:?--sites needs a number}"; shift 2 ;;
    *) die "unknown option $1 (npm start [-- --clusters 1|2] [-- --sites 1|2])" ;;
  esac
done
case "${TEMPORAL_CLUSTERS:-1}" in 1 | 2) ;; *) die "--clusters takes 1 or 2" ;; esac
case "$SITES" in 1 | 2) ;; *) die "--sites takes 1 or 2" ;; esac
# First, so that a newly created .env and its admin key are reported before anything else.
load_env
bash "$ROOT/scripts/provision.sh"
bash "$ROOT/scripts/services.sh" start
APP_RUN="$ROOT/.run"; mkdir -p "$APP_RUN"
RUN="$APP_RUN"
api="http://$API_HOST:$API_PORT"
# Start knows its processes are up from their info lines (connected, listening, ready).
case "${LOG_LEVEL:-info}" in
  warn | error | fatal | silent) log "LOG_LEVEL=$LOG_LEVEL would hide the lines npm start waits for: using info"; export LOG_LEVEL=info ;;
esac

# Who listens on a TCP port, with the command line (its path names the checkout) when it can be told.
port_owner() { # port
  local pid
  pid=$(ss -Hltnp "sport = :$1" 2>/dev/null | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2) || true
  if [ -z "$pid" ]; then echo "another process"; return; fi
  echo "pid $pid ($(tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | sed 's/ $//'), in $(readlink "/proc/$pid/cwd" 2>/dev/null))"
}

# What this run started goes away again when it refuses: half a stack beside another one only competes with it.
started=()
declare -A log_from
refuse() {
  local name
  for name in "${started[@]}"; do stop_pid "$name"; done
  die "$*"
}
start_proc() { # name command...
  log_from[$1]=0
  [ ! -f "$LOGS/$1.log" ] || log_from[$1]=$(wc -l < "$LOGS/$1.log")
  spawn "$@"
  started+=("$1")
}
# Waits for a line this run's process logged; 1 when the process exited first, 2 on timeout.
await_log() { # name pattern seconds
  local i
  for ((i = 0; i < $3 * 5; i++)); do
    tail -n +"$((${log_from[$1]:-0} + 1))" "$LOGS/$1.log" 2>/dev/null | grep -q "$2" && return 0
    pid_alive "$1" || return 1
    sleep 0.2
  done
  return 2
}
# The last error the process logged in this run: pino's "msg" at level 50 and up, else a thrown error's first line.
last_error() { # name
  local lines
  lines=$(tail -n +"$((${log_from[$1]:-0} + 1))" "$LOGS/$1.log" 2>/dev/null) || true
  grep -E '"level":(50|60)' <<<"$lines" | tail -1 | sed -E 's/.*"msg":"(([^"\\]|\\.)*)".*/\1/' | grep . ||
    grep -m1 -E '^[A-Za-z]*Error' <<<"$lines" ||
    grep -v '^\s*$' <<<"$lines" | tail -1 || true
}

# Waits for a process's line, refusing (and stopping what this run started) when it exits or is silent.
await_started() { # name pattern seconds what
  local status=0
  await_log "$1" "$2" "$3" || status=$?
  ((status != 1)) || refuse "the $1 exited: $(last_error "$1") (log: $LOGS/$1.log)"
  ((status != 2)) || refuse "the $1 did not $4 within $3 s: $(last_error "$1") (log: $LOGS/$1.log)"
}

site_value() { grep "^$2=" "$STATE/sites/$1.env" | cut -d= -f2-; }

# Two sites: their infrastructure and pairing (scripts/sites.ts), then each site's processes with the
# environment it wrote; CTICloud's processes are named <process>-site-<site> (scripts/site.sh kills them).
start_sites() {
  bash "$ROOT/scripts/services.sh" postgres
  bash "$ROOT/scripts/build-ui.sh"
  (cd "$ROOT" && tsx scripts/sites.ts up) || die "the sites did not come up (logs: $LOGS)"
  local site name vars takeover
  # The witness of automatic failover (off unless SITE_AUTO_FAILOVER_SEC is set): a third vote, here on the
  # same box; in production it runs in a third place (docs/architecture.md, "Split brain").
  pid_alive witness ||
    start_proc witness env WITNESS_PORT=3009 \
      WITNESS_SITES="a=http://127.0.0.1:$(site_value a API_PORT),b=http://127.0.0.1:$(site_value b API_PORT)" \
      node --import tsx "$ROOT/scripts/witness.ts"
  for site in a b; do
    mapfile -t vars <"$STATE/sites/$site.env"
    mapfile -t takeover <"$STATE/sites/$site.takeover.env"
    for name in bridge bridge-mirror worker gateway worker-takeover; do
      pid_alive "$name-site-$site" && continue
      case "$name" in
        bridge) start_proc "$name-site-$site" env "${vars[@]}" node --import tsx "$ROOT/asterisk/bridge.ts" ;;
        bridge-mirror)
          start_proc "$name-site-$site" env "${vars[@]}" ARI_BRIDGE_ROLE=mirror node --import tsx "$ROOT/asterisk/bridge.ts"
          ;;
        worker) start_proc "$name-site-$site" env "${vars[@]}" node --import tsx "$ROOT/workers/worker.ts" ;;
        gateway) start_proc "$name-site-$site" env "${vars[@]}" node --import tsx "$ROOT/gateway/server.ts" ;;
        worker-takeover) start_proc "$name-site-$site" env "${takeover[@]}" node --import tsx "$ROOT/workers/worker.ts" ;;
      esac
    done
  done
  for site in a b; do
    [ -z "${log_from[bridge-site-$site]:-}" ] || await_started "bridge-site-$site" '"msg":"ARI connected"' 60 "connect to ARI"
    [ -z "${log_from[gateway-site-$site]:-}" ] || await_started "gateway-site-$site" 'Server listening' 60 listen
    # A site whose namespace is active at the other site (failed over) stands by until the fail-back.
    [ -z "${log_from[worker-site-$site]:-}" ] ||
      await_started "worker-site-$site" '"worker ready"\|"standing by"' 90 "get ready"
    [ -z "${log_from[worker-takeover-site-$site]:-}" ] ||
      await_started "worker-takeover-site-$site" '"standing by"\|"active here"' 90 "stand by"
  done
  local lines="" auto="off: set SITE_AUTO_FAILOVER_SEC in .env (a witness runs on :3009)"
  [ -z "${SITE_AUTO_FAILOVER_SEC:-}" ] || auto="a site silent ${SITE_AUTO_FAILOVER_SEC} s, the witness agreeing, is taken over"
  for site in a b; do
    lines+="
    Site $site       API http://$API_HOST:$(site_value "$site" API_PORT)/v1 (UI at /), ARI $(site_value "$site" ARI_URL), Temporal $(site_value "$site" TEMPORAL_ADDRESS)"
  done
  cat <<MSG

  CTICloud is running at two sites (docs/architecture.md, "Two sites").$lines
    Sign in      with the admin key (ADMIN_API_KEY in $ROOT/.env): it works at both sites
    Site lost    npm run failover -- site-a      (its namespace moves to b, whose takeover worker runs it)
    Site back    npm run failover -- site-a --fail-back
    By itself    $auto
    Logs         $LOGS
  Stop with: npm stop

MSG
}
if [ "$SITES" = 2 ]; then
  start_sites
  exit 0
fi

# The API port first: it costs nothing to check, and nothing of this stack has started yet.
if ! pid_alive gateway && port_open "$API_HOST" "$API_PORT"; then
  die "port $API_PORT (API_PORT) is already taken by $(port_owner "$API_PORT"). Stop that stack (npm stop in its checkout) or give this one its own API_PORT and ARI_APP (in .env or the environment)."
fi

(cd "$ROOT" && tsx scripts/migrate.ts) || die "database migration failed"
bash "$ROOT/scripts/build-ui.sh"

# A bridge asks whoever holds its Stasis app before registering it, and exits when another stack's bridge does
# (asterisk/app-owner.ts); the workers and the gateway start only once both bridges hold their apps.
# A second bridge subscribed to every channel, so events survive a restart of the first (docs/architecture.md).
for name in bridge bridge-mirror; do
  pid_alive "$name" && continue
  if [ "$name" = bridge-mirror ]; then
    ARI_BRIDGE_ROLE=mirror start_proc "$name" node --import tsx "$ROOT/asterisk/bridge.ts"
  else
    start_proc "$name" node --import tsx "$ROOT/asterisk/bridge.ts"
  fi
  status=0; await_log "$name" '"msg":"ARI connected"' 60 || status=$?
  ((status != 1)) || refuse "the $name exited: $(last_error "$name") (log: $LOGS/$name.log)"
  ((status != 2)) || refuse "the $name did not connect to ARI within 60 s: $(last_error "$name") (log: $LOGS/$name.log)"
done

# Two clusters: the worker and the gateway follow to cluster-b while cluster-a's frontend is gone.
[ "${TEMPORAL_CLUSTERS:-1}" != 2 ] || export TEMPORAL_FALLBACK_ADDRESSES="${TEMPORAL_FALLBACK_ADDRESSES:-${TEMPORAL_B_ADDRESS:-127.0.0.1:7333}}"
pid_alive worker || start_proc worker node --import tsx "$ROOT/workers/worker.ts"
if ! pid_alive gateway; then
  start_proc gateway node --import tsx "$ROOT/gateway/server.ts"
  # Its own "listening" line, not merely an answer on the port: that could come from another stack's gateway.
  status=0; await_log gateway 'Server listening' 60 || status=$?
  ((status != 1)) || refuse "the gateway exited: $(last_error gateway)$(port_open "$API_HOST" "$API_PORT" && echo "; port $API_PORT is taken by $(port_owner "$API_PORT")") (log: $LOGS/gateway.log)"
  ((status != 2)) || refuse "the gateway did not listen within 60 s (log: $LOGS/gateway.log)"
fi

for _ in $(seq 150); do
  curl -fs "$api/readyz" >/dev/null 2>&1 && break
  sleep 0.2
done
curl -fs "$api/readyz" >/dev/null || die "the gateway is not ready: $(curl -s "$api/readyz") (logs: $LOGS)"
# Calls that arrive before the worker is up wait in JetStream, but the first one would wait seconds.
if [ -n "${log_from[worker]:-}" ]; then
  status=0; await_log worker '"worker ready"' 60 || status=$?
  ((status != 1)) || die "the worker exited: $(last_error worker) (log: $LOGS/worker.log)"
fi
for name in gateway worker bridge bridge-mirror; do
  pid_alive "$name" || die "the $name exited: $(last_error "$name") (log: $LOGS/$name.log)"
done

# The key itself is shown once, when .env is created (scripts/lib.sh); afterwards only where it is.
key_note="ADMIN_API_KEY in $ROOT/.env, readable by you only"
[ "$(stat -c %a "$ROOT/.env")" = 600 ] || key_note="ADMIN_API_KEY in $ROOT/.env, which others can read: chmod 600 it"
[ -z "${ENV_CREATED:-}" ] || key_note="$key_note; printed at the top when .env was created"
clusters_note=""
[ "${TEMPORAL_CLUSTERS:-1}" != 2 ] || clusters_note="
    Cluster B    ${TEMPORAL_B_ADDRESS:-127.0.0.1:7333}, UI http://127.0.0.1:${TEMPORAL_B_UI_PORT:-8234} (npm run failover -- $TEMPORAL_NAMESPACE cluster-b)"
cat <<MSG

  CTICloud is running.
    Web UI       $api/   (sign in with the admin key: $key_note)
    API          $api/v1   (Authorization: Bearer <admin key>)
    API docs     $api/docs   (OpenAPI: $api/openapi.json)
    Temporal UI  http://127.0.0.1:$TEMPORAL_UI_PORT/namespaces/$TEMPORAL_NAMESPACE/workflows$clusters_note
    Call it      SIP INVITE to <number>@127.0.0.1:5060, or see docs/asterisk.md
    Logs         $LOGS
  Stop with: npm stop

MSG
