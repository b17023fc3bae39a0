#!/usr/bin/env bash
# xdsd's Kubernetes mode, measured (issue 11; not a test). As root, in a network namespace of its own
# (the API refuses loopback endpoint addresses; the "pods" are 198.18.x.y there and nothing is sent to
# them: xds-loadgen only ACKs what xdsd pushes). A real kube-apiserver and etcd (scripts/k8s.sh build).
#
#   1. change -> last ACK: one endpoint's address changed, N = 1, 100, 1000 xds-loadgen streams
#      subscribed to server.bench:50051 (N/100+1 connections), 10 changes each:
#        kube: the EndpointSlice patched through the API server (curl), xdsd --kubernetes;
#        dns:  the same endpoint behind a DNS name (dnsmasq, its hosts file changed and HUPed), xdsd
#              --dns-refresh 1s: xdsd learns of it at its next lookup.
#      The two modes take turns (the first alternates with N). Latency counted from just before the
#      write (upper bound) and from its answer (lower bound: curl's start and TLS handshake left out).
#   2. scale: 1,000 Services with 10 endpoints each (10,000): the initial list, xdsd's RSS against an
#      empty cluster, and change -> last ACK for 100 streams at that size.
# Usage: sudo bash bench/kube/run.sh [N...]   (default 1 100 1000)
set -euo pipefail
if [ "${KUBE_BENCH_NETNS:-}" != 1 ]; then
  [ "$(id -u)" -eq 0 ] || { echo "bench/kube: needs root (a network namespace of its own)" >&2; exit 1; }
  exec unshare -n env KUBE_BENCH_NETNS=1 bash "$0" "$@"
fi
ip link set lo up
cd "$(dirname "$0")/../.."
ROOT=$PWD
BIN=${BIN:-$ROOT/${BUILD:-build}/bin}
KBIN=$(bash scripts/k8s.sh path)
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(1 100 1000)
T=$(mktemp -d "${TMPDIR:-/tmp}/kube-bench.XXXXXX")
API=127.0.6.1 XDS=127.0.6.2 DNS=127.0.6.53
XPID= DPID=
cleanup() {
  for p in $XPID $DPID; do kill -TERM "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  bash scripts/k8s.sh stop "$T/k8s" 2>/dev/null || true
  rm -rf "$T"
}
trap cleanup EXIT
ulimit -n 65536 2>/dev/null || true
PIN_X=() PIN_G=()
if [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then PIN_X=(taskset -c 0) PIN_G=(taskset -c 1); fi
echo "machine: $(nproc) cores, $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg); pinning xdsd/loadgen: ${PIN_X[*]:-none} / ${PIN_G[*]:-none} (API server and etcd unpinned)"

bash scripts/k8s.sh start "$T/k8s" "$API" >/dev/null
export KUBECONFIG=$T/k8s/kubeconfig
K() { "$KBIN/kubectl" "$@"; }
TOKEN=$(cut -d, -f1 "$T/k8s/pki/tokens.csv")
K create namespace bench >/dev/null
K apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Service
metadata: {name: server, namespace: bench}
spec: {clusterIP: None, ports: [{name: grpc, port: 50051}]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: server-a, namespace: bench, labels: {kubernetes.io/service-name: server}}
addressType: IPv4
ports: [{name: grpc, port: 50051, protocol: TCP}]
endpoints: [{addresses: [198.18.1.1], conditions: {ready: true}}]
YAML

# The triggers: `kube-trigger N` patches the slice's endpoint to 198.18.1.N; `dns-trigger N` points the
# name at it and HUPs dnsmasq.
# patch_trigger FILE NAMESPACE SLICE NET: a trigger that merge-patches SLICE's one endpoint to NET.(N+10).
patch_trigger() {
  cat >"$1" <<EOF
#!/bin/sh
exec curl -sf -o /dev/null --cacert "$T/k8s/pki/ca.crt" -H "Authorization: Bearer $TOKEN" -X PATCH \\
  -H 'Content-Type: application/merge-patch+json' \\
  "https://$API:6443/apis/discovery.k8s.io/v1/namespaces/$2/endpointslices/$3" \\
  -d "{\\"endpoints\\":[{\\"addresses\\":[\\"$4.\$((\$1 % 200 + 10))\\"],\\"conditions\\":{\\"ready\\":true}}]}"
EOF
  chmod +x "$1"
}
patch_trigger "$T/kube-trigger" bench server-a 198.18.1
cat >"$T/dns-trigger" <<EOF
#!/bin/sh
echo "198.18.1.\$((\$1 % 200 + 10)) server" >"$T/hosts.new" && mv "$T/hosts.new" "$T/hosts" && kill -HUP \$(cat "$T/dnsmasq.pid")
EOF
chmod +x "$T/dns-trigger"
echo "198.18.1.1 server" >"$T/hosts"
dnsmasq -k --no-resolv --no-hosts --local=// --port 5353 --listen-address "$DNS" --bind-interfaces \
  --addn-hosts "$T/hosts" --pid-file="$T/dnsmasq.pid" --user=root >"$T/dnsmasq.log" 2>&1 &
DPID=$!
cat >"$T/dns.yaml" <<YAML
name: bench-dns
spec:
  listeners:
  - name: server.bench:50051
    routes: [{name: all, prefix: /, clusters: [{name: server.bench:50051}]}]
  clusters:
  - name: server.bench:50051
    endpoints: [{address: server, port: 50051}]
YAML

wait_port() { for _ in $(seq 200); do (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null && return 0; sleep 0.05; done; return 1; }

# run MODE N: xdsd in MODE, xds-loadgen with N streams and 10 changes; prints loadgen's summary lines.
run() {
  local mode=$1 n=$2 args
  if [ "$mode" = kube ]; then
    args=(--kubeconfig "$KUBECONFIG" --namespaces bench)
  else
    args=(--config "$T/dns.yaml" --dns-server "$DNS:5353" --dns-refresh 1s)
  fi
  "${PIN_X[@]}" "$BIN/xdsd" "${args[@]}" --listen "$XDS:9002" --admin "$XDS:9003" >"$T/xdsd-$mode-$n.log" 2>&1 &
  XPID=$!
  wait_port "$XDS" 9002
  sleep 1
  echo "== $mode, $n streams"
  "${PIN_G[@]}" "$BIN/xds-loadgen" --server "$XDS:9002" --trigger "$T/$mode-trigger" --xdsd-pid "$XPID" \
    --clients "$n" --changes 10 --listener server.bench:50051 --clusters server.bench:50051 |
    grep -E '^(summary|after_trigger|change=)' | sed "s/^/$mode n=$n /"
  kill -TERM "$XPID"
  wait "$XPID" || true
  XPID=
}

i=0
for n in "${sizes[@]}"; do
  if [ $((i % 2)) -eq 0 ]; then run kube "$n"; run dns "$n"; else run dns "$n"; run kube "$n"; fi
  i=$((i + 1))
done

# Scale: 1,000 Services of 10 endpoints each.
echo "== scale: 1,000 Services x 10 endpoints"
"${PIN_X[@]}" "$BIN/xdsd" --kubeconfig "$KUBECONFIG" --namespaces scale --listen "$XDS:9002" --admin "$XDS:9003" >"$T/xdsd-empty.log" 2>&1 &
XPID=$!
K create namespace scale >/dev/null
for _ in $(seq 100); do curl -sf "http://$XDS:9003/status" | grep -q '"synced":true' && break; sleep 0.1; done
sleep 6 # xdsd returns freed heap every 5 s
rss_empty=$(awk '/^VmRSS/ { print $2 }' "/proc/$XPID/status")
kill -TERM "$XPID"; wait "$XPID" || true; XPID=
python3 - "$T/scale.yaml" <<'PY'
import sys
out = open(sys.argv[1], "w")
for s in range(1000):
    out.write(f"---\napiVersion: v1\nkind: Service\nmetadata: {{name: s{s}, namespace: scale}}\n"
              f"spec: {{clusterIP: None, ports: [{{name: grpc, port: 50051}}]}}\n")
    eps = ", ".join(f"{{addresses: [198.18.{2 + s // 25}.{(s % 25) * 10 + e + 1}], conditions: {{ready: true}}, zone: z{e % 3}}}"
                    for e in range(10))
    out.write(f"---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {{name: s{s}-a, namespace: scale, "
              f"labels: {{kubernetes.io/service-name: s{s}}}}}\naddressType: IPv4\n"
              f"ports: [{{name: grpc, port: 50051, protocol: TCP}}]\nendpoints: [{eps}]\n")
PY
t0=$(date +%s%3N)
K apply --server-side -f "$T/scale.yaml" >/dev/null
echo "scale: 2,000 objects applied in $(($(date +%s%3N) - t0)) ms"
t0=$(date +%s%3N)
"${PIN_X[@]}" "$BIN/xdsd" --kubeconfig "$KUBECONFIG" --namespaces scale --listen "$XDS:9002" --admin "$XDS:9003" >"$T/xdsd-scale.log" 2>&1 &
XPID=$!
for _ in $(seq 600); do curl -sf "http://$XDS:9003/status" 2>/dev/null | grep -q '"endpoints":10000' && break; sleep 0.05; done
t1=$(date +%s%3N)
grep -E 'kubernetes list|msg="snapshot"' "$T/xdsd-scale.log" | sed 's/^/scale log: /'
sleep 6
rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$XPID/status")
echo "scale: start -> 10,000 endpoints served: $((t1 - t0)) ms; RSS ${rss} kB (empty cluster ${rss_empty} kB): $(((rss - rss_empty) * 1024 / 10000)) bytes per endpoint"
patch_trigger "$T/scale-trigger" scale s0-a 198.18.100
"${PIN_G[@]}" "$BIN/xds-loadgen" --server "$XDS:9002" --trigger "$T/scale-trigger" --xdsd-pid "$XPID" \
  --clients 100 --changes 10 --listener s0.scale:50051 --clusters s0.scale:50051 |
  grep -E '^(summary|after_trigger|change=)' | sed 's/^/scale n=100 /'
