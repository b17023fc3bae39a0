#!/usr/bin/env bash
# Cancelled calls are released at once (issue 16): a client whose deadline (50 ms) is far shorter
# than the server's RESPONSE_DELAY (30 s) cancels ~10,000 calls a second for 3 s. (Round robin puts
# the other half of each round on a server without delay: a round with a success is not followed by
# the client's backoff, so the load keeps its pace.) The server's
# memory stays bounded during and after the load (it used to keep every call until its reply was
# due: ~14 KB a call, 784 MB after 4 s at 1000 concurrent), it logs no "bad request payload" for calls
# that were merely cancelled, and it has nothing left to drain: SIGTERM exits 0 at once.
. "$(dirname "$0")/../lib.sh"

RSS_BOUND_KB=${RSS_BOUND_KB:-120000} # idle ~12 MB; calls alive at once are ~1000 x 14 KB
# Under ASan the RSS is mostly its allocator's: the same load peaked at 85-107 MB in four runs and 163 MB in a
# fifth (with fewer calls). There the bounds are not checked; the drain check at the end still fails if cancelled
# calls were kept until their reply was due (SIGTERM would then wait for them).
ASAN=0
case $(ldd "$BIN/greeter-server") in *libasan*) ASAN=1 ;; esac # (grep -q would end ldd early: pipefail)
rss_check() {
  if [ "$ASAN" = 1 ]; then
    echo "not checked under ASan: $1"
  else
    check "$1" test "$2" -lt "$RSS_BOUND_KB"
  fi
}

# Under ASan, freed memory waits in a quarantine (256 MB by default) before it is reused: keep it small
# so that RSS measures what the server holds. (Ignored by a build without ASan.)
spawn server env ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=16" NAME=slow LISTEN_ADDRESS=127.0.1.80:50051 RESPONSE_DELAY=30s SHUTDOWN_GRACE=20s \
  "$BIN/greeter-server"
SPID=$LAST_PID
spawn fast env NAME=fast LISTEN_ADDRESS=127.0.1.81:50051 RESPONSE_DELAY=0 LOG_LEVEL=warn "$BIN/greeter-server"
wait_port 127.0.1.80 50051
wait_port 127.0.1.81 50051
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$SPID/status"; }
echo "server RSS at start: $(rss_kb) kB"

# 60 rounds of 1000 calls, 500 of them to the slow server, each timing out after 50 ms: about 3 s.
spawn client env SERVER_ADDRESS=ipv4:127.0.1.80:50051,127.0.1.81:50051 NAME=hurry CONCURRENCY=1000 \
  RPC_TIMEOUT=50ms ROUNDS=60 \
  PRINT_REPLIES=0 SUMMARY_INTERVAL=0 "$BIN/greeter-client"
CPID=$LAST_PID
max=0
for _ in $(seq 300); do # at most 30 s
  kill -0 "$CPID" 2>/dev/null || break
  r=$(rss_kb)
  [ "${r:-0}" -gt "$max" ] && max=$r
  sleep 0.1
done
wait_exit "$CPID" 30
received=$(grep -c 'msg=received' "$T/server.log")
echo "server received $received calls; peak RSS during the load: $max kB"
check "the load reached the server (received $received >= 5000)" test "$received" -ge 5000
rss_check "server RSS stays under $RSS_BOUND_KB kB during the load (peak $max kB)" "$max"
# After the load: cancelled calls are gone, not waiting for their 30 s.
after=$(rss_kb)
echo "server RSS after the load: $after kB"
rss_check "server RSS stays under $RSS_BOUND_KB kB after the load ($after kB)" "$after"
bad=$(grep -c 'bad request payload' "$T/server.log")
check "no 'bad request payload' for cancelled calls (got $bad)" test "$bad" -eq 0
kill -TERM "$SPID"
t0=$(date +%s%N)
wait_exit "$SPID" 25
t1=$(date +%s%N)
echo "server exited $EXIT_STATUS after $(((t1 - t0) / 1000000)) ms"
check "server exits 0" test "$EXIT_STATUS" -eq 0
check "server has no delayed call left to drain (exits within 2 s of SIGTERM)" test $(((t1 - t0) / 1000000)) -lt 2000
