#!/usr/bin/env bash
# Our client -> their server: our greeter-client calls the C++ greeter server (libgrpc++ async API) for
# 4 rounds of 5; it must exit 0, print the 20 replies with every counter once, and count them in its summary.
. "$(dirname "$0")/../lib.sh"

spawn peer env NAME=cpp-peer LISTEN_ADDRESS=127.0.4.2:50051 "$BIN/greeter-cpp-server"
wait_port 127.0.4.2 50051

SERVER_ADDRESS=ipv4:127.0.4.2:50051 NAME=ours ROUNDS=4 CONCURRENCY=5 SUMMARY_INTERVAL=0 \
  timeout 30 "$BIN/greeter-client" >"$T/client.log" 2>&1
check "greeter-client exits 0 against the C++ server" [ $? -eq 0 ]

re='^[0-9]{4}/[0-9]{2}/[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2} cpp-peer: Hello ours_([0-9]+)$'
grep -E "$re" "$T/client.log" | sed -E "s#$re#\1#" | sort -n >"$T/counters.txt"
check "20 replies, one per counter 1..20" cmp -s <(seq 1 20) "$T/counters.txt"
check "no error lines" bash -c "! grep -q ' ERROR ' '$T/client.log'"
check "the final summary counts 20 ok, 0 failed, all from cpp-peer" \
  grep -Eq ' summary .* ok=20 failed=0 .*final=1 servers=1 cpp-peer=20/100\.0%$' "$T/client.log"
