#!/usr/bin/env bash
# npm stop: stops CTICloud's processes, then the infrastructure that the scripts started.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
RUN="$ROOT/.run"
for p in gateway worker bridge-mirror bridge witness; do stop_pid "$p"; done
# Sites of npm start -- --sites 2, if any ran: their processes and infrastructure, their data kept.
for f in "$STATE"/sites/*.env; do
  [ -f "$f" ] || continue
  case "$f" in *.takeover.env) continue ;; esac
  bash "$ROOT/scripts/site.sh" stop "$(basename "$f" .env)"
done
bash "$ROOT/scripts/services.sh" stop
log "stopped"
