#!/usr/bin/env bash
# xdsd in Kubernetes mode against a real kube-apiserver (issue 11): a Service and its EndpointSlices
# written with kubectl; our greeter-client (gRPC C-core 1.51) and grpc-js-xds dialing
# xds:///server.demo:50051 reach exactly the ready endpoints; the slice goes 3 -> 5 -> 2 endpoints and
# both clients follow; an endpoint marked terminating (still serving) gets no new calls while its
# calls in flight finish; no RPC fails and neither client NACKs anything. xdsd watches namespace demo
# only (--namespaces).
NET_BASE=160
DNS_PORT=5460
. "$(dirname "$0")/kube_lib.sh"
: "${XDS_JS_DIR:?XDS_JS_DIR must name the grpc-js install (js_setup.sh)}"

kube_start
kc create namespace demo >/dev/null || fail "kubectl create namespace"
service demo server
for i in 11 12 13 14 15; do start_pod "p$i" "$i" 300ms; done
# p14 is in the slice but not ready: it must get nothing.
slice demo server-a server $POD.11 $POD.12 $POD.13 $POD.14:notready
# --namespaces demo: the default namespace's kubernetes Service is not served.
start_kube_xdsd --namespaces demo
check "xdsd has listed namespace demo only and serves server.demo:50051" wait_for 15 sh -c "curl -sf http://$XDS_ADDR:$ADMIN_PORT/status | jq -e '
  .kubernetes.synced and .kubernetes.services == 1 and .snapshot.listeners == 1 and .snapshot.endpoints == 3 and
  ([.kubernetes.watches[].namespace] == [\"demo\", \"demo\"])' >/dev/null"

CLIENT_TARGET=xds:///server.demo:50051 start_client
cat >"$T/js-bootstrap.json" <<JSON
{"xds_servers":[{"server_uri":"$XDS_ADDR:$XDS_PORT","channel_creds":[{"type":"insecure"}],"server_features":["xds_v3"]}],
 "node":{"id":"js-client","cluster":"test","locality":{"zone":"z1"}}}
JSON
spawn js env NODE_PATH="$XDS_JS_DIR/node_modules" GRPC_XDS_BOOTSTRAP="$T/js-bootstrap.json" \
  TARGET=xds:///server.demo:50051 PROTO="$ROOT/proto/helloworld.proto" node "$(dirname "$0")/js/client.js"
wait_for 30 grep -q ' summary .* ok=[1-9]' "$T/client.log"
wait_for 30 grep -q '^js window ok=[1-9]' "$T/js.log"

mark
follow 15 "p11 p12 p13"
echo "ok: both clients reach exactly the 3 ready endpoints (p14, not ready, gets nothing)"

mark
slice demo server-a server $POD.11 $POD.12 $POD.13 $POD.14 $POD.15
follow 10 "p11 p12 p13 p14 p15"
echo "ok: 3 -> 5 endpoints, both clients follow within ${FOLLOW_MS} ms"

mark
slice demo server-a server $POD.14 $POD.15
follow 10 "p14 p15"
echo "ok: 5 -> 2 endpoints, both clients follow within ${FOLLOW_MS} ms"

# p15 terminating but serving: DRAINING, no new calls; the calls it has (300 ms each) finish.
before=$(grep -c 'msg=received' "$T/server-p15.log")
mark
slice demo server-a server $POD.14 $POD.15:terminating
follow 10 "p14"
echo "ok: p15 terminating: both clients stop sending it new calls within ${FOLLOW_MS} ms"
check "xdsd serves p15 as DRAINING" wait_for 5 sh -c "curl -sf http://$XDS_ADDR:$ADMIN_PORT/status | jq -e '
  .snapshot.endpoints == 2 and .snapshot.draining == 1' >/dev/null"
after=$(grep -c 'msg=received' "$T/server-p15.log")
check "p15 had calls up to the change ($before before it, $after in all; none failed: see below)" test "$before" -gt 0 -a "$after" -ge "$before"

check "no RPC failed (greeter-client)" no_failures
check "no RPC failed (grpc-js)" sh -c "! grep -q 'js ERROR' '$T/js.log' && ! grep '^js window' '$T/js.log' | grep -qv ' failed=0'"
check "both clients ACKed every type and NACKed nothing" sh -c "curl -sf http://$XDS_ADDR:$ADMIN_PORT/status | jq -e '
  [.nodes[] | select(.id == \"js-client\" or .id == \"client-1\")] | length == 2 and
  ([.[] | .types[] | .version_acked != null and .last_nack == null] | all)' >/dev/null"
check "/metrics counts the watch events" sh -c "curl -sf http://$XDS_ADDR:$ADMIN_PORT/metrics |
  grep -q '^xdsd_kube_events_total{resource=\"endpointslices\",type=\"MODIFIED\"} [3-9]'"
