#!/usr/bin/env bash
# PostgreSQL 18 for sites that replicate their configuration both ways (issue #16, docs/architecture.md "Two
# sites"): that needs subscriptions with `origin = none` (PostgreSQL 16+), and Debian 12 ships 15. It lives
# in a Debian sid chroot, as Asterisk does, and is built only by what needs it (the two-site test,
# `npm start -- --sites 2`). The package makes no cluster of its own: scripts/site-postgres.sh makes one per
# site, each on its own port.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
MARKER="$SITE_PG_ROOT/.cticloud-ready"
APT=(apt-get -o Acquire::Check-Valid-Until=false)
[ -f "$MARKER" ] && exit 0
# Both sites start at once: one builds, the other waits for it.
mkdir -p "$CACHE" && exec 9>"$CACHE/.postgres-$SITE_PG_MAJOR-root.lock" && flock 9
[ -f "$MARKER" ] && exit 0

command -v debootstrap >/dev/null || die "debootstrap missing (scripts/provision.sh installs it)"
log "building the PostgreSQL $SITE_PG_MAJOR chroot for sites in $SITE_PG_ROOT (first time only, a few minutes)"
rm -rf "$SITE_PG_ROOT.tmp"
debootstrap --variant=minbase sid "$SITE_PG_ROOT.tmp" "$MIRROR" >"$LOGS/site-postgres-build.log" 2>&1 \
  || die "debootstrap failed: see $LOGS/site-postgres-build.log"
cp /etc/resolv.conf "$SITE_PG_ROOT.tmp/etc/resolv.conf" 2>/dev/null || true
# No cluster made by the package, and no service started inside the chroot.
mkdir -p "$SITE_PG_ROOT.tmp/etc/postgresql-common"
echo "create_main_cluster = false" >"$SITE_PG_ROOT.tmp/etc/postgresql-common/createcluster.conf"
printf '#!/bin/sh\nexit 101\n' >"$SITE_PG_ROOT.tmp/usr/sbin/policy-rc.d" && chmod +x "$SITE_PG_ROOT.tmp/usr/sbin/policy-rc.d"
chroot "$SITE_PG_ROOT.tmp" "${APT[@]}" update >>"$LOGS/site-postgres-build.log" 2>&1
# postgresql-common's postinst runs systemd-tmpfiles, which needs /proc.
mount -t proc proc "$SITE_PG_ROOT.tmp/proc"
trap 'umount "$SITE_PG_ROOT.tmp/proc" 2>/dev/null || true' EXIT
DEBIAN_FRONTEND=noninteractive chroot "$SITE_PG_ROOT.tmp" "${APT[@]}" install -y --no-install-recommends \
  "postgresql-$SITE_PG_MAJOR" >>"$LOGS/site-postgres-build.log" 2>&1 \
  || die "installing PostgreSQL $SITE_PG_MAJOR in the chroot failed: see $LOGS/site-postgres-build.log"
umount "$SITE_PG_ROOT.tmp/proc"
chroot "$SITE_PG_ROOT.tmp" apt-get clean
chroot "$SITE_PG_ROOT.tmp" "/usr/lib/postgresql/$SITE_PG_MAJOR/bin/postgres" --version >"$SITE_PG_ROOT.tmp/.cticloud-ready"
rm -rf "$SITE_PG_ROOT"
mv "$SITE_PG_ROOT.tmp" "$SITE_PG_ROOT"
log "site PostgreSQL ready: $(cat "$MARKER")"
