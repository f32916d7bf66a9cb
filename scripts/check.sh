#!/usr/bin/env bash
# Runs every test binary given, then prints one closing line for the whole suite.
set -u
passed=0 failed=0 failed_names=()
for t in "$@"; do
    echo "=== $t"
    out=$("$t" --jobs 2 2>&1); rc=$?
    printf '%s\n' "$out" | tail -n 40
    p=$(printf '%s\n' "$out" | sed -n 's/.*Passing: \([0-9]*\).*/\1/p' | tail -1)
    f=$(printf '%s\n' "$out" | sed -n 's/.*Failing: \([0-9]*\) | Crashing: \([0-9]*\).*/\1 \2/p' | tail -1)
    passed=$((passed + ${p:-0}))
    if [ $rc -ne 0 ] || [ -z "$p" ]; then
        n=$(echo ${f:-1 0} | awk '{print $1+$2}')
        [ "$n" -eq 0 ] && n=1
        failed=$((failed + n)); failed_names+=("$(basename "$t")")
    fi
done
[ ${#failed_names[@]} -gt 0 ] && echo "failing test binaries: ${failed_names[*]}"
echo "check: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
