#!/usr/bin/env bash
# Route and cluster features of issue 12 through real clients: greeter-client (gRPC C-core),
# grpc-js-xds and a real Envoy (the same routes, served as its socket listener):
#   - fault injection (gRFC A33): x-fault: abort -> every call ends UNAUTHENTICATED (16) without
#     reaching a server; x-fault: delay -> every call is held 2 s, so a client with a 1 s deadline gets
#     DEADLINE_EXCEEDED, while the same client without the header is answered;
#   - regex matching (RE2): a path regex plus a header regex (whole-value match) -> server-v2; a header
#     value that matches only in part does not;
#   - ring hash (gRFC A42): hash_header x-user on a lb: ring_hash cluster of 3 servers -> every call of
#     a user goes to one server, through grpc-js and Envoy. Not through C-core: Debian 12's gRPC 1.51.1
#     crashes (SIGSEGV in ring_hash's WorkSerializerRunner, grpc/grpc#31766, fixed by #32012 after
#     1.51.1) as soon as it gets a RING_HASH cluster, so the ring hash route is on a listener of its own
#     ("sticky") that no C-core client here dials;
#   - a retry policy, outlier detection and a weighted locality on the same routes and clusters: every
#     client ACKs them, and Envoy's config dump holds each;
#   - no client NACKs anything.
NET_BASE=210
DNS_PORT=5510
. "$(dirname "$0")/xlib.sh"
: "${XDS_JS_DIR:?XDS_JS_DIR must name the grpc-js install (js_setup.sh)}"
ENVOY=$(bash "$(dirname "$0")/../../scripts/envoy-path.sh") || fail "no Envoy: bash scripts/deps.sh"
ENVOY_ADDR=$NET.$((NET_BASE + 9))

start_dns
for i in 1 2; do
  start_server "v1-$i" "$NET.$((NET_BASE + i))"
  echo "$NET.$((NET_BASE + i)) server-v1" >>"$HOSTS"
done
start_server v2-1 "$NET.$((NET_BASE + 3))"
echo "$NET.$((NET_BASE + 3)) server-v2" >>"$HOSTS"
for i in 1 2 3; do
  start_server "ring-$i" "$NET.$((NET_BASE + 3 + i))"
  echo "$NET.$((NET_BASE + 3 + i)) server-ring" >>"$HOSTS"
done
dns_reload
for i in 1 2 3 4 5 6; do wait_port "$NET.$((NET_BASE + i))" 50051; done

cat >"$T/features.yaml" <<YAML
name: features
spec:
  listeners:
  - name: server
    address: $ENVOY_ADDR
    port: 8080
    routes:
    - name: abort
      headers: [{name: x-fault, exact: abort}]
      fault: {abort: {code: unauthenticated, percent: 100}}
      clusters: [{name: server-v1}]
    - name: delay
      headers: [{name: x-fault, exact: delay}]
      fault: {delay: {fixed: 2s, percent: 100}}
      clusters: [{name: server-v1}]
    - name: regex
      regex: "^/helloworld\\\\.Greeter/Say[A-Z][a-z]+$"
      headers: [{name: x-route, regex: "re.*x"}]
      retry: {on: [unavailable, resource-exhausted], attempts: 3, backoff: {base: 50ms, max: 500ms}}
      clusters: [{name: server-v2}]
    - name: rest
      clusters: [{name: server-v1}]
  - name: sticky
    address: $ENVOY_ADDR
    port: 8081
    routes:
    - name: sticky
      hash_header: x-user
      clusters: [{name: server-ring}]
  clusters:
  - name: server-v1
    outlier_detection: {interval: 10s, failure_percentage: {threshold: 90}}
    endpoints: [{address: server-v1, port: 50051}]
  - name: server-v2
    localities: [{zone: z2, priority: 0, weight: 5, endpoints: [{address: server-v2, port: 50051}]}]
  - {name: server-ring, lb: ring_hash, endpoints: [{address: server-ring, port: 50051}]}
YAML
"$BIN/xdsd" --check "$T/features.yaml" >"$T/check.txt" || fail "--check refuses the config: $(cat "$T/check.txt")"
check "--check lists the features" sh -c "grep -q 'fault-abort=16/100%' '$T/check.txt' &&
  grep -q 'fault-delay=2000ms/100%' '$T/check.txt' && grep -q 'regex=^/helloworld' '$T/check.txt' &&
  grep -q 'header:x-route:regex=re.\*x' '$T/check.txt' && grep -q 'hash=header:x-user' '$T/check.txt' &&
  grep -q 'lb=RING_HASH' '$T/check.txt' && grep -q 'note: cluster server-ring is RING_HASH' '$T/check.txt'"
configmap_init "$T/features.yaml"
start_xdsd

proxyless_bootstrap
greeter abort "x-fault=abort"
GREETER_TIMEOUT=1s greeter delay "x-fault=delay"
GREETER_TIMEOUT=1s greeter nodelay ""
greeter regex "x-route=regex-x"
greeter noregex "x-route=regex-xy"
js_greeter js-abort "x-fault=abort"
js_greeter js-alice "x-user=alice" xds:///sticky
js_greeter js-bob "x-user=bob" xds:///sticky
envoy_bootstrap "$T/envoy.yaml" "$ENVOY_ADDR"
spawn envoy "$ENVOY" -c "$T/envoy.yaml" --service-node envoy-1 --service-cluster client --concurrency 1 \
  --disable-hot-restart --log-level warn
wait_for 30 sh -c "curl -sf http://$ENVOY_ADDR:9901/ready | grep -q LIVE"
wait_port "$ENVOY_ADDR" 8080 20
wait_port "$ENVOY_ADDR" 8081 20
greeter envoy-abort "x-fault=abort" "ipv4:$ENVOY_ADDR:8080"
GREETER_TIMEOUT=1s greeter envoy-delay "x-fault=delay" "ipv4:$ENVOY_ADDR:8080"
greeter envoy-regex "x-route=regex-x" "ipv4:$ENVOY_ADDR:8080"
greeter envoy-alice "x-user=alice" "ipv4:$ENVOY_ADDR:8081"
greeter envoy-bob "x-user=bob" "ipv4:$ENVOY_ADDR:8081"

# servers_of LOG: the servers that answered in LOG's windows after the first four (start-up), sorted
# and unique, and "fail" when any RPC failed there.
servers_of() {
  grep -E ' summary |^js window' "$1" | grep -v final=1 | tail -n +5 |
    awk '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); v = kv[2]; sub(/\/.*/, "", v)
             if (kv[1] == "failed" && v > 0) f = 1
             if (kv[1] ~ /^(v1|v2|ring)-[0-9]+$/ && v > 0) s[kv[1]] = 1 } }
         END { for (k in s) print k; if (f) print "fail" }' | sort | paste -sd ' '
}
for c in abort delay nodelay regex noregex js-abort js-alice js-bob envoy-abort envoy-delay envoy-regex envoy-alice envoy-bob; do
  wait_for 40 sh -c "[ \$(grep -cE ' summary |^js window' '$T/$c.log') -ge 12 ]"
done

# Faults: no server is reached; the codes are the configured abort's and the deadline's.
for c in abort envoy-abort; do
  check "$c: every call fails UNAUTHENTICATED, none answered ($(servers_of "$T/$c.log"))" \
    sh -c "test '$(servers_of "$T/$c.log")' = fail && grep -q 'code=16 UNAUTHENTICATED' '$T/$c.log' &&
      ! grep -E 'code=[0-9]+' '$T/$c.log' | grep -qv 'code=16'"
done
check "js-abort: grpc-js fails every call with code 16 ($(servers_of "$T/js-abort.log"))" \
  sh -c "test '$(servers_of "$T/js-abort.log")' = fail && grep -q 'js ERROR code=16' '$T/js-abort.log' &&
    ! grep 'js ERROR' '$T/js-abort.log' | grep -qv 'code=16'"
for c in delay envoy-delay; do
  check "$c: the 2 s delay ends every 1 s call DEADLINE_EXCEEDED ($(servers_of "$T/$c.log"))" \
    sh -c "test '$(servers_of "$T/$c.log")' = fail && grep -q 'code=4 DEADLINE_EXCEEDED' '$T/$c.log' &&
      ! grep -q 'v1-[12]: Hello' '$T/$c.log'"
done
check "the same 1 s client without x-fault is answered by v1 ($(servers_of "$T/nodelay.log"))" \
  sh -c "test '$(servers_of "$T/nodelay.log")' = 'v1-1 v1-2'"
# Regex: path and header both match -> v2; a header that matches only a prefix of its value -> v1.
for c in regex envoy-regex; do
  check "$c: the regex route reaches only v2 ($(servers_of "$T/$c.log"))" test "$(servers_of "$T/$c.log")" = v2-1
done
check "a header value the regex matches only in part falls through to v1 ($(servers_of "$T/noregex.log"))" \
  test "$(servers_of "$T/noregex.log")" = "v1-1 v1-2"
# Ring hash: one server per user, through grpc-js and Envoy.
for c in js-alice js-bob envoy-alice envoy-bob; do
  got=$(servers_of "$T/$c.log")
  check "$c: every call of the user goes to one ring server ($got)" sh -c "echo '$got' | grep -Eqx 'ring-[123]'"
done
# What Envoy took (its own dump): the retry policy, the outlier detection, the locality and the fault filter.
curl -sf "http://$ENVOY_ADDR:9901/config_dump?include_eds" >"$T/envoy-dump.json" || fail "no config_dump from Envoy"
check "Envoy holds the route's retry policy (resource-exhausted, unavailable; 2 retries, 50 ms backoff)" jq -e '
  [.. | objects | select(has("retry_policy")) | .retry_policy
   | select(.retry_on == "resource-exhausted,unavailable" and .num_retries == 2 and .retry_back_off.base_interval == "0.050s")] | length > 0' "$T/envoy-dump.json"
check "Envoy holds server-v1's outlier detection (failure percentage 90, consecutive 5xx off)" jq -e '
  [.. | objects | select(.name? == "server-v1" and has("outlier_detection")) | .outlier_detection
   | select(.failure_percentage_threshold == 90 and .enforcing_consecutive_5xx == 0)] | length > 0' "$T/envoy-dump.json"
check "Envoy holds server-v2's locality z2 with weight 5" jq -e '
  [.. | objects | select(.cluster_name? == "server-v2") | .endpoints[]?
   | select(.locality.zone == "z2" and .load_balancing_weight == 5)] | length > 0' "$T/envoy-dump.json"
check "Envoy's listener runs the fault filter before the router" jq -e '
  [.. | objects | select(has("http_filters")) | [.http_filters[].name]
   | select(. == ["envoy.filters.http.fault", "envoy.filters.http.router"])] | length > 0' "$T/envoy-dump.json"
check "no client NACKed anything" sh -c "curl -sf http://$XDS_ADDR:$ADMIN_PORT/status | jq -e '
  [.nodes[] | .types[] | .last_nack == null] | all' >/dev/null"
check "every client and Envoy are connected (9 streams: 5 greeter-clients, 3 grpc-js, Envoy)" \
  sh -c "curl -sf http://$XDS_ADDR:$ADMIN_PORT/status | jq -e '.streams == 9' >/dev/null"
