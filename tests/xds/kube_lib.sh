# Helpers for the tests against a real Kubernetes API server (scripts/k8s.sh), on top of xlib.sh.
# Source it first thing, after NET_BASE and DNS_PORT. The API server refuses loopback addresses in
# EndpointSlices, so a test re-runs itself in a network namespace of its own, where the "pods" have
# addresses from 198.18.0.0/24 (RFC 2544's benchmarking range, never routed) on that namespace's lo
# (this kernel has no dummy or veth links); they exist only inside that namespace, and every process of
# the test runs there.
if [ "${KUBE_NETNS:-}" != 1 ]; then
  [ "$(id -u)" -eq 0 ] || { echo "FAIL: $0 needs root (it makes a network namespace of its own)" >&2; exit 1; }
  exec unshare -n env KUBE_NETNS=1 bash "$0" "$@"
fi
ip link set lo up || { echo "FAIL: cannot set up the network namespace" >&2; exit 1; }

. "$(dirname "${BASH_SOURCE[0]}")/xlib.sh"
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
POD=198.18.0
KUBE_ADDR=$NET.$((NET_BASE + 1))
K8S_DIR=$T/k8s

# kube_start: etcd and kube-apiserver on $KUBE_ADDR; sets KUBECONFIG; their PIDs are stopped on exit.
kube_start() {
  local bin
  bin=$(bash "$ROOT/scripts/k8s.sh" path) || fail "the control plane is not built: bash scripts/k8s.sh build"
  KUBECTL=$bin/kubectl
  bash "$ROOT/scripts/k8s.sh" start "$K8S_DIR" "$KUBE_ADDR" >"$T/k8s-start.log" 2>&1 ||
    { cat "$T/k8s-start.log"; fail "the API server did not start"; }
  PIDS+=("$(cat "$K8S_DIR/apiserver.pid")" "$(cat "$K8S_DIR/etcd.pid")")
  export KUBECONFIG=$K8S_DIR/kubeconfig
  cp "$K8S_DIR/apiserver.log" "$T/apiserver.log" 2>/dev/null
}

# kube_restart_apiserver: stops kube-apiserver by PID and starts it again on the same data and keys.
kube_restart_apiserver() {
  bash "$ROOT/scripts/k8s.sh" stop "$K8S_DIR" apiserver
  bash "$ROOT/scripts/k8s.sh" start "$K8S_DIR" "$KUBE_ADDR" >>"$T/k8s-start.log" 2>&1 ||
    { tail -30 "$K8S_DIR/apiserver.log"; fail "the API server did not come back"; }
  PIDS+=("$(cat "$K8S_DIR/apiserver.pid")")
}

kc() { "$KUBECTL" "$@"; }

# slice NS NAME SERVICE ENDPOINT...: applies an EndpointSlice of SERVICE with port grpc/50051, each
# ENDPOINT "IP[:ready|:terminating|:notready][@ZONE]" (terminating: not ready, serving, terminating).
slice() {
  local ns=$1 name=$2 svc=$3 e ip state zone
  shift 3
  {
    printf 'apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata:\n  name: %s\n  namespace: %s\n' "$name" "$ns"
    printf '  labels: {kubernetes.io/service-name: %s}\naddressType: IPv4\n' "$svc"
    printf 'ports: [{name: grpc, port: 50051, protocol: TCP}]\nendpoints:\n'
    [ $# -gt 0 ] || printf '[]\n'
    for e in "$@"; do
      zone=${e#*@}
      [ "$zone" != "$e" ] || zone=
      e=${e%@*}
      ip=${e%%:*}
      state=${e#*:}
      [ "$state" != "$e" ] || state=ready
      printf -- '- addresses: [%s]\n' "$ip"
      case $state in
        ready) printf '  conditions: {ready: true, serving: true, terminating: false}\n' ;;
        terminating) printf '  conditions: {ready: false, serving: true, terminating: true}\n' ;;
        notready) printf '  conditions: {ready: false, serving: false, terminating: false}\n' ;;
      esac
      [ -z "$zone" ] || printf '  zone: %s\n' "$zone"
    done
  } >"$T/slice-$name.yaml"
  # "endpoints:\n[]" is not YAML for an empty list: write it inline.
  sed -i -z 's/endpoints:\n\[\]/endpoints: []/' "$T/slice-$name.yaml"
  kc apply -f "$T/slice-$name.yaml" >/dev/null || fail "kubectl apply of slice $name"
}

# service NS NAME: a Service with one TCP port, grpc 50051.
service() {
  kc apply -f - >/dev/null <<YAML || fail "kubectl apply of service $1/$2"
apiVersion: v1
kind: Service
metadata: {name: $2, namespace: $1}
spec:
  selector: {app: $2}
  ports: [{name: grpc, port: 50051, targetPort: 50051, protocol: TCP}]
YAML
}

# start_pod NAME LAST_OCTET [DELAY]: a greeter-server NAME on $POD.LAST_OCTET:50051 (the address is
# added to the namespace's lo first).
start_pod() {
  ip addr add "$POD.$2/32" dev lo 2>/dev/null || ip -br addr show dev lo | grep -q "$POD.$2/" ||
    fail "cannot add $POD.$2 to the namespace's lo"
  spawn "server-$1" env NAME="$1" LISTEN_ADDRESS="$POD.$2:50051" RESPONSE_DELAY="${3:-0}" SHUTDOWN_GRACE=1s \
    "$BIN/greeter-server"
  wait_port "$POD.$2" 50051
}

# start_kube_xdsd [ARGS...]: xdsd in Kubernetes mode on $XDS_ADDR with $KUBECONFIG; waits for its ports.
start_kube_xdsd() {
  spawn xdsd "$BIN/xdsd" --kubeconfig "$KUBECONFIG" --listen "$XDS_ADDR:$XDS_PORT" --admin "$XDS_ADDR:$ADMIN_PORT" "$@"
  XDSD_PID=$LAST_PID
  wait_port "$XDS_ADDR" "$XDS_PORT"
  wait_port "$XDS_ADDR" "$ADMIN_PORT"
}

# seen LOG PATTERN FROM [LAST]: the servers (sorted, space-separated) that got calls in LOG's lines
# matching PATTERN after line FROM (the first such line left out: it may straddle the mark), or in
# the LAST of them only.
seen() {
  tail -n +"$(($3 + 1))" "$1" | grep -E "$2" | grep -v 'final=1' | tail -n +2 | tail -n "${4:-+1}" |
    awk '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); v = kv[2]; sub(/\/.*/, "", v)
             if (kv[1] ~ /^p[0-9]+$/ && v > 0) s[kv[1]] = 1 } }
         END { for (k in s) print k }' | sort | paste -sd ' '
}

# windows LOG PATTERN FROM: how many such lines after FROM.
windows() { tail -n +"$(($3 + 1))" "$1" | grep -Ec "$2"; }

# mark: the clients' log lengths now; windows after it are counted.
mark() {
  C_MARK=$(wc -l <"$T/client.log")
  J_MARK=$(wc -l <"$T/js.log")
}

# follow SECS WANT: polls until the last 4 windows after the mark of both clients (greeter-client and
# grpc-js) show exactly the servers WANT, then marks again and checks that the next 8 windows of each
# show exactly WANT too. Sets FOLLOW_MS, the time the clients took. Fails after SECS.
follow() {
  local secs=$1 want=$2 t0 i c j
  t0=$(now_ms)
  for i in $(seq $((secs * 10))); do
    c=$(seen "$T/client.log" ' summary ' "$C_MARK" 4)
    j=$(seen "$T/js.log" '^js window' "$J_MARK" 4)
    [ "$c" = "$want" ] && [ "$j" = "$want" ] && [ "$(windows "$T/client.log" ' summary ' "$C_MARK")" -ge 5 ] &&
      [ "$(windows "$T/js.log" '^js window' "$J_MARK")" -ge 5 ] && break
    sleep 0.1
  done
  [ "$c" = "$want" ] && [ "$j" = "$want" ] ||
    fail "after ${secs}s the clients reach '$c' (greeter-client) and '$j' (grpc-js), not '$want'"
  FOLLOW_MS=$(($(now_ms) - t0))
  mark
  wait_for 10 sh -c "[ \$(tail -n +$((C_MARK + 1)) '$T/client.log' | grep -c ' summary ') -ge 9 ] &&
    [ \$(tail -n +$((J_MARK + 1)) '$T/js.log' | grep -c '^js window') -ge 9 ]"
  c=$(seen "$T/client.log" ' summary ' "$C_MARK")
  j=$(seen "$T/js.log" '^js window' "$J_MARK")
  [ "$c" = "$want" ] && [ "$j" = "$want" ] || fail "then the clients reach '$c' and '$j', not '$want'"
}

# gateway_api_crds: the Gateway API's standard CRDs (scripts/k8s.sh keeps them with the binaries),
# applied server-side; waits until GRPCRoute and HTTPRoute are served.
gateway_api_crds() {
  local crds
  crds=$(dirname "$(bash "$ROOT/scripts/k8s.sh" path)")/crds/gateway-api/standard-install.yaml
  kc apply --server-side -f "$crds" >"$T/crds.log" 2>&1 || { cat "$T/crds.log"; fail "installing the Gateway API CRDs"; }
  kc wait --for condition=established --timeout 60s crd/grpcroutes.gateway.networking.k8s.io \
    crd/httproutes.gateway.networking.k8s.io >/dev/null || fail "the GRPCRoute and HTTPRoute CRDs are not established"
}

# kube_greeter NAME [METADATA] [TARGET]: a proxyless greeter-client with node id NAME sending METADATA
# with every call, on TARGET (default xds:///server.demo:50051); summaries every 250 ms in $T/NAME.log.
kube_greeter() {
  cat >"$T/bootstrap-$1.json" <<JSON
{"xds_servers":[{"server_uri":"$XDS_ADDR:$XDS_PORT","channel_creds":[{"type":"insecure"}],"server_features":["xds_v3"]}],
 "node":{"id":"$1","cluster":"test","locality":{"zone":"z1"}}}
JSON
  spawn "$1" env GRPC_XDS_BOOTSTRAP="$T/bootstrap-$1.json" SERVER_ADDRESS="${3:-xds:///server.demo:50051}" NAME="$1" \
    ${2:+METADATA="$2"} PRINT_REPLIES=0 SUMMARY_INTERVAL=250ms CONCURRENCY="${CLIENT_CONCURRENCY:-5}" WAIT_FOR_READY=0 \
    RPC_TIMEOUT=10s "$BIN/greeter-client"
}

# tally LOG FROM: the calls each server answered in LOG's summaries after line FROM (the first one left
# out: it may straddle the mark), and the failed ones: "p11=N p21=M failed=F" (servers sorted).
tally() {
  local w
  w=$(tail -n +"$(($2 + 1))" "$1" | grep ' summary ' | grep -v 'final=1' | tail -n +2)
  echo "$(echo "$w" | awk '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); v = kv[2]; sub(/\/.*/, "", v)
                                if (kv[1] ~ /^p[0-9]+$/) s[kv[1]] += v } }
                            END { for (k in s) print k "=" s[k] }' | sort | paste -sd ' ') failed=$(echo "$w" |
    awk '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); if (kv[1] == "failed") f += kv[2] } } END { print f + 0 }')"
}
