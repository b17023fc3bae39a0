#!/usr/bin/env bash
# Crash: SIGKILL one of three servers under load. The client goes on; only calls in flight on that
# server fail (at most ceil(10/3) = 4), and RPCs succeed again on the other two within a second.
. "$(dirname "$0")/../lib.sh"

for i in 1 2 3; do
  spawn server$i env NAME=server-$i LISTEN_ADDRESS=127.0.1.3$i:50051 RESPONSE_DELAY=100ms "$BIN/greeter-server"
  eval "SPID$i=$LAST_PID"
done
for i in 1 2 3; do wait_port 127.0.1.3$i 50051; done

ROUNDS=40 # 40 rounds of 100 ms: about 4 s
start=$(date +%s%N)
spawn client env SERVER_ADDRESS=ipv4:127.0.1.31:50051,127.0.1.32:50051,127.0.1.33:50051 NAME=crash ROUNDS=$ROUNDS \
  PRINT_REPLIES=1 SUMMARY_INTERVAL=0 "$BIN/greeter-client"
CPID=$LAST_PID
wait_for 10 grep -q 'msg=received' "$T/server3.log"
sleep 0.5 # let a few rounds run on all three before the crash (load, not a readiness wait)
kill -KILL "$SPID3"
wait_exit "$CPID" 30
rc=$EXIT_STATUS
end=$(date +%s%N)
elapsed=$(((end - start) / 1000000))
failed=$(grep -o 'failed=[0-9]*' "$T/client.log" | tail -1 | cut -d= -f2)
ok=$(grep -o ' ok=[0-9]*' "$T/client.log" | tail -1 | cut -d= -f2)
echo "client exit=$rc ok=$ok failed=$failed elapsed_ms=$elapsed"
check "client kept running to its last round (a summary was printed)" grep -q 'final=1' "$T/client.log"
check "client reports the failures (exit 1 when any RPC failed, else 0)" test "$rc" -eq $([ "${failed:-0}" -gt 0 ] && echo 1 || echo 0)
check "at most the calls in flight on the killed server failed (failed=$failed <= 4)" test "${failed:-99}" -le 4
check "every failure is printed with its status code" test "$(grep -c ' ERROR crash_[0-9]*: code=14 UNAVAILABLE' "$T/client.log")" -eq "${failed:-0}"
check "every RPC is accounted for" test $((ok + failed)) -eq $((ROUNDS * 10))
# No round waited on the dead server: 40 rounds of 100 ms plus at most 1 s of recovery.
check "RPCs succeeded again within a second (elapsed ${elapsed} ms < $((ROUNDS * 100 + 1000 + 500)) ms)" \
  test "$elapsed" -lt $((ROUNDS * 100 + 1500))
last=$(grep -c 'server-3: Hello' "$T/client.log")
tail_ok=$(tail -n 60 "$T/client.log" | grep -c 'server-[12]: Hello')
check "the last rounds were served by server-1 and server-2 only" test "$tail_ok" -ge 50
echo "server-3 answered $last RPCs before the crash"
