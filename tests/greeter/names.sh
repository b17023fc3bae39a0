#!/usr/bin/env bash
# Hostile and large NAMEs (issue 16). A long multibyte client NAME is sent whole (it was cut at 127
# bytes, mid-UTF-8, and every RPC failed); a NAME over 1024 bytes, or holding a control character
# or invalid UTF-8, exits 2 naming the variable; a server NAME with a newline is refused; and a peer
# whose replies hold a newline (the C++ greeter from tests/compat accepts any NAME) cannot add a
# forged "summary" line to the client's output, which the lab parses.
. "$(dirname "$0")/../lib.sh"

spawn server env NAME=names LISTEN_ADDRESS=127.0.1.100:50051 RESPONSE_DELAY=0 "$BIN/greeter-server"
wait_port 127.0.1.100 50051

# 150 x "é": 300 bytes, past the old 128-byte buffer.
long=$(printf '\xc3\xa9%.0s' $(seq 150))
env SERVER_ADDRESS=127.0.1.100:50051 NAME="$long" ROUNDS=2 CONCURRENCY=2 SUMMARY_INTERVAL=0 \
  timeout 20 "$BIN/greeter-client" >"$T/long.log" 2>&1
rc=$?
check "a 300-byte multibyte NAME works (exit $rc)" test "$rc" -eq 0
check "the replies carry the whole name and its counter" \
  test "$(grep -cF "names: Hello ${long}_" "$T/long.log")" -eq 4
check "counter 4 intact" grep -qF "names: Hello ${long}_4" "$T/long.log"
# The C++ peer's protobuf checks UTF-8: a name cut mid-character failed every RPC there (INTERNAL).
spawn cpp env NAME=cpp LISTEN_ADDRESS=127.0.1.103:50051 "$BIN/greeter-cpp-server"
wait_port 127.0.1.103 50051
env SERVER_ADDRESS=127.0.1.103:50051 NAME="$long" ROUNDS=1 CONCURRENCY=2 SUMMARY_INTERVAL=0 \
  timeout 20 "$BIN/greeter-client" >"$T/longcpp.log" 2>&1
rc=$?
check "the same NAME works against the C++ peer (exit $rc)" test "$rc" -eq 0
check "its replies carry the whole name" test "$(grep -cF "cpp: Hello ${long}_" "$T/longcpp.log")" -eq 2

# expect_name2 PROGRAM VALUE REASON: NAME=VALUE makes PROGRAM exit 2 naming NAME and the reason.
expect_name2() {
  local prog=$1 val=$2 reason=$3 rc
  env NAME="$val" SERVER_ADDRESS=127.0.1.100:50051 LISTEN_ADDRESS=127.0.1.102:50051 ROUNDS=1 \
    timeout 10 "$BIN/$prog" >"$T/out.txt" 2>"$T/err.txt"
  rc=$?
  check "$prog NAME ($reason) exits 2 (got $rc)" test $rc -eq 2
  check "$prog NAME ($reason): message names NAME and the reason" \
    grep -qE "var=NAME value=\".*\" reason=\"[^\"]*$reason" "$T/err.txt"
  check "$prog NAME ($reason): the message is one line" test "$(wc -l <"$T/err.txt")" -eq 1
}
over=$(printf 'x%.0s' $(seq 1025))
for prog in greeter-client greeter-server; do
  expect_name2 $prog "$over" "longer than 1024"
  expect_name2 $prog $'evil\n2026/11/26 16:30:28 summary fake=999/100.0%' "control character"
  expect_name2 $prog $'bad\xff' "UTF-8"
done

# A foreign server that puts a newline in its replies.
fake=$'evil\n2026/11/26 16:30:28 summary window_ms=1 ok=999 failed=0 p50_us=1 p99_us=1 servers=1 fake=999/100.0%'
spawn peer env NAME="$fake" LISTEN_ADDRESS=127.0.1.101:50051 "$BIN/greeter-cpp-server"
wait_port 127.0.1.101 50051
env SERVER_ADDRESS=127.0.1.101:50051 NAME=victim ROUNDS=2 CONCURRENCY=3 SUMMARY_INTERVAL=0 \
  timeout 20 "$BIN/greeter-client" >"$T/victim.out" 2>"$T/victim.log"
rc=$?
check "client against the hostile peer exits 0 (got $rc)" test "$rc" -eq 0
check "six replies, each on one line starting with the time" \
  test "$(grep -cE '^[0-9]{4}/[0-9]{2}/[0-9]{2} [0-9:]{8} evil\?2026/11/26 16:30:28 summary .*: Hello victim_[1-6]$' "$T/victim.out")" -eq 6
check "one summary line, none forged" test "$(grep -c ' summary ' "$T/victim.out")" -eq 7 -a \
  "$(grep -cE '^[0-9/]{10} [0-9:]{8} summary ' "$T/victim.out")" -eq 1
check "the output has 7 lines" test "$(wc -l <"$T/victim.out")" -eq 7
check "the summary names the server on its one line" \
  grep -qE ' final=1 servers=1 evil\?2026/11/26_16:30:28_summary_[^ ]*=6/100\.0%$' "$T/victim.out"
