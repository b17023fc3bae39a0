#!/usr/bin/env bash
# Greeter benchmark (not a test): RPC/s, p50/p99 latency and server CPU per RPC of our greeter-server
# (RESPONSE_DELAY=0, LOG_LEVEL=warn) against two peers, in the same run, on the same machine:
# - cpp: the C++ peer (tests/compat/greeter_cpp_server.cc: libgrpc++ async API, one completion-queue
#   thread, same reply);
# - go: the Go peer (bench/peers/greeter: grpc-go's defaults and its own helloworld package, same reply),
#   built here once into ${XDG_CACHE_HOME:-$HOME/.cache}/grpc-lb/peers/ (bench/peers/build.sh; needs Go >= 1.26).
#
# Load: h2load (gRPC-framed POST of a HelloRequest on one HTTP/2 connection, -m outstanding streams) and our
# greeter-client (one channel, CONCURRENCY calls per round), at 1, 10 and 100 outstanding calls.
# Fairness: each server is pinned to CPU $SERVER_CPU, the load generator to CPU $LOAD_CPU; only one server
# is under load at a time; every repeat measures the three servers back to back in short runs, in an order
# that changes each repeat (ORDERS: over 6 repeats each server goes first twice and each of two servers goes
# before the other 3 times), and the ratios ours/cpp and ours/go of each repeat are taken before the median:
# the machines we run on are shared, and short runs close together see the same background load far more
# often than long ones do. grpc-go sizes GOMAXPROCS from the CPUs it may run on (sched_getaffinity), so
# taskset gives it one CPU as it gives the others; the Go peer logs its GOMAXPROCS and it is checked below.
#
# Usage: bash bench/greeter/run.sh  (BIN defaults to build/bin; `make bench` sets it)
# Knobs: BENCH_SECONDS (h2load run, default 1), BENCH_CLIENT_CALLS (calls per greeter-client run: 5000 per
# outstanding call, at most this, default 20000; at most 65536 so that the client's p50/p99 cover every
# call), BENCH_REPEATS (default 15).
# Every traffic loop is bounded: h2load by -D, greeter-client by ROUNDS, both by `timeout`.
cd "$(dirname "$0")/../.."
export BIN=${BIN:-$PWD/build/bin}
. tests/lib.sh # spawn/cleanup by PID, wait_port, check, fail (no `set -e`: its cleanup trap must not stop early)

SECS=${BENCH_SECONDS:-1}
CALLS=${BENCH_CLIENT_CALLS:-20000}
REPEATS=${BENCH_REPEATS:-15}
LEVELS=(1 10 100)
SERVER_CPU=${SERVER_CPU:-0}
LOAD_CPU=${LOAD_CPU:-1}
OUT=${BENCH_OUT:-$BIN/../bench-greeter}
mkdir -p "$OUT"
RAW=$OUT/raw.tsv

for prog in greeter-server greeter-cpp-server greeter-client greeter-cpp-client; do
  [ -x "$BIN/$prog" ] || fail "$BIN/$prog is missing: build first (make)"
done
command -v h2load >/dev/null || fail "h2load is missing (Debian: nghttp2-client; make deps)"
[ "$(nproc)" -ge 2 ] || fail "needs 2 CPUs: one for the server, one for the load generator"
# The Go peer (bench/peers/greeter), built once and cached by bench/peers/build.sh.
GO_SERVER=$(bash bench/peers/build.sh greeter) || fail "cannot build the Go peer (bench/peers/greeter)"

# Every server answers "<4-char NAME>: Hello bench", so every reply is the same 24 bytes on the wire
# (5-byte gRPC prefix + HelloReply 0a 11 + 17 chars): h2load's DATA byte count then proves that every
# request got a whole reply message, which a gRPC error (HTTP 200 with a trailers-only response) would not.
SERVERS=(ours cpp go)
declare -A ADDR=([ours]=127.0.4.100:50051 [cpp]=127.0.4.101:50051 [go]=127.0.4.102:50051)
declare -A NAME=([ours]=ours [cpp]=cpp_ [go]=go__)
REPLY_BYTES=24
spawn ours env NAME=${NAME[ours]} LISTEN_ADDRESS=${ADDR[ours]} RESPONSE_DELAY=0 LOG_LEVEL=warn \
  taskset -c "$SERVER_CPU" "$BIN/greeter-server"
declare -A PID=([ours]=$LAST_PID)
spawn cpp env NAME=${NAME[cpp]} LISTEN_ADDRESS=${ADDR[cpp]} taskset -c "$SERVER_CPU" "$BIN/greeter-cpp-server"
PID[cpp]=$LAST_PID
spawn go env NAME=${NAME[go]} LISTEN_ADDRESS=${ADDR[go]} taskset -c "$SERVER_CPU" "$GO_SERVER"
PID[go]=$LAST_PID
for s in "${SERVERS[@]}"; do
  wait_port "${ADDR[$s]%:*}" "${ADDR[$s]#*:}"
  check "$s answers '${NAME[$s]}: Hello bench'" \
    [ "$(timeout 10 "$BIN/greeter-cpp-client" hello "${ADDR[$s]}" bench)" = "${NAME[$s]}: Hello bench" ]
done
# The same CPU for every server: the Go runtime must have taken as many Ps as taskset leaves CPUs.
CPUS=$(taskset -c "$SERVER_CPU" nproc)
check "the Go peer runs with GOMAXPROCS=$CPUS (taskset -c $SERVER_CPU)" grep -q " gomaxprocs=$CPUS " "$T/go.log"

# HelloRequest{name:"bench"} in a gRPC frame: uncompressed flag, 4-byte big-endian length 7, 0a 05 "bench".
printf '\x00\x00\x00\x00\x07\x0a\x05bench' >"$T/request.bin"

# cpu_ns PID: CPU time of a process's live threads so far, in ns (schedstat: finer than stat's 10 ms ticks;
# gRPC's threads live as long as the server).
cpu_ns() { cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ t += $1 } END { printf "%.0f\n", t }'; }

# quantile FILE Q: the Q-quantile of the numbers in FILE (one a line), nearest rank.
quantile() { sort -n "$1" | awk -v q="$2" '{ v[NR] = $1 } END { i = int(q * (NR - 1) + 0.5) + 1; print v[i] }'; }

# h2load_args SERVER LEVEL: the h2load arguments common to warm-up and measurement.
h2load_args() {
  H2ARGS=(-c 1 -t 1 -m "$2" -d "$T/request.bin" -H 'content-type: application/grpc' -H 'te: trailers'
          "http://${ADDR[$1]}/helloworld.Greeter/SayHello")
}

# warm_h2load SERVER LEVEL: 2000 calls not measured (h2load's own --warm-up-time would count their reply
# bytes but not the calls); the caller reads the server's CPU time after it.
warm_h2load() {
  h2load_args "$1" "$2"
  timeout 30 taskset -c "$LOAD_CPU" h2load -n 2000 "${H2ARGS[@]}" >"$T/h2load.out" 2>&1 ||
    { cat "$T/h2load.out"; fail "h2load warm-up failed"; }
}
# greeter-client needs none: each run is a fresh client and its summary covers every call.
warm_client() { :; }

# run_h2load SERVER LEVEL: prints "rps p50_us p99_us calls".
run_h2load() {
  local s=$1 level=$2 log=$T/h2load.log out=$T/h2load.out
  h2load_args "$s" "$level"
  rm -f "$log"
  timeout $((SECS + 30)) taskset -c "$LOAD_CPU" h2load -D "$SECS" --log-file="$log" "${H2ARGS[@]}" >"$out" 2>&1 ||
    { cat "$out"; fail "h2load failed"; }
  local ok failed data rps
  read -r ok failed < <(sed -nE 's/^requests: .* ([0-9]+) succeeded, ([0-9]+) failed.*/\1 \2/p' "$out")
  data=$(sed -nE 's/^traffic: .*\(([0-9]+)\) data.*/\1/p' "$out")
  rps=$(sed -nE 's/^finished in .*, ([0-9.]+) req\/s.*/\1/p' "$out")
  [ "$failed" = 0 ] && [ "$ok" -gt 0 ] || { cat "$out"; fail "h2load against $s: $failed failed"; }
  [ "$data" -eq $((ok * REPLY_BYTES)) ] || { cat "$out"; fail "h2load against $s: $data reply bytes for $ok calls"; }
  awk '$2 == 200 { print $3 }' "$log" >"$T/lat.txt"
  echo "$rps $(quantile "$T/lat.txt" 0.5) $(quantile "$T/lat.txt" 0.99) $ok"
}

# run_client SERVER LEVEL: prints "rps p50_us p99_us calls" from greeter-client's final summary.
run_client() {
  local s=$1 level=$2 out=$T/client.out calls=$((5000 * level < CALLS ? 5000 * level : CALLS))
  local rounds=$((calls / level))
  SERVER_ADDRESS=ipv4:${ADDR[$s]} NAME=bench CONCURRENCY=$level ROUNDS=$rounds PRINT_REPLIES=0 \
    SUMMARY_INTERVAL=0 LOG_LEVEL=warn timeout 120 taskset -c "$LOAD_CPU" "$BIN/greeter-client" >"$out" 2>&1 ||
    { tail "$out"; fail "greeter-client against $s exited non-zero"; }
  local line
  line=$(grep ' final=1 ' "$out")
  [[ $line == *" ok=$((rounds * level)) failed=0 "*" servers=1 ${NAME[$s]}=$((rounds * level))/100.0%" ]] ||
    fail "greeter-client against $s: unexpected summary: $line"
  awk '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
         printf "%.1f %d %d %d\n", f["ok"] * 1000 / f["window_ms"], f["p50_us"], f["p99_us"], f["ok"] }' <<<"$line"
}

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)

# Raw results, one run a line: generator level repeat server rps p50_us p99_us calls cpu_us_per_rpc.
printf 'generator\tlevel\trepeat\tserver\trps\tp50_us\tp99_us\tcalls\tcpu_us_per_rpc\n' >"$RAW"
# The order of the servers in repeat r is ORDERS[(r - 1) % 6]: the three rotations, then their reverses.
ORDERS=("ours cpp go" "cpp go ours" "go ours cpp" "go cpp ours" "ours go cpp" "cpp ours go")
for gen in h2load client; do
  for level in "${LEVELS[@]}"; do
    for r in $(seq "$REPEATS"); do
      read -ra order <<<"${ORDERS[$(((r - 1) % 6))]}"
      for s in "${order[@]}"; do
        "warm_$gen" "$s" "$level"
        t0=$(cpu_ns "${PID[$s]}")
        res=$("run_$gen" "$s" "$level") || fail "run_$gen $s $level"
        read -r rps p50 p99 calls <<<"$res"
        t1=$(cpu_ns "${PID[$s]}")
        cpu=$(awk -v d=$((t1 - t0)) -v n="$calls" 'BEGIN { printf "%.2f", d / 1000 / n }')
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$gen" "$level" "$r" "$s" "$rps" "$p50" "$p99" "$calls" "$cpu" |
          tee -a "$RAW"
      done
    done
  done
done

# The table for BENCHMARKS.md: medians over the repeats; a ratio is the median of each repeat's ours/cpp or
# ours/go. (The CPU figure counts the connection set-up too: one per run, the same for every server.)
echo
echo "| load generator | outstanding | ours RPC/s | C++ RPC/s | Go RPC/s | ours/C++ RPC/s | ours/Go RPC/s" \
  "| ours p50 / p99 µs | C++ p50 / p99 µs | Go p50 / p99 µs | server CPU µs per RPC, ours / C++ / Go" \
  "| ours/C++ CPU per RPC | ours/Go CPU per RPC |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
awk -F'\t' '
  function median(list,   a, n, i, j, t) {
    n = split(list, a, " ")
    for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j] + 0 < a[j - 1] + 0; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  # ratio(k, f, peer): the median over the repeats of row k of ours/peer in field f (5 RPC/s, 9 CPU per RPC).
  function ratio(k, f, peer,   rk, rr, list) {
    list = ""
    for (rk in reps) {
      split(rk, rr, SUBSEP)
      if (rr[1] SUBSEP rr[2] != k || !((k, rr[3], peer, f) in val) || !((k, rr[3], "ours", f) in val)) continue
      if (val[k, rr[3], peer, f] > 0) list = list " " val[k, rr[3], "ours", f] / val[k, rr[3], peer, f]
    }
    return median(list)
  }
  NR > 1 {
    k = $1 SUBSEP $2
    if (!(k in seen)) { seen[k] = 1; keys[++nk] = k }
    for (f = 5; f <= 9; f++) { v[k, $4, f] = v[k, $4, f] " " $f; val[k, $3, $4, f] = $f }
    reps[k, $3] = 1
  }
  END {
    for (i = 1; i <= nk; i++) {
      k = keys[i]; split(k, kk, SUBSEP)
      printf "| %s | %s | %.0f | %.0f | %.0f | %.2f | %.2f | %.0f / %.0f | %.0f / %.0f | %.0f / %.0f | %.1f / %.1f / %.1f | %.2f | %.2f |\n",
        kk[1] == "client" ? "greeter-client" : "h2load", kk[2],
        median(v[k, "ours", 5]), median(v[k, "cpp", 5]), median(v[k, "go", 5]), ratio(k, 5, "cpp"), ratio(k, 5, "go"),
        median(v[k, "ours", 6]), median(v[k, "ours", 7]), median(v[k, "cpp", 6]), median(v[k, "cpp", 7]),
        median(v[k, "go", 6]), median(v[k, "go", 7]),
        median(v[k, "ours", 9]), median(v[k, "cpp", 9]), median(v[k, "go", 9]), ratio(k, 9, "cpp"), ratio(k, 9, "go")
    }
  }' "$RAW"
echo
echo "raw runs: $RAW; $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), $(uname -r);" \
  "load average (1/5/15 min) before: $LOAD_BEFORE, after: $(cut -d' ' -f1-3 /proc/loadavg)" \
  "(this run adds about 2; more means other work shared the CPUs); Go peer: $(sed -nE 's/.* (grpc=[^ ]+ go=[^ ]+).*/\1/p' "$T/go.log")"
