#!/usr/bin/env bash
# Our client -> their server. Usage: our_client.sh KIND IP (KIND: cpp or js, see peers.sh).
# greeter-client runs 4 rounds of 5 against their greeter: it must exit 0, print the 20 replies with every
# counter once, and count them all in its final summary.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/peers.sh"
KIND=${1:?usage: our_client.sh cpp|js IP} IP=${2:?usage: our_client.sh cpp|js IP}

spawn_their_server "$KIND" "$KIND-peer" "$IP:50051"
wait_port "$IP" 50051 30

SERVER_ADDRESS=ipv4:$IP:50051 NAME=ours ROUNDS=4 CONCURRENCY=5 SUMMARY_INTERVAL=0 \
  timeout 30 "$BIN/greeter-client" >"$T/client.log" 2>&1
check "greeter-client exits 0 against the $KIND server" [ $? -eq 0 ]

re="^[0-9]{4}/[0-9]{2}/[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2} $KIND-peer: Hello ours_([0-9]+)\$"
grep -E "$re" "$T/client.log" | sed -E "s#$re#\\1#" | sort -n >"$T/counters.txt"
check "20 replies from $KIND-peer, one per counter 1..20" cmp -s <(seq 1 20) "$T/counters.txt"
check "no error lines" bash -c "! grep -q ' ERROR ' '$T/client.log'"
check "the final summary counts 20 ok, 0 failed, all from $KIND-peer" \
  grep -Eq " summary .* ok=20 failed=0 .*final=1 servers=1 $KIND-peer=20/100\\.0%\$" "$T/client.log"
