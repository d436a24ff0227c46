#!/usr/bin/env bash
# npm test: provisions and starts what the suite needs, then lint, types and every test (unit and real stack).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bash "$ROOT/scripts/provision.sh"
bash "$ROOT/scripts/services.sh" start
cd "$ROOT"
log "lint and format"
eslint . && prettier --check . >/dev/null || die "lint failed (npm run format fixes formatting)"
log "type check"
tsc --noEmit -p tsconfig.json && tsc --noEmit -p ui/tsconfig.json || die "type check failed"
bash "$ROOT/scripts/build-ui.sh"
log "tests"
# The fuzzer's output comes after Jest's, so Jest's summary line is kept and printed again last (CI reads it there).
export CTICLOUD_TEST_SUMMARY="$STATE/test-summary.txt"
rm -f "$CTICLOUD_TEST_SUMMARY"
jest_status=0
jest --runInBand "$@" || jest_status=$?
# The whole API under a fuzzer (bounded; `npm run fuzz` for a long run). Not for a chosen subset of tests.
fuzz_status=0
if [ $# -eq 0 ] && [ "$jest_status" -eq 0 ]; then
  log "API fuzzing (Schemathesis, bounded)"
  bash "$ROOT/scripts/fuzz.sh" --quick || fuzz_status=$?
fi
echo
[ "$fuzz_status" -eq 0 ] || echo "API fuzzing: FAILED (Schemathesis's report is above)"
if [ -s "$CTICLOUD_TEST_SUMMARY" ]; then cat "$CTICLOUD_TEST_SUMMARY"; else echo "tests: Jest printed no summary (exit $jest_status)"; fi
[ "$jest_status" -eq 0 ] && [ "$fuzz_status" -eq 0 ]
