#!/usr/bin/env bash
# SIGKILL of the lab (issue 16): its dnsmasq changed credentials and so outlived it; the next run finds
# what is left in the dead run's namespace and stops it by PID, then deletes the namespace.
. "$(dirname "$0")/lablib.sh"
LOG_LEVEL=info "$LAB" run headless --fast --out "$T/out" >"$T/lab.log" 2>"$T/lab-stderr.log" &
lab_pid=$!
PIDS+=("$lab_pid")
wait_for 30 grep -q 'event="scale server to 5"' "$T/lab-stderr.log"
kill -KILL "$lab_pid"
wait "$lab_pid" 2>/dev/null
forget "$lab_pid"
dns_pid=$(sed -n 's/.*msg=started proc=dnsmasq pid=\([0-9]*\).*/\1/p' "$T/lab-stderr.log" | head -1)
[ -n "$dns_pid" ] || fail "no dnsmasq start in the log"
# Whatever survived the kill (dnsmasq did, in every run tried) must be gone after the next run starts.
alive_before=no
kill -0 "$dns_pid" 2>/dev/null && alive_before=yes
echo "dnsmasq $dns_pid alive after the lab's SIGKILL: $alive_before"
LOG_LEVEL=info "$LAB" run clusterip --fast --out "$T/out2" >"$T/lab2.log" 2>"$T/lab2-stderr.log"
rc=$?
check "the next run exits 0 (got $rc)" test "$rc" -eq 0
if [ "$alive_before" = yes ]; then
  check "the next run stopped the dead run's dnsmasq by PID" grep -q "msg=\"stopped a leftover of an earlier run\" .*pid=$dns_pid" "$T/lab2-stderr.log"
fi
lab_leftovers "$T/lab-stderr.log"
lab_leftovers "$T/lab2-stderr.log"
