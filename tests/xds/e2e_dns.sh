#!/usr/bin/env bash
# DNS as the source of endpoints: a replica removed from DNS stops getting RPCs within 3 s; when the DNS
# server goes away, xdsd keeps the last answers (no endpoint is dropped, no RPC fails) and says so in
# /status; when it comes back, the error clears. No RPC fails throughout.
NET_BASE=110
DNS_PORT=5410
. "$(dirname "$0")/xlib.sh"

start_dns
for i in 1 2; do start_server "v1-$i" "$NET.$((NET_BASE + i))"; echo "$NET.$((NET_BASE + i)) server-v1" >>"$HOSTS"; done
start_server v2-1 "$NET.$((NET_BASE + 5))"
echo "$NET.$((NET_BASE + 5)) server-v2" >>"$HOSTS"
dns_reload
weights_config 50 50 "$T/c50.yaml"
configmap_init "$T/c50.yaml"
start_xdsd
wait_for 10 sh -c "curl -sf http://$XDS_ADDR:$ADMIN_PORT/status | jq -e '.snapshot.endpoints == 3' >/dev/null"
start_client
wait_for 20 sh -c "grep ' summary ' '$T/client.log' | grep -v final | tail -n 1 | grep -q ' v1-2='"

# Scale down: v1-2 leaves DNS (its server keeps running, so only xdsd can take it out).
grep -v "^$NET.$((NET_BASE + 2)) " "$HOSTS" >"$T/hosts.new" && cat "$T/hosts.new" >"$HOSTS"
t0=$(now_ms)
dns_reload
wait_for 10 sh -c "curl -sf http://$XDS_ADDR:$ADMIN_PORT/status | jq -e '.snapshot.endpoints == 2' >/dev/null"
echo "xdsd dropped v1-2 $(($(now_ms) - t0)) ms after the DNS change"
wait_until $((t0 + 3000))
mark=$(lines)
read -r ok failed v1 v2 w <<<"$(collect "$mark" 1000 30)"
# (the first summary after the mark may straddle it, as in share)
check "v1-2 gets nothing from 3 s after it left DNS" sh -c "! tail -n +$((mark + 1)) '$T/client.log' | grep ' summary ' | grep -v final | tail -n +2 | grep -q ' v1-2='"
check "v1-1 and v2-1 share the traffic 50/50" within "$(pct "$v2" "$ok")" 42 58

# The DNS server goes away: the last answers stay.
kill -TERM "$DNS_PID"
wait_exit "$DNS_PID" 10
wait_for 10 sh -c "curl -sf http://$XDS_ADDR:$ADMIN_PORT/status | jq -e '.dns[\"server-v1\"].error != null' >/dev/null"
echo "status while DNS is down: $(status | jq -c '.dns')"
check "xdsd keeps every endpoint" sh -c "curl -sf http://$XDS_ADDR:$ADMIN_PORT/status | jq -e '.snapshot.endpoints == 2' >/dev/null"
read -r ok failed v1 v2 w <<<"$(collect "$(lines)" 1000 30)"
check "traffic goes on to both clusters while DNS is down" sh -c "[ $v1 -gt 0 ] && [ $v2 -gt 0 ]"

# It comes back: the error clears.
start_dns
wait_for 10 sh -c "curl -sf http://$XDS_ADDR:$ADMIN_PORT/status | jq -e '.dns[\"server-v1\"].error == null' >/dev/null"
echo "ok: the DNS error clears when the server is back"
check "no RPC failed" no_failures
