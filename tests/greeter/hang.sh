#!/usr/bin/env bash
# A hung server (issue 16): SIGSTOP one of three. Its TCP connection stays up (the kernel still ACKs),
# so without keepalive every round waited RPC_TIMEOUT for the calls it had sent there, and round
# robin went on picking it. With the client's keepalive (KEEPALIVE_TIME=1s, KEEPALIVE_TIMEOUT=1s by
# default) the unanswered PING closes that connection: its calls fail (UNAVAILABLE), rounds complete
# again on the other two within about 2 s, and calls stop going to the stopped server (its reconnect
# stays CONNECTING: the kernel accepts, the process does not answer). After SIGCONT it serves again.
. "$(dirname "$0")/../lib.sh"

for i in 1 2 3; do
  spawn server$i env NAME=server-$i LISTEN_ADDRESS=127.0.1.11$i:50051 RESPONSE_DELAY=100ms "$BIN/greeter-server"
  eval "SPID$i=$LAST_PID"
done
for i in 1 2 3; do wait_port 127.0.1.11$i 50051; done
spawn client env SERVER_ADDRESS=ipv4:127.0.1.111:50051,127.0.1.112:50051,127.0.1.113:50051 NAME=hang \
  CONCURRENCY=6 RPC_TIMEOUT=30s SUMMARY_INTERVAL=0 "$BIN/greeter-client"
CPID=$LAST_PID
all_replied() {
  local s
  for s in 1 2 3; do grep -q "server-$s: Hello" "$T/client.log" || return 1; done
}
wait_for 10 all_replied

# Calls that arrive at server-1/2 (their log has millisecond times), as ms since midnight UTC.
arrivals() { cat "$T/server1.log" "$T/server2.log" | awk -F'[T:.Z ]' '/msg=received/ { print (($2 * 60 + $3) * 60 + $4) * 1000 + $5 }' | sort -n; }
now_ms() { date -u +%H:%M:%S.%3N | awk -F'[:.]' '{ print (($1 * 60 + $2) * 60 + $3) * 1000 + $4 }'; }
arrived_since() { arrivals | awk -v k="$1" '$1 > k' | wc -l; }

kill -STOP "$SPID3"
stop_ms=$(now_ms)
t0=$(date +%s%N)
# Recovery: 60 calls (10 rounds of 6) arrive at server-1/2 after the stop. Without keepalive the
# first round would wait the 30 s RPC_TIMEOUT.
recovered() { test "$(arrived_since "$stop_ms")" -ge 60; }
wait_for 10 recovered
t1=$(date +%s%N)
echo "after SIGSTOP of server-3: 60 calls on server-1/2 after $(((t1 - t0) / 1000000)) ms"
gap=$(arrivals | awk -v k="$stop_ms" '$1 >= k - 200 { if (prev && $1 - prev > max) max = $1 - prev; prev = $1 } END { print max + 0 }')
echo "longest pause of server-1/2 after the stop: $gap ms"
check "rounds complete again within the keepalive time + timeout (pause $gap ms < 3000)" test "$gap" -lt 3000
# Once detected, no call goes to the stopped server: rounds run at the delay's pace (100 ms), and
# 2 s of them put 6 calls each on server-1/2.
mark=$(now_ms)
sleep 2
n=$(arrived_since "$mark")
echo "calls on server-1/2 in the 2 s after recovery: $n"
check "calls stop going to the stopped server ($n calls in 2 s >= 60)" test "$n" -ge 60
failed_stop=$(grep -c ' ERROR hang_' "$T/client.log")
echo "error lines while server-3 was stopped: $failed_stop"
grep ' ERROR hang_' "$T/client.log" | head -3
check "only the calls sent to it before the timeout failed ($failed_stop <= 6)" test "$failed_stop" -le 6

kill -CONT "$SPID3"
lines=$(wc -l <"$T/client.log")
back() { tail -n +"$((lines + 1))" "$T/client.log" | grep -q 'server-3: Hello'; }
wait_for 10 back
echo "server-3 answers again after SIGCONT"
kill -TERM "$CPID"
wait_exit "$CPID" 5
check "client printed its final summary" grep -q 'final=1' "$T/client.log"
grep 'final=1' "$T/client.log"
