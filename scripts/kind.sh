#!/usr/bin/env bash
# The demo's Kubernetes steps as one script (docs/kubernetes.md walks through them):
#
#   scripts/kind.sh images              docker build the three images (client, server, xds)
#   scripts/kind.sh kind-up             kind create cluster --name grpc-load-balancing
#   scripts/kind.sh kind-load           kind load docker-image ... for the three images
#   scripts/kind.sh deploy SCENARIO     create the scenario's namespace and apply its files in order
#   scripts/kind.sh undeploy SCENARIO   delete the scenario's namespace
#
# Every command is printed before it runs. Environment: CLUSTER (default grpc-load-balancing),
# TAG (default 1), DOCKER/KIND/KUBECTL (the tools), WAIT (default 1: wait for the Deployments).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CLUSTER=${CLUSTER:-grpc-load-balancing}
TAG=${TAG:-1}
DOCKER=${DOCKER:-docker}
KIND=${KIND:-kind}
KUBECTL=${KUBECTL:-kubectl}
WAIT=${WAIT:-1}
IMAGES=(client server xds)

# The files of each scenario, in the order the walkthrough applies them.
declare -A FILES=(
  [clusterip]="server.yaml client.yaml"
  [headless]="server.yaml client.yaml"
  [maxage]="server.yaml client.yaml"
  [proxy]="server.yaml proxy.yaml client.yaml"
  [clsidecar]="server.yaml client.yaml"
  [canary]="server-v1.yaml server-v2.yaml client.yaml"
  [xds]="xds.yaml server-v1.yaml server-v2.yaml client.yaml"
  [proxyless]="xds.yaml server-v1.yaml server-v2.yaml client.yaml"
  [preview]="xds.yaml server-v1.yaml server-v2.yaml client.yaml"
  [gamma]="xds.yaml server-v1.yaml server-v2.yaml grpcroute.yaml client.yaml"
  [zonefailover]="xds.yaml server-near.yaml server-far.yaml client.yaml"
  [istio]="server-v1.yaml server-v2.yaml httproute.yaml client.yaml"
  [linkerd]="server-v1.yaml server-v2.yaml trafficsplit.yaml client.yaml"
  [connperrpc]="server.yaml client.yaml"
  [proxymaxage]="server.yaml proxy.yaml client.yaml"
  [nodeproxy]="server.yaml proxy.yaml client.yaml"
)

usage() {
  echo "usage: $0 images|kind-up|kind-load|deploy SCENARIO|undeploy SCENARIO" >&2
  echo "scenarios: ${!FILES[*]}" >&2
  exit 2
}

run() {
  echo "+ $*"
  "$@"
}

# The namespace of a scenario is its folder name, except for the service-mesh tryouts: "linkerd"
# is Linkerd's own control-plane namespace, so those two get a "-demo" suffix.
namespace_of() {
  case $1 in
    istio | linkerd) echo "$1-demo" ;;
    *) echo "$1" ;;
  esac
}

scenario_arg() {
  [ $# -eq 1 ] || usage
  [ -n "${FILES[$1]:-}" ] || { echo "unknown scenario '$1'" >&2; usage; }
}

cmd_images() {
  cd "$ROOT"
  for img in "${IMAGES[@]}"; do
    run "$DOCKER" build -t "grpc-load-balancing/$img:$TAG" --target "$img" -f Dockerfile .
  done
}

cmd_kind_up() {
  if "$KIND" get clusters 2>/dev/null | grep -qx "$CLUSTER"; then
    echo "kind cluster $CLUSTER already exists"
    return 0
  fi
  run "$KIND" create cluster --name "$CLUSTER" --config "$ROOT/deploy/kind/cluster.yaml"
}

cmd_kind_load() {
  for img in "${IMAGES[@]}"; do
    run "$KIND" load docker-image "grpc-load-balancing/$img:$TAG" --name "$CLUSTER"
  done
}

cmd_deploy() {
  scenario_arg "$@"
  local scn=$1 ns
  ns=$(namespace_of "$scn")
  if ! "$KUBECTL" get namespace "$ns" >/dev/null 2>&1; then
    run "$KUBECTL" create namespace "$ns"
  fi
  case $scn in
    istio) run "$KUBECTL" label namespace "$ns" istio-injection=enabled --overwrite ;;
    linkerd) run "$KUBECTL" annotate namespace "$ns" linkerd.io/inject=enabled --overwrite ;;
  esac
  for f in ${FILES[$scn]}; do
    run "$KUBECTL" apply -f "$ROOT/deploy/$scn/$f" -n "$ns"
  done
  if [ "$WAIT" = 1 ]; then
    run "$KUBECTL" wait --for=condition=Available deployment --all -n "$ns" --timeout=300s
  fi
  echo "now: $KUBECTL logs -f -l app=client -n $ns$(case $scn in clsidecar | canary | xds | istio | linkerd) echo " --container client" ;; esac)"
}

cmd_undeploy() {
  scenario_arg "$@"
  run "$KUBECTL" delete namespace "$(namespace_of "$1")" --ignore-not-found
}

[ $# -ge 1 ] || usage
verb=$1
shift
case $verb in
  images) [ $# -eq 0 ] || usage; cmd_images ;;
  kind-up) [ $# -eq 0 ] || usage; cmd_kind_up ;;
  kind-load) [ $# -eq 0 ] || usage; cmd_kind_load ;;
  deploy) cmd_deploy "$@" ;;
  undeploy) cmd_undeploy "$@" ;;
  *) usage ;;
esac
