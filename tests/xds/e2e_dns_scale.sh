#!/usr/bin/env bash
# 5,000 DNS names (issue 16): xdsd asks at most 256 at a time, so none times out, and the endpoints
# converge within a few snapshots and seconds (one snapshot 1.05 s after the load on a quiet machine).
NET_BASE=130
DNS_PORT=5331
. "$(dirname "$0")/xlib.sh"
N=5000
mkdir -p "$CFG_DIR"
{
  echo "name: scale"
  echo "spec:"
  echo "  listeners:"
  echo "  - name: server"
  echo "    routes:"
  echo "    - clusters:"
  echo "      - name: c0"
  echo "  clusters:"
  for i in $(seq 0 $((N - 1))); do
    echo "  - {name: c$i, endpoints: [{address: n$i, port: 50051}]}"
  done
} >"$CFG"
: >"$HOSTS"
for i in $(seq 0 $((N - 1))); do echo "10.200.$((i / 250)).$((i % 250 + 1)) n$i"; done >"$HOSTS"
start_dns
start_xdsd
wait_for 20 sh -c "curl -sf http://$XDS_ADDR:$ADMIN_PORT/status | jq -e '.snapshot.endpoints == $N' >/dev/null"
echo "ok: the snapshot holds all $N endpoints"
first=$(grep -m1 'msg="snapshot"' "$T/xdsd.log")
echo "first snapshot: $first"
loaded=$(grep -m1 'msg="config loaded"' "$T/xdsd.log" | cut -c12-23)
full=$(grep -m1 "msg=\"snapshot\".* endpoints=$N " "$T/xdsd.log" | cut -c12-23)
echo "config loaded at $loaded, every endpoint served at $full (UTC)"
# Two more refresh intervals (1 s each): nothing changes, nothing fails.
wait_for 10 sh -c "test \$(grep -c 'query\[A\]' '$T/dnsmasq-queries.log') -ge $((N * 3))"
versions=$(grep -c 'msg="snapshot"' "$T/xdsd.log")
# The first snapshot goes out when every name answered or the 2 s settle is up; on a busy machine
# (a stress run: 2.2 s to answer 4,975, the rest 0.8 s later) a few names miss it and one or two more
# snapshots bring them. Before the in-flight limit: 23 versions over 15 s, 683 timeouts a cycle.
check "the endpoints converged in at most 4 snapshots ($versions)" test "$versions" -le 4
to_ms() { awk -F'[:.]' '{ print (($1 * 60 + $2) * 60 + $3) * 1000 + $4 }' <<<"$1"; }
took=$(($(to_ms "$full") - $(to_ms "$loaded")))
check "every endpoint was served within 5 s of the load: 2 s settle + 3 refresh intervals (took $took ms)" \
  test "$took" -le 5000
fails=$(curl -sf "http://$XDS_ADDR:$ADMIN_PORT/metrics" | awk '$1 == "xdsd_dns_failures_total" { print $2 }')
check "no lookup failed (xdsd_dns_failures_total=$fails)" test "$fails" = 0
check "no lookup-failure line was logged" test "$(grep -c 'dns lookup failed' "$T/xdsd.log")" -eq 0
kill -TERM "$XDSD_PID"
wait_exit "$XDSD_PID" 10
check "xdsd stops cleanly on SIGTERM" test "$EXIT_STATUS" -eq 0
