#!/usr/bin/env bash
# Decodes what xdsd serves to an Envoy-like and a gRPC-like node and checks it against xds-facts §4/§7
# (test_envoy_resources), from a config with two listeners, weighted routes and DNS-named endpoints.
NET_BASE=80
DNS_PORT=5380
. "$(dirname "$0")/xlib.sh"
start_dns
printf '%s server-v1\n%s server-v1\n%s server-v2\n' "$NET.81" "$NET.82" "$NET.83" >"$HOSTS"
dns_reload
mkdir -p "$CFG_DIR"
cat >"$CFG" <<YAML
name: xds-demo
spec:
  listeners:
  - name: server
    address: 0.0.0.0
    port: 8080
    routes:
    - name: hello
      prefix: /helloworld.Greeter/
      clusters:
      - name: server-v1
        weight: 95
      - name: server-v2
        weight: 5
    - name: rest
      prefix: /
      clusters:
      - name: server-v1
  - name: listener_1
    address: 127.0.0.1
    port: 8081
    routes:
    - clusters:
      - name: server-v2
        weight: 100
      - name: server-v1
        weight: 0
  clusters:
  - name: server-v1
    endpoints:
    - address: server-v1
      port: 50051
    - address: $NET.81
      port: 50051
  - name: server-v2
    endpoints:
    - address: server-v2
      port: 50051
YAML
start_xdsd
wait_for 10 sh -c "curl -sf http://$XDS_ADDR:$ADMIN_PORT/status | jq -e '.snapshot.endpoints == 3' >/dev/null"
"$BIN/test_envoy_resources" "$XDS_ADDR:$XDS_PORT" >"$T/resources.log" 2>&1
rc=$?
cat "$T/resources.log"
check "every resource passes the §4/§7 checks" test "$rc" -eq 0
check "no NACK-like error was logged" sh -c "! grep -q 'msg=nack' '$T/xdsd.log'"
kill -TERM "$XDSD_PID"
wait_exit "$XDSD_PID" 10
check "xdsd stops cleanly on SIGTERM (exit 0; under ASan this includes the leak check)" test "$EXIT_STATUS" -eq 0
