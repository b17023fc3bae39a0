#!/usr/bin/env bash
# Header-based routing (issue 12; the seed's "initial preview deployments"): one listener, routes tried
# in order: x-preview: true -> server-v2; the method path with x-slow present -> server-v1 with a 300 ms
# timeout (the servers answer after 1 s); everything else -> server-v1. Proven with greeter-client
# (METADATA), grpc-js-xds and a real Envoy (the same routes, served as its socket listener):
#   - the preview clients reach only v2, the others only v1;
#   - the slow client's calls fail DEADLINE_EXCEEDED (the route's 300 ms; the server takes 1 s, the
#     client's own deadline is 10 s; Debian's C-core 1.51 ends them before they are sent, as it ends
#     calls about 1.9 s before a route's max_stream_duration: docs/xdsd.md, "Timeouts and gRPC C-core");
#   - circuit breaking: x-cb present -> a cluster with max_requests 3 (gRFC A32) in front of a 300 ms
#     server; a client with 10 calls in flight gets 3 answered and 7 refused at once, per round
#     (greeter-client and Envoy; grpc-js-xds 1.14 counts a call only once it has started, so a round
#     of 10 picks made at once all pass: 100 of 100 answered when tried);
#   - no client NACKs anything.
NET_BASE=190
DNS_PORT=5490
. "$(dirname "$0")/xlib.sh"
: "${XDS_JS_DIR:?XDS_JS_DIR must name the grpc-js install (js_setup.sh)}"
ENVOY=$(bash "$(dirname "$0")/../../scripts/envoy-path.sh") || fail "no Envoy: bash scripts/deps.sh"
ENVOY_ADDR=$NET.$((NET_BASE + 9))

start_dns
for i in 1 2 3; do
  spawn "server-v1-$i" env NAME="v1-$i" LISTEN_ADDRESS="$NET.$((NET_BASE + i)):50051" RESPONSE_DELAY="${DELAY:-0}" \
    "$BIN/greeter-server"
  echo "$NET.$((NET_BASE + i)) server-v1" >>"$HOSTS"
done
start_server v2-1 "$NET.$((NET_BASE + 5))"
echo "$NET.$((NET_BASE + 5)) server-v2" >>"$HOSTS"
# The circuit-broken cluster's server: 300 ms per reply.
spawn server-cb env NAME=cb-1 LISTEN_ADDRESS="$NET.$((NET_BASE + 7)):50051" RESPONSE_DELAY=300ms "$BIN/greeter-server"
echo "$NET.$((NET_BASE + 7)) server-cb" >>"$HOSTS"
# The slow server (1 s per reply) behind its own name.
spawn server-slow env NAME=slow-1 LISTEN_ADDRESS="$NET.$((NET_BASE + 6)):50051" RESPONSE_DELAY=1s "$BIN/greeter-server"
echo "$NET.$((NET_BASE + 6)) server-slow" >>"$HOSTS"
dns_reload
for i in 1 2 3 5 6 7; do wait_port "$NET.$((NET_BASE + i))" 50051; done

cat >"$T/headers.yaml" <<YAML
name: preview
spec:
  listeners:
  - name: server
    address: $ENVOY_ADDR
    port: 8080
    routes:
    - name: preview
      headers: [{name: x-preview, exact: "true"}]
      clusters: [{name: server-v2}]
    - name: slow
      path: /helloworld.Greeter/SayHello
      headers: [{name: x-slow, present: true}]
      timeout: 300ms
      clusters: [{name: server-slow}]
    - name: breaker
      headers: [{name: x-cb, present: true}]
      clusters: [{name: server-cb}]
    - name: rest
      prefix: /
      clusters: [{name: server-v1}]
  clusters:
  - {name: server-v1, endpoints: [{address: server-v1, port: 50051}]}
  - {name: server-v2, endpoints: [{address: server-v2, port: 50051}]}
  - {name: server-slow, endpoints: [{address: server-slow, port: 50051}]}
  - {name: server-cb, max_requests: 3, endpoints: [{address: server-cb, port: 50051}]}
YAML
check "--check accepts the routes and lists their matches" sh -c "'$BIN/xdsd' --check '$T/headers.yaml' | grep -q 'header:x-preview:exact=true'"
configmap_init "$T/headers.yaml"
start_xdsd

proxyless_bootstrap
greeter preview "x-preview=true,team=a"
PREVIEW_PID=$LAST_PID
greeter plain ""
greeter slow "x-slow=1"
greeter cb "x-cb=1" "" 10
js_greeter js x-preview=true

# Envoy over ADS with the same listener; greeter-clients through it (ipv4: targets).
envoy_bootstrap "$T/envoy.yaml" "$ENVOY_ADDR"
spawn envoy "$ENVOY" -c "$T/envoy.yaml" --service-node envoy-1 --service-cluster client --concurrency 1 \
  --disable-hot-restart --log-level warn
wait_for 30 sh -c "curl -sf http://$ENVOY_ADDR:9901/ready | grep -q LIVE"
wait_port "$ENVOY_ADDR" 8080 20
greeter envoy-preview "x-preview=true" "ipv4:$ENVOY_ADDR:8080"
greeter envoy-plain "" "ipv4:$ENVOY_ADDR:8080"
greeter envoy-cb "x-cb=1" "ipv4:$ENVOY_ADDR:8080" 10

# servers_of LOG: the servers (v1, v2, slow, cb: the name before '-') that answered in LOG's windows after
# the first two (start-up), sorted and unique; "fail" when any RPC failed.
servers_of() {
  grep -E ' summary |^js window' "$1" | grep -v final=1 | tail -n +3 |
    awk '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); v = kv[2]; sub(/\/.*/, "", v)
             if (kv[1] == "failed" && v > 0) f = 1
             if (kv[1] ~ /^(v1|v2|slow|cb)-[0-9]+$/ && v > 0) { split(kv[1], n, "-"); s[n[1]] = 1 } } }
         END { for (k in s) print k; if (f) print "fail" }' | sort | paste -sd ' '
}
for c in preview plain envoy-preview envoy-plain js; do
  wait_for 30 sh -c "[ \$(grep -cE ' summary |^js window' '$T/$c.log') -ge 12 ]"
done
check "greeter-client with x-preview: true reaches only v2 ($(servers_of "$T/preview.log"))" test "$(servers_of "$T/preview.log")" = v2
check "greeter-client without it reaches only v1 ($(servers_of "$T/plain.log"))" test "$(servers_of "$T/plain.log")" = v1
check "grpc-js with x-preview: true reaches only v2 ($(servers_of "$T/js.log"))" test "$(servers_of "$T/js.log")" = v2
check "through Envoy, x-preview: true reaches only v2 ($(servers_of "$T/envoy-preview.log"))" test "$(servers_of "$T/envoy-preview.log")" = v2
check "through Envoy, without it only v1 ($(servers_of "$T/envoy-plain.log"))" test "$(servers_of "$T/envoy-plain.log")" = v1

# The slow route's 300 ms timeout: the server answers after 1 s and the client's own deadline is 10 s,
# so without the route's timeout every call would succeed; with it every call ends DEADLINE_EXCEEDED.
wait_for 20 sh -c "[ \$(grep -c 'code=4 DEADLINE_EXCEEDED' '$T/slow.log') -ge 10 ]"
check "the slow route's calls end DEADLINE_EXCEEDED (the route's 300 ms, under the server's 1 s), none answered" \
  sh -c "! grep ' summary ' '$T/slow.log' | grep -qv ' ok=0 ' && ! grep -q 'slow-1: Hello' '$T/slow.log'"
# What the preview client accepted, from gRPC C-core itself (SIGUSR1: grpc_dump_xds_configs): every
# resource it uses ACKED, at the versions xdsd says that node ACKed.
kill -USR1 "$PREVIEW_PID"
wait_for 10 grep -q 'xds-config resources=' "$T/preview.log"
grep 'xds-config' "$T/preview.log"
for t in Listener:lds RouteConfiguration:rds Cluster:cds ClusterLoadAssignment:eds; do
  v=$(curl -sf "http://$XDS_ADDR:$ADMIN_PORT/status" | jq -r ".nodes[] | select(.id == \"preview\") | .types.${t#*:}.version_acked")
  check "the client's own dump: ${t%%:*} ACKED at xdsd's version $v" \
    grep -q "xds-config type=${t%%:*} .* version=\"$v\" status=ACKED" "$T/preview.log"
done
check "the dump names the listener and the node" sh -c "grep -q 'type=Listener name=\"server\"' '$T/preview.log' &&
  grep -q 'xds-config resources=[1-9][0-9]* node=\"preview\"' '$T/preview.log'"
# Circuit breaking: of 10 calls a round, max_requests 3 lets 3 through; the other 7 fail at once.
# totals LOG: "ok failed" over its summary windows after the first two.
totals() {
  grep -E ' summary |^js window' "$1" | grep -v final=1 | tail -n +3 |
    awk '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); if (kv[1] == "ok") o += kv[2]; if (kv[1] == "failed") f += kv[2] } }
         END { print o + 0, f + 0 }'
}
for c in cb envoy-cb; do
  wait_for 30 sh -c "[ \$(grep -cE ' summary |^js window' '$T/$c.log') -ge 12 ]"
  read -r ok failed <<<"$(totals "$T/$c.log")"
  # 3 of every 10 answered; windows cut rounds at their edges, so 20-40% (without the breaker: 100%).
  check "$c: max_requests 3 of 10 in flight: $ok answered, $failed refused (about 30% answered)" \
    awk -v o="$ok" -v f="$failed" 'BEGIN { t = o + f; exit !(t >= 50 && o * 100 / t >= 20 && o * 100 / t <= 40) }'
done
check "the answers came from the circuit-broken cluster's server only ($(servers_of "$T/cb.log"))" \
  test "$(servers_of "$T/cb.log")" = "cb fail"
check "no client NACKed anything" sh -c "curl -sf http://$XDS_ADDR:$ADMIN_PORT/status | jq -e '
  [.nodes[] | .types[] | .last_nack == null] | all' >/dev/null"
check "every client and Envoy are connected (6 streams)" sh -c "curl -sf http://$XDS_ADDR:$ADMIN_PORT/status | jq -e '.streams == 6' >/dev/null"
