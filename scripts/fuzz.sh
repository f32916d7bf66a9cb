#!/usr/bin/env bash
# Builds the libFuzzer targets (clang -fsanitize=fuzzer,address,undefined)
# of tests/fuzz/ into build/fuzz/ and runs each for SECONDS (default 5),
# starting from the seeds in tests/fuzz/seeds_*/ plus the corpus kept in
# build/fuzz/corpus_*/. Exits non-zero on any crash or build failure; the
# last line per target is "fuzz <target>: <executions> executions in <s> s,
# corpus <n>".   scripts/fuzz.sh [SECONDS] [replay]
set -u
cd "$(dirname "$0")/.."
secs=${1:-5}
mode=${2:-fuzz}
B=${BUILD:-build}/fuzz
mkdir -p "$B"
CLANG=${CLANG:-clang}
if ! command -v "$CLANG" >/dev/null; then
    echo "fuzz: clang not installed; skipped" >&2
    exit 77
fi
SAN="-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined"
INC="-D_GNU_SOURCE -Iinclude -Isrc"
JANSSON="$(pkg-config --cflags --libs jansson)"
build() { # target sources...
    local t=$1
    shift
    local newest
    newest=$(ls -t "$@" "scripts/fuzz.sh" | head -1)
    if [ ! -x "$B/$t" ] || [ "$newest" -nt "$B/$t" ]; then
        "$CLANG" $SAN $INC -o "$B/$t" "$@" $JANSSON "$(gcc -print-file-name=libiberty.a)" -lm || return 1
    fi
}
rc=0
build fuzz_config tests/fuzz/fuzz_config.c src/preload/config.c src/common/env_syntax.c || { echo "fuzz: cannot build fuzz_config" >&2; exit 1; }
if [ -f src/cli/dump_read.c ]; then
    build fuzz_dump_read tests/fuzz/fuzz_dump_read.c src/cli/dump_read.c src/cli/match.c src/cli/util.c \
        src/common/*.c || { echo "fuzz: cannot build fuzz_dump_read" >&2; exit 1; }
fi
build fuzz_contract tests/fuzz/fuzz_contract.c src/common/channel.c src/common/series_line.c \
    src/common/env_syntax.c || { echo "fuzz: cannot build fuzz_contract" >&2; exit 1; }
for t in fuzz_config fuzz_dump_read fuzz_contract; do
    [ -x "$B/$t" ] || continue
    seeds=tests/fuzz/seeds_${t#fuzz_}
    [ "$t" = fuzz_dump_read ] && seeds=tests/fuzz/seeds_dump
    corpus=$B/corpus_${t#fuzz_}
    mkdir -p "$corpus"
    log=$B/$t.log
    start=$(date +%s)
    if [ "$mode" = replay ]; then
        "$B/$t" -runs=0 "$corpus" "$seeds" >"$log" 2>&1
    else
        "$B/$t" -max_total_time="$secs" -max_len=65536 -rss_limit_mb=2048 -timeout=10 \
            -artifact_prefix="$B/$t-" -print_final_stats=1 "$corpus" "$seeds" >"$log" 2>&1
    fi
    r=$?
    end=$(date +%s)
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    [ -z "$execs" ] && execs=$(sed -n 's/.*Done \([0-9]*\) runs.*/\1/p' "$log" | tail -1)
    n=$(ls "$corpus" | wc -l)
    if [ $r -ne 0 ]; then
        echo "fuzz $t: FAILED (status $r); the last lines of $log:" >&2
        tail -40 "$log" >&2
        ls "$B/$t"-* 2>/dev/null | sed 's/^/fuzz: crashing input kept in /' >&2
        rc=1
    fi
    echo "fuzz $t: ${execs:-0} executions in $((end - start)) s, corpus $n"
done
exit $rc
