#!/usr/bin/env bash
# Stress run of the whole suite (issue 9): `make test`'s ctest run N times, odd runs while a bounded
# busy loop occupies one core, even runs quiet. Prints one line per run (when, load, result, time) and,
# at the end, every test that failed at least once with the path of its kept logs.
#   scripts/stress.sh [N]        (default 10; STRESS_OUT=DIR for the logs, default build/stress;
#                                 STRESS_TESTS=REGEX runs only the tests ctest -R REGEX selects)
# Needs a build (`make`). Exit 0 when no test failed in any run.
set -uo pipefail
cd "$(dirname "$0")/.."

N=${1:-10}
case $N in '' | *[!0-9]*) echo "stress: N must be a number: \"$N\"" >&2; exit 2 ;; esac
BUILD=${BUILD:-build}
OUT=$(realpath -m "${STRESS_OUT:-$BUILD/stress}")
[ -x "$BUILD/bin/greeter-server" ] || { echo "stress: no build in $BUILD (run make first)" >&2; exit 2; }
mkdir -p "$OUT"
: >"$OUT/runs.tsv"
LOAD_PID=
SUITE_PID=

stop_load() {
  [ -n "$LOAD_PID" ] || return 0
  kill "$LOAD_PID" 2>/dev/null
  wait "$LOAD_PID" 2>/dev/null
  LOAD_PID=
}
# The suite runs in a process group of its own (setsid): stopping the stress run stops every test
# process with it, by that group's ID.
stop_suite() {
  [ -n "$SUITE_PID" ] || return 0
  kill -TERM -- "-$SUITE_PID" 2>/dev/null
  # ctest gives tests process groups of their own, but they stay in its session: stop those by PID.
  local st line pid sid
  for st in /proc/[0-9]*/stat; do
    line=$(cat "$st" 2>/dev/null) || continue
    pid=${line%% *}
    read -r _ _ _ sid _ <<<"${line##*) }" # after "(comm) ": state ppid pgrp session
    [ "$sid" = "$SUITE_PID" ] && kill -TERM "$pid" 2>/dev/null
  done
  wait "$SUITE_PID" 2>/dev/null
  SUITE_PID=
}
trap 'stop_suite; stop_load' EXIT
trap 'exit 130' INT TERM

for i in $(seq "$N"); do
  load=quiet
  if [ $((i % 2)) -eq 1 ]; then
    load=busy-core
    # One core busy for at most an hour (a run takes minutes); stopped by PID after the run.
    timeout 3600 sh -c 'while :; do :; done' &
    LOAD_PID=$!
  fi
  started=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  t0=$(date +%s)
  log="$OUT/run-$i.log"
  # Failed tests keep their logs under $OUT/run-i/ (tests/lib.sh's KEEP_T).
  (cd "$BUILD" && KEEP_T="$OUT/run-$i" exec setsid ctest --output-on-failure --timeout 600 ${STRESS_TESTS:+-R "$STRESS_TESTS"}) >"$log" 2>&1 &
  SUITE_PID=$!
  wait "$SUITE_PID"
  rc=$?
  SUITE_PID=
  stop_load
  secs=$(($(date +%s) - t0))
  failed=$(grep -E '^\s+[0-9]+ - ' "$log" | sed -E 's/^\s+[0-9]+ - //; s/ \(.*//' | tr '\n' ' ')
  summary=$(grep -E 'tests passed, [0-9]+ tests failed' "$log" | tail -1)
  printf '%s\t%s\t%s\t%ss\t%s\t%s\n' "$i" "$started" "$load" "$secs" "${summary:-no summary (rc=$rc)}" "$failed" |
    tee -a "$OUT/runs.tsv"
done

echo
if ! cut -f6 "$OUT/runs.tsv" | grep -q '[a-z]'; then
  echo "stress: $N of $N runs without a failure (logs in $OUT)"
  exit 0
fi
echo "stress: tests that failed at least once:"
cut -f6 "$OUT/runs.tsv" | tr ' ' '\n' | grep . | sort | uniq -c | sort -rn
echo "per run: $OUT/run-N.log (ctest output with each failed test's log), $OUT/run-N/ (kept test folders)"
exit 1
