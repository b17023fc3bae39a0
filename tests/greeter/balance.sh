#!/usr/bin/env bash
# Three servers on 127.0.1.1-3 and one client with an ipv4: list: round_robin spreads 300 RPCs
# 30-37% each; pick_first sends all of them to one server.
. "$(dirname "$0")/../lib.sh"

for i in 1 2 3; do
  spawn server$i env NAME=server-$i LISTEN_ADDRESS=127.0.1.$i:50051 RESPONSE_DELAY=5ms "$BIN/greeter-server"
done
for i in 1 2 3; do wait_port 127.0.1.$i 50051; done
TARGET=ipv4:127.0.1.1:50051,127.0.1.2:50051,127.0.1.3:50051

# share NAME FILE: the count of server NAME in the final summary line.
share() { grep 'final=1' "$2" | grep -o " $1=[0-9]*" | cut -d= -f2; }

env SERVER_ADDRESS=$TARGET NAME=rr ROUNDS=30 CONCURRENCY=10 PRINT_REPLIES=1 "$BIN/greeter-client" >"$T/rr.out" 2>"$T/rr.log"
check "round_robin client exits 0" test $? -eq 0
check "300 replies printed in the demo's format" \
  test "$(grep -cE '^[0-9]{4}/[0-9]{2}/[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2} server-[123]: Hello rr_[0-9]+$' "$T/rr.out")" -eq 300
for i in 1 2 3; do
  n=$(share server-$i "$T/rr.out")
  echo "round_robin server-$i: ${n:-0}/300"
  check "round_robin server-$i gets 30-37% of 300 (got ${n:-0})" test "${n:-0}" -ge 90 -a "${n:-0}" -le 111
done

env SERVER_ADDRESS=$TARGET NAME=pf LB_POLICY=pick_first ROUNDS=30 PRINT_REPLIES=0 "$BIN/greeter-client" >"$T/pf.out" 2>"$T/pf.log"
check "pick_first client exits 0" test $? -eq 0
check "pick_first: one server gets all 300" grep -qE 'final=1 servers=1 server-[123]=300/100.0%' "$T/pf.out"

# Each server logged who asked and which counter.
check "server logs name, client and counter" grep -qE 'msg=received rpc=SayHello name=rr_[0-9]+ from=rr counter=[0-9]+' "$T/server1.log"
