#!/usr/bin/env bash
# Builds the libFuzzer harnesses (tests/fuzz) in their own clang tree and runs them, one after the
# other on one core (`make fuzz`; docs in tests/fuzz/README.md).
#
#   scripts/fuzz.sh [--smoke] [TARGET...]      default: every target
#
# Per target: first every regression input (tests/fuzz/regressions/TARGET, each crash ever found) and
# seed (tests/fuzz/corpus/TARGET) is run once; then the fuzzer runs for FUZZ_SECONDS (default 60;
# --smoke: 30), or until FUZZ_RUNS executions when that is set. New corpus entries stay in the build
# tree (FUZZ_BUILD/work/TARGET), never in the repository. Any crash, leak, timeout (-timeout) or
# memory blow-up (-rss_limit_mb) fails the run: the input is kept in FUZZ_BUILD/artifacts/TARGET/,
# and becomes a regression once it is fixed (copy it to tests/fuzz/regressions/TARGET/).
# Ends with one line per target: executions, exec/s, seconds, corpus, crashes. Exit 1 when any failed.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
FUZZ_BUILD=${FUZZ_BUILD:-build-fuzz}
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
FUZZ_RUNS=${FUZZ_RUNS:-}
FUZZ_RSS_MB=${FUZZ_RSS_MB:-2048}
FUZZ_TIMEOUT=${FUZZ_TIMEOUT:-10} # seconds one input may take
ALL_TARGETS=(ytree xds_config scenario discovery greeter admin kube)

targets=()
for a in "$@"; do
  case "$a" in
    --smoke) FUZZ_SECONDS=30 ;;
    -h | --help) sed -n '2,15p' "$0"; exit 0 ;;
    *) targets+=("$a") ;;
  esac
done
[ ${#targets[@]} -gt 0 ] || targets=("${ALL_TARGETS[@]}")

echo "fuzz: building in $FUZZ_BUILD (clang, ASan+UBSan, libFuzzer)"
cmake -S . -B "$FUZZ_BUILD" -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFUZZ=ON >/dev/null || exit 1
cmake --build "$FUZZ_BUILD" -j"$(nproc)" --target fuzzers >/dev/null || {
  cmake --build "$FUZZ_BUILD" -j1 --target fuzzers 2>&1 | tail -30
  exit 1
}

BIN="$FUZZ_BUILD/bin"
# Leaks count as failures; halt_on_error so the first report is the one kept.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:halt_on_error=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
failed=0
summary=()
for t in "${targets[@]}"; do
  fz="$BIN/fuzz_$t"
  if [ ! -x "$fz" ]; then
    echo "fuzz: no target $t (have: ${ALL_TARGETS[*]})"
    failed=1
    continue
  fi
  work="$FUZZ_BUILD/work/$t"
  art="$FUZZ_BUILD/artifacts/$t"
  mkdir -p "$work" "$art"
  common=(-rss_limit_mb="$FUZZ_RSS_MB" -timeout="$FUZZ_TIMEOUT" -artifact_prefix="$art/")

  replay=(tests/fuzz/corpus/"$t")
  [ -d tests/fuzz/regressions/"$t" ] && replay=(tests/fuzz/regressions/"$t" "${replay[@]}")
  echo "== fuzz $t: replaying ${replay[*]}"
  if ! "$fz" "${common[@]}" -runs=0 "${replay[@]}" >"$art/replay.log" 2>&1; then
    tail -40 "$art/replay.log"
    echo "FAIL fuzz $t: a regression or seed input fails (log: $art/replay.log)"
    summary+=("$t: replay FAILED")
    failed=1
    continue
  fi

  limit=(-max_total_time="$FUZZ_SECONDS")
  [ -n "$FUZZ_RUNS" ] && limit+=(-runs="$FUZZ_RUNS")
  echo "== fuzz $t: ${FUZZ_RUNS:+$FUZZ_RUNS runs or }${FUZZ_SECONDS}s"
  touch "$art/.start"
  start=$(date +%s)
  "$fz" "${common[@]}" "${limit[@]}" -print_final_stats=1 "$work" tests/fuzz/corpus/"$t" >"$art/fuzz.log" 2>&1
  rc=$?
  secs=$(($(date +%s) - start))
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$art/fuzz.log")
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$art/fuzz.log")
  # libFuzzer's corpus at the end (units/bytes), and the files in the work folder (not minimized).
  corpus=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$art/fuzz.log" | sed -n 's/.* corp: \([^ ]*\) .*/\1/p' | tail -1)
  corpus="${corpus:-?} ($(find "$work" -type f | wc -l) files)"
  crashes=$(find "$art" -type f ! -name '*.log' ! -name .start -newer "$art/.start" | wc -l)
  line="$t: rc=$rc execs=${execs:-?} exec/s=${rate:-?} secs=$secs corpus=$corpus crashes=$crashes"
  summary+=("$line")
  if [ "$rc" -ne 0 ] || [ "$crashes" -ne 0 ]; then
    grep -E 'ERROR|SUMMARY|invariant broken|Test unit written|runtime error' "$art/fuzz.log" | head -20
    echo "FAIL fuzz $t: see $art/fuzz.log; reproduce with $fz FILE, the input(s) in $art/"
    failed=1
  else
    echo "ok   $line"
  fi
done

echo "== fuzz summary"
printf '%s\n' "${summary[@]}"
exit "$failed"
