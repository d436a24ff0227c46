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
exec jest --runInBand "$@"
