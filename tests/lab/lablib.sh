# Helpers for the lab's integration tests, on top of tests/lib.sh.
. "$(dirname "$0")/../lib.sh"
LAB=$BIN/lab

# lab_leftovers LOG: fails when a process the lab started (logged as "started proc=X pid=N") is alive,
# or when a network namespace of that lab run is left.
lab_leftovers() {
  local log=$1 pid lab_pid pids
  pids=$(sed -n 's/.*msg=started proc=[^ ]* pid=\([0-9]*\).*/\1/p' "$log")
  # No PID found means the log format changed, not that nothing was started: fail rather than pass.
  [ -n "$pids" ] || fail "no 'msg=started proc=... pid=N' line in $log: cannot check for leftovers"
  for pid in $pids; do
    if kill -0 "$pid" 2>/dev/null && [ "$(cat /proc/$pid/stat 2>/dev/null | awk '{print $3}')" != Z ]; then
      fail "process $pid started by the lab is still running: $(tr '\0' ' ' </proc/$pid/cmdline)"
    fi
  done
  for lab_pid in $(sed -n 's/.*netns=grpclb-lab-\([0-9]*\)-.*/\1/p' "$log" | sort -u); do
    if ip netns list 2>/dev/null | grep -q "^grpclb-lab-$lab_pid-"; then
      fail "network namespace grpclb-lab-$lab_pid-* left behind"
    fi
  done
  echo "ok: nothing left running"
}

# lab_verdicts OUT SCENARIO N: the scenario's report has N expectations and all passed.
lab_verdicts() {
  local out=$1 name=$2 n=$3 md=$1/$2/report.md
  check "$name: report.md written" test -s "$md"
  check "$name: report.html written" test -s "$out/$name/report.html"
  check "$name: chart.png is a PNG" sh -c "head -c 8 '$out/$name/chart.png' | grep -q PNG"
  # One row per second, 0, 1, 2, ... without a gap, up to the end of sampling (the report's timeline).
  local end_s rows
  end_s=$(sed -n 's/^| \([0-9.]*\) | end of sampling |$/\1/p' "$md" | cut -d. -f1)
  rows=$(awk -F, 'NR > 1 { if ($1 != NR - 2) { print "gap at row " NR; exit } n++ } END { print n + 0 }' "$out/$name/samples.csv")
  check "$name: samples.csv has a row for each of seconds 0..$end_s, in order (got $rows)" \
    test -n "$end_s" -a "$rows" -ge "${end_s:-999999}" -a "$rows" -le $((${end_s:-0} + 2))
  local passed
  passed=$(grep -c '| pass |$' "$md")
  check "$name: $n of $n expectations passed (got $passed)" test "$passed" -eq "$n"
  check "$name: in the summary report" grep -q "\[$name\]" "$out/report.md"
}
