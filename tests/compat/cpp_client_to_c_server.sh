#!/usr/bin/env bash
# Their client -> our server: the C++ greeter client (libgrpc++, Google's protobuf) calls our greeter-server
# and must read "<NAME>: Hello <name>" for plain, UTF-8, empty and multi-frame (100 kB) names.
. "$(dirname "$0")/../lib.sh"

ADDR=127.0.4.1:50051
spawn server env NAME=c-ours LISTEN_ADDRESS=$ADDR RESPONSE_DELAY=0 "$BIN/greeter-server"
wait_port 127.0.4.1 50051

long=$(head -c 100000 /dev/zero | tr '\0' x) # over 6 HTTP/2 frames of the default 16 KiB
timeout 30 "$BIN/greeter-cpp-client" hello "$ADDR" cpp_1 "Zoë 🌍 ключ" "" "$long" >"$T/replies.txt"
check "the C++ client's calls all succeed" [ $? -eq 0 ]
printf '%s\n' "c-ours: Hello cpp_1" "c-ours: Hello Zoë 🌍 ключ" "c-ours: Hello " "c-ours: Hello $long" >"$T/expected.txt"
check "every reply is '<NAME>: Hello <name>', byte for byte" cmp -s "$T/expected.txt" "$T/replies.txt"
check "our server logged the C++ client's request" grep -q 'msg=received rpc=SayHello name=cpp_1 ' "$T/server.log"
