#!/usr/bin/env bash
# Runs the C ADS protocol test (test_ads_protocol) against a real xdsd, then checks what /status and
# /metrics say about the same session.
NET_BASE=70
DNS_PORT=5370
. "$(dirname "$0")/xlib.sh"
mkdir -p "$CFG_DIR"
cat >"$CFG" <<YAML
name: proto
spec:
  listeners:
  - name: server
    routes:
    - clusters:
      - name: c1
  clusters:
  - name: c1
    endpoints:
    - address: 127.0.2.71
      port: 50051
YAML
start_dns
start_xdsd
"$BIN/test_ads_protocol" "$XDS_ADDR:$XDS_PORT" "$CFG" >"$T/protocol.log" 2>&1
rc=$?
cat "$T/protocol.log"
check "the ADS protocol test passed" test "$rc" -eq 0
wait_for 5 sh -c "curl -sf http://$XDS_ADDR:$ADMIN_PORT/metrics | grep -qx 'xdsd_nacks_total{type=\"eds\"} 1'" # published at most every 200 ms
echo "ok: /metrics counted the NACK"
wait_for 5 sh -c "curl -sf http://$XDS_ADDR:$ADMIN_PORT/metrics | grep -qx 'xdsd_stale_requests_total{type=\"eds\"} 1'" # published at most every 200 ms
echo "ok: /metrics counted the stale request"
wait_for 5 sh -c "curl -sf http://$XDS_ADDR:$ADMIN_PORT/metrics | grep -qx 'xdsd_unimplemented_total 1'" # published at most every 200 ms
echo "ok: /metrics counted the delta call"
check "xdsd logged the NACK with its message" grep -q 'msg=nack .*type=eds.*error="xDS response validation errors: \[test\]"' "$T/xdsd.log"
wait_for 5 sh -c "curl -sf http://$XDS_ADDR:$ADMIN_PORT/status | jq -e '.nodes | length == 0' >/dev/null" # published at most every 200 ms
echo "ok: every stream was closed"
kill -TERM "$XDSD_PID"
wait_exit "$XDSD_PID" 10
check "xdsd stops cleanly on SIGTERM (exit 0; under ASan this includes the leak check)" test "$EXIT_STATUS" -eq 0
