#!/usr/bin/env bash
# npm run bench: the answer-latency benchmark on the real stack (see docs/benchmarks.md).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bash "$ROOT/scripts/provision.sh"
bash "$ROOT/scripts/services.sh" start
cd "$ROOT"
export TEMPORAL_NAMESPACE="${BENCH_NAMESPACE:-cticloud-test}" DATABASE_URL="${BENCH_DATABASE_URL:-postgres://cticloud:cticloud@127.0.0.1:5432/cticloud_test}"
load_env
tsx scripts/migrate.ts >/dev/null
[ "${1:-}" = flow ] && shift && exec tsx bench/flow-interpreter.ts "$@" # npm run bench -- flow [--calls N]
[ "${1:-}" = tickets ] && shift && exec tsx bench/tickets.ts "$@" # npm run bench -- tickets
exec tsx bench/answer-latency.ts "$@"
