#!/usr/bin/env bash
# Their client -> our server. Usage: their_client.sh KIND IP (KIND: cpp or js, see peers.sh).
# SayHello must reply "<NAME>: Hello <name>" byte for byte for plain, UTF-8, empty and multi-frame (100 kB)
# names, and grpc.health.v1.Health/Check must answer SERVING.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/peers.sh"
KIND=${1:?usage: their_client.sh cpp|js IP} IP=${2:?usage: their_client.sh cpp|js IP}

spawn server env NAME=c-ours LISTEN_ADDRESS="$IP:50051" RESPONSE_DELAY=0 "$BIN/greeter-server"
wait_port "$IP" 50051

long=$(head -c 100000 /dev/zero | tr '\0' x) # over 6 HTTP/2 DATA frames of the default 16 KiB
their_client "$KIND" hello "$IP:50051" "${KIND}_1" "Zoë 🌍 ключ" "" "$long" >"$T/replies.txt"
check "the $KIND client's calls all succeed" [ $? -eq 0 ]
printf '%s\n' "c-ours: Hello ${KIND}_1" "c-ours: Hello Zoë 🌍 ключ" "c-ours: Hello " "c-ours: Hello $long" \
  >"$T/expected.txt"
check "every reply is '<NAME>: Hello <name>', byte for byte" cmp -s "$T/expected.txt" "$T/replies.txt"
check "our server logged the $KIND client's request" \
  grep -q "msg=received rpc=SayHello name=${KIND}_1 " "$T/server.log"
check "Health/Check from the $KIND client answers SERVING" \
  [ "$(their_client "$KIND" health "$IP:50051")" = SERVING ]
# Under the sanitizers a memory error or leak in our server, from any of the calls above, fails here.
kill -TERM "${PIDS[0]}"
wait_exit "${PIDS[0]}" 15
check "our server stops cleanly (exit 0) after SIGTERM" [ "$EXIT_STATUS" = 0 ]
