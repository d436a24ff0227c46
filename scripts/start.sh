#!/usr/bin/env bash
# npm start: installs what is missing, starts the infrastructure and CTICloud's own processes, prints URLs.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# First, so that a newly created .env and its admin key are reported before anything else.
load_env
bash "$ROOT/scripts/provision.sh"
bash "$ROOT/scripts/services.sh" start
APP_RUN="$ROOT/.run"; mkdir -p "$APP_RUN"
RUN="$APP_RUN"

(cd "$ROOT" && tsx scripts/migrate.ts) || die "database migration failed"
bash "$ROOT/scripts/build-ui.sh"
pid_alive bridge || spawn bridge node --import tsx "$ROOT/asterisk/bridge.ts"
# A second bridge subscribed to every channel, so events survive a restart of the first (docs/architecture.md).
pid_alive bridge-mirror || ARI_BRIDGE_ROLE=mirror spawn bridge-mirror node --import tsx "$ROOT/asterisk/bridge.ts"
worker_log_start=-1
if ! pid_alive worker; then
  worker_log_start=$(wc -l < "$LOGS/worker.log" 2>/dev/null || echo 0)
  spawn worker node --import tsx "$ROOT/workers/worker.ts"
fi
pid_alive gateway || spawn gateway node --import tsx "$ROOT/gateway/server.ts"

api="http://$API_HOST:$API_PORT"
for _ in $(seq 150); do
  curl -fs "$api/readyz" >/dev/null 2>&1 && break
  sleep 0.2
done
curl -fs "$api/readyz" >/dev/null || die "the gateway is not ready: $(curl -s "$api/readyz") (logs: $LOGS)"
# Calls that arrive before the worker is up wait in JetStream, but the first one would wait seconds.
for _ in $(seq 300); do
  ((worker_log_start >= 0)) || break
  tail -n +"$((worker_log_start + 1))" "$LOGS/worker.log" 2>/dev/null | grep -q '"worker ready"' && break
  pid_alive worker || die "the worker exited: see $LOGS/worker.log"
  sleep 0.2
done
# The key itself is shown once, when .env is created (scripts/lib.sh); afterwards only where it is.
key_note="ADMIN_API_KEY in $ROOT/.env, readable by you only"
[ "$(stat -c %a "$ROOT/.env")" = 600 ] || key_note="ADMIN_API_KEY in $ROOT/.env, which others can read: chmod 600 it"
[ -z "${ENV_CREATED:-}" ] || key_note="$key_note; printed at the top when .env was created"
cat <<MSG

  CTICloud is running.
    Web UI       $api/   (sign in with the admin key: $key_note)
    API          $api/v1   (Authorization: Bearer <admin key>)
    API docs     $api/docs   (OpenAPI: $api/openapi.json)
    Temporal UI  http://127.0.0.1:$TEMPORAL_UI_PORT/namespaces/$TEMPORAL_NAMESPACE/workflows
    Call it      SIP INVITE to <number>@127.0.0.1:5060, or see docs/asterisk.md
    Logs         $LOGS
  Stop with: npm stop

MSG
