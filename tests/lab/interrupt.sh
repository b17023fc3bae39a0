#!/usr/bin/env bash
# Ctrl-C in the middle of a run: lab stops everything it started (by PID), deletes its namespace,
# exits 1, and a second run right after works.
. "$(dirname "$0")/lablib.sh"
LOG_LEVEL=info "$LAB" run headless --fast --out "$T/out" >"$T/lab.log" 2>"$T/lab-stderr.log" &
lab_pid=$!
PIDS+=("$lab_pid")
# Interrupt once the scale event has happened: pods, DNS and the client are all running.
wait_for 30 grep -q 'event="scale server to 5"' "$T/lab-stderr.log"
kill -INT "$lab_pid"
# Not wait_exit: its `wait` would run in a subshell, which is not lab's parent.
for _ in $(seq 400); do kill -0 "$lab_pid" 2>/dev/null || break; sleep 0.05; done
kill -0 "$lab_pid" 2>/dev/null && fail "lab still running 20 s after SIGINT"
wait "$lab_pid"
rc=$?
check "lab exits 1 after Ctrl-C (got $rc)" test "$rc" -eq 1
check "the run says it was interrupted" grep -q 'interrupted' "$T/lab.log"
lab_leftovers "$T/lab-stderr.log"
LOG_LEVEL=info "$LAB" run clusterip --fast --out "$T/out2" >"$T/lab2.log" 2>"$T/lab2-stderr.log"
rc=$?
check "a second run right after exits 0 (got $rc)" test "$rc" -eq 0
lab_leftovers "$T/lab2-stderr.log"
