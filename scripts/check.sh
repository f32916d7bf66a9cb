#!/usr/bin/env bash
# Runs every test binary given, then prints the skipped tests with their reasons
# and one closing line for the whole suite.
# SKIP_TESTS="suite/test* ..." leaves those tests out (make check-fast's slow ones).
# CHECK_JOBS: tests of one binary run at once (2; make check-fast: 4, its
# suites mostly wait on programs that run for a set time).
set -u
filter=()
if [ -n "${SKIP_TESTS:-}" ]; then
    set -f
    pats=(${SKIP_TESTS})
    set +f
    filter=(--filter "!($(IFS='|'; echo "${pats[*]}"))")
fi
passed=0 failed=0 failed_names=() skipped=()
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for t in "$@"; do
    echo "=== $t"
    t0=$(date +%s)
    # --verbose is what makes Criterion print [SKIP] lines; its per-test
    # [RUN ]/[PASS] lines are left out.
    # Into a file, not a pipe: a program a failed test left running would
    # hold a pipe open and stall the suite. A binary that hangs is stopped.
    timeout -k 10 "${TEST_TIMEOUT:-900}" "$t" --jobs "${CHECK_JOBS:-2}" --verbose "${filter[@]}" >"$log" 2>&1
    rc=$?
    [ $rc -eq 124 ] && echo "$t: still running after ${TEST_TIMEOUT:-900} s, stopped" >>"$log"
    out=$(cat "$log")
    printf '%s\n' "$out" | grep -v -E '^\[(RUN |PASS)\] |^\[----\] Criterion v|^\[====\] Running ' |
        tail -n 40
    echo "--- $(basename "$t"): $(($(date +%s) - t0)) s"
    while IFS= read -r s; do
        s=${s#\[SKIP\] }
        [ ${#filter[@]} -gt 0 ] && s=${s/%: Test is disabled/: slow, left out (make check runs it)}
        skipped+=("$(basename "$t"): $s")
    done < <(printf '%s\n' "$out" | grep '^\[SKIP\] ')
    p=$(printf '%s\n' "$out" | sed -n 's/.*Passing: \([0-9]*\).*/\1/p' | tail -1)
    f=$(printf '%s\n' "$out" | sed -n 's/.*Failing: \([0-9]*\) | Crashing: \([0-9]*\).*/\1 \2/p' | tail -1)
    passed=$((passed + ${p:-0}))
    if [ $rc -ne 0 ] || [ -z "$p" ]; then
        n=$(echo ${f:-1 0} | awk '{print $1+$2}')
        [ "$n" -eq 0 ] && n=1
        failed=$((failed + n)); failed_names+=("$(basename "$t")")
    fi
done
[ ${#skipped[@]} -gt 0 ] && printf 'skipped: %s\n' "${skipped[@]}"
[ ${#failed_names[@]} -gt 0 ] && echo "failing test binaries: ${failed_names[*]}"
echo "check: $passed passed, $failed failed, ${#skipped[@]} skipped in $SECONDS s"
[ "$failed" -eq 0 ]
