#!/bin/bash
# `make test-systemd`: boot Debian bookworm (systemd 252) in a systemd-nspawn container, install
# tastebud there from this working tree as README.md says, and run tests/systemd/inside.sh, which
# prints PASS/FAIL per check. Needs root, systemd-container and debootstrap (installed when
# missing), the Debian package registry this host's apt uses, and the Python package indexes this
# host's pip uses. The first run debootstraps a base root file system (~1.5 min, ~450 MB) and
# caches it in $TASTEBUD_SYSTEMD_WORK (default /var/tmp/tastebud-systemd); each run boots a fresh
# copy of it. KEEP=1 leaves the container running for a look inside.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
W=${TASTEBUD_SYSTEMD_WORK:-/var/tmp/tastebud-systemd}
BASE=$W/rootfs-base; R=$W/rootfs-run; MACHINE=tbtest
START=$(date +%s)

[ "$(id -u)" = 0 ] || { echo "FAIL setup: make test-systemd must run as root (sudo make test-systemd)"; exit 1; }
mkdir -p "$W"

# 1. tools and a minimal Debian root file system, cached
if ! command -v systemd-nspawn >/dev/null || ! command -v debootstrap >/dev/null; then
  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q systemd-container debootstrap \
    || { echo "FAIL setup: cannot install systemd-container and debootstrap"; exit 1; }
fi
if [ ! -x "$BASE/lib/systemd/systemd" ]; then
  MIRROR=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/*.sources 2>/dev/null)
  [ -n "$MIRROR" ] || MIRROR=$(awk '/^deb /{print $2; exit}' /etc/apt/sources.list 2>/dev/null)
  [ -n "$MIRROR" ] || { echo "FAIL setup: no Debian mirror in this host's apt sources"; exit 1; }
  echo "debootstrap bookworm from $MIRROR into $BASE (once)"
  rm -rf "$BASE.tmp"
  debootstrap --variant=minbase \
    --include=systemd,systemd-sysv,dbus,dbus-user-session,libpam-systemd,python3,python3-venv,make,git,procps,sudo,less,iproute2,ca-certificates \
    bookworm "$BASE.tmp" "$MIRROR" >"$W/debootstrap.log" 2>&1 \
    || { echo "FAIL setup: debootstrap (see $W/debootstrap.log)"; exit 1; }
  chroot "$BASE.tmp" passwd -d root >/dev/null
  mv "$BASE.tmp" "$BASE"
fi
rm -rf "$R" && cp -a "$BASE" "$R" && echo "$MACHINE" >"$R/etc/hostname"

# 2. binds: the working tree at /src/tastebud; a git worktree's common directory where its .git
#    file points; pip's config, CA bundle, local indexes and constraints as this host's pip sees them
BINDS=(--bind-ro="$SRC":/src/tastebud)
COMMON=$(git -C "$SRC" rev-parse --path-format=absolute --git-common-dir 2>/dev/null)
case "$COMMON" in ""|"$SRC"/*) ;; *) BINDS+=(--bind-ro="$COMMON") ;; esac
{ echo "[global]"
  pip config list 2>/dev/null | sed -n "s/^[a-z:]*\.\([a-z-]*\)='\(.*\)'$/\1 = \2/p" | sort -u
} >"$R/etc/pip.conf"
for p in $(pip config list 2>/dev/null | grep -oE "(file://)?/[^' ]+" | sed 's#^file://##' | sort -u); do
  d=$p; [ -f "$p" ] && d=$(dirname "$p")
  [ "$(basename "$d")" = simple ] && d=$(dirname "$d")   # a local index links to files beside it
  case "$d" in
    /etc/ssl*) mkdir -p "$R$(dirname "$p")" && cp "$p" "$R$p" ;;
    *) [ -e "$d" ] && BINDS+=(--bind-ro="$d") ;;
  esac
done

# 3. boot; without a system bus on the host, nspawn needs --register=no --keep-unit
nohup systemd-nspawn -b -D "$R" --register=no --keep-unit --console=passive --machine="$MACHINE" \
  "${BINDS[@]}" >"$W/nspawn.log" 2>&1 &
NSPAWN=$!
CPID=
# the container's PID 1 (nspawn's first child may be a short-lived helper)
for _ in $(seq 60); do
  CPID=$(ps -o pid=,comm= --ppid $NSPAWN | awk '$2 == "systemd" {print $1; exit}')
  [ -n "$CPID" ] && break; sleep 1
done
[ -n "$CPID" ] || { echo "FAIL setup: the container did not boot (see $W/nspawn.log)"; exit 1; }
c() { nsenter -t "$CPID" -a env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        HOME=/root TERM=dumb LANG=C.UTF-8 "$@"; }
state=
for _ in $(seq 90); do
  state=$(c systemctl is-system-running 2>/dev/null)
  case $state in running|degraded) break ;; esac; sleep 1
done
case $state in running|degraded) ;; *)
  echo "FAIL setup: the container's systemd is '$state' after 90 s (see $W/nspawn.log)"
  kill $NSPAWN; wait $NSPAWN; exit 1 ;;
esac
echo "container up: $(c systemctl --version | head -1), booted in $(( $(date +%s) - START )) s"

# 4. the checks
# a copy: bash reads a script as it runs, and the tree may be edited meanwhile
cp "$HERE/inside.sh" "$R/root/inside.sh"
c bash /root/inside.sh; rc=$?
if [ "${KEEP:-0}" = 1 ]; then
  echo "left running; enter with: nsenter -t $CPID -a bash   (stop: nsenter -t $CPID -a systemctl poweroff)"
else
  c systemctl poweroff >/dev/null 2>&1
  for _ in $(seq 60); do kill -0 $NSPAWN 2>/dev/null || break; sleep 1; done
  kill -0 $NSPAWN 2>/dev/null && kill $NSPAWN
  wait $NSPAWN 2>/dev/null
fi
echo "make test-systemd: $(( $(date +%s) - START )) s in all, exit $rc"
exit $rc
