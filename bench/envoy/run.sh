#!/usr/bin/env bash
# Envoy benchmark (not a test; issue 10), three parts, all in one run, on loopback inside a network
# namespace of its own (the script re-executes itself under `unshare -n`), so that nothing it binds can
# meet another run's addresses:
#
# 1. hop cost: p50/p99 latency (and RPC/s, proxy CPU per RPC and the share of it on the proxy's busiest
#    thread) of greeter RPCs at 10 and 100 outstanding calls on four paths: client -> server direct,
#    client -> Envoy -> server with deploy/proxy/proxy.yaml's config (ConfigMap proxyconfig; its per-request
#    access log to stdout kept), the same Envoy config without the access log, and client -> HAProxy ->
#    server (`mode http`, h2 both sides, no log). Envoy gets the manifest's args (--concurrency 2
#    --log-level info) and --disable-hot-restart; HAProxy its default 2 threads. The server is pinned to
#    CPU $SERVER_CPU, the client to CPU $LOAD_CPU, the proxies are not pinned.
#    Every repeat runs the four paths back to back, in an order that rotates (and reverses every other
#    repeat); ratios are taken per repeat, then the median.
# 2. RSS of one sidecar Envoy with deploy/clsidecar/client.yaml's config: idle after start, and during a
#    10-outstanding load through it (sampled every 100 ms); HAProxy as the peer, same load.
# 3. xdsd's RSS per client: a fresh xdsd (deploy/xds/xds.yaml's config and args, endpoints' names from a
#    dnsmasq), then N Envoys with deploy/xds/client.yaml's bootstrap (distinct --service-node and admin
#    ports; they all bind the LDS listener 127.0.0.1:8080, which works because Envoy sets SO_REUSEPORT on
#    listener sockets by default), or N proxyless greeter-clients (the bootstrap of
#    deploy/proxyless/client.yaml, xds:///listener_0: that config's listener name); (RSS synced and idle
#    for SETTLE s - RSS before) / N; with the bytes each client sent xdsd (ss on xdsd's side). A third kind,
#    envoy-node-once, is a what-if that deploy/ does not ship: the same Envoys with
#    ads_config.set_node_on_first_message_only: true (Envoy otherwise repeats its ~60 KB node, 500-odd
#    extensions, in every DiscoveryRequest).
#
# Usage: bash bench/envoy/run.sh   (or bash bench/run.sh envoy; BIN defaults to build/bin)
# Knobs: FAST=1 (a quick check, about 30 s: 2 repeats, 2,000 calls, 1 RSS repeat, 3 xDS clients, 2 s settles), BENCH_REPEATS (7),
# BENCH_CLIENT_CALLS (calls per greeter-client run, 20000; at most 65536 so that p50/p99 cover every
# call), BENCH_RSS_REPEATS (3), BENCH_XDS_CLIENTS (20), BENCH_XDS_REPEATS (3), BENCH_OUT (build/bench-envoy).
# Raw results: $BENCH_OUT/{hop,rss,xdsd}.tsv and meta.txt; the tables for BENCHMARKS.md at the end.
# Every traffic loop is bounded (ROUNDS and `timeout`); cleanup kills only the PIDs this script started.
set -euo pipefail
SELF=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
cd "$(dirname "$0")/../.."
ROOT=$PWD

if [ "${ENVOY_BENCH_IN_NETNS:-0}" != 1 ]; then
  command -v unshare >/dev/null || { echo "bench/envoy: needs unshare (util-linux)" >&2; exit 1; }
  ns=(-n)
  [ "$(id -u)" -eq 0 ] || ns=(-r -n) # a user namespace owns the network namespace when not root
  exec unshare "${ns[@]}" env ENVOY_BENCH_IN_NETNS=1 bash -c 'ip link set lo up && exec bash "$0" "$@"' "$SELF" "$@"
fi

BIN=${BIN:-$ROOT/${BUILD:-build}/bin}
FAST=${FAST:-0}
if [ "$FAST" = 1 ]; then
  REPEATS=${BENCH_REPEATS:-2} CALLS=${BENCH_CLIENT_CALLS:-2000} RSS_REPEATS=${BENCH_RSS_REPEATS:-1}
  NX=${BENCH_XDS_CLIENTS:-3} XDS_REPEATS=${BENCH_XDS_REPEATS:-1} SETTLE=2 WARM=500
else
  REPEATS=${BENCH_REPEATS:-7} CALLS=${BENCH_CLIENT_CALLS:-20000} RSS_REPEATS=${BENCH_RSS_REPEATS:-3}
  NX=${BENCH_XDS_CLIENTS:-20} XDS_REPEATS=${BENCH_XDS_REPEATS:-3} SETTLE=6 WARM=2000
fi
LEVELS=(10 100)
PATHS=(direct envoy envoy-nolog haproxy)
SERVER_CPU=${SERVER_CPU:-0}
LOAD_CPU=${LOAD_CPU:-1}
OUT=${BENCH_OUT:-$BIN/../bench-envoy}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
T=$(mktemp -d "${TMPDIR:-/tmp}/envoy-bench.XXXXXX")

# Addresses: any on loopback, this namespace is ours alone.
SERVER=127.0.0.10:50051
declare -A ADDR=([direct]=$SERVER [envoy]=127.0.0.20:8080 [envoy-nolog]=127.0.0.21:8080 [haproxy]=127.0.0.30:8080)
DNS_IP=127.0.0.53 DNS_PORT=53
XDS_IP=127.0.0.50
V1_IP=127.0.0.41 V2_IP=127.0.0.42

PIDS=()
cleanup() {
  local rc=$? p
  trap - EXIT
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  if [ "$rc" -ne 0 ]; then
    for f in "$T"/*.log; do
      [ -f "$f" ] || continue
      echo "----- $f (last 20 lines)"
      tail -n 20 "$f"
    done
  fi
  rm -rf "$T"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() { echo "FAIL: $*" >&2; exit 1; }
# spawn NAME CMD...: CMD in the background, stdout+stderr to $T/NAME.log; its PID in LAST_PID.
spawn() {
  local name=$1
  shift
  "$@" >"$T/$name.log" 2>&1 &
  LAST_PID=$!
  PIDS+=("$LAST_PID")
}
# stop PID...: SIGTERM, up to 5 s, then SIGKILL; reaped and forgotten.
stop() {
  local p q keep
  for p in "$@"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "$@"; do
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
    keep=()
    for q in "${PIDS[@]}"; do [ "$q" = "$p" ] || keep+=("$q"); done
    PIDS=("${keep[@]}")
  done
}
# wait_for SECONDS CMD...: polls CMD every 50 ms.
wait_for() {
  local secs=$1
  shift
  for _ in $(seq $((secs * 20))); do
    "$@" && return 0
    sleep 0.05
  done
  fail "timed out after ${secs}s waiting for: $*"
}
port_open() { (exec 3<>"/dev/tcp/${1%:*}/${1#*:}") 2>/dev/null; }
envoy_live() { [ "$(curl -sf "http://$1/ready" 2>/dev/null)" = LIVE ]; }
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
hwm_kb() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status"; }
# mem_kb PID: "RSS anonymous file-backed" in KB (RssAnon + RssFile + RssShmem = VmRSS).
mem_kb() { awk '/^VmRSS:/ { r = $2 } /^RssAnon:/ { a = $2 } /^RssFile:/ { f = $2 } END { print r, a, f }' "/proc/$1/status"; }
# descendants PID: every process below PID.
descendants() {
  local c
  for c in $(cat /proc/"$1"/task/*/children 2>/dev/null); do echo "$c"; descendants "$c"; done
}
# cpu_ns PID: CPU time of a process's live threads so far, in ns.
cpu_ns() { cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ t += $1 } END { printf "%.0f\n", t }'; }
# thread_ns PID: "TID NS" per live thread (its CPU time so far).
thread_ns() { for t in /proc/"$1"/task/*; do echo "${t##*/} $(cut -d' ' -f1 "$t/schedstat" 2>/dev/null || echo 0)"; done; }
# busiest_share BEFORE AFTER: the share of the run's CPU time that went to its busiest thread.
busiest_share() {
  awk 'NR == FNR { b[$1] = $2; next } { d = $2 - b[$1]; t += d; if (d > m) m = d } END { printf "%.2f", (t > 0 ? m / t : 0) }' "$1" "$2"
}
median() { sort -n | awk '{ v[NR] = $1 } END { print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

for prog in greeter-server greeter-client xdsd; do
  [ -x "$BIN/$prog" ] || fail "$BIN/$prog is missing: build first (make)"
done
ENVOY=$(bash scripts/envoy-path.sh) || fail "no Envoy (bash scripts/deps.sh)"
for cmd in haproxy dnsmasq python3 curl jq taskset; do command -v "$cmd" >/dev/null || fail "$cmd is missing (make deps)"; done
python3 -c 'import yaml' 2>/dev/null || fail "python3's yaml module is missing (Debian: python3-yaml)"
[ "$(nproc)" -ge 2 ] || fail "needs 2 CPUs: one for the server, one for the client"
[ "$NX" -le 150 ] || fail "BENCH_XDS_CLIENTS above 150: the Envoys' admin addresses are 127.0.0.101-250"
[ "$CALLS" -le 65536 ] || fail "BENCH_CLIENT_CALLS above 65536: the client's p50/p99 would not cover every call"
# Our binaries are copied first, so that a rebuild during the run (others share the build tree) cannot
# change what is measured halfway.
mkdir "$T/bin"
BUILT=$(stat -c '%y' "$BIN/greeter-server" "$BIN/greeter-client" "$BIN/xdsd" | cut -c1-19 | sort | tail -1)
cp "$BIN/greeter-server" "$BIN/greeter-client" "$BIN/xdsd" "$T/bin/"
BIN=$T/bin

# envoy_args MANIFEST CONFIGMAP OUT ENVOYCFG-ARGS...: writes Envoy's config from the manifest to OUT and
# sets EARGS to the Deployment's envoy args (without -c) plus --disable-hot-restart.
envoy_args() {
  local m=$1 cm=$2 out=$3
  shift 3
  mapfile -t EARGS < <(python3 bench/envoy/envoycfg.py "$m" "$cm" "$out" "$@")
  [ ${#EARGS[@]} -gt 0 ] || fail "no Envoy args read from $m"
  EARGS=(-c "$out" "${EARGS[@]}" --disable-hot-restart)
}
# haproxy_cfg LISTEN OUT: HAProxy as the L7 gRPC proxy, as the lab had it: h2 both sides, no log.
haproxy_cfg() {
  cat >"$2" <<EOF
global
  maxconn 4096
defaults
  mode http
  timeout connect 1s
  timeout client 1h
  timeout server 1h
frontend grpc
  bind $1 proto h2
  default_backend upstream
backend upstream
  balance roundrobin
  server srv $SERVER proto h2
EOF
}

{
  echo "date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
  echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD -- 2>/dev/null || echo ' (+ uncommitted changes)')"
  echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), kernel $(uname -r), $(awk '/MemTotal/ { printf "%.0f GB", $2 / 1048576 }' /proc/meminfo)"
  echo "binaries: built $BUILT (latest of greeter-server, greeter-client, xdsd)"
  echo "envoy: $("$ENVOY" --version | sed -n 's/.*version: //p')"
  echo "haproxy: $(haproxy -v | head -1)"
  echo "settings: FAST=$FAST repeats=$REPEATS calls=$CALLS rss_repeats=$RSS_REPEATS xds_clients=$NX xds_repeats=$XDS_REPEATS settle=${SETTLE}s server_cpu=$SERVER_CPU load_cpu=$LOAD_CPU"
  echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
} >"$OUT/meta.txt"
cat "$OUT/meta.txt"
T0=$(date +%s)

# ---- 1. hop cost ------------------------------------------------------------------------------------
spawn server env NAME=srv LISTEN_ADDRESS=$SERVER RESPONSE_DELAY=0 LOG_LEVEL=warn taskset -c "$SERVER_CPU" "$BIN/greeter-server"
SERVER_PID=$LAST_PID
wait_for 10 port_open "$SERVER"

declare -A PID=()
for p in envoy envoy-nolog; do
  ip=${ADDR[$p]%:*}
  extra=()
  [ "$p" = envoy-nolog ] && extra=(--no-access-log)
  envoy_args deploy/proxy/proxy.yaml proxyconfig "$T/$p.yaml" --admin "$ip:8081" --listen "${ADDR[$p]}" \
    --host "server=$SERVER" "${extra[@]}"
  spawn "$p" "$ENVOY" "${EARGS[@]}"
  PID[$p]=$LAST_PID
done
echo "envoy args: ${EARGS[*]}"
haproxy_cfg "${ADDR[haproxy]}" "$T/haproxy.cfg"
spawn haproxy haproxy -db -f "$T/haproxy.cfg"
PID[haproxy]=$LAST_PID
for p in envoy envoy-nolog; do wait_for 30 envoy_live "${ADDR[$p]%:*}:8081"; done
for p in "${PATHS[@]}"; do wait_for 30 port_open "${ADDR[$p]}"; done

# run_client PATH LEVEL CALLS [ADDR]: one fresh greeter-client, CALLS calls LEVEL at a time; prints
# "rps p50_us p99_us calls" from its final summary, after checking that every call succeeded at srv.
run_client() {
  local path=$1 level=$2 rounds=$(($3 / $2)) addr=${4:-${ADDR[$1]}} out=$T/client-$1.out line
  SERVER_ADDRESS=ipv4:$addr NAME=bench CONCURRENCY=$level ROUNDS=$rounds PRINT_REPLIES=0 SUMMARY_INTERVAL=0 \
    LOG_LEVEL=warn timeout 120 taskset -c "$LOAD_CPU" "$BIN/greeter-client" >"$out" 2>&1 ||
    { tail "$out" >&2; fail "greeter-client via $path exited non-zero"; }
  line=$(grep ' final=1 ' "$out") || fail "greeter-client via $path: no final summary"
  [[ $line == *" ok=$((rounds * level)) failed=0 "*" servers=1 srv=$((rounds * level))/100.0%" ]] ||
    fail "greeter-client via $path: unexpected summary: $line"
  awk '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
         printf "%.1f %d %d %d\n", f["ok"] * 1000 / f["window_ms"], f["p50_us"], f["p99_us"], f["ok"] }' <<<"$line"
}

declare -A SENT=([envoy]=0 [envoy-nolog]=0)
echo "== 1. hop cost: warm-up ($WARM calls per path and level)"
for p in "${PATHS[@]}"; do
  for level in "${LEVELS[@]}"; do
    run_client "$p" "$level" "$WARM" >/dev/null
    [ -z "${SENT[$p]+x}" ] || SENT[$p]=$((SENT[$p] + WARM))
  done
done
echo "== 1. hop cost: $REPEATS repeats x ${#LEVELS[@]} levels x ${#PATHS[@]} paths, $CALLS calls a run"
printf 'repeat\tlevel\tposition\tpath\trps\tp50_us\tp99_us\tcalls\tproxy_cpu_us_per_rpc\tbusiest_thread_share\n' >"$OUT/hop.tsv"
for r in $(seq "$REPEATS"); do
  # Rotate the order by one each repeat; reverse it every other repeat.
  order=()
  for i in 0 1 2 3; do order+=("${PATHS[$(((i + r - 1) % 4))]}"); done
  [ $((r % 2)) -eq 0 ] && order=("${order[3]}" "${order[2]}" "${order[1]}" "${order[0]}")
  for level in "${LEVELS[@]}"; do
    pos=0
    for p in "${order[@]}"; do
      pos=$((pos + 1))
      c0=0
      [ "$p" = direct ] || { c0=$(cpu_ns "${PID[$p]}"); thread_ns "${PID[$p]}" >"$T/threads.before"; }
      res=$(run_client "$p" "$level" "$CALLS")
      read -r rps p50 p99 calls <<<"$res"
      cpu=- share=-
      if [ "$p" != direct ]; then
        cpu=$(awk -v d=$(($(cpu_ns "${PID[$p]}") - c0)) -v n="$calls" 'BEGIN { printf "%.2f", d / 1000 / n }')
        thread_ns "${PID[$p]}" >"$T/threads.after"
        share=$(busiest_share "$T/threads.before" "$T/threads.after")
      fi
      [ -z "${SENT[$p]+x}" ] || SENT[$p]=$((SENT[$p] + calls))
      printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$r" "$level" "$pos" "$p" "$rps" "$p50" "$p99" "$calls" "$cpu" "$share" |
        tee -a "$OUT/hop.tsv"
    done
  done
done
# The access log: Envoy buffers it (flushed on exit); every SayHello through the logging Envoy has a line,
# none through the other.
stop "${PID[envoy]}" "${PID[envoy-nolog]}" "${PID[haproxy]}"
logged=$(grep -c '"POST /helloworld.Greeter/SayHello HTTP/2" 200' "$T/envoy.log" || true)
nolog=$(grep -c 'SayHello' "$T/envoy-nolog.log" || true)
echo "access log: $logged SayHello lines for ${SENT[envoy]} calls through envoy; $nolog through envoy-nolog (${SENT[envoy-nolog]} calls)"
[ "$logged" -eq "${SENT[envoy]}" ] || fail "the logging Envoy logged $logged of ${SENT[envoy]} calls"
[ "$nolog" -eq 0 ] || fail "the Envoy without access log logged $nolog calls"
echo "access log bytes per call: $(awk -v b="$(grep 'SayHello' "$T/envoy.log" | wc -c)" -v n="$logged" 'BEGIN { printf "%.0f", b / n }')"
rm -f "$T/envoy.log" "$T/envoy-nolog.log"
T1=$(date +%s)

# ---- 2. RSS of a sidecar -------------------------------------------------------------------------------
echo "== 2. sidecar RSS: $RSS_REPEATS repeats, idle ${SETTLE}s after start, then $CALLS calls at 10 outstanding"
printf 'repeat\tproxy\tidle_kb\tidle_anon_kb\tidle_file_kb\tload_max_kb\tload_hwm_kb\tafter_kb\tafter_anon_kb\tafter_file_kb\tclient_max_kb\trps\tp50_us\tp99_us\n' >"$OUT/rss.tsv"
for r in $(seq "$RSS_REPEATS"); do
  order=(envoy haproxy)
  [ $((r % 2)) -eq 0 ] && order=(haproxy envoy)
  for p in "${order[@]}"; do
    if [ "$p" = envoy ]; then
      # The manifest's listener (127.0.0.1:8080, pod-local) is kept; admin 0.0.0.0:8081 -> 127.0.0.1:8081.
      addr=127.0.0.1:8080
      envoy_args deploy/clsidecar/client.yaml proxyconfig "$T/sidecar.yaml" --admin 127.0.0.1:8081 --host "server=$SERVER"
      spawn sidecar "$ENVOY" "${EARGS[@]}"
      sp=$LAST_PID
      wait_for 30 envoy_live 127.0.0.1:8081
    else
      addr=127.0.0.31:8080
      haproxy_cfg "$addr" "$T/sidecar-haproxy.cfg"
      spawn sidecar haproxy -db -f "$T/sidecar-haproxy.cfg"
      sp=$LAST_PID
    fi
    wait_for 30 port_open "$addr"
    sleep "$SETTLE"
    idle=$(mem_kb "$sp")
    run_client "sidecar-$p" 10 "$CALLS" "$addr" >"$T/rss-client.res" &
    cp=$!
    maxr=0 maxc=0
    while kill -0 "$cp" 2>/dev/null; do
      v=$(rss_kb "$sp" 2>/dev/null || echo 0)
      [ "$v" -le "$maxr" ] || maxr=$v
      for q in $(descendants "$cp"); do # the greeter-client (and the timeout above it)
        v=$(rss_kb "$q" 2>/dev/null || echo 0)
        [ "$v" -le "$maxc" ] || maxc=$v
      done
      sleep 0.1
    done
    wait "$cp" || fail "the load through the $p sidecar failed"
    hwm=$(hwm_kb "$sp")
    sleep 1
    after=$(mem_kb "$sp")
    read -r rps p50 p99 _ <"$T/rss-client.res"
    read -r i_rss i_anon i_file <<<"$idle"
    read -r a_rss a_anon a_file <<<"$after"
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$r" "$p" "$i_rss" "$i_anon" "$i_file" "$maxr" "$hwm" \
      "$a_rss" "$a_anon" "$a_file" "$maxc" "$rps" "$p50" "$p99" | tee -a "$OUT/rss.tsv"
    stop "$sp"
  done
done
stop "$SERVER_PID"
T2=$(date +%s)

# ---- 3. xdsd per client --------------------------------------------------------------------------------
echo "== 3. xdsd RSS per client: $XDS_REPEATS repeats, $NX Envoys, $NX proxyless clients or $NX Envoys sending their node once, each on a fresh xdsd"
printf '%s server-v1\n%s server-v2\n' "$V1_IP" "$V2_IP" >"$T/hosts"
spawn dnsmasq dnsmasq -k --no-resolv --no-hosts --local=// --port "$DNS_PORT" --listen-address "$DNS_IP" \
  --bind-interfaces --addn-hosts "$T/hosts" --pid-file="$T/dnsmasq.pid" --log-facility="$T/dnsmasq-events.log" --user=root
wait_for 10 grep -qs "read $T/hosts" "$T/dnsmasq-events.log"
# The endpoints answer as the demo's servers do (1 s), so proxyless clients run as deployed.
for v in v1 v2; do
  ip=$([ $v = v1 ] && echo "$V1_IP" || echo "$V2_IP")
  spawn "server-$v" env NAME="server-$v" LISTEN_ADDRESS="$ip:50051" RESPONSE_DELAY=1s LOG_LEVEL=warn "$BIN/greeter-server"
  wait_for 10 port_open "$ip:50051"
done
# xdsd's config and args from deploy/xds/xds.yaml, in a ConfigMap-style directory as kubelet lays it out;
# --listen and --admin moved to $XDS_IP, --dns-server added (the pod's resolver in the cluster).
mkdir -p "$T/xdsconfig/..v1"
python3 - deploy/xds/xds.yaml "$T/xdsconfig/..v1/config.yaml" "$T/xdsd.args" <<'PY'
import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
cm = next(d for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"] == "xdsconfig")
open(sys.argv[2], "w").write(cm["data"]["config.yaml"])
dep = next(d for d in docs if d["kind"] == "Deployment")
c = next(c for c in dep["spec"]["template"]["spec"]["containers"] if c["name"] == "xds")
open(sys.argv[3], "w").write("\n".join(c["args"]) + "\n")
PY
ln -s ..v1 "$T/xdsconfig/..data"
ln -s ..data/config.yaml "$T/xdsconfig/config.yaml"
mapfile -t XARGS <"$T/xdsd.args"
for i in "${!XARGS[@]}"; do
  case ${XARGS[$i]} in
    /config/config.yaml) XARGS[$i]=$T/xdsconfig/config.yaml ;;
    0.0.0.0:9002) XARGS[$i]=$XDS_IP:9002 ;;
    0.0.0.0:9003) XARGS[$i]=$XDS_IP:9003 ;;
  esac
done
XARGS+=(--dns-server "$DNS_IP:$DNS_PORT")
echo "xdsd args: ${XARGS[*]}"
XADMIN=http://$XDS_IP:9003
status() { curl -sf "$XADMIN/status"; }
dns_ready() { status | jq -e '[.dns[] | .addresses | length > 0] | (length == 2 and all)' >/dev/null 2>&1; }
# synced PREFIX N: N streams of nodes PREFIX-*, each has ACKed LDS, RDS, CDS and EDS, none NACKed.
synced() {
  status | jq -e --arg p "$1" --argjson n "$2" '[.nodes[] | select(.id | startswith($p))
    | select([.types.lds, .types.rds, .types.cds, .types.eds] | all(. != null and .version_acked != null and .nacked == false))]
    | length == $n' >/dev/null 2>&1
}
# The proxyless clients' bootstrap: deploy/proxyless/client.yaml's, control plane's address changed.
BOOT_TMPL=$(python3 - deploy/proxyless/client.yaml <<'PY'
import sys, yaml
for d in yaml.safe_load_all(open(sys.argv[1])):
    if d and d["kind"] == "Deployment":
        for c in d["spec"]["template"]["spec"]["containers"]:
            for e in c.get("env", []):
                if e["name"] == "GRPC_XDS_BOOTSTRAP_CONFIG":
                    print(e["value"])
PY
)
[ -n "$BOOT_TMPL" ] || fail "no GRPC_XDS_BOOTSTRAP_CONFIG in deploy/proxyless/client.yaml"

# bytes_in: what xdsd's side of every ADS connection has received so far, in bytes.
bytes_in() { ss -tin state established "( sport = :9002 )" | grep -o 'bytes_received:[0-9]*' | awk -F: '{ t += $2 } END { print t + 0 }'; }

printf 'repeat\tkind\tclients\txdsd_before_kb\txdsd_after_kb\txdsd_per_client_kb\tsync_s\tclient_rss_median_kb\tstreams\tbytes_in_per_client\n' >"$OUT/xdsd.tsv"
KINDS=(envoy proxyless envoy-node-once)
for r in $(seq "$XDS_REPEATS"); do
  order=()
  for i in 0 1 2; do order+=("${KINDS[$(((i + r - 1) % 3))]}"); done
  for kind in "${order[@]}"; do
    spawn "xdsd-$r-$kind" "$BIN/xdsd" "${XARGS[@]}"
    xp=$LAST_PID
    wait_for 10 port_open "$XDS_IP:9002"
    wait_for 20 dns_ready
    sleep "$SETTLE"
    before=$(rss_kb "$xp")
    cps=()
    t0=$(date +%s%N)
    for i in $(seq "$NX"); do
      if [ "$kind" != proxyless ]; then
        extra=()
        [ "$kind" = envoy-node-once ] && extra=(--node-once)
        envoy_args deploy/xds/client.yaml proxyconfig "$T/xenvoy-$i.yaml" --admin "127.0.0.$((100 + i)):8081" \
          --host "xds=$XDS_IP:9002" "${extra[@]}"
        EARGS=("${EARGS[@]/\$(POD_NAME)/$kind-$i}")
        spawn "x-$kind-$i" "$ENVOY" "${EARGS[@]}"
      else
        boot=${BOOT_TMPL//\$(POD_NAME)/$kind-$i}
        boot=${boot//\$(NODE_NAME)/bench}
        boot=${boot//dns:\/\/\/xds:9002/$XDS_IP:9002}
        printf '%s\n' "$boot" >"$T/bootstrap-$i.json"
        spawn "x-$kind-$i" env GRPC_XDS_BOOTSTRAP="$T/bootstrap-$i.json" SERVER_ADDRESS=xds:///listener_0 \
          NAME="$kind-$i" PRINT_REPLIES=0 SUMMARY_INTERVAL=10s "$BIN/greeter-client"
      fi
      cps+=("$LAST_PID")
    done
    wait_for 120 synced "$kind-" "$NX"
    sync_s=$(awk -v d=$(($(date +%s%N) - t0)) 'BEGIN { printf "%.2f", d / 1e9 }')
    if [ "$kind" != proxyless ]; then
      # Every Envoy took the listener xdsd sent (127.0.0.1:8080 in all of them, by SO_REUSEPORT).
      for i in $(seq "$NX"); do
        curl -sf "http://127.0.0.$((100 + i)):8081/listeners" | grep -qx 'listener_0::127.0.0.1:8080' ||
          fail "envoy $i has no active listener_0 on 127.0.0.1:8080"
      done
    fi
    streams=$(status | jq .streams)
    sleep "$SETTLE"
    bin=$(($(bytes_in) / NX))
    after=$(rss_kb "$xp")
    crss=$(for p in "${cps[@]}"; do rss_kb "$p"; done | median)
    per=$(awk -v a="$after" -v b="$before" -v n="$NX" 'BEGIN { printf "%.1f", (a - b) / n }')
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$r" "$kind" "$NX" "$before" "$after" "$per" "$sync_s" "$crss" "$streams" "$bin" | tee -a "$OUT/xdsd.tsv"
    [ "$streams" = "$NX" ] || fail "xdsd holds $streams streams, expected $NX"
    status | jq -e '[.nodes[] | .types[] | .nacked] | all(. == false)' >/dev/null || fail "a client NACKed"
    stop "${cps[@]}"
    stop "$xp"
  done
done
T3=$(date +%s)

echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/meta.txt"
echo "seconds: hop $((T1 - T0)), rss $((T2 - T1)), xdsd $((T3 - T2))" >>"$OUT/meta.txt"
tail -n 2 "$OUT/meta.txt"
echo
python3 bench/envoy/summarize.py "$OUT"
