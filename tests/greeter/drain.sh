#!/usr/bin/env bash
# Graceful stop: SIGTERM one of three servers while calls with a 200 ms delay are in flight:
# no RPC fails, and the server exits 0 within its grace.
. "$(dirname "$0")/../lib.sh"

for i in 1 2 3; do
  spawn server$i env NAME=server-$i LISTEN_ADDRESS=127.0.1.2$i:50051 RESPONSE_DELAY=200ms SHUTDOWN_GRACE=5s \
    "$BIN/greeter-server"
  eval "SPID$i=$LAST_PID"
done
for i in 1 2 3; do wait_port 127.0.1.2$i 50051; done

spawn client env SERVER_ADDRESS=ipv4:127.0.1.21:50051,127.0.1.22:50051,127.0.1.23:50051 NAME=drain ROUNDS=20 \
  PRINT_REPLIES=0 "$BIN/greeter-client"
CPID=$LAST_PID
# Wait until server-2 has calls in flight, then stop it.
wait_for 10 grep -q 'msg=received' "$T/server2.log"
kill -TERM "$SPID2"
t0=$(date +%s%N)
wait_exit "$SPID2" 6
rc2=$EXIT_STATUS
t1=$(date +%s%N)
echo "server-2 exited $rc2 after $(((t1 - t0) / 1000000)) ms"
check "drained server exits 0" test "$rc2" -eq 0
check "drained server exits within the 5 s grace" test $(((t1 - t0) / 1000000)) -lt 5000
check "drained server logged the drain" grep -q 'msg=draining' "$T/server2.log"
wait_exit "$CPID" 30
rc=$EXIT_STATUS
cat "$T/client.log" | grep summary
check "client saw no failed RPC (exit 0)" test "$rc" -eq 0
check "client completed all 200 RPCs" grep -q 'total_ok=200 total_failed=0 final=1' "$T/client.log"
