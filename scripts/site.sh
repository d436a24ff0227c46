#!/usr/bin/env bash
# One site's infrastructure (docs/architecture.md, "Two sites"): its own PostgreSQL 18, NATS JetStream,
# Asterisk node and Temporal cluster, each on the site's own ports. CTICloud's processes for the site take
# the environment this prints.
#   scripts/site.sh start <site> <index>   starts what is not running; prints the site's KEY=VALUE lines
#   scripts/site.sh env <site> <index>     prints them only
#   scripts/site.sh connect <site> <index> <peer's Temporal address>
#                                          connects the two clusters both ways and replicates this site's
#                                          namespace to the peer (run it for each site of a pair)
#   scripts/site.sh stop <site>            stops it all, its data kept
#   scripts/site.sh kill <site>            kill -9 of it all, as when the site's cloud is lost
#   scripts/site.sh drop <site>            stops it and removes its data (a fresh site next time)
# <index> 1..9 places the site's ports, so sites never collide: PostgreSQL 5440+i, NATS 4222+10i (monitor
# 8300+i), Asterisk ARI 8108+i and SIP 5080+i (node offset 20+i), Temporal frontend 6033+100i (the cluster
# takes that to +26), API 3000+10i. Its Temporal cluster keeps its state in the box's PostgreSQL (databases
# cticloud_site_<site>_*): one PostgreSQL server fewer on a shared box; a real site's cluster uses its own.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
load_env

cmd="${1:-}" site="${2:-}" index="${3:-}"
usage() { die "usage: site.sh start|env <site> <index 1-9> | stop|kill|drop <site>"; }
[[ "$site" =~ ^[a-z][a-z0-9]{0,15}$ ]] || usage
DIR="$STATE/sites/$site"

ports() {
  [[ "$index" =~ ^[1-9]$ ]] || usage
  PG_PORT=$((5440 + index))
  NATS_PORT=$((4222 + 10 * index))
  NATS_MONITOR=$((8300 + index))
  ARI_PORT=$((8108 + index))
  NODE_OFFSET=$((20 + index))
  TEMPORAL_PORT=$((6033 + 100 * index))
  API=$((3000 + 10 * index))
}

# The Temporal cluster's settings for scripts/temporal-server.sh: named and versioned by the site.
cluster_env() {
  export CTI_CLUSTER="site-$site" CTI_CLUSTER_INITIAL_VERSION="$index" CTI_CLUSTER_DB_PREFIX="cticloud_site_$site" \
    CTI_CLUSTER_PROCESS="temporal-site-$site" CTI_CLUSTER_NAMESPACES=create CTI_CLUSTER_UI=no \
    CTI_CLUSTER_PG_MAX_CONNS=6 TEMPORAL_ADDRESS="127.0.0.1:$TEMPORAL_PORT" TEMPORAL_NAMESPACE="cticloud-$site"
}

print_env() { # database URL
  cat <<ENV
SITE=$site
DATABASE_URL=$1
NATS_URL=nats://127.0.0.1:$NATS_PORT
NATS_MONITOR_PORT=$NATS_MONITOR
ARI_URL=http://127.0.0.1:$ARI_PORT
ASTERISK_NODE=site-$site
TEMPORAL_ADDRESS=127.0.0.1:$TEMPORAL_PORT
TEMPORAL_NAMESPACE=cticloud-$site
TEMPORAL_CLUSTER=site-$site
API_PORT=$API
ENV
}

start() {
  ports
  mkdir -p "$DIR/nats"
  local url
  url=$(bash "$ROOT/scripts/site-postgres.sh" start "$site" "$PG_PORT" | tail -1) || die "site $site: PostgreSQL"
  if ! port_open 127.0.0.1 "$NATS_PORT"; then
    spawn "nats-site-$site" nats-server -js -sd "$DIR/nats" -a 127.0.0.1 -p "$NATS_PORT" -m "$NATS_MONITOR"
    wait_port 127.0.0.1 "$NATS_PORT" 20 "site $site's nats-server"
  fi
  bash "$ROOT/scripts/asterisk-node.sh" start "site-$site" "$NODE_OFFSET" >/dev/null || die "site $site: Asterisk"
  (cluster_env && bash "$ROOT/scripts/temporal-server.sh" start) || die "site $site: Temporal"
  echo "$site" >"$DIR/index-$index"
  print_env "$url"
}

# Every process of the site by its pid file ("<dir> <name>"): its infrastructure's in the state directory,
# CTICloud's own (spawned by npm start as <process>-site-<site>) in the checkout's .run.
site_processes() {
  local dir f
  for dir in "$ROOT/.run" "$RUN"; do
    for f in "$dir"/*-site-"$site".pid; do [ -f "$f" ] && echo "$dir $(basename "$f" .pid)"; done
  done
  return 0
}

stop() {
  local dir p
  # CTICloud's processes first (listed first), then what they use.
  while read -r dir p; do RUN="$dir" stop_pid "$p"; done < <(site_processes)
  bash "$ROOT/scripts/site-postgres.sh" stop "$site"
}

kill_site() {
  local dir p pid
  while read -r dir p; do
    # The process group: spawn's setsid made each process the leader of its own.
    if RUN="$dir" pid_alive "$p"; then
      pid=$(RUN="$dir" pid_of "$p") && { kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid"; }
    fi
    rm -f "$dir/$p.pid"
  done < <(site_processes)
  bash "$ROOT/scripts/site-postgres.sh" kill "$site"
}

case "$cmd" in
  start) start ;;
  connect)
    ports
    cluster_env
    bash "$ROOT/scripts/temporal-server.sh" connect "${4:?usage: site.sh connect <site> <index> <peer address>}"
    ;;
  env)
    ports
    print_env "postgres://cticloud:$(cat "$STATE/sites/$site.password" 2>/dev/null)@127.0.0.1:$PG_PORT/cticloud"
    ;;
  stop) stop ;;
  kill) kill_site ;;
  drop)
    stop
    bash "$ROOT/scripts/site-postgres.sh" drop "$site"
    for db in temporal temporal_visibility; do
      runuser -u postgres -- psql -qAtX -c "drop database if exists \"cticloud_site_${site}_$db\" with (force)" >/dev/null
    done
    rm -rf "$DIR"
    ;;
  *) usage ;;
esac
