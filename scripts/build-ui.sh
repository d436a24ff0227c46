#!/usr/bin/env bash
# Builds the web UI into ui/dist when its sources (or the flow language and event schemas it imports) changed.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
stamp=$(find ui/src ui/index.html ui/vite.config.ts domain/flow lib/events package-lock.json -type f -print0 \
  | sort -z | xargs -0 sha1sum | sha1sum | cut -c1-40)
if [ -f ui/dist/index.html ] && [ "$(cat ui/dist/.build-stamp 2>/dev/null)" = "$stamp" ]; then exit 0; fi
log "building the web UI (vite)"
vite build ui --logLevel warn >"$LOGS/ui-build.log" 2>&1 || die "the web UI did not build: see $LOGS/ui-build.log"
echo "$stamp" > ui/dist/.build-stamp
