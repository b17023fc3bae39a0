#!/usr/bin/env bash
# Gateway API routes attached to a Service (GAMMA, issue 12) on a real kube-apiserver: xdsd --kubernetes
# serves a GRPCRoute's or HTTPRoute's rules on the listener of the Service it names. Greeter servers
# p11, p12 (server-v1), p21 (server-v2) and p31 (slow: 8 s a reply); the Service server has the three
# first; greeter-clients on xds:///server.demo:50051, one sending x-preview: true:
#   - without the Gateway API CRDs xdsd serves the Services (routes "absent", synced, no error), and it
#     finds the CRDs once they are installed;
#   - a GRPCRoute 90/10 over server-v1 and server-v2: server-v2 gets 10% (within 2 points over 3,000+
#     calls);
#   - the GRPCRoute changed to a header match: x-preview reaches v2 only, the other client v1 only;
#   - the GRPCRoute deleted: the default route again (round robin over server's three pods);
#   - an HTTPRoute with timeouts.request 4s on SayHello with x-slow: those calls reach the slow server
#     and end DEADLINE_EXCEEDED (it answers after 8 s, the client's own deadline is 10 s). A timeout
#     that short because gRPC C-core 1.51 cuts route timeouts about 1.9 s short (measured: 4 s ends
#     calls after 2.1 s; 1.5 s or less ends them before they are sent), which is the client's doing:
#     the RouteConfiguration says 4s (docs/xdsd.md);
#   - no other RPC fails, no client NACKs anything, /status and /metrics count the routes.
NET_BASE=210
DNS_PORT=5510
. "$(dirname "$0")/kube_lib.sh"

kube_start
kc create namespace demo >/dev/null || fail "kubectl create namespace"
for s in server server-v1 server-v2 slow; do service demo "$s"; done
start_pod p11 11
start_pod p12 12
start_pod p21 21
start_pod p31 31 8s
slice demo server-a server $POD.11 $POD.12 $POD.21
slice demo server-v1-a server-v1 $POD.11 $POD.12
slice demo server-v2-a server-v2 $POD.21
slice demo slow-a slow $POD.31

# 1. No Gateway API CRDs yet: the routes' resources are absent, which is no error.
start_kube_xdsd --namespaces demo
check "without the Gateway API CRDs: synced, the routes absent (not errors), the Services served" \
  wait_for 15 sh -c "curl -sf http://$XDS_ADDR:$ADMIN_PORT/status | jq -e '.kubernetes.synced and
    .snapshot.listeners == 4 and ([.kubernetes.route_watches[] | .absent and .state == \"absent\" and .errors == 0] ==
    [true, true]) and ([.kubernetes.watches[].resource] == [\"services\", \"endpointslices\"])' >/dev/null"
check "no Kubernetes request failed (the 404s of the absent CRDs are none)" sh -c "[ \$(curl -sf http://$XDS_ADDR:$ADMIN_PORT/metrics |
  awk '/^xdsd_kube_errors_total/ { n += \$2 } END { print n + 0 }') -eq 0 ]"
check "the absent CRDs are logged once per resource" \
  test "$(grep -c 'Gateway API CRD is not installed' "$T/xdsd.log")" -eq 2
check "/metrics: xdsd_kube_absent 1 for both route resources" sh -c "curl -sf http://$XDS_ADDR:$ADMIN_PORT/metrics |
  grep -q '^xdsd_kube_absent{resource=\"grpcroutes\"} 1' && curl -sf http://$XDS_ADDR:$ADMIN_PORT/metrics |
  grep -q '^xdsd_kube_absent{resource=\"httproutes\"} 1'"

kube_greeter plain
kube_greeter preview x-preview=true
for c in plain preview; do wait_for 30 grep -q ' summary .* ok=[1-9]' "$T/$c.log"; done

mark_logs() { for n in "$@"; do eval "M_$n=\$(wc -l <\"\$T/\$n.log\")"; done; }
mark_of() { eval "echo \$M_$1"; }
# reach SECS NAME=WANT...: polls until the last 4 windows after each client's mark show exactly the
# servers WANT, then marks again and checks that the next 8 windows of each show exactly WANT too.
reach() {
  local secs=$1 i ok spec n got
  shift
  for i in $(seq $((secs * 10))); do
    ok=1
    for spec in "$@"; do
      n=${spec%%=*}
      got=$(seen "$T/$n.log" ' summary ' "$(mark_of "$n")" 4)
      [ "$got" = "${spec#*=}" ] && [ "$(windows "$T/$n.log" ' summary ' "$(mark_of "$n")")" -ge 5 ] || ok=0
    done
    [ "$ok" = 1 ] && break
    sleep 0.1
  done
  for spec in "$@"; do
    n=${spec%%=*}
    got=$(seen "$T/$n.log" ' summary ' "$(mark_of "$n")" 4)
    [ "$got" = "${spec#*=}" ] || fail "after ${secs}s client $n reaches '$got', not '${spec#*=}'"
  done
  for spec in "$@"; do mark_logs "${spec%%=*}"; done
  for spec in "$@"; do
    n=${spec%%=*}
    wait_for 10 sh -c "[ \$(tail -n +$(($(mark_of "$n") + 1)) '$T/$n.log' | grep -c ' summary ') -ge 9 ]"
    got=$(seen "$T/$n.log" ' summary ' "$(mark_of "$n")")
    [ "$got" = "${spec#*=}" ] || fail "then client $n reaches '$got', not '${spec#*=}'"
  done
}
# share NAME SERVER: sets SHARE to SERVER's percentage of NAME's answered calls since its mark and
# CALLS to how many they were.
share() {
  local t
  t=$(tally "$T/$1.log" "$(mark_of "$1")")
  CALLS=$(echo "$t" | tr ' ' '\n' | awk -F= '/^p/ { n += $2 } END { print n + 0 }')
  SHARE=$(echo "$t" | tr ' ' '\n' | awk -F= -v s="$2" -v n="$CALLS" '$1 == s { v = $2 } END { printf "%.1f", n ? 100 * v / n : 0 }')
}
# acked NODE... : every NODE has ACKed the RouteConfiguration of the snapshot being served, a version
# after $V0.
acked() {
  status | jq -e --argjson v0 "$V0" --args '.snapshot.version as $v | ($v | tonumber) > $v0 and
    ([.nodes[] | select(.id as $id | $ARGS.positional | index($id)) | .types.rds.version_acked == $v] |
     length == ($ARGS.positional | length) and all)' "$@" >/dev/null
}
version() { status | jq -r '.snapshot.version'; }

mark_logs plain preview
reach 15 "plain=p11 p12 p21" "preview=p11 p12 p21"
echo "ok: without routes both clients reach the Service's three pods"

# 2. The CRDs installed while xdsd runs: it finds them (its list is retried with backoff).
gateway_api_crds
check "the CRDs installed: both route resources are listed and watched" wait_for 15 sh -c "curl -sf http://$XDS_ADDR:$ADMIN_PORT/status |
  jq -e '[.kubernetes.route_watches[] | .state == \"watching\" and (.absent | not)] == [true, true]' >/dev/null"
# (A watch the API server cuts while it sets the new CRDs up may count an error: counted from here on.)
kerrors() { metrics | awk '/^xdsd_kube_errors_total/ { n += $2 } END { print n + 0 }'; }
E0=$(kerrors)

# 3. A weighted GRPCRoute: 90/10.
grpcroute() {
  kc apply -f - >/dev/null <<YAML || fail "kubectl apply of the GRPCRoute"
apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: {name: server, namespace: demo}
spec:
  parentRefs: [{group: "", kind: Service, name: server, port: 50051}]
  rules:
$(cat)
YAML
}
V0=$(version)
grpcroute <<'RULES'
  - backendRefs:
    - {name: server-v1, port: 50051, weight: 90}
    - {name: server-v2, port: 50051, weight: 10}
RULES
check "both clients ACKed the weighted route" wait_for 10 acked plain preview
check "/status: one listener routed by the GRPCRoute, no notes" sh -c "curl -sf http://$XDS_ADDR:$ADMIN_PORT/status | jq -e '
  .kubernetes.grpcroutes == 1 and .kubernetes.routes.routed_listeners == 1 and .kubernetes.routes.notes_count == 0' >/dev/null"
# answered NAME: the calls NAME's windows since its mark answered.
answered() { tally "$T/$1.log" "$(mark_of "$1")" | tr ' ' '\n' | awk -F= '/^p/ { n += $2 } END { print n + 0 }'; }
enough() { [ "$(answered plain)" -ge 3000 ] && [ "$(answered preview)" -ge 3000 ]; }
mark_logs plain preview
wait_for 30 enough
share plain p21
check "90/10: server-v2 answers $SHARE% of $CALLS calls (10 +- 2)" within "$SHARE" 8 12
check "90/10: only server-v1 and server-v2 pods answer ($(tally "$T/plain.log" "$M_plain"))" \
  test "$(seen "$T/plain.log" ' summary ' "$M_plain")" = "p11 p12 p21"
share preview p21
check "90/10 for the other client too: $SHARE% of $CALLS calls" within "$SHARE" 8 12

# 4. The same GRPCRoute with a header match: x-preview reaches v2 only, the rest v1 only.
mark_logs plain preview
grpcroute <<'RULES'
  - matches:
    - headers: [{name: x-preview, value: "true"}]
    backendRefs: [{name: server-v2, port: 50051}]
  - backendRefs: [{name: server-v1, port: 50051}]
RULES
t0=$(now_ms)
reach 10 "plain=p11 p12" "preview=p21"
echo "ok: header match: x-preview reaches only server-v2, the other client only server-v1 (both within $(($(now_ms) - t0)) ms, 8 more windows checked)"

# 5. The GRPCRoute deleted: the default route, round robin over the Service's own three pods.
mark_logs plain preview
kc delete grpcroute server -n demo >/dev/null || fail "kubectl delete grpcroute"
reach 10 "plain=p11 p12 p21" "preview=p11 p12 p21"
share plain p21
check "the route deleted: the default route again, p21 one of three pods ($SHARE% of $CALLS calls, not 10%)" \
  within "$SHARE" 25 42
check "/status: no listener routed" sh -c "curl -sf http://$XDS_ADDR:$ADMIN_PORT/status | jq -e '
  .kubernetes.grpcroutes == 0 and .kubernetes.routes.routed_listeners == 0' >/dev/null"

# 6. An HTTPRoute with a request timeout: SayHello with x-slow goes to the slow server (8 s) under 4 s.
mark_logs plain preview
kc apply -f - >/dev/null <<'YAML' || fail "kubectl apply of the HTTPRoute"
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: server, namespace: demo}
spec:
  parentRefs: [{group: "", kind: Service, name: server, port: 50051}]
  rules:
  - matches:
    - path: {type: Exact, value: /helloworld.Greeter/SayHello}
      headers: [{name: x-slow, value: "1"}]
    timeouts: {request: 4s}
    backendRefs: [{name: slow, port: 50051}]
  - backendRefs: [{name: server-v1, port: 50051}]
YAML
reach 10 "plain=p11 p12" "preview=p11 p12"
kube_greeter slowc x-slow=1
# Its calls reach the slow server (routed there), which would answer after 8 s; the route ends them.
check "x-slow calls reach the slow server" wait_for 20 sh -c "[ \$(grep -c 'msg=received' '$T/server-p31.log') -ge 5 ]"
wait_for 20 sh -c "[ \$(grep -c 'code=4 DEADLINE_EXCEEDED' '$T/slowc.log') -ge 5 ]"
check "the slow route's calls end DEADLINE_EXCEEDED (the route's timeout, under the server's 8 s and the client's 10 s), none answered" \
  sh -c "! grep ' summary ' '$T/slowc.log' | grep -qv ' ok=0 ' && ! grep -q 'p31: Hello' '$T/slowc.log' &&
    ! grep ' ERROR ' '$T/slowc.log' | grep -qv 'code=4 DEADLINE_EXCEEDED'"
check "/status: the HTTPRoute routes one listener" sh -c "curl -sf http://$XDS_ADDR:$ADMIN_PORT/status | jq -e '
  .kubernetes.httproutes == 1 and .kubernetes.routes.routed_listeners == 1 and .kubernetes.routes.notes_count == 0' >/dev/null"

check "no RPC of the plain and preview clients failed" sh -c "! grep -q ' ERROR ' '$T/plain.log' '$T/preview.log' &&
  ! grep -h ' summary ' '$T/plain.log' '$T/preview.log' | grep -qv ' failed=0 '"
check "no client NACKed anything" sh -c "curl -sf http://$XDS_ADDR:$ADMIN_PORT/status | jq -e '
  ([.nodes[] | .types[] | .last_nack == null] | all) and (.nodes | length) == 3' >/dev/null"
metrics | grep -E '^xdsd_kube_(events_total|relists_total|errors_total|objects)\{resource="(grpc|http)routes"' |
  grep -v ' 0$' | paste -sd ' ' | sed 's/^/metrics: /'
grep 'kubernetes request failed' "$T/xdsd.log" | sed 's/^/xdsd: /'
# (The GRPCRoute's creation may come with the first list rather than as an ADDED event, when the
# API server has the new CRD's watch cache start after it: its change and deletion are events.)
check "/metrics counts the route events and objects" sh -c "m=\$(curl -sf http://$XDS_ADDR:$ADMIN_PORT/metrics)
  echo \"\$m\" | grep -q '^xdsd_kube_events_total{resource=\"grpcroutes\",type=\"MODIFIED\"} [1-9]' &&
  echo \"\$m\" | grep -q '^xdsd_kube_events_total{resource=\"grpcroutes\",type=\"DELETED\"} 1' &&
  echo \"\$m\" | grep -q '^xdsd_kube_objects{resource=\"grpcroutes\"} 0' &&
  echo \"\$m\" | grep -q '^xdsd_kube_objects{resource=\"httproutes\"} 1' &&
  echo \"\$m\" | grep -q '^xdsd_kube_absent{resource=\"grpcroutes\"} 0'"
check "no Kubernetes request failed while the routes came and went ($E0 before)" test "$(kerrors)" -eq "$E0"
