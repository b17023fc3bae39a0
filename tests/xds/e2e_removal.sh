#!/usr/bin/env bash
# Removing a cluster under load (make before break, xds-facts §2): a proxyless greeter-client with
# WAIT_FOR_READY=0 and 50 calls at a time; the route is swapped 10 times from 50/50 over c1/c2 to
# "c1 only, c2 removed from the config" and back. xdsd moves the route off c2 before it removes c2, and
# on the way back serves c2 (and lets the client fetch its endpoints) before the route uses it, so no
# RPC fails. (Without the phases such runs failed 20 to 180 RPCs with "CDS resource "c2" does not
# exist": gRPC C-core keeps a removed cluster's policy for 15 minutes, failing, and routed calls to it
# as soon as the route came back.)
NET_BASE=120
DNS_PORT=5420
. "$(dirname "$0")/xlib.sh"

start_dns
start_server v1-1 "$NET.$((NET_BASE + 1))"
start_server v2-1 "$NET.$((NET_BASE + 2))"
cat >"$T/both.yaml" <<YAML
name: removal
spec:
  listeners:
  - name: server
    routes:
    - clusters:
      - name: c1
        weight: 50
      - name: c2
        weight: 50
  clusters:
  - name: c1
    endpoints:
    - address: $NET.$((NET_BASE + 1))
      port: 50051
  - name: c2
    endpoints:
    - address: $NET.$((NET_BASE + 2))
      port: 50051
YAML
cat >"$T/c1.yaml" <<YAML
name: removal
spec:
  listeners:
  - name: server
    routes:
    - clusters:
      - name: c1
  clusters:
  - name: c1
    endpoints:
    - address: $NET.$((NET_BASE + 1))
      port: 50051
YAML
configmap_init "$T/both.yaml"
start_xdsd
wait_for 10 sh -c "curl -sf http://$XDS_ADDR:$ADMIN_PORT/status | jq -e '.snapshot.clusters == 2' >/dev/null"
CLIENT_CONCURRENCY=50 start_client
wait_for 20 sh -c "grep ' summary ' '$T/client.log' | grep -v final | tail -n 1 | grep -q ' v2-1='"

clusters_are() { curl -sf "http://$XDS_ADDR:$ADMIN_PORT/status" | jq -e ".snapshot.clusters == $1" >/dev/null; }
# summary_since MARK [PATTERN]: a whole summary after line MARK (matching PATTERN).
summary_since() { tail -n +"$(($1 + 1))" "$T/client.log" | grep ' summary ' | grep -v final | grep -q -- "${2:- }"; }
for i in $(seq 10); do
  configmap_swap "$T/c1.yaml"
  wait_for 5 clusters_are 1 # both phases done: the route left c2, then c2 went
  mark=$(lines)
  wait_for 5 summary_since "$mark"
  configmap_swap "$T/both.yaml"
  wait_for 5 clusters_are 2
  mark=$(lines)
  wait_for 5 summary_since "$mark" ' v2-1=' # c2 is in use again before the next removal
done
echo "10 removals of c2 under load: $(share 0 | awk '{ print "ok=" $1 " failed=" $2 }')"
check "each removal kept c2 while the route left it, each return warmed c2 before the route used it" sh -c "
  test \"\$(grep -c 'msg=\"snapshot\" .*phase=keep-removed' '$T/xdsd.log')\" -eq 10 &&
  test \"\$(grep -c 'msg=\"snapshot\" .*phase=add-clusters' '$T/xdsd.log')\" -eq 10"
check "no RPC failed (WAIT_FOR_READY=0)" no_failures
check "no NACK" sh -c "! curl -sf http://$XDS_ADDR:$ADMIN_PORT/metrics | grep '^xdsd_nacks_total' | grep -vq ' 0$'"
