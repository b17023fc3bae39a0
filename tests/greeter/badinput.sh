#!/usr/bin/env bash
# Bad input: every variable with a bad value makes the program exit 2 with a message naming the
# variable and the value. A port already in use is a runtime failure: exit 1 with a message.
. "$(dirname "$0")/../lib.sh"

# expect2 PROGRAM VAR VALUE: runs PROGRAM with VAR=VALUE, expects exit 2 naming both.
expect2() {
  local prog=$1 var=$2 val=$3 rc
  # Valid defaults first, the variable under test last (env: the last assignment wins).
  env SERVER_ADDRESS=127.0.0.1:1 LISTEN_ADDRESS=127.0.1.41:50051 ROUNDS=1 RPC_TIMEOUT=1s "$var=$val" timeout 10 "$BIN/$prog" >"$T/out.txt" 2>"$T/err.txt"
  rc=$?
  check "$prog $var='$val' exits 2 (got $rc)" test $rc -eq 2
  check "$prog $var='$val' message names the variable and value" grep -qF "var=$var value=\"$val\"" "$T/err.txt"
}

for v in abc 10 -1s 1x; do expect2 greeter-server RESPONSE_DELAY "$v"; done
expect2 greeter-server MAX_CONNECTION_AGE 10
expect2 greeter-server MAX_CONNECTION_AGE 0
expect2 greeter-server MAX_CONNECTION_AGE 1000h
expect2 greeter-server LOG_LEVEL loud
expect2 greeter-server MAX_CONNECTION_AGE_GRACE 5seconds
expect2 greeter-server SHUTDOWN_GRACE x
expect2 greeter-server LISTEN_ADDRESS nohostport
expect2 greeter-server LISTEN_ADDRESS "127.0.0.1:99999"
# These passed the old check and failed later in gRPC (exit 1): brackets around IPv4, no host, and
# digits-and-dots that are no IPv4 address.
for v in '[127.0.9.1]:50990' ':50990' '999.1.1.1:50990' '1.2.3:50990'; do expect2 greeter-server LISTEN_ADDRESS "$v"; done
# An empty value is a mistake, not the default (LISTEN_ADDRESS= used to listen on 0.0.0.0:50051).
for v in NAME LISTEN_ADDRESS RESPONSE_DELAY MAX_CONNECTION_AGE MAX_CONNECTION_AGE_GRACE SHUTDOWN_GRACE LOG_LEVEL; do
  expect2 greeter-server "$v" ""
done

for v in http://server:80 server dns:/// 'ipv4:1.2.3:4' 'xds:///' 'ipv4:,,' 'ipv4:127.0.0.1:1,' '999.1.1.1:50990'; do
  expect2 greeter-client SERVER_ADDRESS "$v"
done
for v in SERVER_ADDRESS NAME LB_POLICY CONCURRENCY ROUNDS RPC_TIMEOUT SUMMARY_INTERVAL DNS_MIN_RESOLUTION_INTERVAL \
  PRINT_REPLIES WAIT_FOR_READY HEALTH_CHECK KEEPALIVE_TIME KEEPALIVE_TIMEOUT LOG_LEVEL; do
  expect2 greeter-client "$v" ""
done
for v in 500ms 1x -1s; do expect2 greeter-client KEEPALIVE_TIME "$v"; done
for v in 0 abc; do expect2 greeter-client KEEPALIVE_TIMEOUT "$v"; done
for v in 0 abc -1 10001; do expect2 greeter-client CONCURRENCY "$v"; done
expect2 greeter-client ROUNDS -1
expect2 greeter-client LB_POLICY random
expect2 greeter-client RPC_TIMEOUT 1x
expect2 greeter-client RPC_TIMEOUT 0
expect2 greeter-client SUMMARY_INTERVAL often
expect2 greeter-client DNS_MIN_RESOLUTION_INTERVAL 1
expect2 greeter-client DNS_MIN_RESOLUTION_INTERVAL 99999h
expect2 greeter-client LOG_LEVEL loud
expect2 greeter-client PRINT_REPLIES maybe
expect2 greeter-client WAIT_FOR_READY 2
expect2 greeter-client HEALTH_CHECK yes

# A port in use: exit 1, message names the address.
spawn holder env NAME=holder LISTEN_ADDRESS=127.0.1.40:50051 RESPONSE_DELAY=0 "$BIN/greeter-server"
wait_port 127.0.1.40 50051
env LISTEN_ADDRESS=127.0.1.40:50051 timeout 10 "$BIN/greeter-server" 2>"$T/err.txt"
rc=$?
check "server on a port in use exits 1 (got $rc)" test $rc -eq 1
check "message names the address" grep -q 'address=127.0.1.40:50051' "$T/err.txt"
