#!/usr/bin/env bash
# xdsd benchmark (not a test): xds-loadgen holds N ADS streams (like proxyless clients, over N/100+1
# HTTP/2 connections), then changes the config 5 times and measures, per change, the time from the file
# rename to every stream's ACK of the new EDS version; plus xdsd's RSS per connected client and CPU.
# Each run is N (streams share N/100+1 connections) or N/K (K connections; N/N = one connection per
# client, as real proxyless clients have). Uses 127.0.5.0/24 only.
# Usage: bash bench/xds/run.sh [RUN...]   (default: 1000 10000 1000/1000 10000/10000)
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${BIN:-$PWD/${BUILD:-build}/bin}
ADDR=127.0.5.1
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(1000 10000 1000/1000 10000/10000)
T=$(mktemp -d "${TMPDIR:-/tmp}/xds-bench.XXXXXX")
XPID=
cleanup() {
  if [ -n "$XPID" ]; then kill -TERM "$XPID" 2>/dev/null || true; wait "$XPID" 2>/dev/null || true; fi
  rm -rf "$T"
}
trap cleanup EXIT
ulimit -n 65536 2>/dev/null || true
# With two or more CPUs, xdsd is pinned to CPU 0 and the generator to CPU 1, so that the generator's own
# work for thousands of streams does not compete with xdsd's.
PIN_X=() PIN_G=()
if [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then PIN_X=(taskset -c 0) PIN_G=(taskset -c 1); fi
echo "machine: $(nproc) cores, $(uname -r); pinning: ${PIN_X[*]:-none} / ${PIN_G[*]:-none}"
for run in "${sizes[@]}"; do
  n=${run%%/*}
  k=$([ "$run" != "$n" ] && echo "${run#*/}" || echo $((n / 100 + 1)))
  printf 'name: bench\nspec: {}\n' >"$T/config.yaml"
  "${PIN_X[@]}" "$BIN/xdsd" --config "$T/config.yaml" --listen "$ADDR:9002" --admin "$ADDR:9003" >"$T/xdsd-$n-$k.log" 2>&1 &
  XPID=$!
  for _ in $(seq 100); do (exec 3<>"/dev/tcp/$ADDR/9002") 2>/dev/null && break; sleep 0.05; done
  echo "== $n clients over $k connections"
  "${PIN_G[@]}" "$BIN/xds-loadgen" --server "$ADDR:9002" --config "$T/config.yaml" --xdsd-pid "$XPID" --clients "$n" --channels "$k" --changes 5 |
    tee "$T/loadgen-$n-$k.txt"
  curl -sf "http://$ADDR:9003/metrics" | grep -E '^xdsd_(streams|nacks_total|push_latency_seconds_(sum|count))' || true
  kill -TERM "$XPID"
  wait "$XPID" || true
  XPID=
done
