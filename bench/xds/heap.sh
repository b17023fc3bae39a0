#!/usr/bin/env bash
# Where xdsd's memory per idle client goes (not a test; issue 13): xdsd under valgrind's massif, N idle ADS streams
# from xds-loadgen over K connections; massif's detailed snapshots of the heap before any stream and once all N are
# synced and idle; the difference per stream, by allocation site (the first frame outside the allocators), with the
# per-call arena of gRPC core as its own line.
# Usage: bash bench/xds/heap.sh [N [K]]   (default 1000 streams over N/100+1 connections)
# Knobs: XDSD (default BIN/xdsd), BIN (xds-loadgen's folder, build/bin), OUT (default build/bench-xds-heap),
#        XDSD_ENV ("K=V ..." for xdsd only, e.g. GRPC_EXPERIMENTS=-tcp_read_chunks).
# Needs valgrind (Debian: valgrind, with vgdb) and python3. Uses 127.0.5.4 only. Under valgrind xdsd is some 20
# times slower: the latencies that xds-loadgen prints here mean nothing; the heap figures do not depend on speed.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
BIN=${BIN:-$ROOT/${BUILD:-build}/bin}
XDSD=${XDSD:-$BIN/xdsd}
N=${1:-1000}
K=${2:-$((N / 100 + 1))}
OUT=${OUT:-$ROOT/${BUILD:-build}/bench-xds-heap}
ADDR=127.0.5.4
for p in "$XDSD" "$BIN/xds-loadgen"; do [ -x "$p" ] || { echo "bench/xds/heap: $p is missing" >&2; exit 1; }; done
command -v valgrind >/dev/null && command -v vgdb >/dev/null || { echo "bench/xds/heap: valgrind is missing" >&2; exit 1; }
D=$OUT/$N-$K
rm -rf "$D"
mkdir -p "$D/cfg"
printf 'name: bench\nspec: {}\n' >"$D/cfg/config.yaml"
ulimit -n 65536 2>/dev/null || true
PIN_X=() PIN_G=()
if [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then PIN_X=(taskset -c 0) PIN_G=(taskset -c 1); fi
# shellcheck disable=SC2086
env ${XDSD_ENV:-} "${PIN_X[@]}" valgrind --tool=massif --depth=40 --threshold=0.05 --detailed-freq=1000000 \
  --max-snapshots=200 --massif-out-file="$D/massif.out" "$XDSD" --config "$D/cfg/config.yaml" --listen "$ADDR:9002" \
  --admin "$ADDR:9003" >"$D/xdsd.log" 2>&1 &
XP=$!
LP=
cleanup() {
  [ -z "$LP" ] || kill "$LP" 2>/dev/null || true
  kill -TERM "$XP" 2>/dev/null || true
  wait "$XP" 2>/dev/null || true
}
trap cleanup EXIT
for _ in $(seq 300); do (exec 3<>"/dev/tcp/$ADDR/9002") 2>/dev/null && break; sleep 0.1; done
sleep 2
vgdb --pid="$XP" detailed_snapshot "$D/empty.txt" >/dev/null 2>&1
"${PIN_G[@]}" stdbuf -oL "$BIN/xds-loadgen" --server "$ADDR:9002" --config "$D/cfg/config.yaml" --xdsd-pid "$XP" \
  --clients "$N" --channels "$K" --changes 1 >"$D/loadgen.txt" 2>&1 &
LP=$!
for _ in $(seq 3000); do grep -q '^clients=' "$D/loadgen.txt" && break; sleep 0.1; done
grep -q "^clients=$N .* synced=$N " "$D/loadgen.txt" || { cat "$D/loadgen.txt" >&2; exit 1; }
sleep 5 # xds-loadgen idles 6 s after the sync before its first change
vgdb --pid="$XP" detailed_snapshot "$D/idle.txt" >/dev/null 2>&1
wait "$LP" || true
LP=
python3 - "$D/empty.txt" "$D/idle.txt" "$N" "$K" <<'PY'
import collections, re, sys
def leaves(path):
    text = open(path).read()
    total = {k: int(v) for k, v in re.findall(r'^(mem_heap_B|mem_heap_extra_B)=(\d+)$', text, re.M)}
    stack, out = [], []
    for l in text[text.index('heap_tree='):].split('\n')[1:]:
        m = re.match(r'^( *)n(\d+): (\d+) (.*)$', l)
        if not m: continue
        depth = len(m.group(1)); stack = stack[:depth] + [m.group(4)]
        if m.group(2) == '0': out.append((int(m.group(3)), stack[1:]))
    return total, out
alloc = re.compile(r'gpr_malloc|gpr_zalloc|gpr_realloc|gpr_strdup|\bstrdup|operator new|calloc|malloc|realloc|'
                   r'_IO_mem|fclose|basic_string|_M_create|_M_mutate|_M_replace|grpc_slice_malloc|MemoryAllocator::MakeSlice|'
                   r'Arena::|places?, (all )?below')
def site(frames):
    for f in frames:
        if 'Arena::CreateWithAlloc' in f: return "gRPC core: the call's arena (Arena::CreateWithAlloc, one per stream)"
        if 'MemoryAllocator::MakeSlice' in f: return 'gRPC core: TCP read buffers (MemoryAllocator::MakeSlice)'
    for f in frames:
        if not alloc.search(f):
            f = re.sub(r'^0x[0-9A-F]+: ', '', f)
            return re.sub(r'\(in /usr/lib/x86_64-linux-gnu/', '(', f)[:120]
    return 'below massif threshold'
(t0, a), (t1, b), n, k = leaves(sys.argv[1]), leaves(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
agg = collections.Counter()
for nb, fr in b: agg[site(fr)] += nb
for nb, fr in a: agg[site(fr)] -= nb
print(f'xdsd heap per idle stream, {n} streams over {k} connections (bytes; massif, idle minus empty):')
for s, v in sorted(agg.items(), key=lambda x: -x[1]):
    if abs(v) / n >= 4: print(f'{v / n:9.0f}  {s}')
rest = sum(v for v in agg.values() if abs(v) / n < 4)
print(f'{rest / n:9.0f}  (sites under 4 bytes a stream)')
useful = (t1['mem_heap_B'] - t0['mem_heap_B']) / n
extra = (t1['mem_heap_extra_B'] - t0['mem_heap_extra_B']) / n
print(f'{useful:9.0f}  heap requested, total')
print(f'{extra:9.0f}  malloc overhead (massif extra: headers, rounding)')
print(f'{useful + extra:9.0f}  total')
PY
echo "raw: $D (massif.out, empty.txt, idle.txt, loadgen.txt)"
