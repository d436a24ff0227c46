#!/usr/bin/env bash
# Installs whatever is missing, from Debian, the Go module proxy and the npm registry only.
# Idempotent: a second run finds everything cached and returns in about a second.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

debian_packages() {
  local want=(postgresql nats-server sip-tester debootstrap espeak-ng sox curl chromium chromium-driver python3-venv)
  local missing=()
  for p in "${want[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  ((${#missing[@]})) || return 0
  log "installing Debian packages: ${missing[*]}"
  apt-get update >"$LOGS/apt.log" 2>&1 || die "apt-get update failed: see $LOGS/apt.log"
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >>"$LOGS/apt.log" 2>&1 \
    || die "apt-get install failed: see $LOGS/apt.log"
}

temporal_cli() {
  if command -v temporal >/dev/null; then return 0; fi
  command -v go >/dev/null || die "Go is needed to build the Temporal CLI (go install)"
  log "building the Temporal CLI $TEMPORAL_CLI_VERSION with go install (first time only)"
  # v1.6.0 and later carry a replace directive in go.mod, which go install refuses.
  CGO_ENABLED=0 GOBIN="$BIN" go install \
    -ldflags "-X github.com/temporalio/cli/temporalcli.Version=$TEMPORAL_CLI_VERSION" \
    "github.com/temporalio/cli/cmd/temporal@v$TEMPORAL_CLI_VERSION" >"$LOGS/temporal-build.log" 2>&1 \
    || die "go install of the Temporal CLI failed: see $LOGS/temporal-build.log"
}

node_modules() {
  local stamp="$ROOT/node_modules/.cticloud-lock"
  if [ -f "$stamp" ] && cmp -s "$stamp" "$ROOT/package-lock.json"; then return 0; fi
  log "installing npm dependencies"
  (cd "$ROOT" && npm ci --no-audit --no-fund >"$LOGS/npm.log" 2>&1) || die "npm ci failed: see $LOGS/npm.log"
  cp "$ROOT/package-lock.json" "$stamp"
}

debian_packages
temporal_cli
load_env
if [ -z "${ARI_URL:-}" ]; then bash "$ROOT/scripts/provision-asterisk.sh"; fi
node_modules
