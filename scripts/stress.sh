#!/usr/bin/env bash
# make stress: the long robustness runs (under 15 minutes on 2 cores).
# Every test binary that has long variants runs with THREADLEAK_STRESS=1:
# the robustness, fault, hostile-input (fuzzing 2 x 120 s), sanitizer and
# host-program suites, the command's own stress tests, the deadlock suite
# (its contention program dumped 50 times: never a cycle), and the runtimes
# suite (50 JVM runs of a leaking and a clean program, dumps every 0.5 s). The figures of
# the run are appended to build/robust-figures.txt.
set -u
cd "$(dirname "$0")/.."
B=${BUILD:-build}
export THREADLEAK_STRESS=1
start=$(date +%s)
failed=()
for t in test_robust test_faults test_hostile test_sanitizers test_hosts test_cli_stress test_deadlock test_runtimes; do
    bin=$B/tests/$t
    [ -x "$bin" ] || continue
    echo "=== $t (THREADLEAK_STRESS=1)"
    t0=$(date +%s)
    "$bin" --jobs 2 2>&1 | grep -E '^(figure:|\[FAIL\]|\[----\]|\[====\])' | tail -n 60
    rc=${PIPESTATUS[0]}
    echo "--- $t: exit $rc in $(($(date +%s) - t0)) s"
    [ "$rc" -eq 0 ] || failed+=("$t")
done
echo "stress: $(($(date +%s) - start)) s; ${#failed[@]} failing: ${failed[*]:-none}"
[ ${#failed[@]} -eq 0 ]
