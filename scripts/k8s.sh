#!/usr/bin/env bash
# A real Kubernetes control plane on this machine, built from the Go module proxy (issue 11):
# kube-apiserver and kubectl from k8s.io/kubernetes, etcd from go.etcd.io/etcd/server/v3, each through a
# wrapper module of ours (tools/k8s, tools/etcd: their go.mod and go.sum are the pins), and the Gateway
# API CRDs from sigs.k8s.io/gateway-api.
#
#   k8s.sh build           build once into K8S_HOME (cached: a second run finds the binaries and stops)
#   k8s.sh path            print K8S_HOME/bin (exit 1 when not built)
#   k8s.sh start DIR ADDR  start etcd and kube-apiserver on ADDR (a 127.x.y.z; ports 2379, 2380, 6443)
#                          with a CA, serving certificate and service-account key (openssl) made in DIR;
#                          poll /readyz; write DIR/kubeconfig (user admin, group system:masters, a token).
#                          Again on the same DIR: starts only what is not running, with the same keys
#                          and data (an API server restart)
#   k8s.sh apiserver DIR ADDR NAME  one more kube-apiserver, NAME, on ADDR (its certificate covers
#                          127.0.0.1 and start's ADDR) with the same etcd and keys (pid and log DIR/NAME.*)
#   k8s.sh stop DIR [NAME...]  stop what start started (or NAME: apiserver, etcd, another API server),
#                          by the PIDs in DIR (TERM, then KILL after 10 s)
#   k8s.sh env DIR         print the export line for KUBECONFIG
#   k8s.sh gomod           regenerate tools/k8s/go.mod's replace block from k8s.io/kubernetes's go.mod
#
# K8S_HOME defaults to ${XDG_CACHE_HOME:-$HOME/.cache}/grpc-lb/k8s-KUBE-etcd-ETCD (keyed by both versions).
# Needs Go >= 1.26 (go.mod's go line), openssl and curl. Nothing here listens beyond ADDR.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
KUBE_VERSION=v1.37.2
ETCD_VERSION=v3.6.16
GATEWAY_VERSION=v1.6.3
K8S_HOME=${K8S_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/grpc-lb/k8s-$KUBE_VERSION-etcd-$ETCD_VERSION}
BIN="$K8S_HOME/bin"

die() {
  echo "k8s.sh: $*" >&2
  exit 1
}

# shellcheck source=go-lib.sh
. "$ROOT/scripts/go-lib.sh"

built() {
  [ -x "$BIN/kube-apiserver" ] && [ -x "$BIN/kubectl" ] && [ -x "$BIN/etcd" ] &&
    [ -f "$K8S_HOME/crds/gateway-api/standard-install.yaml" ] && [ -f "$K8S_HOME/stamp" ]
}

cmd_build() {
  if built; then
    echo "k8s: $KUBE_VERSION and etcd $ETCD_VERSION present ($BIN)"
    return 0
  fi
  need_go
  local t0 tmp ld p
  t0=$(date +%s)
  tmp="$K8S_HOME.part"
  rm -rf "$tmp"
  mkdir -p "$tmp/bin" "$tmp/crds/gateway-api"
  # The version kubectl version and /version report (hack/lib/version.sh sets the same variables).
  ld="-s -w"
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld="$ld -X $p.gitVersion=$KUBE_VERSION -X $p.gitMajor=1 -X $p.gitMinor=37 -X $p.gitTreeState=clean"
  done
  echo "k8s: building kube-apiserver and kubectl $KUBE_VERSION (tools/k8s; first build: minutes, GBs of module cache)"
  (cd "$ROOT/tools/k8s" && CGO_ENABLED=0 go build -mod=readonly -trimpath -ldflags "$ld" -o "$tmp/bin/" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kubectl)
  echo "k8s: building etcd $ETCD_VERSION (tools/etcd)"
  (cd "$ROOT/tools/etcd" && CGO_ENABLED=0 go build -mod=readonly -trimpath -ldflags "-s -w" -o "$tmp/bin/etcd" \
    go.etcd.io/etcd/server/v3)
  echo "k8s: Gateway API $GATEWAY_VERSION CRDs (sigs.k8s.io/gateway-api)"
  local dir
  dir=$(cd "$tmp" && GO111MODULE=on go mod download -json "sigs.k8s.io/gateway-api@$GATEWAY_VERSION" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')
  local f
  for f in "$dir"/config/crd/standard/*.yaml; do printf -- '---\n'; cat "$f"; done >"$tmp/crds/gateway-api/standard-install.yaml"
  local said
  said=$("$tmp/bin/kubectl" version --client 2>&1 || true)
  [[ $said == *"Client Version: $KUBE_VERSION"* ]] || die "kubectl says '$said', not $KUBE_VERSION"
  said=$("$tmp/bin/etcd" --version 2>&1 || true)
  [[ $said == *"etcd Version: ${ETCD_VERSION#v}"* ]] || die "etcd says '$said', not $ETCD_VERSION"
  echo "kube=$KUBE_VERSION etcd=$ETCD_VERSION gateway=$GATEWAY_VERSION built=$(date -u +%FT%TZ) seconds=$(($(date +%s) - t0))" \
    >"$tmp/stamp"
  rm -rf "$K8S_HOME"
  mv "$tmp" "$K8S_HOME"
  echo "k8s: built in $(($(date +%s) - t0)) s: $(du -sh "$K8S_HOME" | cut -f1) in $K8S_HOME"
}

cmd_path() {
  built || die "not built: run 'bash scripts/k8s.sh build'"
  echo "$BIN"
}

# wait_ready URL CAFILE TOKEN SECONDS PID: polls URL until it answers "ok", or the process dies, or time is up.
wait_ready() {
  local url=$1 ca=$2 token=$3 secs=$4 pid=$5 i
  for i in $(seq $((secs * 5))); do
    kill -0 "$pid" 2>/dev/null || return 1
    if [ "$(curl -s --max-time 2 --cacert "$ca" ${token:+-H "Authorization: Bearer $token"} "$url" 2>/dev/null)" = ok ]; then
      return 0
    fi
    sleep 0.2
  done
  return 1
}

cmd_start() {
  local dir=${1:?usage: k8s.sh start DIR ADDR} addr=${2:?usage: k8s.sh start DIR ADDR}
  [[ $addr =~ ^127\.[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "ADDR must be a loopback address (127.x.y.z), not '$addr'"
  cmd_path >/dev/null
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  local pki="$dir/pki" token
  [ -f "$pki/tokens.csv" ] || make_pki "$pki" "$addr"
  token=$(cut -d, -f1 "$pki/tokens.csv")
  alive "$dir/etcd.pid" || start_etcd "$dir" "$addr"
  alive "$dir/apiserver.pid" || start_apiserver "$dir" "$addr" "$token" apiserver
  write_kubeconfig "$dir" "$addr" "$token"
  echo "k8s: kube-apiserver $KUBE_VERSION ready on https://$addr:6443 (etcd $ETCD_VERSION on $addr:2379); KUBECONFIG=$dir/kubeconfig"
}

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

make_pki() {
  local pki=$1 addr=$2
  mkdir -p "$pki"
  # A CA, a serving certificate for ADDR (and the names clients use), a service-account key pair.
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=grpclb-test-ca" \
    -keyout "$pki/ca.key" -out "$pki/ca.crt" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=kube-apiserver" -keyout "$pki/apiserver.key" \
    -out "$pki/apiserver.csr" 2>/dev/null
  printf 'subjectAltName=IP:%s,IP:127.0.0.1,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:localhost\n' \
    "$addr" >"$pki/san.ext"
  openssl x509 -req -in "$pki/apiserver.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial -days 2 \
    -extfile "$pki/san.ext" -out "$pki/apiserver.crt" 2>/dev/null
  openssl genrsa -out "$pki/sa.key" 2048 2>/dev/null
  openssl rsa -in "$pki/sa.key" -pubout -out "$pki/sa.pub" 2>/dev/null
  echo "$(openssl rand -hex 24),admin,admin,system:masters" >"$pki/tokens.csv"
}

start_etcd() {
  local dir=$1 addr=$2
  echo "$addr" >"$dir/etcd.addr"
  "$BIN/etcd" --name default --data-dir "$dir/etcd" \
    --listen-client-urls "http://$addr:2379" --advertise-client-urls "http://$addr:2379" \
    --listen-peer-urls "http://$addr:2380" --initial-advertise-peer-urls "http://$addr:2380" \
    --initial-cluster "default=http://$addr:2380" --log-level warn >"$dir/etcd.log" 2>&1 &
  echo $! >"$dir/etcd.pid"
  local i ok=
  for i in $(seq 150); do
    kill -0 "$(cat "$dir/etcd.pid")" 2>/dev/null || break
    if curl -s --max-time 2 "http://$addr:2379/health" 2>/dev/null | grep -q '"health":"true"'; then ok=1; break; fi
    sleep 0.2
  done
  [ -n "$ok" ] || { tail -20 "$dir/etcd.log" >&2; cmd_stop "$dir"; die "etcd did not become healthy on $addr:2379"; }
}

start_apiserver() {
  local dir=$1 addr=$2 token=$3 name=$4 pki=$1/pki etcd
  # Admin by token (system:masters); RBAC for everyone else, so that xdsd's ClusterRole is what it
  # can do. No endpoint reconciler: it would write the loopback ADDR into the default/kubernetes
  # Endpoints, which the API refuses.
  etcd=$(cat "$dir/etcd.addr")
  "$BIN/kube-apiserver" --etcd-servers "http://$etcd:2379" \
    --bind-address "$addr" --advertise-address "$addr" --secure-port 6443 \
    --tls-cert-file "$pki/apiserver.crt" --tls-private-key-file "$pki/apiserver.key" \
    --client-ca-file "$pki/ca.crt" --token-auth-file "$pki/tokens.csv" \
    --service-account-key-file "$pki/sa.pub" --service-account-signing-key-file "$pki/sa.key" \
    --service-account-issuer https://kubernetes.default.svc --api-audiences https://kubernetes.default.svc \
    --service-cluster-ip-range 10.96.0.0/16 --authorization-mode RBAC --endpoint-reconciler-type none \
    --cert-dir "$dir/certs-$name" --v 1 >>"$dir/$name.log" 2>&1 &
  echo $! >"$dir/$name.pid"
  if ! wait_ready "https://$addr:6443/readyz" "$pki/ca.crt" "$token" 90 "$(cat "$dir/$name.pid")"; then
    tail -30 "$dir/$name.log" >&2
    cmd_stop "$dir"
    die "kube-apiserver did not become ready on https://$addr:6443 in 90 s"
  fi
}

write_kubeconfig() {
  local dir=$1 addr=$2 token=$3 pki=$1/pki
  cat >"$dir/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: local
  cluster:
    server: https://$addr:6443
    certificate-authority: $pki/ca.crt
users:
- name: admin
  user:
    token: $token
contexts:
- name: local
  context: {cluster: local, user: admin}
current-context: local
EOF
}

cmd_stop() {
  local dir=${1:?usage: k8s.sh stop DIR} n pid i names
  shift
  names=$*
  [ -n "$names" ] || names="$( (cd "$dir" && ls -- *.pid 2>/dev/null | sed 's/\.pid$//' | grep -v '^etcd$' | tr '\n' ' ') || true) etcd"
  for n in $names; do
    [ -f "$dir/$n.pid" ] || continue
    pid=$(cat "$dir/$n.pid")
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    rm -f "$dir/$n.pid"
  done
}

cmd_gomod() {
  need_go
  local mod
  mod=$(go mod download -json "k8s.io/kubernetes@$KUBE_VERSION" | python3 -c 'import json,sys; print(json.load(sys.stdin)["GoMod"])')
  python3 - "$mod" "$ROOT/tools/k8s/go.mod" "${KUBE_VERSION/v1./v0.}" <<'EOF'
import re, sys
src, dst, ver = sys.argv[1:]
staging = re.findall(r'^\s*(k8s\.io/\S+) => \./staging/', open(src).read(), re.M)
text = open(dst).read()
block = "replace (\n" + "".join(f"\t{m} => {m} {ver}\n" for m in staging) + ")\n"
text = re.sub(r'replace \((.|\n)*?\)\n', block, text, count=1)
open(dst, "w").write(text)
print(f"k8s.sh: {len(staging)} staging modules replaced by their {ver} releases")
EOF
  (cd "$ROOT/tools/k8s" && go mod tidy)
}

case "${1:-}" in
  build) cmd_build ;;
  path) cmd_path ;;
  start) shift; cmd_start "$@" ;;
  stop) shift; cmd_stop "$@" ;;
  apiserver)
    shift
    [ $# -eq 3 ] || die "usage: k8s.sh apiserver DIR ADDR NAME"
    cmd_path >/dev/null
    alive "$1/etcd.pid" || die "no etcd runs for $1: k8s.sh start it first"
    start_apiserver "$1" "$2" "$(cut -d, -f1 "$1/pki/tokens.csv")" "$3"
    echo "k8s: kube-apiserver $3 ready on https://$2:6443" ;;
  env) echo "export KUBECONFIG=${2:?usage: k8s.sh env DIR}/kubeconfig" ;;
  gomod) cmd_gomod ;;
  *) echo "usage: k8s.sh build|path|start DIR ADDR|stop DIR|env DIR|gomod" >&2; exit 2 ;;
esac
