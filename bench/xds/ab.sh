#!/usr/bin/env bash
# Two xdsd builds (or one build under two environments) side by side in the same run (not a test): for the
# memory work of issue 13, where a change to xdsd's server args or to ads.c must show what it saves (RSS per idle
# client) and what it costs (change -> last ACK latency, CPU per change) against the code before it, on a machine
# whose load moves too much for runs made apart to compare. Same generator, pinning and figures as bench/xds/run.sh;
# every repeat runs A and B back to back, A first in odd repeats and B first in even ones; ratios B/A per repeat,
# then their medians.
# Usage: XDSD_A=PATH XDSD_B=PATH [ENV_A="K=V ..."] [ENV_B="K=V ..."] bash bench/xds/ab.sh [RUN...]
#   RUN as in bench/xds/run.sh: N (N/100+1 connections) or N/K; default 1000 10000.
# Knobs: REPEATS (3), BENCH_OUT (build/bench-xds-ab), BIN (xds-loadgen's folder, build/bin).
# Raw results: BENCH_OUT/DATE-ab-runs.tsv, DATE-ab-loadgen.txt, DATE-ab-meta.txt, and the server's log of a run that
# failed (not every stream synced, a stream lost, a change not ACKed by all) as DATE-ab-failed-N-K-REPEAT-SIDE.log.
# Unlike bench/xds/run.sh it does not count NACKs (xds-loadgen never sends one).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
. bench/xds/lib.sh # summarize, meta_head, median_rows
BIN=${BIN:-$ROOT/${BUILD:-build}/bin}
REPEATS=${REPEATS:-3}
CHANGES=5
PORT=9002
XDSD_A=${XDSD_A:?XDSD_A: the xdsd binary A} XDSD_B=${XDSD_B:?XDSD_B: the xdsd binary B}
declare -A XB=([A]=$XDSD_A [B]=$XDSD_B) XENV=([A]=${ENV_A:-} [B]=${ENV_B:-})
ADDR=127.0.5.3
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(1000 10000)
for p in "$XDSD_A" "$XDSD_B" "$BIN/xds-loadgen"; do [ -x "$p" ] || { echo "bench/xds/ab: $p is missing" >&2; exit 1; }; done
OUT=${BENCH_OUT:-$ROOT/${BUILD:-build}/bench-xds-ab}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
STAMP=$(date -u +%Y-%m-%d-%H%M)
RAW=$OUT/$STAMP-ab-runs.tsv LOADGEN=$OUT/$STAMP-ab-loadgen.txt META=$OUT/$STAMP-ab-meta.txt
T=$(mktemp -d "${TMPDIR:-/tmp}/xds-ab.XXXXXX")
mkdir "$T/cfg"
SPID=
cleanup() {
  if [ -n "$SPID" ]; then kill -TERM "$SPID" 2>/dev/null || true; wait "$SPID" 2>/dev/null || true; fi
  rm -rf "$T"
}
trap cleanup EXIT
ulimit -n 65536 2>/dev/null || true
PIN_X=() PIN_G=()
if [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then PIN_X=(taskset -c 0) PIN_G=(taskset -c 1); fi
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)

printf 'clients\tchannels\trepeat\tposition\tserver\tok\tsynced\tdead\tconnect_ms\trss_kb_before\trss_kb_connected\trss_bytes_per_client\tchanges\tacked_changes\tcpu_ms_per_change\tlast_ms_max\tp50_ms\tp99_ms\tmax_ms\tloadgen_rc\n' >"$RAW"
: >"$LOADGEN"
failed=0
for run in "${sizes[@]}"; do
  n=${run%%/*}
  k=$([ "$run" != "$n" ] && echo "${run#*/}" || echo $((n / 100 + 1)))
  for r in $(seq "$REPEATS"); do
    order=(A B)
    [ $((r % 2)) -eq 0 ] && order=(B A)
    pos=0
    for s in "${order[@]}"; do
      pos=$((pos + 1))
      printf 'name: bench\nspec: {}\n' >"$T/cfg/config.yaml"
      # shellcheck disable=SC2086
      env ${XENV[$s]} "${PIN_X[@]}" "${XB[$s]}" --config "$T/cfg/config.yaml" --listen "$ADDR:$PORT" \
        --admin "$ADDR:9003" >"$T/$s.log" 2>&1 &
      SPID=$!
      up=0
      for _ in $(seq 100); do (exec 3<>"/dev/tcp/$ADDR/$PORT") 2>/dev/null && { up=1; break; }; sleep 0.05; done
      [ "$up" = 1 ] || { tail "$T/$s.log" >&2; echo "bench/xds/ab: $s is not listening" >&2; exit 1; }
      rc=0
      "${PIN_G[@]}" "$BIN/xds-loadgen" --server "$ADDR:$PORT" --config "$T/cfg/config.yaml" --xdsd-pid "$SPID" \
        --clients "$n" --channels "$k" --changes "$CHANGES" >"$T/loadgen.txt" 2>&1 || rc=$?
      kill -TERM "$SPID"; wait "$SPID" || true; SPID=
      { echo "== clients=$n channels=$k repeat=$r position=$pos server=$s loadgen_rc=$rc"; cat "$T/loadgen.txt"; } >>"$LOADGEN"
      line=$(summarize "$T/loadgen.txt" "$n")
      IFS=$'\t' read -r synced dead _ _ _ per nc acked cpu _ p50 p99 _ <<<"$line"
      ok=0
      [ "$rc" = 0 ] && [ "$synced" = "$n" ] && [ "$dead" = 0 ] && [ "$nc" = "$CHANGES" ] && [ "$acked" = "$CHANGES" ] && ok=1
      printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$n" "$k" "$r" "$pos" "$s" "$ok" "$line" "$rc" >>"$RAW"
      echo "$s clients=$n channels=$k repeat=$r ok=$ok p50_ms=$p50 p99_ms=$p99 rss_bytes_per_client=$per cpu_ms_per_change=$cpu"
      if [ "$ok" != 1 ]; then # keep what the server said about it
        failed=$((failed + 1))
        cp "$T/$s.log" "$OUT/$STAMP-ab-failed-$n-$k-$r-$s.log"
      fi
      sleep 1
    done
  done
done
{
  meta_head "$LOAD_BEFORE"
  echo "A: $XDSD_A ${ENV_A:-}"
  echo "B: $XDSD_B ${ENV_B:-}"
  echo "repeats: $REPEATS; changes per run: $CHANGES; runs: ${sizes[*]}"
} >"$META"
echo
echo "| clients | connections | pairs | all synced, s: A / B | B/A | p50 ms: A / B | B/A | p99 ms: A / B | B/A | RSS per idle client, KB: A / B | B/A | B−A, KB | CPU per change, ms: A / B | B/A |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
median_rows "$RAW" A B B %.2f 1
echo
echo "raw: $RAW, $LOADGEN, $META"
echo "load average (1/5/15 min) before: $LOAD_BEFORE, after: $(cut -d' ' -f1-3 /proc/loadavg)"
[ "$failed" = 0 ] || { echo "bench/xds/ab: $failed run(s) failed (ok=0)" >&2; exit 1; }
