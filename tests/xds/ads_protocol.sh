#!/usr/bin/env bash
# Runs the C ADS protocol test (test_ads_protocol) against a real xdsd, then checks what /status and
# /metrics say about the same session.
NET_BASE=70
DNS_PORT=5370
. "$(dirname "$0")/xlib.sh"
mkdir -p "$CFG_DIR"
# xdsd starts with the very config the test begins from (the test then rewrites it step by step).
"$BIN/test_ads_protocol" --initial-config "$CFG"
start_dns
start_xdsd
wait_for 10 sh -c "curl -sf http://$XDS_ADDR:$ADMIN_PORT/status | jq -e '.snapshot.version == \"1\"' >/dev/null"
"$BIN/test_ads_protocol" "$XDS_ADDR:$XDS_PORT" "$CFG" >"$T/protocol.log" 2>&1
rc=$?
cat "$T/protocol.log"
check "the ADS protocol test passed" test "$rc" -eq 0
wait_for 5 sh -c "curl -sf http://$XDS_ADDR:$ADMIN_PORT/metrics | grep -qx 'xdsd_nacks_total{type=\"eds\"} 1'" # published at most every 200 ms
echo "ok: /metrics counted the NACK"
wait_for 5 sh -c "curl -sf http://$XDS_ADDR:$ADMIN_PORT/metrics | grep -qx 'xdsd_stale_requests_total{type=\"eds\"} 2'" # published at most every 200 ms
echo "ok: /metrics counted both stale requests"
wait_for 5 sh -c "curl -sf http://$XDS_ADDR:$ADMIN_PORT/metrics | grep -qx 'xdsd_stale_nacks_total{type=\"eds\"} 1'"
echo "ok: /metrics counted the stale NACK"
check "xdsd logged the stale NACK, its message on one line" grep -q 'msg="nack with a stale nonce" .*type=eds.*error=stale__rejection__second_line$' "$T/xdsd.log"
wait_for 5 sh -c "curl -sf http://$XDS_ADDR:$ADMIN_PORT/metrics | grep -qx 'xdsd_unimplemented_total 1'" # published at most every 200 ms
echo "ok: /metrics counted the delta call"
check "xdsd logged the NACK with its message" grep -q 'msg=nack .*type=eds.*error=xDS_response_validation_errors:_\[test\]$' "$T/xdsd.log"
check "both removals of c2 kept it while the route left it, and c2's return warmed it first" sh -c "
  test \"\$(grep -c 'msg=\"snapshot\" .*phase=keep-removed' '$T/xdsd.log')\" -eq 2 &&
  test \"\$(grep -c 'msg=\"snapshot\" .*phase=add-clusters' '$T/xdsd.log')\" -eq 1"
check "only the first removal waited its full second (the client kept c2); no other phase did" sh -c "
  test \"\$(grep -c 'msg=\"phase timed out' '$T/xdsd.log')\" -eq 1 &&
  grep -q 'msg=\"phase timed out, moving on\" phase=keep-removed' '$T/xdsd.log'"
wait_for 5 sh -c "curl -sf http://$XDS_ADDR:$ADMIN_PORT/status | jq -e '.nodes | length == 0' >/dev/null" # published at most every 200 ms
echo "ok: every stream was closed"
kill -TERM "$XDSD_PID"
wait_exit "$XDSD_PID" 10
check "xdsd stops cleanly on SIGTERM (exit 0; under ASan this includes the leak check)" test "$EXIT_STATUS" -eq 0
