#!/usr/bin/env bash
# CHANNEL_PER_RPC=1 (the seed's "recreate connections on each RPC", issue 15): every RPC opens a channel
# of its own and destroys it once the call completes, so a ClusterIP (balancing per connection) sees
# one connection per RPC. One server on 127.0.1.120 logs each request's peer (msg=received ... peer=):
# a new connection is a new client port, so the distinct peers are the connections. ROUNDS=10
# CONCURRENCY=5 makes 50 connections with CHANNEL_PER_RPC=1 and 1 without; the client's final summary
# counts the channels it opened (channels=N). Also: bad values exit 2, a channel is closed after its
# call (the established connections never pile up), SIGTERM mid-round, and the cost per call.
. "$(dirname "$0")/../lib.sh"

# Bad values exit 2 naming the variable and the value, as every client setting does.
for v in 2 yes on -1 ""; do
  env SERVER_ADDRESS=127.0.0.1:1 ROUNDS=1 RPC_TIMEOUT=1s CHANNEL_PER_RPC="$v" timeout 10 "$BIN/greeter-client" \
    >"$T/out.txt" 2>"$T/err.txt"
  rc=$?
  check "greeter-client CHANNEL_PER_RPC='$v' exits 2 (got $rc)" test $rc -eq 2
  check "greeter-client CHANNEL_PER_RPC='$v' message names the variable and value" \
    grep -qF "var=CHANNEL_PER_RPC value=\"$v\"" "$T/err.txt"
done

spawn server env NAME=server-1 LISTEN_ADDRESS=127.0.1.120:50051 RESPONSE_DELAY=20ms "$BIN/greeter-server"
wait_port 127.0.1.120 50051

# run NAME [VAR=VALUE...]: 10 rounds of 5 against the server; $T/NAME.out holds the summary, and
# $T/NAME.peers the distinct peers the server logged for this client's requests.
run() {
  local name=$1
  shift
  env SERVER_ADDRESS=ipv4:127.0.1.120:50051 NAME="$name" ROUNDS=10 CONCURRENCY=5 PRINT_REPLIES=0 SUMMARY_INTERVAL=0 \
    "$@" "$BIN/greeter-client" >"$T/$name.out" 2>"$T/$name.log"
  RC=$?
  grep "msg=received rpc=SayHello name=${name}_[0-9]* from=$name " "$T/server.log" | grep -o ' peer=[^ ]*' |
    sort -u >"$T/$name.peers"
  echo "$name: $(grep -o 'p50_us=[0-9]* p99_us=[0-9]* channels=[0-9]*' "$T/$name.out"), the server saw" \
    "$(grep -c "name=${name}_" "$T/server.log") requests from $(wc -l <"$T/$name.peers") peers"
}

run perrpc CHANNEL_PER_RPC=1
check "CHANNEL_PER_RPC=1: client exits 0" test "$RC" -eq 0
check "CHANNEL_PER_RPC=1: the final summary counts 50 channels for 50 RPCs" \
  grep -q 'channels=50 total_ok=50 total_failed=0 final=1 servers=1 server-1=50/100.0%' "$T/perrpc.out"
check "CHANNEL_PER_RPC=1: the server logged 50 requests" test "$(grep -c 'name=perrpc_' "$T/server.log")" -eq 50
check "CHANNEL_PER_RPC=1: from 50 peers, one connection per RPC (got $(wc -l <"$T/perrpc.peers"))" \
  test "$(wc -l <"$T/perrpc.peers")" -eq 50

run shared CHANNEL_PER_RPC=0
check "CHANNEL_PER_RPC=0: client exits 0" test "$RC" -eq 0
check "CHANNEL_PER_RPC=0: the final summary counts 1 channel" grep -q 'channels=1 total_ok=50 total_failed=0 final=1' "$T/shared.out"
check "CHANNEL_PER_RPC=0: all 50 RPCs from 1 peer, one connection (got $(wc -l <"$T/shared.peers"))" \
  test "$(wc -l <"$T/shared.peers")" -eq 1
run default
check "unset: the default is one channel for the run" grep -q 'channels=1 total_ok=50 total_failed=0 final=1' "$T/default.out"
check "unset: 1 peer (got $(wc -l <"$T/default.peers"))" test "$(wc -l <"$T/default.peers")" -eq 1
# "true"/"false" are read as the other boolean settings read them.
run truly CHANNEL_PER_RPC=true
check "CHANNEL_PER_RPC=true is 1: 50 channels" grep -q 'channels=50 total_ok=50 ' "$T/truly.out"

# A channel is destroyed when its call completes, so its connection closes: with a client running
# rounds of 3 against a 100 ms server, the connections established to the server at any moment are
# the round's 3 (plus, briefly, ones not yet closed), never the 3 per round that a leak would add up.
spawn server2 env NAME=server-2 LISTEN_ADDRESS=127.0.1.121:50051 RESPONSE_DELAY=100ms "$BIN/greeter-server"
wait_port 127.0.1.121 50051
spawn forever env SERVER_ADDRESS=ipv4:127.0.1.121:50051 NAME=forever CONCURRENCY=3 PRINT_REPLIES=0 CHANNEL_PER_RPC=1 \
  "$BIN/greeter-client"
FPID=$LAST_PID
max=0
for i in $(seq 30); do
  n=$(ss -Htn state established dst 127.0.1.121:50051 | wc -l)
  [ "$n" -gt "$max" ] && max=$n
  sleep 0.1
done
# One copy of the log for both counts: the client is still running, and a second read would see more.
grep 'name=forever_' "$T/server2.log" >"$T/forever.lines"
served=$(wc -l <"$T/forever.lines")
peers=$(grep -o ' peer=[^ ]*' "$T/forever.lines" | sort -u | wc -l)
echo "over 3 s: $served RPCs from $peers peers; at most $max connections established at once (30 snapshots)"
check "the running client made at least 30 RPCs, each on its own connection ($served RPCs, $peers peers)" \
  test "$served" -ge 30 -a "$peers" -eq "$served"
check "at most 6 connections established at once (got $max): each channel is closed after its call" test "$max" -le 6
kill -TERM "$FPID"
wait_exit "$FPID" 5
check "the running client's final summary: channels = RPCs (ok + failed)" \
  awk '/final=1/ { for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
                   exit !(v["channels"] > 0 && v["channels"] == v["total_ok"] + v["total_failed"]) }' "$T/forever.log"

# SIGTERM mid-round: the 5 calls (on 5 channels) to a 20 s server are cancelled and counted, their
# channels destroyed (the ASan build's LeakSanitizer sees any that is not), exit 1 at once.
spawn slow env NAME=slow LISTEN_ADDRESS=127.0.1.122:50051 RESPONSE_DELAY=20s SHUTDOWN_GRACE=1s "$BIN/greeter-server"
wait_port 127.0.1.122 50051
spawn stopped env SERVER_ADDRESS=ipv4:127.0.1.122:50051 NAME=stop CONCURRENCY=5 PRINT_REPLIES=0 CHANNEL_PER_RPC=1 \
  "$BIN/greeter-client"
SPID=$LAST_PID
wait_for 10 sh -c "test \$(grep -c 'msg=received' '$T/slow.log') -eq 5"
kill -TERM "$SPID"
wait_exit "$SPID" 5
check "SIGTERM mid-round: exit 1 (got $EXIT_STATUS)" test "$EXIT_STATUS" -eq 1
check "SIGTERM mid-round: 5 channels, 5 cancelled calls counted" grep -q 'channels=5 total_ok=0 total_failed=5 final=1' "$T/stopped.log"

# The cost per call (printed, not judged: loopback timing): a connection (TCP, HTTP/2 settings and,
# with HEALTH_CHECK=1, the health watch's first answer) before each RPC, against a server with no delay.
spawn fast env NAME=fast LISTEN_ADDRESS=127.0.1.123:50051 RESPONSE_DELAY=0 LOG_LEVEL=warn "$BIN/greeter-server"
wait_port 127.0.1.123 50051
for mode in "CHANNEL_PER_RPC=0 HEALTH_CHECK=1" "CHANNEL_PER_RPC=1 HEALTH_CHECK=1" "CHANNEL_PER_RPC=1 HEALTH_CHECK=0"; do
  env SERVER_ADDRESS=ipv4:127.0.1.123:50051 NAME=lat ROUNDS=200 CONCURRENCY=1 PRINT_REPLIES=0 SUMMARY_INTERVAL=0 $mode \
    "$BIN/greeter-client" >"$T/lat.out" 2>"$T/lat.log"
  check "$mode: 200 RPCs, exit 0" test $? -eq 0
  echo "latency per call, $mode: $(grep -o 'p50_us=[0-9]* p99_us=[0-9]* channels=[0-9]*' "$T/lat.out")"
done
