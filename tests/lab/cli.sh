#!/usr/bin/env bash
# The command line: list, check, and exit 2 naming the flag or value on bad usage.
. "$(dirname "$0")/lablib.sh"
SRC=$(cd "$(dirname "$0")" && pwd)
expect_usage() { # expect_usage WHAT-IN-STDERR ARGS...
  local want=$1
  shift
  "$LAB" "$@" >"$T/out.txt" 2>"$T/err.txt"
  local rc=$?
  check "lab $* exits 2 (got $rc)" test "$rc" -eq 2
  check "lab $* says: $want" grep -qF -- "$want" "$T/err.txt"
}
"$LAB" list >"$T/list.txt"
check "list exits 0" test $? -eq 0
for s in clusterip headless maxage proxy clsidecar canary preview xds proxyless proxymaxage nodeproxy connperrpc zonefailover; do check "list shows $s" grep -q "^$s " "$T/list.txt"; done
check "check validates every shipped scenario" "$LAB" check all
check "check accepts the test scenario" "$LAB" check "$SRC/wrong-expectation.yaml"
expect_usage "missing command" 
expect_usage 'unknown command "go"' go
expect_usage "unknown flag --bogus" run headless --bogus
expect_usage 'invalid value for --clusterip: "maybe"' run clusterip --clusterip=maybe
expect_usage 'flag --out needs a value' run headless --out
expect_usage 'flag --fast takes no value, got "1"' run headless --fast=1
expect_usage 'unknown scenario "nope"' run nope
expect_usage 'run needs at least one scenario' run
printf 'name: broken\ntitle: t\ndemo_claim: c\ndeployments:\n  - name: server\n    replicas: lots\n' >"$T/broken.yaml"
expect_usage "broken.yaml:6: \"replicas\" must be an integer" run "$T/broken.yaml"
expect_usage "greeter-server/greeter-client not found" run headless --bin /nonexistent
# --out (issue 14 and 16): a folder lab did not make is never written to; a path that cannot be a
# folder is a usage error; no "report:" line names a file that was not written.
mkdir -p "$T/mine/clusterip"
echo keep >"$T/mine/report.md"
echo keep >"$T/mine/clusterip/samples.csv"
expect_usage "--out $T/mine: exists, is not empty and was not made by lab" run clusterip --fast --out "$T/mine"
check "the user's report.md is untouched" test "$(cat "$T/mine/report.md")" = keep
check "the user's clusterip/samples.csv is untouched" test "$(cat "$T/mine/clusterip/samples.csv")" = keep
check "no report line was printed" sh -c "! grep -q '^report:' '$T/out.txt'"
echo file >"$T/afile"
expect_usage "--out $T/afile: exists and is not a folder" run clusterip --fast --out "$T/afile"
check "no report line for a file --out" sh -c "! grep -q '^report:' '$T/out.txt'"
expect_usage "--out /proc/lab-out: cannot create it" run clusterip --fast --out /proc/lab-out
