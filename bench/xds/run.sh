#!/usr/bin/env bash
# xdsd benchmark (not a test) beside a peer in the same run, go-control-plane (issue 13): xds-loadgen holds N ADS
# streams (like proxyless clients, over N/100+1 HTTP/2 connections), then changes the config 5 times and measures, per
# change, the time from the file rename to every stream's ACK of the new EDS version; plus the server's RSS per
# connected client and its CPU. The peer (bench/peers/xds: go-control-plane v0.14's snapshot cache and SotW ADS
# server, built once by bench/peers/build.sh) serves the same resources for the same file and reloads it on the same
# trigger, so the generator is the same for both.
# Each run is N (streams share N/100+1 connections) or N/K (K connections; N/N = one connection per client, as real
# proxyless clients have). Every repeat measures both servers back to back, xdsd first in odd repeats and the peer
# first in even ones, each a fresh process pinned to CPU 0 with the generator on CPU 1; ratios ours/peer are taken per
# repeat, and their medians are printed per run. Uses 127.0.5.0/24 only (xdsd on .1, the peer on .2).
# Usage: bash bench/xds/run.sh [RUN...]   (default: 1000 10000 1000/1000 10000/10000)
# Knobs: REPEATS (3), BENCH_OUT (bench/xds/results), BIN (build/bin: xdsd and xds-loadgen).
# Raw results: BENCH_OUT/DATE-runs.tsv (one line per server run), DATE-loadgen.txt (xds-loadgen's output, verbatim,
# under a header per run) and DATE-meta.txt (machine, load, versions).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
. bench/xds/lib.sh # summarize, meta_head, median_rows
BIN=${BIN:-$ROOT/${BUILD:-build}/bin}
REPEATS=${REPEATS:-3}
CHANGES=5
PORT=9002
declare -A ADDR=([ours]=127.0.5.1 [peer]=127.0.5.2)
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(1000 10000 1000/1000 10000/10000)
for prog in xdsd xds-loadgen; do
  [ -x "$BIN/$prog" ] || { echo "bench/xds: $BIN/$prog is missing: build first (make)" >&2; exit 1; }
done
command -v curl >/dev/null || { echo "bench/xds: curl is missing (xdsd's /metrics)" >&2; exit 1; }
PEER=$(bash bench/peers/build.sh xds)
OUT=${BENCH_OUT:-$ROOT/bench/xds/results}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
STAMP=$(date -u +%Y-%m-%d-%H%M)
RAW=$OUT/$STAMP-runs.tsv LOADGEN=$OUT/$STAMP-loadgen.txt META=$OUT/$STAMP-meta.txt
T=$(mktemp -d "${TMPDIR:-/tmp}/xds-bench.XXXXXX")
mkdir "$T/cfg" # the watched folder holds the config alone: logs elsewhere would restart xdsd's debounce
SPID=
cleanup() {
  if [ -n "$SPID" ]; then kill -TERM "$SPID" 2>/dev/null || true; wait "$SPID" 2>/dev/null || true; fi
  rm -rf "$T"
}
trap cleanup EXIT
ulimit -n 65536 2>/dev/null || true
# With two or more CPUs, the server is pinned to CPU 0 and the generator to CPU 1, so that the generator's own
# work for thousands of streams does not compete with the server's.
PIN_X=() PIN_G=()
if [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then PIN_X=(taskset -c 0) PIN_G=(taskset -c 1); fi
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
echo "machine: $(nproc) cores, $(uname -r); pinning: ${PIN_X[*]:-none} / ${PIN_G[*]:-none}; repeats: $REPEATS"

# start SERVER LOG: a fresh xdsd (ours) or peer on ADDR[SERVER]:PORT over an empty config; sets SPID.
start() {
  local s=$1 log=$2
  printf 'name: bench\nspec: {}\n' >"$T/cfg/config.yaml"
  if [ "$s" = ours ]; then
    "${PIN_X[@]}" "$BIN/xdsd" --config "$T/cfg/config.yaml" --listen "${ADDR[ours]}:$PORT" \
      --admin "${ADDR[ours]}:9003" >"$log" 2>&1 &
  else
    "${PIN_X[@]}" "$PEER" --config "$T/cfg/config.yaml" --listen "${ADDR[peer]}:$PORT" >"$log" 2>&1 &
  fi
  SPID=$!
  for _ in $(seq 100); do (exec 3<>"/dev/tcp/${ADDR[$s]}/$PORT") 2>/dev/null && return 0; sleep 0.05; done
  echo "bench/xds: $s is not listening on ${ADDR[$s]}:$PORT" >&2
  tail "$log" >&2
  return 1
}

# stop SERVER LOG: stops the server and sets NACKS to the NACKs it saw (xdsd: /metrics; the peer: its exit line) and
# NACKS_FROM to where that came from. xdsd's admin server (libmicrohttpd with select()) cannot take a connection
# whose descriptor is 1024 or more, so with one connection per client from about 1,000 clients on /metrics does not
# answer: then the NACKs are counted in xdsd's log, where every NACK logs a `msg=nack` line (under the log rate
# limit at least the first of each second, and a line saying how many were left out): none there means none.
stop() {
  local s=$1 log=$2
  NACKS=- NACKS_FROM=-
  if [ "$s" = ours ]; then
    NACKS=$({ curl -sf -m 10 "http://${ADDR[ours]}:9003/metrics" || true; } | awk '/^xdsd_nacks_total/ { n += $2; seen = 1 } END { print seen ? n : "-" }')
    NACKS_FROM=metrics
  fi
  kill -TERM "$SPID"
  wait "$SPID" || true
  SPID=
  if [ "$s" = ours ] && [ "$NACKS" = - ] && grep -aq 'msg=stopped' "$log"; then
    NACKS=$(grep -ac ' msg=nack \| msg="log lines left out"' "$log" || true) NACKS_FROM=log
  fi
  [ "$s" = ours ] || { NACKS=$(sed -n 's/.* nacks_total=\([0-9]*\).*/\1/p' "$log" | tail -1); NACKS_FROM=exit-line; }
  NACKS=${NACKS:--}
}

printf 'clients\tchannels\trepeat\tposition\tserver\tok\tsynced\tdead\tconnect_ms\trss_kb_before\trss_kb_connected\trss_bytes_per_client\tchanges\tacked_changes\tcpu_ms_per_change\tlast_ms_max\tp50_ms\tp99_ms\tmax_ms\tnacks\tloadgen_rc\n' >"$RAW"
: >"$LOADGEN"
failed=0
for run in "${sizes[@]}"; do
  n=${run%%/*}
  k=$([ "$run" != "$n" ] && echo "${run#*/}" || echo $((n / 100 + 1)))
  for r in $(seq "$REPEATS"); do
    order=(ours peer)
    [ $((r % 2)) -eq 0 ] && order=(peer ours)
    pos=0
    for s in "${order[@]}"; do
      pos=$((pos + 1))
      log=$T/$s-$n-$k-$r.log
      start "$s" "$log"
      rc=0
      "${PIN_G[@]}" "$BIN/xds-loadgen" --server "${ADDR[$s]}:$PORT" --config "$T/cfg/config.yaml" --xdsd-pid "$SPID" \
        --clients "$n" --channels "$k" --changes "$CHANGES" >"$T/loadgen.txt" 2>&1 || rc=$?
      stop "$s" "$log"
      nacks=$NACKS
      { echo "== clients=$n channels=$k repeat=$r position=$pos server=$s loadgen_rc=$rc nacks=$nacks nacks_from=$NACKS_FROM"; cat "$T/loadgen.txt"; } >>"$LOADGEN"
      IFS=$'\t' read -r synced dead connect rss0 rss1 per nc acked cpu last p50 p99 max < <(summarize "$T/loadgen.txt" "$n")
      ok=0
      [ "$rc" = 0 ] && [ "$synced" = "$n" ] && [ "$dead" = 0 ] && [ "$nc" = "$CHANGES" ] && [ "$acked" = "$CHANGES" ] &&
        [ "$nacks" = 0 ] && ok=1
      printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$n" "$k" "$r" "$pos" \
        "$s" "$ok" "$synced" "$dead" "$connect" "$rss0" "$rss1" "$per" "$nc" "$acked" "$cpu" "$last" "$p50" "$p99" "$max" \
        "$nacks" "$rc" >>"$RAW"
      printf '%-5s clients=%s channels=%s repeat=%s synced=%s/%s connect_ms=%s acked_changes=%s/%s nacks=%s p50_ms=%s p99_ms=%s rss_bytes_per_client=%s cpu_ms_per_change=%s\n' \
        "$s" "$n" "$k" "$r" "$synced" "$n" "$connect" "$acked" "$CHANGES" "$nacks" "$p50" "$p99" "$per" "$cpu"
      if [ "$ok" != 1 ]; then
        failed=$((failed + 1))
        echo "bench/xds: $s failed at $n/$k repeat $r (loadgen exit $rc); its log:" >&2
        tail -5 "$log" >&2
      fi
      sleep 1
    done
  done
done

{
  meta_head "$LOAD_BEFORE"
  echo "pinning: server ${PIN_X[*]:-none}, generator ${PIN_G[*]:-none}; repeats: $REPEATS; changes per run: $CHANGES; runs: ${sizes[*]}"
  echo "xdsd: $BIN/xdsd, built $(date -u -r "$BIN/xdsd" '+%Y-%m-%d %H:%M:%S UTC')"
  echo "peer: $PEER ($(go version -m "$PEER" 2>/dev/null | awk 'NR == 1 { printf "%s", $2 } $2 ~ /go-control-plane(\/envoy)?$/ { printf ", %s %s", $2, $3 }'))"
} >"$META"

# Per run: the medians of each server's figures and of the per-repeat ratios ours/peer (pairs where both ran clean).
echo
echo "| clients | connections | pairs | all synced, s: ours / peer | ours/peer | change → ACK p50 (changes × streams), ms: ours / peer | ours/peer | p99, ms: ours / peer | ours/peer | RSS per idle client, KB: ours / peer | ours/peer | CPU per change, ms: ours / peer | ours/peer |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
median_rows "$RAW" ours peer ours %.1f 0
echo
echo "raw: $RAW, $LOADGEN, $META"
echo "load average (1/5/15 min) before: $LOAD_BEFORE, after: $(cut -d' ' -f1-3 /proc/loadavg) (more than about 2 means other work shared the CPUs)"
if [ "$failed" -gt 0 ]; then
  echo "bench/xds: $failed server run(s) failed (ok=0 in $RAW); their pairs are left out of the medians" >&2
  exit 1
fi
