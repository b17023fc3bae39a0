#!/usr/bin/env bash
# Our server's other methods, seen from a client that is not ours (libgrpc++'s generic stub, bytes decoded by
# Google's protobuf or compared raw): Health/Check says SERVING; SayHello's reply is the exact protobuf
# encoding; an undecodable request is INVALID_ARGUMENT and an unknown method UNIMPLEMENTED, and the
# server keeps serving after both.
. "$(dirname "$0")/../lib.sh"

ADDR=127.0.4.3:50051
spawn server env NAME=c-ours LISTEN_ADDRESS=$ADDR RESPONSE_DELAY=0 "$BIN/greeter-server"
wait_port 127.0.4.3 50051
client() { timeout 30 "$BIN/greeter-cpp-client" "$@"; }

check "Health/Check (service \"\") answers SERVING" [ "$(client health "$ADDR")" = SERVING ]

# HelloRequest{name:"wire"} is 0a 04 "wire"; HelloReply{message:"c-ours: Hello wire"} is 0a 12 + the text.
expected="ok reply=0a12$(printf 'c-ours: Hello wire' | od -An -tx1 | tr -d ' \n')"
check "SayHello's reply bytes are the protobuf encoding of HelloReply" \
  [ "$(client call "$ADDR" /helloworld.Greeter/SayHello 0a0477697265)" = "$expected" ]
check "an undecodable HelloRequest gets INVALID_ARGUMENT (3)" \
  bash -c "out=\$(timeout 30 '$BIN/greeter-cpp-client' call $ADDR /helloworld.Greeter/SayHello ffff); [ \$? -eq 1 ] && [[ \$out == 'error code=3 '* ]]"
check "an unknown method gets UNIMPLEMENTED (12)" \
  bash -c "out=\$(timeout 30 '$BIN/greeter-cpp-client' call $ADDR /helloworld.Greeter/SayGoodbye); [ \$? -eq 1 ] && [[ \$out == 'error code=12 '* ]]"
check "the server still answers SERVING afterwards" [ "$(client health "$ADDR")" = SERVING ]
check "the server is still running" kill -0 "${PIDS[0]}"
