#!/usr/bin/env bash
# Installs whatever is missing, from Debian, the Go module proxy and the npm registry only.
# Idempotent: a second run finds everything cached and returns in about a second.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

debian_packages() {
  local want=(postgresql nats-server sip-tester debootstrap espeak-ng sox curl chromium chromium-driver python3-venv prometheus)
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

# The full Temporal server (the default engine) and its schema tool, with the PostgreSQL schemas the module
# ships (copied: the Go module cache may be cleaned). About 8 minutes of compiling on two cores, once.
temporal_server() {
  [ -x "$TEMPORAL_SERVER_HOME/bin/temporal-server" ] && [ -d "$TEMPORAL_SERVER_HOME/schema" ] && return 0
  command -v go >/dev/null || die "Go is needed to build the Temporal server (go install)"
  log "building the Temporal server $TEMPORAL_SERVER_VERSION and its SQL tool with go install (first time only)"
  local build="$TEMPORAL_SERVER_HOME.build"
  rm -rf "$build" && mkdir -p "$build/bin"
  CGO_ENABLED=0 GOBIN="$build/bin" go install "go.temporal.io/server/cmd/server@v$TEMPORAL_SERVER_VERSION" \
    "go.temporal.io/server/cmd/tools/sql@v$TEMPORAL_SERVER_VERSION" >"$LOGS/temporal-server-build.log" 2>&1 \
    || die "go install of the Temporal server failed: see $LOGS/temporal-server-build.log"
  mv "$build/bin/server" "$build/bin/temporal-server"
  mv "$build/bin/sql" "$build/bin/temporal-sql-tool"
  local module; module="$(go env GOMODCACHE)/go.temporal.io/server@v$TEMPORAL_SERVER_VERSION"
  mkdir -p "$build/schema" && cp -r "$module/schema/postgresql" "$build/schema/" && chmod -R u+w "$build/schema"
  rm -rf "$TEMPORAL_SERVER_HOME" && mv "$build" "$TEMPORAL_SERVER_HOME"
}

# Temporal's Web UI for the full server (the dev server has it built in): the ui-server module's own command.
temporal_ui() {
  [ -x "$TEMPORAL_SERVER_HOME/bin/temporal-ui-$TEMPORAL_UI_VERSION" ] && return 0
  log "building Temporal's Web UI server $TEMPORAL_UI_VERSION with go install (first time only)"
  local build; build=$(mktemp -d)
  CGO_ENABLED=0 GOBIN="$build" go install "github.com/temporalio/ui-server/v2/cmd/server@v$TEMPORAL_UI_VERSION" \
    >"$LOGS/temporal-ui-build.log" 2>&1 || die "go install of the Temporal UI failed: see $LOGS/temporal-ui-build.log"
  mv "$build/server" "$TEMPORAL_SERVER_HOME/bin/temporal-ui-$TEMPORAL_UI_VERSION" && rm -rf "$build"
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
if [ "${TEMPORAL_MODE:-server}" != dev ]; then
  temporal_server
  temporal_ui
fi
if [ -z "${ARI_URL:-}" ]; then bash "$ROOT/scripts/provision-asterisk.sh"; fi
node_modules
