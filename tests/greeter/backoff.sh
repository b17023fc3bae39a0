#!/usr/bin/env bash
# No backend and WAIT_FOR_READY=0 (issue 16): every call fails at once. The client used to spin,
# printing 177,000 error lines (33.7 MB) in 3 s. Now a round in which every call failed is followed by
# a pause (100 ms, doubling to 1 s), error lines are rate-limited (at most 10 a second, then one line
# with the count left out), and the summary still counts every failed RPC.
. "$(dirname "$0")/../lib.sh"

# accounted FILE: failed RPCs the output shows, printed one per line or counted in "N more" lines.
accounted() {
  local printed more
  printed=$(grep -c ' ERROR nobody_[0-9]*: code=' "$1")
  more=$(grep -o ' ERROR \.\.\. [0-9]* more failed RPCs' "$1" | awk '{ s += $3 } END { print s + 0 }')
  echo $((printed + more))
}
total() { grep 'final=1' "$2" | grep -o " total_$1=[0-9]*" | cut -d= -f2; }

# 1. Unbounded rounds for 3 s against an address where nothing listens, then SIGTERM.
spawn client env SERVER_ADDRESS=ipv4:127.0.1.90:50051 NAME=nobody WAIT_FOR_READY=0 CONCURRENCY=10 \
  SUMMARY_INTERVAL=0 "$BIN/greeter-client"
CPID=$LAST_PID
wait_for 10 grep -q ' ERROR nobody_' "$T/client.log"
t0=$(date +%s%N)
while [ $((($(date +%s%N) - t0) / 1000000)) -lt 3000 ]; do sleep 0.1; done
kill -TERM "$CPID"
wait_exit "$CPID" 5
lines=$(wc -l <"$T/client.log")
bytes=$(wc -c <"$T/client.log")
failed=$(total failed "$T/client.log")
echo "3 s without a backend: $lines lines ($bytes bytes), total_failed=$failed, accounted=$(accounted "$T/client.log")"
check "client output stays small ($lines lines < 200)" test "$lines" -lt 200
check "final summary printed" grep -q 'total_ok=0 total_failed=[0-9]* final=1' "$T/client.log"
check "whole rounds of 10 failed (total_failed=$failed)" test "${failed:-0}" -gt 0 -a $((${failed:-1} % 10)) -eq 0
check "every failed RPC is printed or counted" test "$(accounted "$T/client.log")" -eq "${failed:-0}"

# 2. Six failing rounds take the pauses between them: 100+200+400+800+1000 ms = 2.5 s (none after
# the last round), and count 60 failures.
t0=$(date +%s%N)
env SERVER_ADDRESS=ipv4:127.0.1.90:50051 NAME=nobody WAIT_FOR_READY=0 CONCURRENCY=10 ROUNDS=6 SUMMARY_INTERVAL=0 \
  timeout 20 "$BIN/greeter-client" >"$T/six.log" 2>&1
rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
echo "6 failing rounds took $ms ms, exit $rc"
check "client exits 1" test "$rc" -eq 1
check "the rounds were paused: 100+200+400+800+1000 ms ($ms ms >= 2400)" test "$ms" -ge 2400
check "and not longer than the pauses need ($ms ms < 8000)" test "$ms" -lt 8000
check "all 60 RPCs counted as failed" grep -q 'total_ok=0 total_failed=60 final=1' "$T/six.log"
check "every failed RPC is printed or counted" test "$(accounted "$T/six.log")" -eq 60
