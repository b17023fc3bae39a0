#!/usr/bin/env bash
# scripts/kind.sh runs exactly the demo's commands: docker, kind and kubectl are replaced by stubs
# that record their arguments, and the record is compared with the commands of the walkthrough.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
T=$(mktemp -d "${TMPDIR:-/tmp}/deploy-kind.XXXXXX")
trap 'rm -rf "$T"' EXIT
mkdir "$T/bin"
for tool in docker kind kubectl; do
  cat >"$T/bin/$tool" <<STUB
#!/usr/bin/env bash
echo "$tool \$*" >>"$T/calls"
# "kubectl get namespace" and "kind get clusters" find nothing, like on a fresh cluster.
case "\$*" in "get namespace"* | "get clusters"*) exit 1 ;; esac
exit 0
STUB
  chmod +x "$T/bin/$tool"
done
failed=0

# expect VERB... <<< EXPECTED: runs kind.sh VERB... and compares the recorded calls.
expect() {
  : >"$T/calls"
  if ! PATH="$T/bin:$PATH" bash "$ROOT/scripts/kind.sh" "$@" >"$T/out" 2>&1; then
    echo "FAIL kind.sh $*: exited non-zero"; cat "$T/out"; failed=1; return
  fi
  sed "s|$ROOT/||g" "$T/calls" >"$T/got"
  if diff -u "$T/want" "$T/got"; then echo "ok   kind.sh $*"; else echo "FAIL kind.sh $*: commands differ (above)"; failed=1; fi
}

cat >"$T/want" <<'W'
docker build -t grpc-load-balancing/client:1 --target client -f Dockerfile .
docker build -t grpc-load-balancing/server:1 --target server -f Dockerfile .
docker build -t grpc-load-balancing/xds:1 --target xds -f Dockerfile .
W
expect images

cat >"$T/want" <<'W'
kind get clusters
kind create cluster --name grpc-load-balancing --config deploy/kind/cluster.yaml
W
expect kind-up

cat >"$T/want" <<'W'
kind load docker-image grpc-load-balancing/client:1 --name grpc-load-balancing
kind load docker-image grpc-load-balancing/server:1 --name grpc-load-balancing
kind load docker-image grpc-load-balancing/xds:1 --name grpc-load-balancing
W
expect kind-load

cat >"$T/want" <<'W'
kubectl get namespace proxy
kubectl create namespace proxy
kubectl apply -f deploy/proxy/server.yaml -n proxy
kubectl apply -f deploy/proxy/proxy.yaml -n proxy
kubectl apply -f deploy/proxy/client.yaml -n proxy
kubectl wait --for=condition=Available deployment --all -n proxy --timeout=300s
W
expect deploy proxy

cat >"$T/want" <<'W'
kubectl get namespace xds
kubectl create namespace xds
kubectl apply -f deploy/xds/xds.yaml -n xds
kubectl apply -f deploy/xds/server-v1.yaml -n xds
kubectl apply -f deploy/xds/server-v2.yaml -n xds
kubectl apply -f deploy/xds/client.yaml -n xds
W
WAIT=0 expect deploy xds

cat >"$T/want" <<'W'
kubectl get namespace linkerd-demo
kubectl create namespace linkerd-demo
kubectl annotate namespace linkerd-demo linkerd.io/inject=enabled --overwrite
kubectl apply -f deploy/linkerd/server-v1.yaml -n linkerd-demo
kubectl apply -f deploy/linkerd/server-v2.yaml -n linkerd-demo
kubectl apply -f deploy/linkerd/trafficsplit.yaml -n linkerd-demo
kubectl apply -f deploy/linkerd/client.yaml -n linkerd-demo
W
WAIT=0 expect deploy linkerd

cat >"$T/want" <<'W'
kubectl delete namespace canary --ignore-not-found
W
expect undeploy canary

# Every folder kind.sh knows is a scenario folder, and every scenario folder is known to kind.sh.
for d in "$ROOT"/deploy/*/; do
  scn=$(basename "$d")
  case $scn in kind | image) continue ;; esac
  : >"$T/calls"
  if WAIT=0 PATH="$T/bin:$PATH" bash "$ROOT/scripts/kind.sh" deploy "$scn" >"$T/out" 2>&1; then
    for f in "$d"*.yaml; do
      [ "$(basename "$f")" = kustomization.yaml ] && continue
      grep -q "apply -f $f " "$T/calls" || { echo "FAIL kind.sh deploy $scn does not apply $(basename "$f")"; failed=1; }
    done
  else
    echo "FAIL kind.sh does not know deploy/$scn"; failed=1
  fi
done

# Bad input is refused.
if PATH="$T/bin:$PATH" bash "$ROOT/scripts/kind.sh" deploy nosuch >/dev/null 2>&1; then
  echo "FAIL kind.sh deploy nosuch was accepted"; failed=1
else
  echo "ok   kind.sh refuses an unknown scenario"
fi
if command -v shellcheck >/dev/null; then
  if (cd "$ROOT" && shellcheck -x scripts/kind.sh deploy/image/stage-rootfs.sh tests/deploy/*.sh); then
    echo "ok   shellcheck: scripts/kind.sh, deploy/image/stage-rootfs.sh, tests/deploy/*.sh"
  else
    failed=1
  fi
else
  echo "note shellcheck not installed: shell scripts not linted"
fi
[ "$failed" -eq 0 ] && echo "all checks passed"
exit "$failed"
