#!/usr/bin/env bash
# Proves the README's two commands on a bare Debian 12: debootstraps a minbase
# bookworm root with only build-essential, git and python3, clones the committed
# HEAD inside it, and runs `make demo` then `make check` there, reporting each
# exit status. Not part of `make check` (it takes minutes and needs root and a
# Debian mirror).
#
# usage: scripts/bare-debian.sh [ROOT_DIR]   (default build/bare-debian)
#   MIRROR=...  Debian mirror (default: the one apt on this machine uses)
#   KEEP=1      reuse an existing root (skip debootstrap) if ROOT_DIR/.bootstrapped exists
set -u
repo=$(cd "$(dirname "$0")/.." && pwd)
root=${1:-$repo/build/bare-debian}
mkdir -p "$root"
root=$(cd "$root" && pwd)
log=$root.log

die() { echo "bare-debian: $*" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || die "needs root (debootstrap, chroot, mount)"
command -v debootstrap >/dev/null || die "debootstrap missing: apt-get install debootstrap"

if [ -z "${MIRROR:-}" ]; then
    MIRROR=$(grep -h -E '^(URIs:|deb )' /etc/apt/sources.list /etc/apt/sources.list.d/* 2>/dev/null |
        grep -o 'https\?://[^ ]*debian[^ ]*' | grep -v security | head -1)
    MIRROR=${MIRROR:-http://deb.debian.org/debian}
fi

mounted=()
cleanup() {
    local i
    for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
        umount -l "${mounted[$i]}" 2>/dev/null || true
    done
}
trap cleanup EXIT INT TERM
mnt() { # mnt TARGET ARGS...: mount ARGS on TARGET inside the root, undone on exit
    local target=$root$1
    shift
    mkdir -p "$target"
    mount "$@" "$target" || die "cannot mount $target"
    mounted+=("$target")
}

start=$(date +%s)
if [ "${KEEP:-0}" = 1 ] && [ -e "$root/.bootstrapped" ]; then
    echo "bare-debian: reusing $root"
else
    echo "bare-debian: debootstrap minbase bookworm from $MIRROR into $root (log: $log)"
    debootstrap --variant=minbase bookworm "$root" "$MIRROR" >"$log" 2>&1 ||
        die "debootstrap failed, see $log"
    touch "$root/.bootstrapped"
fi

cp /etc/resolv.conf "$root/etc/resolv.conf"
# The root a mount point of its own, as / is on a machine (unshare -m
# --propagation needs one); chroot cannot make user namespaces, so the
# tests that need one skip here.
mnt / --bind "$root"
mnt /proc -t proc proc
mnt /sys -t sysfs sysfs
mnt /dev --bind /dev
mnt /dev/pts -t devpts -o newinstance,ptmxmode=0666 devpts
mnt /dev/shm -t tmpfs tmpfs
mnt /tmp -t tmpfs tmpfs

in_root() { chroot "$root" /usr/bin/env -i HOME=/root TERM=dumb LANG=C.UTF-8 \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$@"; }

echo "bare-debian: apt-get install build-essential git python3"
in_root sh -c 'export DEBIAN_FRONTEND=noninteractive; apt-get update -qq &&
    apt-get install -y -qq build-essential git python3 >/dev/null' >>"$log" 2>&1 ||
    die "installing build-essential git python3 failed, see $log"

# A fresh clone of the committed HEAD, made with the root's own git.
git -C "$repo" bundle create "$root/root/threadleak.bundle" HEAD >>"$log" 2>&1 ||
    die "git bundle failed"
in_root sh -c 'rm -rf /root/threadleak &&
    git -c advice.detachedHead=false clone -q /root/threadleak.bundle /root/threadleak' ||
    die "git clone inside the root failed"
echo "bare-debian: cloned $(git -C "$repo" rev-parse --short HEAD) ($(($(date +%s) - start)) s so far)"

run_step() { # run_step NAME: runs `make NAME` in the clone, output to ROOT.NAME.log
    local t0=$(date +%s) rc
    in_root sh -c "cd /root/threadleak && make $1" >"$root.$1.log" 2>&1
    rc=$?
    echo "bare-debian: make $1: exit $rc in $(($(date +%s) - t0)) s (log: $root.$1.log)"
    tail -n 3 "$root.$1.log" | sed 's/^/    /'
    return $rc
}
run_step demo
demo_rc=$?
run_step check
check_rc=$?
echo "bare-debian: make demo exit $demo_rc, make check exit $check_rc, total $(($(date +%s) - start)) s"
[ $demo_rc -eq 0 ] && [ $check_rc -eq 0 ]
