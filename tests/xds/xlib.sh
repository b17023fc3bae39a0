# Helpers for xdsd's integration tests, on top of tests/lib.sh. Source it after setting NET_BASE
# (this test's first address in 127.0.2.0/24) and DNS_PORT (its dnsmasq port on 127.0.2.53).
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
chmod 755 "$T"

NET=127.0.2
XDS_ADDR=$NET.$NET_BASE
XDS_PORT=9002
ADMIN_PORT=9003
DNS_ADDR=$NET.53
CFG_DIR=$T/config # a ConfigMap-style volume: config.yaml -> ..data/config.yaml, ..data -> ..<version>
CFG=$CFG_DIR/config.yaml
HOSTS=$T/hosts

# start_dns: dnsmasq answering only from $HOSTS (lines "IP NAME"); reload it with dns_reload.
start_dns() {
  touch "$HOSTS"
  chmod 644 "$HOSTS"
  spawn dnsmasq dnsmasq -k --no-resolv --no-hosts --local=// --port "$DNS_PORT" --listen-address "$DNS_ADDR" \
    --bind-interfaces --addn-hosts "$HOSTS" --pid-file="$T/dnsmasq.pid" --log-queries \
    --log-facility="$T/dnsmasq-queries.log" --user=root
  DNS_PID=$LAST_PID
  wait_for 10 grep -qs "read $HOSTS" "$T/dnsmasq-queries.log"
}
dns_reload() { kill -HUP "$DNS_PID"; }

# configmap_init FILE: lays out $CFG_DIR as kubelet does and puts FILE's content in it.
configmap_init() {
  mkdir -p "$CFG_DIR/..v1"
  cp "$1" "$CFG_DIR/..v1/config.yaml"
  ln -s ..v1 "$CFG_DIR/..data"
  ln -s ..data/config.yaml "$CFG"
  CM_GEN=1
}

# configmap_swap FILE: a ConfigMap update exactly as kubelet's AtomicWriter does it: a new timestamped
# directory, a new symlink renamed over ..data (IN_MOVED_TO), then the old directory removed.
configmap_swap() {
  local old=..v$CM_GEN
  CM_GEN=$((CM_GEN + 1))
  mkdir "$CFG_DIR/..v$CM_GEN"
  cp "$1" "$CFG_DIR/..v$CM_GEN/config.yaml"
  ln -s "..v$CM_GEN" "$CFG_DIR/..data_tmp"
  mv -T "$CFG_DIR/..data_tmp" "$CFG_DIR/..data"
  rm -rf "${CFG_DIR:?}/$old"
}

# start_xdsd [ARGS...]: xdsd on $XDS_ADDR with $CFG and this test's dnsmasq; waits for both ports.
start_xdsd() {
  spawn xdsd "$BIN/xdsd" --config "$CFG" --listen "$XDS_ADDR:$XDS_PORT" --admin "$XDS_ADDR:$ADMIN_PORT" \
    --dns-server "$DNS_ADDR:$DNS_PORT" --dns-refresh 1s "$@"
  XDSD_PID=$LAST_PID
  wait_port "$XDS_ADDR" "$XDS_PORT"
  wait_port "$XDS_ADDR" "$ADMIN_PORT"
}

status() { curl -sf "http://$XDS_ADDR:$ADMIN_PORT/status"; }
metrics() { curl -sf "http://$XDS_ADDR:$ADMIN_PORT/metrics"; }

# start_server NAME IP: a greeter-server answering at once.
start_server() {
  spawn "server-$1" env NAME="$1" LISTEN_ADDRESS="$2:50051" RESPONSE_DELAY=0 SHUTDOWN_GRACE=1s "$BIN/greeter-server"
  wait_port "$2" 50051
}

# start_client: a proxyless greeter-client on xds:///server, summaries every 250 ms into $T/client.log.
# WAIT_FOR_READY=0: an RPC that finds no ready backend fails at once instead of waiting, so that the
# tests' "no RPC failed" sees every transient failure. CLIENT_CONCURRENCY (default 10) calls at a time;
# CLIENT_TARGET another target than xds:///server.
start_client() {
  cat >"$T/bootstrap.json" <<JSON
{"xds_servers":[{"server_uri":"$XDS_ADDR:$XDS_PORT","channel_creds":[{"type":"insecure"}],"server_features":["xds_v3"]}],
 "node":{"id":"client-1","cluster":"test","locality":{"zone":"z1"}}}
JSON
  spawn client env GRPC_XDS_BOOTSTRAP="$T/bootstrap.json" SERVER_ADDRESS="${CLIENT_TARGET:-xds:///server}" NAME=client-1 \
    PRINT_REPLIES=0 SUMMARY_INTERVAL=250ms CONCURRENCY="${CLIENT_CONCURRENCY:-10}" WAIT_FOR_READY=0 RPC_TIMEOUT=10s \
    "$BIN/greeter-client"
  CLIENT_PID=$LAST_PID
}

# lines: the number of lines in the client log now (a mark to count from).
lines() { wc -l <"$T/client.log"; }

# share FROM [SKIP]: sums the client's window summaries after line FROM (skipping the first SKIP
# summaries, which may straddle the mark); prints "ok failed v1 v2 windows", where v1 and v2 add up
# the servers named v1-* and v2-*.
share() {
  tail -n +"$(($1 + 1))" "$T/client.log" | grep ' summary ' | grep -v 'final=1' | tail -n +"$((${2:-1} + 1))" |
    awk '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); v = kv[2]; sub(/\/.*/, "", v)
             if (kv[1] == "ok") ok += v; else if (kv[1] == "failed") f += v
             else if (kv[1] ~ /^v1-/) a += v; else if (kv[1] ~ /^v2-/) b += v }
           w++ }
         END { printf "%d %d %d %d %d\n", ok, f, a, b, w }'
}

# collect FROM MIN_OK SECS: waits until the summaries after line FROM hold MIN_OK RPCs; prints share.
collect() {
  local from=$1 min=$2 secs=$3 i s
  for i in $(seq $((secs * 20))); do
    s=$(share "$from")
    [ "$(echo "$s" | cut -d' ' -f1)" -ge "$min" ] && { echo "$s"; return 0; }
    sleep 0.05
  done
  fail "fewer than $min RPCs after line $from in ${secs}s: $(share "$from")"
}

# pct PART TOTAL: PART/TOTAL in percent with one decimal.
pct() { awk -v p="$1" -v t="$2" 'BEGIN { printf "%.1f", t ? 100 * p / t : 0 }'; }
# within VALUE LOW HIGH: LOW <= VALUE <= HIGH (decimals allowed).
within() { awk -v v="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(v >= lo && v <= hi) }'; }

# no_failures: the client has printed no failed RPC so far.
no_failures() {
  ! grep -q ' ERROR ' "$T/client.log" && ! grep ' summary ' "$T/client.log" | grep -qv ' failed=0 '
}

# weights_config V1 V2 FILE: the demo's config with route weights V1/V2 over DNS-named clusters.
weights_config() {
  cat >"$3" <<YAML
name: xds-demo
spec:
  listeners:
  - name: server
    address: 0.0.0.0
    port: 8080
    routes:
    - name: all
      prefix: /
      clusters:
      - name: server-v1
        weight: $1
      - name: server-v2
        weight: $2
  clusters:
  - name: server-v1
    endpoints:
    - address: server-v1
      port: 50051
  - name: server-v2
    endpoints:
    - address: server-v2
      port: 50051
YAML
}

# wait_until EPOCH_MS: returns when the wall clock reaches EPOCH_MS (a measured deadline, not a guess).
now_ms() { date +%s%3N; }
wait_until() { while [ "$(now_ms)" -lt "$1" ]; do sleep 0.02; done; }

# swap_and_settle FILE: a ConfigMap update to FILE, then returns 2 s after it (the time the issue allows
# for the new config to hold); summaries counted from then on reflect only the new config.
swap_and_settle() {
  local t0
  t0=$(now_ms)
  configmap_swap "$1"
  wait_until $((t0 + 2000))
}

# envoy_bootstrap FILE ADDR: an Envoy bootstrap over ADS from this test's xdsd (as deploy/xds/client.yaml
# bootstraps: set_node_on_first_message_only, HTTP/2 with keepalive to the control plane), admin on
# ADDR:9901.
envoy_bootstrap() {
  cat >"$1" <<YAML
admin:
  address: {socket_address: {address: $2, port_value: 9901}}
dynamic_resources:
  ads_config:
    api_type: GRPC
    transport_api_version: V3
    set_node_on_first_message_only: true   # as deploy/xds/client.yaml
    grpc_services: [{envoy_grpc: {cluster_name: xds_cluster}}]
  lds_config: {ads: {}, resource_api_version: V3}
  cds_config: {ads: {}, resource_api_version: V3}
static_resources:
  clusters:
  - name: xds_cluster
    type: STATIC
    connect_timeout: 1s
    typed_extension_protocol_options:
      envoy.extensions.upstreams.http.v3.HttpProtocolOptions:
        "@type": type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions
        explicit_http_config:
          http2_protocol_options:
            connection_keepalive: {interval: 30s, timeout: 5s}
    load_assignment:
      cluster_name: xds_cluster
      endpoints: [{lb_endpoints: [{endpoint: {address: {socket_address: {address: $XDS_ADDR, port_value: $XDS_PORT}}}}]}]
YAML
}

# proxyless_bootstrap: $T/bootstrap.json, naming xdsd, with node id NODE (each client gets its own copy).
proxyless_bootstrap() {
  cat >"$T/bootstrap.json" <<JSON
{"xds_servers":[{"server_uri":"$XDS_ADDR:$XDS_PORT","channel_creds":[{"type":"insecure"}],"server_features":["xds_v3"]}],
 "node":{"id":"NODE","cluster":"test","locality":{"zone":"z1"}}}
JSON
}

# greeter NAME METADATA [TARGET] [CONCURRENCY]: a greeter-client with node id NAME into $T/NAME.log,
# summaries every 250 ms, on TARGET (default xds:///server), GREETER_TIMEOUT per call (default 10s).
greeter() {
  sed "s/NODE/$1/" "$T/bootstrap.json" >"$T/bootstrap-$1.json"
  spawn "$1" env GRPC_XDS_BOOTSTRAP="$T/bootstrap-$1.json" SERVER_ADDRESS="${3:-xds:///server}" NAME="$1" \
    ${2:+METADATA="$2"} PRINT_REPLIES=0 SUMMARY_INTERVAL=250ms CONCURRENCY="${4:-5}" WAIT_FOR_READY=0 \
    RPC_TIMEOUT="${GREETER_TIMEOUT:-10s}" "$BIN/greeter-client"
}

# js_greeter NAME METADATA [TARGET]: grpc-js-xds (tests/xds/js/client.js, XDS_JS_DIR) with node id NAME
# into $T/NAME.log, a window line every 250 ms, JS_CONCURRENCY calls at a time (default 5).
js_greeter() {
  sed "s/NODE/$1/" "$T/bootstrap.json" >"$T/bootstrap-$1.json"
  spawn "$1" env NODE_PATH="$XDS_JS_DIR/node_modules" GRPC_XDS_BOOTSTRAP="$T/bootstrap-$1.json" \
    TARGET="${3:-xds:///server}" METADATA="$2" CONCURRENCY="${JS_CONCURRENCY:-5}" \
    PROTO="$(dirname "${BASH_SOURCE[0]}")/../../proto/helloworld.proto" node "$(dirname "${BASH_SOURCE[0]}")/js/client.js"
}
