#!/usr/bin/env bash
# Max connection age 1s / grace 1s under load for ~5 s: the client reconnects (several client ports
# seen by each server) and no RPC fails.
. "$(dirname "$0")/../lib.sh"

for i in 1 2 3; do
  spawn server$i env NAME=server-$i LISTEN_ADDRESS=127.0.1.1$i:50051 RESPONSE_DELAY=50ms \
    MAX_CONNECTION_AGE=1s MAX_CONNECTION_AGE_GRACE=1s "$BIN/greeter-server"
done
for i in 1 2 3; do wait_port 127.0.1.1$i 50051; done

# 100 rounds of 50 ms: about 5 s of load, so every connection passes its max age several times.
env SERVER_ADDRESS=ipv4:127.0.1.11:50051,127.0.1.12:50051,127.0.1.13:50051 NAME=age ROUNDS=100 \
  PRINT_REPLIES=0 "$BIN/greeter-client" >"$T/client.out" 2>"$T/client.log"
rc=$?
cat "$T/client.out"
check "no RPC failed across connection ageing (exit 0)" test $rc -eq 0
check "all 1000 RPCs succeeded" grep -q 'total_ok=1000 total_failed=0 final=1' "$T/client.out"
for i in 1 2 3; do
  ports=$(grep -o 'peer=ipv4:127.0.0.1:[0-9]*\|peer=ipv4:127.0.1.1[0-9]*:[0-9]*\|peer=ipv4:[0-9.]*:[0-9]*' "$T/server$i.log" | sort -u | wc -l)
  echo "server-$i saw $ports client connections"
  check "server-$i saw the client reconnect (>=2 connections, got $ports)" test "$ports" -ge 2
done
