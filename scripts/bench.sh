#!/usr/bin/env bash
# make bench: threadleak's overhead, bare vs LD_PRELOAD=build/libthreadleak.so.
#   scripts/bench.sh            full run (< 10 min on 2 cores); table on stdout and in
#                               build/bench/results.md and results.json
#   scripts/bench.sh --smoke    every workload once at tiny sizes, correctness only (< 30 s);
#                               build/bench/results-smoke.{md,json}
# Other options go to scripts/bench.py (--pairs N, --strict, --only LIST, ...).
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
OUT=$BUILD/bench
smoke=0
for a in "$@"; do [ "$a" = "--smoke" ] && smoke=1; done

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
apt_install() {
    echo "bench: installing $* from Debian" >&2
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get install -y -qq "$@" >/dev/null 2>&1 ||
        { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq "$@" >/dev/null; }
}

command -v python3 >/dev/null || apt_install python3
[ -f "$BUILD/libthreadleak.so" ] || make -s lib BUILD="$BUILD"
[ -x "$BUILD/threadleak" ] || make -s cli BUILD="$BUILD"
export BUILD
# The server workload: installed when missing, except in the smoke run, which
# must stay short and offline (its row then says it was skipped).
if [ $smoke -eq 0 ] && ! { command -v redis-server && command -v redis-benchmark; } >/dev/null; then
    apt_install redis-server redis-tools || echo "bench: could not install redis; skipping it" >&2
fi

# The workloads, built the way users build programs: -O2 -g, no -rdynamic.
mkdir -p "$OUT"
CFLAGS_BENCH="-std=gnu11 -O2 -g -pthread -Wall -Wextra -Werror -D_GNU_SOURCE"
build() { # output, compiler and flags..., source
    local out=$1
    shift
    local src=${*: -1}
    if [ ! -x "$out" ] || [ "$src" -nt "$out" ] || [ scripts/bench.sh -nt "$out" ] ||
        { [ "$src" = bench/mem_threads.c ] && [ src/preload/registry.h -nt "$out" ]; }; then
        "$@" -o "$out.tmp$$" && mv -f "$out.tmp$$" "$out" # a running copy keeps its inode
    fi
}
CC=${CC:-gcc}
build "$OUT/micro" "$CC" $CFLAGS_BENCH bench/micro.c
build "$OUT/dump_many" "$CC" $CFLAGS_BENCH bench/dump_many.c -ldl
build "$OUT/attach_many" "$CC" $CFLAGS_BENCH bench/attach_many.c
build "$OUT/mem_threads" "$CC" $CFLAGS_BENCH -Iinclude -Isrc bench/mem_threads.c
if command -v clang >/dev/null; then
    # ThreadSanitizer's ratios are to the same source built by clang without it.
    build "$OUT/micro_clang" clang $CFLAGS_BENCH bench/micro.c
    build "$OUT/micro_tsan" clang $CFLAGS_BENCH -fsanitize=thread bench/micro.c
else
    echo "bench: clang not found; no ThreadSanitizer column" >&2
    rm -f "$OUT/micro_tsan" "$OUT/micro_clang"
fi

# Every run of this benchmark uses one copy of the library, taken now: the tree
# may be rebuilt while the benchmark runs.
# (A new inode each time, by rename: a run still going keeps its own copy.)
lib_copy=$OUT/libthreadleak.so
[ $smoke -eq 1 ] && lib_copy=$OUT/libthreadleak-smoke.so
cp "$BUILD/libthreadleak.so" "$lib_copy.tmp$$"
mv -f "$lib_copy.tmp$$" "$lib_copy"
export BENCH_LIB=$lib_copy

cmd="make bench"
[ $smoke -eq 1 ] && cmd="scripts/bench.sh --smoke"
exec python3 scripts/bench.py --command "$cmd" "$@"
