#!/usr/bin/env bash
# xdsd proven against a real Envoy (1.40, scripts/deps.sh; issue 10). Envoy bootstraps over ADS from
# xdsd (node id envoy-1, the bootstrap of deploy/xds/client.yaml with the control plane's address
# changed), a greeter client dials Envoy's listener, and:
# 1. Envoy ACKs every type xdsd sends, and its /config_dump holds the versions xdsd's /status says it ACKed;
# 2. RPCs through Envoy follow the route weights: 95/5 within 2 points over >= 2,000 RPCs;
# 3. make-before-break through Envoy: a cluster added and one removed 10 times under load, 0 failed RPCs;
# 4. xdsd SIGKILLed under load: 0 failed RPCs (Envoy keeps its last config), and Envoy resynchronises
#    with the new xdsd (its /config_dump shows the new xdsd's versions, a change made then reaches it);
# 5. a resource Envoy rejects (a listener on a port a server already holds) shows as a NACK in
#    /status (node, type, version, Envoy's message) and in /metrics, and the last good config stays.
NET_BASE=150
DNS_PORT=5450
. "$(dirname "$0")/xlib.sh"
ENVOY=$(bash "$(dirname "$0")/../../scripts/envoy-path.sh") || fail "no Envoy (bash scripts/deps.sh)"
ENVOY_ADDR=$NET.160
ENVOY_ADMIN=http://$ENVOY_ADDR:9901

start_dns
for i in 1 2; do start_server "v1-$i" "$NET.$((NET_BASE + i))"; echo "$NET.$((NET_BASE + i)) server-v1" >>"$HOSTS"; done
for i in 1 2; do start_server "v2-$i" "$NET.$((NET_BASE + 4 + i))"; echo "$NET.$((NET_BASE + 4 + i)) server-v2" >>"$HOSTS"; done
dns_reload

# The demo's config with the listener on Envoy's address. $1/$2: route weights; $3: the route's third
# cluster (the one added and removed), or "" for none; $4: the file.
envoy_config() {
  weights_config "$1" "$2" "$4"
  sed -i "s/address: 0.0.0.0/address: $ENVOY_ADDR/" "$4"
  if [ -n "$3" ]; then
    # A cluster of its own (new name, same servers as server-v2) that the route sends 1 weight to.
    awk -v c="$3" '
      /^  clusters:/ { print; print "  - name: " c; print "    endpoints:"; print "    - address: server-v2"; print "      port: 50051"; next }
      /weight: / && !done { print; print "      - name: " c; print "        weight: 1"; done = 1; next }
      { print }' "$4" >"$4.tmp" && mv "$4.tmp" "$4"
  fi
}
envoy_config 95 5 "" "$T/c95.yaml"
configmap_init "$T/c95.yaml"
mkdir "$T/rec"
start_xdsd --record-requests "$T/rec"

envoy_bootstrap "$T/envoy.yaml" "$ENVOY_ADDR"
spawn envoy "$ENVOY" -c "$T/envoy.yaml" --service-node envoy-1 --service-cluster client --concurrency 2 \
  --disable-hot-restart --log-level info
ENVOY_PID=$LAST_PID
wait_for 30 sh -c "curl -sf $ENVOY_ADMIN/ready | grep -q LIVE"
wait_port "$ENVOY_ADDR" 8080 20

# acked TYPE: the version xdsd's /status says envoy-1 ACKed for TYPE (lds rds cds eds).
acked() { status | jq -r ".nodes[] | select(.id == \"envoy-1\") | .types.$1.version_acked // empty"; }
# dumped TYPE: the versions Envoy's /config_dump holds for TYPE's dynamic resources, sorted and unique.
dumped() {
  local q
  case $1 in
    # LDS and CDS: the dump's version_info is the last version Envoy applied (a listener or cluster
    # that did not change keeps the version it arrived with, so those are not compared).
    lds) q='.configs[] | select(."@type" | endswith("ListenersConfigDump")) | .version_info' ;;
    rds) q='.configs[] | select(."@type" | endswith("RoutesConfigDump")) | .dynamic_route_configs[]?.version_info' ;;
    cds) q='.configs[] | select(."@type" | endswith("ClustersConfigDump")) | .version_info' ;;
    # Envoy 1.40 leaves version_info empty for EDS in its dump: the endpoints themselves are compared.
    eds) q='.configs[] | select(."@type" | endswith("EndpointsConfigDump")) | .dynamic_endpoint_configs[]?.endpoint_config
            | .cluster_name + "=" + ([.endpoints[]?.lb_endpoints[]?.endpoint.address.socket_address.address] | sort | join(","))' ;;
  esac
  curl -sf "$ENVOY_ADMIN/config_dump?include_eds" | jq -r "$q" | sort -u | tr '\n' ' ' | sed 's/ $//'
}
# served_eds: the endpoints xdsd's DNS answers give each cluster, as dumped prints them.
served_eds() {
  local c
  for c in $(curl -sf "$ENVOY_ADMIN/config_dump" | jq -r '.configs[] | select(."@type" | endswith("ClustersConfigDump")) | .dynamic_active_clusters[]?.cluster.name' | sort); do
    case $c in server-v1) echo "$c=$NET.$((NET_BASE + 1)),$NET.$((NET_BASE + 2))" ;;
      *) echo "$c=$NET.$((NET_BASE + 5)),$NET.$((NET_BASE + 6))" ;; esac
  done | sort -u | tr '\n' ' ' | sed 's/ $//'
}
# in_sync: for every type, Envoy holds exactly the version envoy-1 ACKed (EDS: the endpoints xdsd
# serves for the clusters Envoy has), and none is NACKed.
in_sync() {
  local t a
  for t in lds rds cds; do
    a=$(acked "$t")
    [ -n "$a" ] && [ "$(dumped "$t")" = "$a" ] || return 1
  done
  [ -n "$(acked eds)" ] && [ "$(dumped eds)" = "$(served_eds)" ] || return 1
  status | jq -e '[.nodes[] | select(.id == "envoy-1") | .types[] | .nacked] | all(. == false)' >/dev/null
}

sync_report() { for t in lds rds cds eds; do echo "$t: xdsd says envoy-1 ACKed \"$(acked $t)\"; Envoy's config_dump holds \"$(dumped $t)\""; done; }
# wait_sync SECS: polls in_sync; on timeout prints what each side holds and fails.
wait_sync() {
  local i
  for i in $(seq $(($1 * 20))); do in_sync && return 0; sleep 0.05; done
  sync_report
  fail "Envoy and xdsd's /status disagree after $1 s"
}
for _ in $(seq 400); do in_sync && break; sleep 0.05; done
sync_report
check "envoy-1 ACKed LDS, RDS, CDS and EDS and its config_dump holds the ACKed versions" in_sync
check "xdsd saw Envoy's user agent" sh -c "curl -sf http://$XDS_ADDR:$ADMIN_PORT/status | jq -e '.nodes[] | select(.id == \"envoy-1\") | .user_agent | test(\"envoy\")' >/dev/null"

# 2. Weights through Envoy's listener.
spawn client env SERVER_ADDRESS="$ENVOY_ADDR:8080" NAME=client-1 PRINT_REPLIES=0 SUMMARY_INTERVAL=250ms \
  CONCURRENCY=10 WAIT_FOR_READY=0 RPC_TIMEOUT=10s "$BIN/greeter-client"
CLIENT_PID=$LAST_PID
wait_for 20 grep -q ' summary ' "$T/client.log"
read -r ok failed v1 v2 w <<<"$(collect "$(lines)" 2000 60)"
echo "95/5 through Envoy: ok=$ok v1=$v1 v2=$v2 ($(pct "$v2" "$ok")% to v2)"
check "95/5 through Envoy: server-v2 gets 5% +- 2 points over >= 2,000 RPCs" within "$(pct "$v2" "$ok")" 3 7
check "every RPC was answered by server-v1 or server-v2" test $((v1 + v2)) -eq "$ok"

# (Envoy's cluster names read once into a variable: `curl | grep -q` under pipefail fails when grep
# stops reading early.)
envoy_clusters() { curl -sf "$ENVOY_ADMIN/clusters" | grep -o '^[^:]*' | sort -u | tr '\n' ' '; }
has_cluster() { case " $(envoy_clusters) " in *" $1 "*) return 0 ;; esac; return 1; }

# 3. A cluster added and one removed, 10 times, under load: each swap is ACKed by Envoy before the next.
for i in $(seq 1 10); do
  envoy_config 50 49 "server-extra-$i" "$T/extra-$i.yaml" # + 1 to the extra: 100
  before=$(acked cds)
  configmap_swap "$T/extra-$i.yaml"
  wait_for 10 sh -c "[ \"\$(curl -sf http://$XDS_ADDR:$ADMIN_PORT/status | jq -r '.nodes[] | select(.id == \"envoy-1\") | .types.cds.version_acked')\" != '$before' ]"
  wait_sync 10
  wait_for 10 has_cluster "server-extra-$i"
done
# The removal is the make-before-break's last phase (after the new route is ACKed): poll for it.
gone9() { has_cluster server-extra-10 && ! has_cluster server-extra-9; }
for _ in $(seq 100); do gone9 && break; sleep 0.05; done
echo "Envoy's clusters after the 10 swaps: $(envoy_clusters)"
check "after 10 swaps Envoy has the last added cluster and none of the removed ones" gone9
read -r ok failed v1 v2 w <<<"$(collect "$(lines)" 500 30)"
check "clusters added and removed 10 times under load: no RPC failed" no_failures

# 4. xdsd SIGKILLed under load, then restarted.
kill -KILL "$XDSD_PID"
wait_exit "$XDSD_PID" 10
mv "$T/xdsd.log" "$T/xdsd-first.log"
read -r ok failed v1 v2 w <<<"$(collect "$(lines)" 1000 30)"
echo "while xdsd is away: ok=$ok failed=$failed"
check "while xdsd is away Envoy keeps its last config: no RPC failed" no_failures
mkdir "$T/rec2"
start_xdsd --record-requests "$T/rec2"
# The new xdsd starts its versions again; Envoy ACKs them, but for resources identical to what it has
# (RDS, CDS here) it keeps the old version in its dump (it skips an unchanged update). So: first the
# new xdsd must see envoy-1 ACK every type, then a change (v2 only, the extra cluster removed) must
# land in Envoy with the new xdsd's versions.
all_acked() { for t in lds rds cds eds; do [ -n "$(acked $t)" ] || return 1; done; }
wait_for 30 all_acked
check "Envoy reconnected to the new xdsd and ACKed every type" all_acked
envoy_config 0 100 "" "$T/c0.yaml"
configmap_swap "$T/c0.yaml"
only_v2() { has_cluster server-v2 && ! has_cluster server-extra-10; }
wait_for 10 only_v2
wait_sync 10
sync_report
check "Envoy resynchronised: its config_dump holds the versions the new xdsd says it ACKed" in_sync
mark=$(lines)
sleep_until=$(($(now_ms) + 1500))
wait_until "$sleep_until"
read -r ok failed v1 v2 w <<<"$(collect "$mark" 1000 30)"
check "a change made on the new xdsd reaches Envoy (v2 only: every RPC to server-v2)" test "$v2" -eq "$ok"
check "no RPC failed across the kill and the restart" no_failures

# 5. A listener Envoy cannot bind (server v1-1 holds that address and port): Envoy NACKs it.
good_lds=$(acked lds)
weights_config 0 100 "$T/nack.yaml"
sed -i "s/address: 0.0.0.0/address: $NET.$((NET_BASE + 1))/; s/port: 8080/port: 50051/" "$T/nack.yaml"
check "xdsd --check accepts the listener (a port in use cannot be known in advance)" "$BIN/xdsd" --check "$T/nack.yaml"
configmap_swap "$T/nack.yaml"
nacked() { status | jq -e '.nodes[] | select(.id == "envoy-1") | .types.lds | select(.nacked == true and (.last_nack | length > 0))' >/dev/null; }
wait_for 20 nacked
echo "NACK in /status: $(status | jq -c '.nodes[] | select(.id == "envoy-1") | .types.lds')"
check "the NACK names Envoy's reason" sh -c "curl -sf http://$XDS_ADDR:$ADMIN_PORT/status | jq -r '.nodes[] | select(.id == \"envoy-1\") | .types.lds.last_nack' | grep -qi 'bind\|address'"
check "/status keeps the last version Envoy ACKed" test "$(acked lds)" = "$good_lds"
check "/metrics counts the NACK for LDS" sh -c "curl -sf http://$XDS_ADDR:$ADMIN_PORT/metrics | grep -E '^xdsd_nacks_total\{type=\"lds\"\} [1-9]'"
mark=$(lines)
read -r ok failed v1 v2 w <<<"$(collect "$mark" 500 30)"
check "Envoy keeps serving its last good listener: no RPC failed" no_failures

# xdsd recorded Envoy's real requests (the first xdsd's stream: subscriptions, ACKs, the swaps), in the
# discovery fuzzer's format. RECORD_TO=DIR keeps them (tests/fuzz/corpus/discovery/ holds one such run).
rec=$(ls "$T"/rec/stream-*.bin 2>/dev/null | head -1)
check "xdsd --record-requests wrote Envoy's stream" test -s "$rec"
check "the recording starts with the flags byte, then a 2-byte length" \
  sh -c "[ \"\$(head -c 1 '$rec' | od -An -tu1 | tr -d ' ')\" = 0 ] && [ \$(stat -c %s '$rec') -gt 1000 ]"
if [ -n "${RECORD_TO:-}" ]; then
  for f in "$T"/rec/stream-*.bin; do cp "$f" "$RECORD_TO/envoy-1.40-first-xdsd-$(basename "$f")"; done
  for f in "$T"/rec2/stream-*.bin; do cp "$f" "$RECORD_TO/envoy-1.40-second-xdsd-$(basename "$f")"; done
fi
