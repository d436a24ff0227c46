#!/usr/bin/env bash
# Shared by every script: where the machine-level cache lives, the project's settings, and small helpers.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${CTICLOUD_CACHE:-$HOME/.cache/cticloud}"
BIN="$CACHE/bin"
STATE="${CTICLOUD_STATE:-$CACHE/state}"
LOGS="$STATE/logs"
RUN="$STATE/run"
ASTERISK_ROOT="${ASTERISK_ROOT:-$CACHE/asterisk-root}"
# PostgreSQL for two sites (scripts/provision-site-postgres.sh): a version with `origin = none`.
SITE_PG_MAJOR=18
SITE_PG_ROOT="${SITE_PG_ROOT:-$CACHE/postgres-$SITE_PG_MAJOR-root}"
TEMPORAL_CLI_VERSION="1.5.1"
TEMPORAL_SERVER_VERSION="1.31.2"
# The full server, its schema tool and the schemas it ships, built once per version (scripts/provision.sh).
TEMPORAL_SERVER_HOME="$CACHE/temporal-server-$TEMPORAL_SERVER_VERSION"
TEMPORAL_UI_VERSION="2.42.1"
mkdir -p "$BIN" "$LOGS" "$RUN"
export PATH="$BIN:$ROOT/node_modules/.bin:$PATH"

log() { printf '\033[1;34m[cticloud]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31m[cticloud] error:\033[0m %s\n' "$*" >&2; exit 1; }

# Letters and digits from the kernel's random source: keys and secrets generated into .env.
random_alnum() { # length
  head -c $(($1 * 2)) /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c "$1"
}

# Sets KEY=value in .env, replacing the line or adding one.
set_env_value() { # key value
  if grep -q "^$1=" "$ROOT/.env"; then
    sed -i "s/^$1=.*/$1=$2/" "$ROOT/.env"
  else
    echo "$1=$2" >>"$ROOT/.env"
  fi
}

# .env is created from .env.example once; the environment always wins over the file.
load_env() {
  if [ ! -f "$ROOT/.env" ]; then
    local key_value
    key_value="cti_$(random_alnum 40)"
    # It holds the admin key: readable by its owner only.
    (umask 077 && sed "s/^ADMIN_API_KEY=generate$/ADMIN_API_KEY=$key_value/" "$ROOT/.env.example" > "$ROOT/.env")
    # The only time the key is printed: later runs say where it is kept.
    log "created $ROOT/.env (mode 600) with a new admin key, shown this once: $key_value"
    ENV_CREATED=1
  fi
  # The operator's key, also for a .env made before operators existed.
  if ! grep -Eq '^OPERATOR_API_KEY=cti_' "$ROOT/.env"; then
    local operator_value
    operator_value="cti_$(random_alnum 40)"
    set_env_value OPERATOR_API_KEY "$operator_value"
    log "the platform operator's key (tenants and numbers: /v1/platform), shown this once: $operator_value (kept in .env)"
  fi
  # The event stream tokens' secret, shared by every gateway of this .env (both sites), also for an older .env.
  grep -Eq '^STREAM_TOKEN_SECRET=[A-Za-z0-9]{32,}$' "$ROOT/.env" || set_env_value STREAM_TOKEN_SECRET "$(random_alnum 48)"
  # ARI's password is never a shipped default: generated for the bundled Asterisk, also in a .env made by an
  # earlier release (which shipped "cticloud-ari"). Someone else's Asterisk (ARI_URL) keeps what they set.
  if ! grep -q '^ARI_URL=' "$ROOT/.env" && grep -Eq '^ARI_PASSWORD=(generate|cticloud-ari)$' "$ROOT/.env"; then
    local ari_value
    ari_value="$(random_alnum 32)"
    sed -i "s/^ARI_PASSWORD=.*/ARI_PASSWORD=$ari_value/" "$ROOT/.env"
  fi
  local line key
  while IFS= read -r line || [ -n "$line" ]; do
    case "$line" in ''|'#'*) continue ;; esac
    key="${line%%=*}"
    [ -n "${!key:-}" ] || export "$line"
  done < "$ROOT/.env"
}

port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

wait_port() { # host port seconds what
  local i
  for ((i = 0; i < $3 * 10; i++)); do port_open "$1" "$2" && return 0; sleep 0.1; done
  die "$4 did not open $1:$2 within $3 s (see $LOGS)"
}

# Whether pid runs, as the process that was spawned: a zombie is not running (kill -0 succeeds on one, and this
# machine's init reaps them late: a SIGKILLed worker looked alive for seconds, so npm start started none), nor is
# a process already exiting (PF_EXITING) or a later one that reused the number (its start time differs).
proc_running() { # pid [start time, in clock ticks since boot]
  local stat fields
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  # Fields after the command, which may itself hold spaces and parentheses: state is 3, flags 9, start time 22.
  read -ra fields <<<"${stat##*) }"
  case "${fields[0]}" in Z | X | x) return 1 ;; esac
  (( (fields[6] & 0x4) == 0 )) || return 1
  [ -z "${2:-}" ] || [ "${fields[19]}" = "$2" ]
}

# A pid file holds "pid start-time" (files written before hold only the pid).
pid_of() { local pid _; read -r pid _ < "$RUN/$1.pid" 2>/dev/null && echo "$pid"; }

pid_alive() { # name
  local pid start
  [ -f "$RUN/$1.pid" ] && read -r pid start < "$RUN/$1.pid" && [ -n "$pid" ] && proc_running "$pid" "$start"
}

# Start a long-running process detached from this shell, remembering its pid.
spawn() { # name command...
  local name="$1" pid stat fields; shift
  setsid "$@" >>"$LOGS/$name.log" 2>&1 < /dev/null &
  pid=$!
  stat=$(cat "/proc/$pid/stat" 2>/dev/null) || true
  read -ra fields <<<"${stat##*) }"
  echo "$pid ${fields[19]:-}" > "$RUN/$name.pid"
}

stop_pid() { # name
  if pid_alive "$1"; then
    local pid; pid="$(pid_of "$1")"
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 50); do pid_alive "$1" || break; sleep 0.1; done
    kill -KILL -- "-$pid" 2>/dev/null || true
  fi
  rm -f "$RUN/$1.pid"
}
