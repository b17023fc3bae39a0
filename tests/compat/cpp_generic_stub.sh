#!/usr/bin/env bash
# Our server seen at the byte level from libgrpc++'s generic stub: SayHello's reply is the exact protobuf
# encoding of HelloReply; an undecodable request gets INVALID_ARGUMENT and an unknown method UNIMPLEMENTED,
# and the server keeps serving after both.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/peers.sh"
IP=${1:?usage: cpp_generic_stub.sh IP}
ADDR=$IP:50051

spawn server env NAME=c-ours LISTEN_ADDRESS=$ADDR RESPONSE_DELAY=0 "$BIN/greeter-server"
wait_port "$IP" 50051

# HelloRequest{name:"wire"} is 0a 04 "wire"; HelloReply{message:"c-ours: Hello wire"} is 0a 12 + the text.
expected="ok reply=0a12$(printf 'c-ours: Hello wire' | od -An -tx1 | tr -d ' \n')"
check "SayHello's reply bytes are the protobuf encoding of HelloReply" \
  [ "$(their_client cpp call "$ADDR" /helloworld.Greeter/SayHello 0a0477697265)" = "$expected" ]
out=$(their_client cpp call "$ADDR" /helloworld.Greeter/SayHello ffff)
check "an undecodable HelloRequest gets INVALID_ARGUMENT (3)" [ "$? ${out%% message=*}" = "1 error code=3" ]
out=$(their_client cpp call "$ADDR" /helloworld.Greeter/SayGoodbye)
check "an unknown method gets UNIMPLEMENTED (12)" [ "$? ${out%% message=*}" = "1 error code=12" ]
check "the server still answers SERVING afterwards" [ "$(their_client cpp health "$ADDR")" = SERVING ]
check "the server is still running" kill -0 "${PIDS[0]}"
# Under the sanitizers a memory error or leak in our server, from any of the calls above, fails here.
kill -TERM "${PIDS[0]}"
wait_exit "${PIDS[0]}" 15
check "our server stops cleanly (exit 0) after SIGTERM" [ "$EXIT_STATUS" = 0 ]
