#!/usr/bin/env bash
# Where greeter-server's CPU goes (not a test): perf samples of the server, pinned to CPU 0, while h2load on CPU 1
# keeps OUTSTANDING (default 100) calls in flight on one connection for SECONDS (default 3). Prints the share of
# samples per shared object (the kernel, gRPC core, libc, ours, protobuf-c) and our own functions. BENCHMARKS.md
# quotes it for the greeter's "where the CPU goes".
# Usage: bash bench/greeter/profile.sh [OUTSTANDING [SECONDS]]; needs perf (Debian: linux-perf) and h2load.
cd "$(dirname "$0")/../.."
ROOT=$PWD
BIN=${BIN:-$ROOT/${BUILD:-build}/bin}
M=${1:-100}
SECS=${2:-3}
. tests/lib.sh
command -v perf >/dev/null || fail "perf is missing (Debian: linux-perf)"
command -v h2load >/dev/null || fail "h2load is missing (Debian: nghttp2-client; make deps)"
ADDR=127.0.4.110
spawn server env NAME=ours LISTEN_ADDRESS=$ADDR:50051 RESPONSE_DELAY=0 LOG_LEVEL=warn taskset -c 0 "$BIN/greeter-server"
SPID=$LAST_PID
wait_port "$ADDR" 50051
# HelloRequest{name:"bench"} in a gRPC frame, as bench/greeter/run.sh sends it.
printf '\x00\x00\x00\x00\x07\x0a\x05bench' >"$T/request.bin"
H2=(-c 1 -t 1 -m "$M" -d "$T/request.bin" -H 'content-type: application/grpc' -H 'te: trailers'
  "http://$ADDR:50051/helloworld.Greeter/SayHello")
timeout 30 taskset -c 1 h2load -n 5000 "${H2[@]}" >/dev/null || fail "h2load warm-up failed"
perf record -F 2000 -g -p "$SPID" -o "$T/perf.data" -- sleep $((SECS + 1)) >"$T/perf.log" 2>&1 &
PERF=$!
sleep 0.3
timeout $((SECS + 20)) taskset -c 1 h2load -D "$SECS" "${H2[@]}" >"$T/h2load.out" || fail "h2load failed"
wait "$PERF" || fail "perf record failed: $(cat "$T/perf.log")"
grep -E '^(finished in|requests:)' "$T/h2load.out"
grep -q ' 0 failed, 0 errored' "$T/h2load.out" || fail "some calls failed"
echo "== samples per shared object (greeter-server, $M outstanding calls under h2load)"
perf report -i "$T/perf.data" --no-children --sort dso -g none 2>/dev/null | grep -v '^#' | grep -v '^$' | head -12
echo "== our own code and protobuf-c, per function"
perf report -i "$T/perf.data" --no-children --sort dso,sym -g none 2>/dev/null | grep -E 'greeter-server|protobuf-c' | head -10
