#!/usr/bin/env bash
# Proxyless end to end (the demo's xds scenario without a sidecar): greeter-client dials xds:///server;
# xdsd resolves server-v1 (3 replicas) and server-v2 (2) through dnsmasq. 95/5, then a ConfigMap-style
# swap to 50/50 that holds within 2 s, a new v1 replica in DNS that gets RPCs within 3 s, then v2 only.
# Nothing is restarted and no RPC fails.
NET_BASE=10
DNS_PORT=5310
. "$(dirname "$0")/xlib.sh"

start_dns
for i in 1 2 3; do start_server "v1-$i" "$NET.$((NET_BASE + i))"; echo "$NET.$((NET_BASE + i)) server-v1" >>"$HOSTS"; done
for i in 1 2; do start_server "v2-$i" "$NET.$((NET_BASE + 5 + i))"; echo "$NET.$((NET_BASE + 5 + i)) server-v2" >>"$HOSTS"; done
dns_reload
weights_config 95 5 "$T/c95.yaml"
weights_config 50 50 "$T/c50.yaml"
weights_config 0 100 "$T/c0.yaml"
configmap_init "$T/c95.yaml"
start_xdsd
wait_for 10 sh -c "curl -sf http://$XDS_ADDR:$ADMIN_PORT/status | jq -e '.snapshot.endpoints == 5' >/dev/null"
start_client

# 95/5 over at least 2,000 RPCs: v2 gets 5% +- 3 points, and every replica is used.
wait_for 20 grep -q ' summary ' "$T/client.log"
read -r ok failed v1 v2 w <<<"$(collect "$(lines)" 2000 30)"
echo "95/5: ok=$ok failed=$failed v1=$v1 v2=$v2 windows=$w v2_share=$(pct "$v2" "$ok")%"
check "95/5: v1+v2 account for every RPC" test $((v1 + v2)) -eq "$ok"
check "95/5: v2 share is 5% +- 3" within "$(pct "$v2" "$ok")" 2 8
check "95/5: all five replicas answered" sh -c "tail -n 20 '$T/client.log' | grep ' summary ' | grep -v final | tail -n 8 | grep -o 'v[12]-[0-9]=' | sort -u | wc -l | grep -qx 5"

# A ConfigMap update to 50/50: the new share holds from 2 s after the swap, no restart.
swap_and_settle "$T/c50.yaml"
read -r ok failed v1 v2 w <<<"$(collect "$(lines)" 2000 30)"
echo "50/50: ok=$ok v1=$v1 v2=$v2 windows=$w v2_share=$(pct "$v2" "$ok")%"
check "50/50 from 2 s after the swap: v2 share is 50% +- 5" within "$(pct "$v2" "$ok")" 45 55
check "xdsd reloaded the swapped config (2 loads ok)" sh -c "curl -sf http://$XDS_ADDR:$ADMIN_PORT/metrics | grep -qx 'xdsd_reloads_total{result=\"ok\"} 2'"

# Scale: a fourth v1 replica added to DNS gets RPCs within 3 s.
start_server v1-4 "$NET.$((NET_BASE + 4))"
echo "$NET.$((NET_BASE + 4)) server-v1" >>"$HOSTS"
mark=$(lines)
t0=$(now_ms)
dns_reload
wait_for 3 sh -c "tail -n +$((mark + 1)) '$T/client.log' | grep ' summary ' | grep -q ' v1-4='"
echo "scale: v1-4 got RPCs $(($(now_ms) - t0)) ms after the DNS change"
wait_for 2 sh -c "curl -sf http://$XDS_ADDR:$ADMIN_PORT/status | jq -e '.snapshot.endpoints == 6' >/dev/null"
echo "ok: the new replica is in /status"

# v2 only: v1 gets nothing from 2 s after the swap.
swap_and_settle "$T/c0.yaml"
read -r ok failed v1 v2 w <<<"$(collect "$(lines)" 1000 30)"
echo "v2 only: ok=$ok v1=$v1 v2=$v2 windows=$w"
check "v2 only: v1 gets nothing" test "$v1" -eq 0
check "v2 only: v2 gets everything" test "$v2" -eq "$ok"

check "no RPC failed during the whole run" no_failures
check "the client's node is in /status with every type ACKed" sh -c "curl -sf http://$XDS_ADDR:$ADMIN_PORT/status |
  jq -e '.nodes[] | select(.id == \"client-1\") | [.types[] | .version_acked != null] | all' >/dev/null"
check "no NACK" sh -c "curl -sf http://$XDS_ADDR:$ADMIN_PORT/metrics | grep '^xdsd_nacks_total' | grep -q ' 0$' &&
  ! curl -sf http://$XDS_ADDR:$ADMIN_PORT/metrics | grep '^xdsd_nacks_total' | grep -vq ' 0$'"
