#!/usr/bin/env bash
# xdsd's Kubernetes watch when the API server misbehaves (issue 11), with a greeter-client on
# xds:///server.demo:50051 throughout, which must see no failed RPC:
#   - the API server frozen (SIGSTOP): the silent watch is restarted, and it resynchronises after;
#   - a wrong token (the kubeconfig's tokenFile changed, then the API server restarted): a clear error in
#     the log, /status and /metrics, the last state kept; the right token again and it recovers;
#   - the API server restarted while writes go on through a second one on the same etcd: the watch
#     resumed from its old resourceVersion is answered 410 Gone, xdsd relists and follows;
#   - a wrong CA: a clear TLS error, and the file config of that xdsd is served regardless.
NET_BASE=170
DNS_PORT=5470
. "$(dirname "$0")/kube_lib.sh"

kube_start
kc create namespace demo >/dev/null || fail "kubectl create namespace"
service demo server
for i in 11 12 13 14; do start_pod "p$i" "$i"; done
slice demo server-a server $POD.11 $POD.12 $POD.13

# xdsd reads its token from a file (as a pod's rotating service-account token), so a test can spoil it.
cut -d, -f1 "$K8S_DIR/pki/tokens.csv" >"$T/token"
sed "s|^    token: .*|    tokenFile: $T/token|" "$KUBECONFIG" >"$T/xdsd-kubeconfig"
grep -q tokenFile "$T/xdsd-kubeconfig" || fail "cannot write the tokenFile kubeconfig"
# Watches that the server ends every 2 s (resumed, not errors); a watch silent for 4 s is restarted.
spawn xdsd "$BIN/xdsd" --kubeconfig "$T/xdsd-kubeconfig" --listen "$XDS_ADDR:$XDS_PORT" --admin "$XDS_ADDR:$ADMIN_PORT" \
  --kube-watch-timeout 2s --kube-idle-timeout 4s
XDSD_PID=$LAST_PID
wait_port "$XDS_ADDR" "$ADMIN_PORT"
CLIENT_TARGET=xds:///server.demo:50051 start_client
wait_for 30 grep -q ' summary .* ok=[1-9]' "$T/client.log"

# follow1 SECS WANT: follow for the greeter-client alone (kube_lib's follow wants grpc-js too).
follow1() {
  local secs=$1 want=$2 i c
  for i in $(seq $((secs * 10))); do
    c=$(seen "$T/client.log" ' summary ' "$C_MARK" 4)
    [ "$c" = "$want" ] && [ "$(windows "$T/client.log" ' summary ' "$C_MARK")" -ge 5 ] && return 0
    sleep 0.1
  done
  fail "after ${secs}s the client reaches '$c', not '$want'"
}
cmark() { C_MARK=$(wc -l <"$T/client.log"); }
watching() {
  status | jq -e '[.kubernetes.watches[] | .state == "watching" and .last_error == null] | all' >/dev/null
}
kerrors() { metrics | awk '/^xdsd_kube_errors_total/ { n += $2 } END { print n + 0 }'; }
relists() { metrics | awk '/^xdsd_kube_relists_total\{resource="endpointslices"\}/ { print $2 }'; }

cmark
follow1 15 "p11 p12 p13"
check "the watch is healthy: no errors while the server ends each watch every 2 s" sh -c "sleep 5; [ \$(curl -sf http://$XDS_ADDR:$ADMIN_PORT/metrics | awk '/^xdsd_kube_errors_total/ { n += \$2 } END { print n + 0 }') -eq 0 ]"

# 1. The API server frozen for 10 s: the silent watch is restarted (and fails until it thaws).
APISERVER=$(cat "$K8S_DIR/apiserver.pid")
kill -STOP "$APISERVER"
check "a frozen API server: the silent watch is restarted" wait_for 15 grep -q 'sent_nothing_for_4000_ms' "$T/xdsd.log"
sleep 4
kill -CONT "$APISERVER"
check "thawed: every watch is back" wait_for 30 watching
cmark
slice demo server-a server $POD.11 $POD.12 $POD.13 $POD.14
follow1 10 "p11 p12 p13 p14"
echo "ok: after the freeze the client follows a change (3 -> 4 endpoints)"

# 2. A wrong token: a clear error, the last state kept; then the right one again.
e0=$(kerrors)
good=$(cat "$T/token")
echo "not-the-token" >"$T/token"
kube_restart_apiserver
check "a wrong token: /status says Unauthorized" wait_for 20 sh -c "curl -sf http://$XDS_ADDR:$ADMIN_PORT/status |
  jq -e '[.kubernetes.watches[].last_error | strings | test(\"401\")] | any' >/dev/null"
check "a wrong token: the log says so" grep -q 'kubernetes request failed.*401' "$T/xdsd.log"
check "a wrong token: /metrics counts the errors" wait_for 10 sh -c "[ \$(curl -sf http://$XDS_ADDR:$ADMIN_PORT/metrics | awk '/^xdsd_kube_errors_total/ { n += \$2 } END { print n + 0 }') -gt $e0 ]"
cmark
follow1 10 "p11 p12 p13 p14"
echo "ok: with a wrong token xdsd serves the last state"
echo "$good" >"$T/token"
check "the right token again: every watch is back" wait_for 20 watching

# 3. The API server restarted while writes go through a second one on the same etcd: xdsd resumes its
#    watch from a resourceVersion older than the new server's watch cache: 410 Gone, a relist.
r0=$(relists)
bash "$ROOT/scripts/k8s.sh" apiserver "$K8S_DIR" 127.0.0.1 second >>"$T/k8s-start.log" 2>&1 || fail "second API server"
PIDS+=("$(cat "$K8S_DIR/second.pid")")
bash "$ROOT/scripts/k8s.sh" stop "$K8S_DIR" apiserver
for i in 1 2 3 4 5; do
  kc --server https://127.0.0.1:6443 annotate --overwrite -n demo service server "bump=$i" >/dev/null || fail "write through the second API server"
done
cmark
# (kube_lib's slice applies through the first API server, which is down: this one is written by hand)
sed "s/- addresses: \[$POD.11\]/- addresses: [$POD.15]/" "$T/slice-server-a.yaml" >"$T/slice-b.yaml"
kc --server https://127.0.0.1:6443 apply -f "$T/slice-b.yaml" >/dev/null || fail "apply through the second API server"
start_pod p15 15
bash "$ROOT/scripts/k8s.sh" start "$K8S_DIR" "$KUBE_ADDR" >>"$T/k8s-start.log" 2>&1 || fail "the API server did not come back"
PIDS+=("$(cat "$K8S_DIR/apiserver.pid")")
check "the resumed watch was answered 410 Gone and xdsd relisted" wait_for 30 grep -q '410 Gone), relisting' "$T/xdsd.log"
check "/metrics counts the relist" wait_for 10 sh -c "[ \$(curl -sf http://$XDS_ADDR:$ADMIN_PORT/metrics | awk '/^xdsd_kube_relists_total\{resource=\"endpointslices\"\}/ { print \$2 }') -gt $r0 ]"
follow1 15 "p12 p13 p14 p15"
echo "ok: after the relist the client follows what was written meanwhile (p11 -> p15)"
check "no RPC failed through all of it" no_failures

# 4. A wrong CA: a TLS error, in the log, /status and /metrics; the file config is served regardless.
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=other-ca" -keyout "$T/other.key" -out "$T/other.crt" 2>/dev/null
sed "s|certificate-authority: .*|certificate-authority: $T/other.crt|" "$KUBECONFIG" >"$T/badca-kubeconfig"
cat >"$T/file.yaml" <<YAML
name: file
spec:
  clusters:
  - name: static
    endpoints: [{address: $POD.11, port: 50051}]
  listeners:
  - name: static
    routes: [{name: all, prefix: /, clusters: [{name: static}]}]
YAML
A2=$NET.$((NET_BASE + 2))
spawn xdsd2 "$BIN/xdsd" --kubeconfig "$T/badca-kubeconfig" --config "$T/file.yaml" --listen "$A2:$XDS_PORT" --admin "$A2:$ADMIN_PORT"
wait_port "$A2" "$ADMIN_PORT"
check "a wrong CA: /status names the certificate problem for every watch" wait_for 20 sh -c "curl -sf http://$A2:$ADMIN_PORT/status |
  jq -e '[.kubernetes.watches[].last_error] | length == 2 and all(type == \"string\" and test(\"certificate\"; \"i\"))' >/dev/null"
check "a wrong CA: the log says so" grep -qi 'kubernetes request failed.*certificate' "$T/xdsd2.log"
check "a wrong CA: /metrics counts it" wait_for 10 sh -c "curl -sf http://$A2:$ADMIN_PORT/metrics | grep -q '^xdsd_kube_errors_total{resource=\"services\"} [1-9]'"
check "a wrong CA: the file's listener is served" wait_for 10 sh -c "curl -sf http://$A2:$ADMIN_PORT/status |
  jq -e '.snapshot.listeners == 1 and .snapshot.endpoints == 1' >/dev/null"
