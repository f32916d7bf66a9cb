#!/usr/bin/env bash
# make demo: a leaking service run under `threadleak run`, its verdict, and
# the dump a SIGUSR1 writes while it runs.
set -u
cd "$(dirname "$0")/.."
out=build/demo
rm -rf "$out" && mkdir -p "$out"
prog=build/tests/progs/demo_leak

echo "== 1. threadleak run: judge a program that leaks a thread per cancelled request"
echo "   \$ build/threadleak run --json $out/verdict.json --out $out -- $prog 40"
build/threadleak run --json "$out/verdict.json" --out "$out" -- "$prog" 40
rc=$?
echo "   (exit status $rc: 3 means a leak was found)"
echo
echo "== 2. The verdict as JSON, for tools ($out/verdict.json):"
head -c 600 "$out/verdict.json"
echo " ..."
echo
echo "== 3. A dump on demand: LD_PRELOAD the library, send SIGUSR1"
(
    cd "$out" || exit 1
    LD_PRELOAD="$PWD/../libthreadleak.so" "../../$prog" 30 >/dev/null &
    pid=$!
    sleep 1
    echo "   \$ kill -USR1 $pid"
    kill -USR1 "$pid"
    for _ in $(seq 50); do [ -f "threadleak.$pid.1.txt" ] && break; sleep 0.1; done
    wait "$pid"
    cat "threadleak.$pid.1.txt"
)
[ "$rc" -eq 3 ]
