#!/usr/bin/env bash
# API fuzzing with Schemathesis (PyPI, a tool nobody here wrote) against /openapi.json, on a gateway and worker
# of their own (port FUZZ_PORT, tenant "fuzz", task queue calls-fuzz) beside anything else running.
#   npm run fuzz               a long run (FUZZ_EXAMPLES per operation, default 200)
#   npm run fuzz -- --quick    the bounded run npm test makes (a few minutes, fixed seed)
# Nothing the fuzzer does can leave this machine: the fuzz stack runs with OUTBOUND_POLICY=loopback-only
# (webhooks and http nodes reach loopback only, never CTICloud's own ports) and dials only Local channels.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
load_env
SCHEMATHESIS_VERSION=4.32.5
VENV="$CACHE/fuzz-venv"
PORT="${FUZZ_PORT:-3300}"
EXAMPLES="${FUZZ_EXAMPLES:-200}"
SEED="${FUZZ_SEED:-20261206}"
[ "${1:-}" = "--quick" ] && EXAMPLES="${FUZZ_QUICK_EXAMPLES:-8}"

if [ "$(cat "$VENV/.cticloud-version" 2>/dev/null)" != "$SCHEMATHESIS_VERSION" ]; then
  log "installing Schemathesis $SCHEMATHESIS_VERSION (first time only)"
  rm -rf "$VENV"
  python3 -m venv "$VENV" || die "python3 -m venv failed (Debian: apt-get install python3-venv)"
  "$VENV/bin/pip" install -q "schemathesis==$SCHEMATHESIS_VERSION" >"$LOGS/fuzz-pip.log" 2>&1 \
    || die "pip install schemathesis failed: see $LOGS/fuzz-pip.log"
  echo "$SCHEMATHESIS_VERSION" > "$VENV/.cticloud-version"
fi

export API_PORT="$PORT" DEFAULT_TENANT=fuzz ADMIN_API_KEY="${FUZZ_ADMIN_KEY:-cti_fuzz_admin_key_0123456789abcdef}"
export OUTBOUND_POLICY=loopback-only OUTBOUND_DIAL='Local/{number}@synthetic-party/n'
export TEMPORAL_TASK_QUEUE=calls-fuzz ARI_APP=cticloud-fuzz LOG_LEVEL=warn
# The test suite's database and namespace (scripts/services.sh makes both), not the ones npm start serves.
export DATABASE_URL="${FUZZ_DATABASE_URL:-${DATABASE_URL}_test}" TEMPORAL_NAMESPACE="${TEMPORAL_NAMESPACE}-test"
bash "$ROOT/scripts/services.sh" start
cd "$ROOT"
node --import tsx scripts/fuzz-bootstrap.ts || die "could not prepare the fuzz tenant"
spawn fuzz-gateway node --import tsx gateway/server.ts
spawn fuzz-worker node --import tsx workers/worker.ts
# The whole stack, bridge included: /readyz checks that this stack's bridge holds its Stasis app.
spawn fuzz-bridge node --import tsx asterisk/bridge.ts
# The fuzzer declares random Asterisk nodes lost in the test suite's namespace (PUT .../lost-nodes with the
# operator's key): the declaration lives in the namespace and would outlast the run, so it is cleared after.
clear_lost_nodes() {
  curl -fs -X PUT -H "Authorization: Bearer ${OPERATOR_API_KEY:-}" -H 'content-type: application/json' \
    -d '{"nodes":[]}' "http://127.0.0.1:$PORT/v1/platform/temporal/lost-nodes" >/dev/null 2>&1 || true
}
trap 'clear_lost_nodes; stop_pid fuzz-gateway; stop_pid fuzz-worker; stop_pid fuzz-bridge' EXIT
wait_port 127.0.0.1 "$PORT" 60 "the fuzz gateway"
for _ in $(seq 150); do
  curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && break
  sleep 0.2
done
curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null || die "the fuzz stack is not ready: $(curl -s "http://127.0.0.1:$PORT/readyz")"

log "Schemathesis: $EXAMPLES examples per operation, seed $SEED"
# Its example database and caches go to the state directory, not into the checkout.
mkdir -p "$STATE/fuzz" && cd "$STATE/fuzz"
# Strategies for bodies a JSON schema cannot describe (audio uploads).
export PYTHONPATH="$ROOT/scripts/fuzz${PYTHONPATH:+:$PYTHONPATH}" SCHEMATHESIS_HOOKS=cticloud_hooks
# The checks the API promises: no 5xx, only documented status codes, content types, headers and bodies.
# (Requests the schemas cannot express as invalid, e.g. an unknown time zone, are answered 400 by design.)
export CTICLOUD_FUZZ_ADMIN_KEY="$ADMIN_API_KEY" CTICLOUD_FUZZ_OPERATOR_KEY="${OPERATOR_API_KEY:?OPERATOR_API_KEY is generated into .env by load_env}"
run_schemathesis() {
  "$VENV/bin/st" --config-file "$ROOT/scripts/fuzz/schemathesis.toml" run "http://127.0.0.1:$PORT/openapi.json" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance \
    --max-examples "$EXAMPLES" --seed "$SEED" --workers 1 --request-timeout 30 \
    --report junit --report-dir "$STATE/fuzz-report"
}
if [ "${1:-}" != "--quick" ]; then
  run_schemathesis
  exit
fi
# Inside npm test the fuzzer's pytest-style closing line ("=== 3 warnings in 231.95s ===") made CI's log reader
# take the whole run for a pytest run with no test in it. Its full output goes to a log; the run prints what it found.
status=0
run_schemathesis >"$LOGS/fuzz-quick.log" 2>&1 || status=$?
cases=$(grep -Eo '[0-9]+ generated' "$LOGS/fuzz-quick.log" | grep -Eo '[0-9]+' | tail -1)
operations=$(grep -Eo 'Tested: [0-9]+' "$LOGS/fuzz-quick.log" | grep -Eo '[0-9]+' | tail -1)
if [ "$status" -eq 0 ]; then
  echo "API fuzzing: ${operations:-?} operations, ${cases:-?} generated cases, none failing (full output: $LOGS/fuzz-quick.log)"
else
  # What failed, without the framework-style closing line.
  grep -Ev '^=+ .* in [0-9.]+s =+$' "$LOGS/fuzz-quick.log" | tail -200
  echo "API fuzzing FAILED (exit $status) after ${cases:-?} generated cases; full output: $LOGS/fuzz-quick.log"
fi
exit "$status"
