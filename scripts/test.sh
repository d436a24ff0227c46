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
jest --runInBand "$@" || exit 1
# The whole API under a fuzzer (bounded; `npm run fuzz` for a long run). Not for a chosen subset of tests.
if [ $# -eq 0 ]; then
  log "API fuzzing (Schemathesis, bounded)"
  bash "$ROOT/scripts/fuzz.sh" --quick || die "API fuzzing found failures (report in the output above)"
fi
