#!/usr/bin/env bash
# npm run bench: the answer-latency benchmark on the real stack, or the one named first (see docs/benchmarks.md).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bash "$ROOT/scripts/provision.sh"
bash "$ROOT/scripts/services.sh" start
cd "$ROOT"
# Not the test suite's namespace and database: migrate.ts would rotate its bootstrap key to .env's admin key.
export TEMPORAL_NAMESPACE="${BENCH_NAMESPACE:-cticloud}" DATABASE_URL="${BENCH_DATABASE_URL:-postgres://cticloud:cticloud@127.0.0.1:5432/cticloud}"
load_env
tsx scripts/migrate.ts >/dev/null
[ "${1:-}" = flow ] && shift && exec tsx bench/flow-interpreter.ts "$@" # npm run bench -- flow [--calls N]
[ "${1:-}" = tickets ] && shift && exec tsx bench/tickets.ts "$@" # npm run bench -- tickets
[ "${1:-}" = routing-load ] && shift && exec tsx bench/routing-load.ts "$@" # npm run bench -- routing-load [--agents 500] [--queues 20] [--rate 50] [--seconds 600]
[ "${1:-}" = acd ] && shift && exec tsx bench/acd-routing.ts "$@" # npm run bench -- acd [--callers 50]
[ "${1:-}" = callbacks ] && shift && exec tsx bench/callbacks-pending.ts "$@" # npm run bench -- callbacks [--count 10000]
[ "${1:-}" = campaign ] && shift && exec tsx bench/campaign-dialer.ts "$@" # npm run bench -- campaign [--contacts N] [--rate R] [--cut S]
[ "${1:-}" = capacity ] && shift && exec tsx bench/capacity.ts "$@" # npm run bench -- capacity [--rates 2,4,6] [--step-seconds 20] [--max-rate R] [--only cticloud|dialplan]
[ "${1:-}" = sites-drill ] && shift && exec tsx bench/sites-drill.ts "$@" # npm run bench -- sites-drill [--minutes 30] [--kill-every 5] [--down 60] [--calls-per-second 2] [--callbacks 200]
[ "${1:-}" = sites-lag ] && shift && exec tsx bench/sites-lag.ts "$@" # npm run bench -- sites-lag [--seconds 60] [--load 20] [--probe-ms 250]
[ "${1:-}" = failover ] && shift && exec tsx bench/failover.ts "$@" # npm run bench -- failover [--tick 200] [--workflows 5] [--rate 20]
# npm run bench -- engines [--only answer,flow,capacity]: the smoke benches on the dev server, then on the full
# server, in one run (issue #15: before and after); the machine is left on the engine .env asks for.
if [ "${1:-}" = engines ]; then
  shift
  for mode in dev server; do
    log "Temporal engine: $mode"
    TEMPORAL_MODE=$mode bash "$ROOT/scripts/services.sh" start
    TEMPORAL_MODE=$mode tsx bench/smoke.ts --only answer,flow,capacity "$@" | tee "$STATE/bench-engine-$mode.txt"
  done
  bash "$ROOT/scripts/services.sh" start
  exit
fi
[ "${1:-}" = smoke ] && shift && exec tsx bench/smoke.ts "$@" # npm run bench -- smoke [--only answer,flow,acd,capacity,campaign,callbacks]
[ "${1:-}" = abuse ] && shift && exec tsx bench/abuse-event-loop.ts "$@" # npm run bench -- abuse [--seconds 10] [--port 3350] [--only redos,validate,import,stalled,sse,burst,bomb,loop]
exec tsx bench/answer-latency.ts "$@"
