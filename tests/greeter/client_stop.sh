#!/usr/bin/env bash
# The client honours SIGTERM at once, even mid-round against a slow server: it cancels what is
# outstanding, prints its final summary (counting the cancelled calls as failed) and exits 1.
. "$(dirname "$0")/../lib.sh"

spawn server env NAME=slow LISTEN_ADDRESS=127.0.1.70:50051 RESPONSE_DELAY=20s SHUTDOWN_GRACE=1s "$BIN/greeter-server"
wait_port 127.0.1.70 50051
spawn client env SERVER_ADDRESS=127.0.1.70:50051 NAME=stop CONCURRENCY=5 PRINT_REPLIES=1 "$BIN/greeter-client"
CPID=$LAST_PID
wait_for 10 sh -c "test \$(grep -c 'msg=received' '$T/server.log') -eq 5"
t0=$(date +%s%N)
kill -TERM "$CPID"
wait_exit "$CPID" 5
t1=$(date +%s%N)
echo "client exited $EXIT_STATUS after $(((t1 - t0) / 1000000)) ms"
check "client exits within a second of SIGTERM" test $(((t1 - t0) / 1000000)) -lt 1000
check "client exits 1 (its calls did not succeed)" test "$EXIT_STATUS" -eq 1
check "final summary printed, cancelled calls counted as failed" grep -q 'total_ok=0 total_failed=5 final=1' "$T/client.log"
