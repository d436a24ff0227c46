#!/usr/bin/env bash
# Asterisk 22 lives in a Debian sid chroot because Debian 12 ships no asterisk package.
# The chroot is cached under $CACHE and rebuilt only when the marker file is missing.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
MARKER="$ASTERISK_ROOT/.cticloud-ready"
# Bump when the package set below changes: a cached chroot is then upgraded in place, not rebuilt.
RECIPE=2
PACKAGES=(asterisk asterisk-modules asterisk-core-sounds-en-wav asterisk-moh-opsound-wav)
APT=(apt-get -o Acquire::Check-Valid-Until=false)

if [ -f "$MARKER" ]; then
  [ "$(cat "$ASTERISK_ROOT/.cticloud-recipe" 2>/dev/null)" = "$RECIPE" ] && exit 0
  log "updating the Asterisk chroot's packages (recipe $RECIPE)"
  chroot "$ASTERISK_ROOT" "${APT[@]}" update >>"$LOGS/debootstrap.log" 2>&1
  DEBIAN_FRONTEND=noninteractive chroot "$ASTERISK_ROOT" "${APT[@]}" install -y --no-install-recommends \
    "${PACKAGES[@]}" >>"$LOGS/debootstrap.log" 2>&1 || die "chroot package update failed: see $LOGS/debootstrap.log"
  echo "$RECIPE" > "$ASTERISK_ROOT/.cticloud-recipe"
  exit 0
fi

command -v debootstrap >/dev/null || die "debootstrap missing (scripts/provision.sh installs it)"
log "building the Asterisk 22 chroot in $ASTERISK_ROOT (first time only, a few minutes)"
rm -rf "$ASTERISK_ROOT.tmp"
debootstrap --variant=minbase sid "$ASTERISK_ROOT.tmp" "$MIRROR" >"$LOGS/debootstrap.log" 2>&1 \
  || die "debootstrap failed: see $LOGS/debootstrap.log"
cp /etc/resolv.conf "$ASTERISK_ROOT.tmp/etc/resolv.conf" 2>/dev/null || true
# The mirror's sid Release file can be past its Valid-Until date; without this apt refuses it.
chroot "$ASTERISK_ROOT.tmp" "${APT[@]}" update >>"$LOGS/debootstrap.log" 2>&1
DEBIAN_FRONTEND=noninteractive chroot "$ASTERISK_ROOT.tmp" "${APT[@]}" install -y --no-install-recommends \
  "${PACKAGES[@]}" >>"$LOGS/debootstrap.log" 2>&1 || die "installing asterisk in the chroot failed: see $LOGS/debootstrap.log"
chroot "$ASTERISK_ROOT.tmp" apt-get clean
echo "$RECIPE" > "$ASTERISK_ROOT.tmp/.cticloud-recipe"
chroot "$ASTERISK_ROOT.tmp" /usr/sbin/asterisk -V > "$ASTERISK_ROOT.tmp/.cticloud-ready"
# A chroot without its marker is an interrupted build: replace it whole (mv would nest the new one in it).
mountpoint -q "$ASTERISK_ROOT/proc" 2>/dev/null && umount "$ASTERISK_ROOT/proc"
rm -rf "$ASTERISK_ROOT"
mv "$ASTERISK_ROOT.tmp" "$ASTERISK_ROOT"
log "chroot ready: $(cat "$MARKER")"
