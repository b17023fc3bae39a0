#!/usr/bin/env bash
# xdsd's command line: bad flags exit 2 naming the flag and value; --check prints the resources or the
# error with file:line and exits 1; an address that cannot be bound exits 1; SIGTERM exits 0.
NET_BASE=90
DNS_PORT=5390
. "$(dirname "$0")/xlib.sh"

# expect_exit CODE PATTERN ARGS...: runs xdsd ARGS, checks the exit code and that the output matches.
expect_exit() {
  local want=$1 pat=$2
  shift 2
  timeout 20 "$BIN/xdsd" "$@" >"$T/out.txt" 2>&1
  local rc=$?
  check "xdsd $* exits $want" test "$rc" -eq "$want"
  check "xdsd $* says: $pat" grep -Eq -- "$pat" "$T/out.txt"
}

expect_exit 2 'flag=--dns-refresh value="soon"' --dns-refresh soon
expect_exit 2 'flag=--dns-refresh value="10ms"' --dns-refresh 10ms
expect_exit 2 'flag=--listen value="nope"' --listen nope
expect_exit 2 'flag=--admin value="localhost"' --admin localhost
expect_exit 2 'flag=--dns-server value=":53"' --dns-server :53
expect_exit 2 'flag=--dns-server value="dns.example:53"' --dns-server dns.example:53
expect_exit 2 'flag=--frobnicate' --frobnicate
# Values that passed the checks and then failed inside gRPC or the admin server (issue 16).
expect_exit 2 'flag=--listen value=":9002"' --listen :9002
expect_exit 2 'flag=--listen value="999.1.1.1:9002"' --listen 999.1.1.1:9002
expect_exit 2 'flag=--listen value="\[127.0.0.1\]:9002"' --listen '[127.0.0.1]:9002'
expect_exit 2 'flag=--admin value="localhost:9003"' --admin localhost:9003
expect_exit 2 'flag=--admin value="\[::1\]:9003"' --admin '[::1]:9003'
expect_exit 2 'flag=--admin value=""' --admin ''
expect_exit 2 'flag=--dns-server value="\[127.0.0.1\]:53"' --dns-server '[127.0.0.1]:53'
XDSD_DNS_REFRESH=10ms timeout 20 "$BIN/xdsd" >"$T/out.txt" 2>&1
check "XDSD_DNS_REFRESH=10ms exits 2" test $? -eq 2
check "naming the variable and its value" grep -q 'variable=XDSD_DNS_REFRESH value="10ms"' "$T/out.txt"
XDSD_ADMIN= timeout 20 "$BIN/xdsd" >"$T/out.txt" 2>&1
check "an empty XDSD_ADMIN exits 2 (it does not turn the admin endpoint off)" test $? -eq 2
check "naming the variable" grep -q 'variable=XDSD_ADMIN value=""' "$T/out.txt"
XDSD_DNS_REFRESH=forever timeout 20 "$BIN/xdsd" >"$T/out.txt" 2>&1
check "a bad XDSD_DNS_REFRESH exits 2" test $? -eq 2
check "naming the variable" grep -q 'XDSD_DNS_REFRESH' "$T/out.txt"

# Hostile files (issue 16): refused at once with a clear error, never waited on or read without end.
mkfifo "$T/fifo.yaml"
expect_exit 1 'fifo.yaml: not a regular file' --check "$T/fifo.yaml"
expect_exit 1 '/dev/zero: not a regular file' --check /dev/zero
printf 'name: x\nspec:\n  listeners:\n  - name: ser\0ver\n    routes: []\n' >"$T/nul.yaml"
expect_exit 1 'nul.yaml:4: contains a NUL byte' --check "$T/nul.yaml"
printf 'name: x\nspec:\n  clusters:\n  - name: c\n    endpoints:\n    - {address: 999.1.1.1, port: 1}\n' >"$T/ip.yaml"
expect_exit 1 'endpoint address "999.1.1.1" is neither' --check "$T/ip.yaml"

cat >"$T/good.yaml" <<YAML
name: demo
spec:
  listeners:
  - name: server
    port: 8080
    routes:
    - clusters:
      - {name: server-v1, weight: 95}
      - {name: server-v2, weight: 5}
  clusters:
  - {name: server-v1, endpoints: [{address: server-v1, port: 50051}]}
  - {name: server-v2, endpoints: [{address: 127.0.2.92, port: 50051}]}
YAML
expect_exit 0 'route name=- prefix=/ -> server-v1=95 server-v2=5' --check "$T/good.yaml"
check "--check lists the API listener" grep -q 'lds api-listener name=server (gRPC clients dial xds:///server)' "$T/out.txt"
check "--check lists the socket listener" grep -q 'lds socket-listener name=server address=0.0.0.0:8080' "$T/out.txt"
sed 's/weight: 5}/weight: 6}/' "$T/good.yaml" >"$T/bad.yaml"
expect_exit 1 "bad.yaml:7: the weights of route \"\" sum to 101" --check "$T/bad.yaml"
expect_exit 1 'missing.yaml: No such file' --check "$T/missing.yaml"

# A port that is taken: exit 1 naming the flag.
mkdir -p "$CFG_DIR"
cp "$T/good.yaml" "$CFG"
start_xdsd
expect_exit 1 "flag=--listen value=\"$XDS_ADDR:$XDS_PORT\"" --config "$CFG" --listen "$XDS_ADDR:$XDS_PORT" --admin "$XDS_ADDR:9004"
expect_exit 1 "flag=--admin value=\"$XDS_ADDR:$ADMIN_PORT\"" --config "$CFG" --listen "$XDS_ADDR:9005" --admin "$XDS_ADDR:$ADMIN_PORT"
check "/healthz answers" sh -c "curl -sf http://$XDS_ADDR:$ADMIN_PORT/healthz | grep -qx ok"
check "/metrics is Prometheus text" sh -c "curl -sf http://$XDS_ADDR:$ADMIN_PORT/metrics | grep -q '^# TYPE xdsd_push_latency_seconds histogram'"
kill -TERM "$XDSD_PID"
wait_exit "$XDSD_PID" 10
check "SIGTERM: exit 0" test "$EXIT_STATUS" -eq 0

# Started before its config exists: the error is in /status, nothing is served; the file appears
# (rename, as kubelet or an editor would) and is picked up.
mkdir -p "$T/late"
spawn xdsd-late "$BIN/xdsd" --config "$T/late/config.yaml" --listen "$XDS_ADDR:9012" --admin "$XDS_ADDR:9013"
wait_port "$XDS_ADDR" 9013
wait_for 5 sh -c "curl -sf http://$XDS_ADDR:9013/status | jq -e '(.config.error | test(\"No such file\")) and .snapshot == null' >/dev/null"
echo "ok: a missing config is reported and nothing is served"
cp "$T/good.yaml" "$T/late/.tmp" && mv "$T/late/.tmp" "$T/late/config.yaml"
wait_for 5 sh -c "curl -sf http://$XDS_ADDR:9013/status | jq -e '.config.error == null and .snapshot.version == \"1\"' >/dev/null"
echo "ok: the config is served as soon as it appears"
