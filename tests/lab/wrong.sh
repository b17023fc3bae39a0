#!/usr/bin/env bash
# A scenario with a deliberately wrong expectation: lab must exit 1 and the report must say FAIL.
. "$(dirname "$0")/lablib.sh"
SRC=$(cd "$(dirname "$0")" && pwd)
LOG_LEVEL=info "$LAB" run "$SRC/wrong-expectation.yaml" --fast --out "$T/out" >"$T/lab.log" 2>"$T/lab-stderr.log"
rc=$?
cat "$T/lab.log"
check "lab exits 1 when an expectation fails (got $rc)" test "$rc" -eq 1
md=$T/out/wrong-expectation/report.md
check "the wrong expectation is reported as FAIL" grep -q '^| new replicas get traffic within 4 s (wrong on purpose) | .* | FAIL |$' "$md"
check "the right expectation still passes" grep -q '^| each of the 3 servers gets 33% +- 4 points | .* | pass |$' "$md"
check "the terminal table says FAIL" grep -q 'FAIL' "$T/lab.log"
lab_leftovers "$T/lab-stderr.log"
