#!/usr/bin/env bash
# Installs the Debian packages threadleak needs, only those missing: with
# --build what `make demo` and `make bench` need to build, else also what the
# tests run (`make check`). Plain `make` never runs this: it names a missing
# build package and stops.
set -eu
# Debian 12's CPython tests come in a package named after its version.
py=$(/usr/bin/python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null || echo 3.11)

# One package a line with what needs it.
build=(
    gcc g++ make pkg-config       # the build
    libunwind-dev                 # blocked-at stacks (creation stacks: libgcc_s)
    uthash-dev                    # the dump's hash tables
    libdw-dev libelf-dev          # symbols, file:line
    libiberty-dev                 # C++ and Rust demangling
    libjansson-dev                # the command's JSON reader
    libprotobuf-c-dev protobuf-c-compiler zlib1g-dev  # pprof profiles (protoc-c at build time)
    libmicrohttpd-dev             # threadleak serve
    python3                       # scripts/bench.sh, test_languages
)
# A test needing a runtime adds it here and skips, saying which package, only
# when it is still absent.
tests=(
    libcriterion-dev              # the tests
    "libpython$py-testsuite"      # test_hosts: CPython's own thread tests
    redis-tools                   # test_hosts: redis-server (redis-check-rdb) under redis-benchmark
    rustc                         # test_languages: Rust programs
    clang libclang-rt-dev         # test_hostile: libFuzzer + ASan (scripts/fuzz.sh); bench TSan
    memcached                     # test_trigger: a server that stops on SIGUSR1
    nodejs                        # test_trigger, test_names, test_runtimes: Node.js programs; JIT perf map
    golang-go                     # test_export: go tool pprof reads our profiles
    chromium                      # test_export: the HTML report rendered headless
    prometheus                    # test_export: promtool check metrics, a real scrape of serve
    default-jdk-headless          # test_runtimes: JVM programs
    cargo                         # test_runtimes: cargo build of a crate
    libglib2.0-dev                # test_runtimes: GLib GThreadPool/GTask programs
    nginx-light                   # test_runtimes: nginx (aio threads) with workers as nobody
    libc6-dbg                     # test_attach, test_runtimes: names of libc's own functions (sem_wait's slow path, start_thread)
)
pkgs=("${build[@]}")
[ "${1:-}" = --build ] || pkgs+=("${tests[@]}")

missing=()
installed=$(dpkg-query -W -f='${Package} ${Status}\n' "${pkgs[@]}" 2>/dev/null || true)
for p in "${pkgs[@]}"; do
    grep -qFx "$p install ok installed" <<<"$installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "threadleak: installing missing packages: ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || {
        echo "threadleak: not root and no sudo: apt-get install ${missing[*]}" >&2
        exit 1
    }
    SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
# Server packages (memcached, nginx, prometheus) are installed for their
# programs, which tests start on 127.0.0.1 themselves. On a machine running
# systemd, installing them would also start their services (prometheus on
# every interface); Debian's policy-rc.d hook keeps them stopped.
if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\n# threadleak install-deps.sh: no service starts\nexit 101\n' |
        $SUDO tee /usr/sbin/policy-rc.d >/dev/null
    $SUDO chmod 0755 /usr/sbin/policy-rc.d
    trap '$SUDO rm -f /usr/sbin/policy-rc.d' EXIT
fi
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
