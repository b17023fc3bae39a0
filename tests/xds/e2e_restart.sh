#!/usr/bin/env bash
# xdsd restarted under load: SIGTERM stops it cleanly, the client keeps its last config and no RPC
# fails while xdsd is away; a new xdsd is resynced by the client (it shows in /status, ACKs, and a config
# change made after the restart reaches it).
NET_BASE=50
DNS_PORT=5350
. "$(dirname "$0")/xlib.sh"

start_dns
for i in 1 2; do start_server "v1-$i" "$NET.$((NET_BASE + i))"; echo "$NET.$((NET_BASE + i)) server-v1" >>"$HOSTS"; done
for i in 1 2; do start_server "v2-$i" "$NET.$((NET_BASE + 4 + i))"; echo "$NET.$((NET_BASE + 4 + i)) server-v2" >>"$HOSTS"; done
dns_reload
weights_config 50 50 "$T/c50.yaml"
weights_config 0 100 "$T/c0.yaml"
configmap_init "$T/c50.yaml"
start_xdsd
start_client
wait_for 20 grep -q ' summary ' "$T/client.log"
wait_for 10 sh -c "curl -sf http://$XDS_ADDR:$ADMIN_PORT/status | jq -e '.nodes | length == 1' >/dev/null"

kill -TERM "$XDSD_PID"
wait_exit "$XDSD_PID" 10
rc=$EXIT_STATUS
check "xdsd exits 0 on SIGTERM" test "$rc" -eq 0
check "xdsd logged a clean stop" grep -q 'msg=stopped' "$T/xdsd.log"
mv "$T/xdsd.log" "$T/xdsd-first.log"
# While it is away the client goes on with its last config.
read -r ok failed v1 v2 w <<<"$(collect "$(lines)" 2000 30)"
echo "while xdsd is away: ok=$ok v1=$v1 v2=$v2"
check "while xdsd is away: traffic goes on with 50/50" within "$(pct "$v2" "$ok")" 42 58

start_xdsd
wait_for 30 sh -c "curl -sf http://$XDS_ADDR:$ADMIN_PORT/status | jq -e '.nodes[] | select(.id == \"client-1\") | .types.eds.version_acked != null' >/dev/null"
echo "resynced: $(status | jq -c '.nodes[0].types | map_values(.version_acked)')"
swap_and_settle "$T/c0.yaml"
read -r ok failed v1 v2 w <<<"$(collect "$(lines)" 1000 30)"
echo "after the change on the new xdsd: ok=$ok v1=$v1 v2=$v2"
check "the new xdsd's change reached the client" test "$v2" -eq "$ok"
check "no RPC failed across the restart" no_failures
