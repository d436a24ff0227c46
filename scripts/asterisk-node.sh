#!/usr/bin/env bash
# Another Asterisk from the same chroot, for tests and benches of several nodes on one box:
#   scripts/asterisk-node.sh start <name> <offset>   ARI on 8088+offset, SIP on 5060+offset, its own RTP range
#   scripts/asterisk-node.sh stop <name>
# It has its own config, run, spool (recordings), log and database directories; the binaries, modules and
# sounds are the chroot's. Prints the node's ASTERISK_NODES entry (`<name>=http://127.0.0.1:<port>`).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
load_env

name="${2:-}"
[[ "$name" =~ ^[A-Za-z0-9_-]+$ ]] || die "usage: asterisk-node.sh start|stop <name> [offset]"
etc="/etc/cticloud-asterisk-$name"

start() {
  local offset="${1:-}"
  [[ "$offset" =~ ^[0-9]+$ ]] && [ "$offset" -ge 1 ] && [ "$offset" -le 150 ] || die "offset must be 1..150"
  [ -f "$ASTERISK_ROOT/.cticloud-ready" ] || die "no Asterisk chroot; run scripts/provision.sh"
  local http_port=$((8088 + offset)) sip_port=$((5060 + offset))
  # The primary uses 20000-30000; each further node 200 ports above 30000 (100 calls' worth of RTP pairs).
  local rtp_start=$((30000 + offset * 200)) rtp_end=$((30000 + offset * 200 + 198))
  if port_open 127.0.0.1 "$http_port"; then echo "$name=http://127.0.0.1:$http_port"; return 0; fi
  local dir="$ASTERISK_ROOT$etc"
  rm -rf "$dir" && mkdir -p "$dir"
  cp "$ROOT"/asterisk/conf/*.conf "$dir/"
  printf '[%s]\ntype = user\nread_only = no\npassword = %s\n' "$ARI_USER" "$ARI_PASSWORD" > "$dir/ari-users.conf"
  sed -i -e "s#^astetcdir => .*#astetcdir => $etc#" \
    -e "s#^astrundir => .*#astrundir => /var/run/asterisk-$name#" \
    -e "s#^astspooldir => .*#astspooldir => /var/spool/asterisk-$name#" \
    -e "s#^astlogdir => .*#astlogdir => /var/log/asterisk-$name#" \
    -e "s#^astdbdir => .*#astdbdir => /var/lib/asterisk-$name#" "$dir/asterisk.conf"
  sed -i "s/^bindport = .*/bindport = $http_port/" "$dir/http.conf"
  sed -i "s/^bind = 127.0.0.1:5060/bind = 127.0.0.1:$sip_port/" "$dir/pjsip.conf"
  sed -i -e "s/^rtpstart = .*/rtpstart = $rtp_start/" -e "s/^rtpend = .*/rtpend = $rtp_end/" "$dir/rtp.conf"
  grep -q "bindport = $http_port" "$dir/http.conf" || die "could not set the HTTP port in $dir/http.conf"
  grep -q "127.0.0.1:$sip_port" "$dir/pjsip.conf" || die "could not set the SIP port in $dir/pjsip.conf"
  for d in "var/run/asterisk-$name" "var/spool/asterisk-$name/recording" "var/log/asterisk-$name" "var/lib/asterisk-$name"; do
    mkdir -p "$ASTERISK_ROOT/$d"
  done
  mountpoint -q "$ASTERISK_ROOT/proc" || mount -t proc proc "$ASTERISK_ROOT/proc"
  spawn "asterisk-$name" chroot "$ASTERISK_ROOT" /usr/sbin/asterisk -f -C "$etc/asterisk.conf"
  wait_port 127.0.0.1 "$http_port" 60 "Asterisk $name"
  for _ in $(seq 100); do
    if curl -fs -u "$ARI_USER:$ARI_PASSWORD" "http://127.0.0.1:$http_port/ari/asterisk/info" >/dev/null; then
      echo "$name=http://127.0.0.1:$http_port"
      return 0
    fi
    sleep 0.2
  done
  die "ARI of $name did not answer (see $LOGS/asterisk-$name.log)"
}

case "${1:-}" in
  start) start "${3:-}" ;;
  stop) stop_pid "asterisk-$name" ;;
  *) die "usage: asterisk-node.sh start|stop <name> [offset]" ;;
esac
