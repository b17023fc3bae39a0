#!/usr/bin/env bash
# Every manifest under deploy/ against a real kube-apiserver (issue 11; scripts/k8s.sh):
#   - each scenario folder passes `kubectl apply -k DIR --dry-run=server --validate=strict` in its
#     namespace, with the Gateway API CRDs installed for istio's HTTPRoute; a broken manifest does not;
#   - linkerd's SMI TrafficSplit is the one object no CRD of a reachable registry serves (see
#     docs/kubernetes.md): the test asserts that this is the only thing the server refuses there;
#   - the proxyless scenario applied for real, EndpointSlices written for its pods as the
#     EndpointSlice controller would, and xdsd run as its Deployment runs it (--kubernetes, in-cluster:
#     the xds ServiceAccount's token and the cluster CA) serves them: a greeter-client on the client
#     Deployment's target xds:///server reaches exactly the server-v1 pods, and the ClusterRole of the
#     manifests is enough (and read-only), for the Gateway API's GRPCRoutes and HTTPRoutes too.
NET_BASE=180
DNS_PORT=5480
. "$(dirname "$0")/../xds/kube_lib.sh"

kube_start
crds=$(dirname "$(bash "$ROOT/scripts/k8s.sh" path)")/crds/gateway-api/standard-install.yaml
kc apply --server-side -f "$crds" >"$T/crds.log" 2>&1 || { cat "$T/crds.log"; fail "installing the Gateway API CRDs"; }
kc wait --for condition=established --timeout 60s crd/httproutes.gateway.networking.k8s.io >/dev/null ||
  fail "the HTTPRoute CRD is not established"
echo "ok: Gateway API CRDs installed ($(grep -c 'serverside-applied' "$T/crds.log") objects)"

# The namespace each folder is applied into (docs/kubernetes.md).
ns_of() {
  case $1 in
    istio) echo istio-demo ;;
    linkerd) echo linkerd-demo ;;
    *) echo "$1" ;;
  esac
}

n=0
for dir in "$ROOT"/deploy/*/; do
  s=$(basename "$dir")
  [ -f "$dir/kustomization.yaml" ] || continue
  ns=$(ns_of "$s")
  kc create namespace "$ns" >/dev/null || fail "create namespace $ns"
  if [ "$s" = linkerd ]; then
    for f in "$dir"/*.yaml; do
      case $(basename "$f") in
        kustomization.yaml) continue ;;
        trafficsplit.yaml)
          if kc apply -f "$f" -n "$ns" --dry-run=server --validate=strict >"$T/$s-ts.log" 2>&1; then
            fail "deploy/linkerd/trafficsplit.yaml was accepted without its CRD?"
          fi
          grep -q 'no matches for kind "TrafficSplit"' "$T/$s-ts.log" ||
            { cat "$T/$s-ts.log"; fail "deploy/linkerd/trafficsplit.yaml refused for another reason than its missing CRD"; }
          ;;
        *)
          kc apply -f "$f" -n "$ns" --dry-run=server --validate=strict >"$T/$s.log" 2>&1 ||
            { cat "$T/$s.log"; fail "deploy/linkerd/$(basename "$f") refused by the API server"; }
          ;;
      esac
    done
    echo "ok: deploy/linkerd passes --dry-run=server (but trafficsplit.yaml: no TrafficSplit CRD is served, as expected)"
  else
    kc apply -k "$dir" -n "$ns" --dry-run=server --validate=strict >"$T/$s.log" 2>&1 ||
      { cat "$T/$s.log"; fail "deploy/$s refused by the API server"; }
    echo "ok: deploy/$s passes kubectl apply -k --dry-run=server --validate=strict ($(grep -c 'server dry run' "$T/$s.log") objects)"
  fi
  n=$((n + 1))
done
check "every scenario folder was checked ($n)" test "$n" -ge 13

# The check can fail: an unknown field, and a wrong type.
sed 's/^  replicas: 3/  replicas: 3\n  replica: 3/' "$ROOT/deploy/headless/server.yaml" >"$T/broken-field.yaml"
check "an unknown field is refused" sh -c "! '$KUBECTL' apply -f '$T/broken-field.yaml' -n headless --dry-run=server --validate=strict >'$T/bf.log' 2>&1 && grep -q 'unknown field' '$T/bf.log'"
sed 's/^  replicas: 3/  replicas: three/' "$ROOT/deploy/headless/server.yaml" >"$T/broken-type.yaml"
check "a wrong type is refused" sh -c "! '$KUBECTL' apply -f '$T/broken-type.yaml' -n headless --dry-run=server >/dev/null 2>&1"

# The proxyless scenario for real.
kc apply -k "$ROOT/deploy/proxyless" -n proxyless >"$T/proxyless-apply.log" 2>&1 ||
  { cat "$T/proxyless-apply.log"; fail "kubectl apply -k deploy/proxyless"; }
for i in 21 22 23 24; do start_pod "p$i" "$i"; done
# As the EndpointSlice controller would write them: server-v1's three pods, server-v2's one.
slice proxyless server-v1-abcde server-v1 $POD.21@kind-worker $POD.22@kind-worker $POD.23@kind-worker2
slice proxyless server-v2-fghij server-v2 $POD.24@kind-worker
mkdir -p "$T/sa"
kc create token xds -n proxyless --duration 10m >"$T/sa/token" || fail "kubectl create token xds"
cp "$K8S_DIR/pki/ca.crt" "$T/sa/ca.crt"
check "the xds ServiceAccount cannot read secrets (RBAC on, the role read-only)" sh -c "! '$KUBECTL' --token \"\$(cat '$T/sa/token')\" get secrets -n proxyless >/dev/null 2>&1"
kc get configmap xdsconfig -n proxyless -o jsonpath='{.data.config\.yaml}' >"$T/config.yaml" || fail "read xdsconfig"
args=$(kc get deployment xds -n proxyless -o jsonpath='{.spec.template.spec.containers[0].args}')
check "the xds Deployment runs xdsd --kubernetes" sh -c "echo '$args' | grep -q -- '--kubernetes'"
spawn xdsd env KUBERNETES_SERVICE_HOST="$KUBE_ADDR" KUBERNETES_SERVICE_PORT=6443 XDSD_SERVICE_ACCOUNT_DIR="$T/sa" \
  "$BIN/xdsd" --kubernetes --config "$T/config.yaml" --listen "$XDS_ADDR:$XDS_PORT" --admin "$XDS_ADDR:$ADMIN_PORT"
wait_port "$XDS_ADDR" "$ADMIN_PORT"
check "xdsd in-cluster has listed everything with the manifests' ClusterRole (the Gateway API routes too)" wait_for 20 sh -c "curl -sf http://$XDS_ADDR:$ADMIN_PORT/status |
  jq -e '.kubernetes.synced and .kubernetes.origin == \"in-cluster service account\" and
    ([.kubernetes.watches[].errors, .kubernetes.route_watches[].errors] | add) == 0 and
    ([.kubernetes.route_watches[] | .state == \"watching\" and (.absent | not)] | length == 2 and all)' >/dev/null"
target=$(kc get deployment client -n proxyless -o jsonpath='{.spec.template.spec.containers[0].env[?(@.name=="SERVER_ADDRESS")].value}')
check "the client Deployment dials xds:///server" test "$target" = xds:///server
CLIENT_TARGET=$target start_client
wait_for 30 grep -q ' summary .* ok=[1-9]' "$T/client.log"
C_MARK=$(wc -l <"$T/client.log")
wait_for 20 sh -c "[ \$(tail -n +$((C_MARK + 1)) '$T/client.log' | grep -c ' summary ') -ge 9 ]"
got=$(seen "$T/client.log" ' summary ' "$C_MARK")
check "the client reaches exactly server-v1's pods from the API ($got)" test "$got" = "p21 p22 p23"
# Two of them in zone kind-worker, one in kind-worker2: localities weighted by their endpoints keep the
# calls even per pod (equal locality weights would give p23 half of them).
read -r a b c <<<"$(tail -n +$((C_MARK + 2)) "$T/client.log" | grep ' summary ' | grep -v final=1 |
  awk '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); v = kv[2]; sub(/\/.*/, "", v); n[kv[1]] += v } }
       END { t = n["p21"] + n["p22"] + n["p23"]; printf "%.1f %.1f %.1f\n", 100*n["p21"]/t, 100*n["p22"]/t, 100*n["p23"]/t }')"
check "calls are even per pod across two zones ($a% $b% $c%)" awk -v a="$a" -v b="$b" -v c="$c" 'BEGIN { exit !(a >= 28 && a <= 38 && b >= 28 && b <= 38 && c >= 28 && c <= 38) }'
check "no RPC failed" no_failures
# The file's clusters server-v1 (3) and server-v2 (1), and the generated backends of the same Services
# (server-v1.proxyless:50051, server-v2.proxyless:50051); xds.proxyless:9002 and kubernetes.default:443
# have no slices here: 6 clusters, 8 endpoints.
check "xdsd serves the pods' endpoints: 8 over 6 clusters" sh -c "curl -sf http://$XDS_ADDR:$ADMIN_PORT/status |
  jq -e '.snapshot.endpoints == 8 and .snapshot.clusters == 6' >/dev/null"
