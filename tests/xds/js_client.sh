#!/usr/bin/env bash
# grpc-js-xds 1.14 (the stricter client, xds-facts §5) against xdsd: a proxyless Node client on
# xds:///server gets every resource without a NACK, sends all RPCs to v1, then after a ConfigMap swap
# to v2 only, all to v2 within 2 s; no RPC fails.
NET_BASE=100
DNS_PORT=5400
. "$(dirname "$0")/xlib.sh"
: "${XDS_JS_DIR:?XDS_JS_DIR must name the grpc-js install (js_setup.sh)}"

start_dns
start_server v1-1 "$NET.$((NET_BASE + 1))"
start_server v2-1 "$NET.$((NET_BASE + 2))"
printf '%s server-v1\n%s server-v2\n' "$NET.$((NET_BASE + 1))" "$NET.$((NET_BASE + 2))" >"$HOSTS"
dns_reload
weights_config 100 0 "$T/c100.yaml"
weights_config 0 100 "$T/c0.yaml"
configmap_init "$T/c100.yaml"
start_xdsd
cat >"$T/bootstrap.json" <<JSON
{"xds_servers":[{"server_uri":"$XDS_ADDR:$XDS_PORT","channel_creds":[{"type":"insecure"}],"server_features":["xds_v3"]}],
 "node":{"id":"js-client","cluster":"test","locality":{"zone":"z1"}}}
JSON
spawn js env NODE_PATH="$XDS_JS_DIR/node_modules" GRPC_XDS_BOOTSTRAP="$T/bootstrap.json" TARGET=xds:///server \
  PROTO="$(cd "$(dirname "$0")/../.." && pwd)/proto/helloworld.proto" node "$(dirname "$0")/js/client.js"

# js_share FROM: sums the js windows after line FROM (skipping the first): "ok failed v1 v2".
js_share() {
  tail -n +"$(($1 + 1))" "$T/js.log" | grep '^js window' | tail -n +2 |
    awk '{ for (i = 3; i <= NF; i++) { split($i, kv, "="); if (kv[1] == "ok") ok += kv[2]; else if (kv[1] == "failed") f += kv[2];
           else if (kv[1] ~ /^v1-/) a += kv[2]; else if (kv[1] ~ /^v2-/) b += kv[2] } }
         END { printf "%d %d %d %d\n", ok, f, a, b }'
}
js_collect() {
  local from=$1 min=$2 i s
  for i in $(seq 600); do
    s=$(js_share "$from")
    [ "$(echo "$s" | cut -d' ' -f1)" -ge "$min" ] && { echo "$s"; return 0; }
    sleep 0.05
  done
  fail "fewer than $min js RPCs after line $from: $(js_share "$from")"
}

wait_for 30 grep -q '^js window ok=[1-9]' "$T/js.log"
read -r ok failed v1 v2 <<<"$(js_collect "$(wc -l <"$T/js.log")" 500)"
echo "v1 only: ok=$ok v1=$v1 v2=$v2"
check "grpc-js: every RPC went to v1" test "$v1" -eq "$ok"
swap_and_settle "$T/c0.yaml"
read -r ok failed v1 v2 <<<"$(js_collect "$(wc -l <"$T/js.log")" 500)"
echo "v2 only: ok=$ok v1=$v1 v2=$v2"
check "grpc-js: after the swap every RPC goes to v2" test "$v2" -eq "$ok"
check "grpc-js: no RPC failed" sh -c "! grep -q 'js ERROR' '$T/js.log' && ! grep '^js window' '$T/js.log' | grep -qv ' failed=0'"
check "the node is grpc-js, every type ACKed, no NACK" sh -c "curl -sf http://$XDS_ADDR:$ADMIN_PORT/status | jq -e '
  .nodes[] | select(.id == \"js-client\") | (.user_agent | test(\"Node\")) and
  ([.types[] | .version_acked != null and .last_nack == null] | all)' >/dev/null"
