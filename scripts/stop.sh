#!/usr/bin/env bash
# npm stop: stops CTICloud's processes, then the infrastructure that the scripts started.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
RUN="$ROOT/.run"
for p in gateway worker bridge-mirror bridge; do stop_pid "$p"; done
bash "$ROOT/scripts/services.sh" stop
log "stopped"
