#!/usr/bin/env bash
# Reload that does not miss and does not break: a broken config swapped in (ConfigMap style) is
# reported with file:line in /status and /metrics while the last good config keeps being served and no
# RPC fails; after the good config is restored, the same broken config is reported again; --check
# rejects the same file; an editor's rename-on-save and an in-place write are seen.
NET_BASE=30
DNS_PORT=5330
. "$(dirname "$0")/xlib.sh"

start_dns
start_server v1-1 "$NET.$((NET_BASE + 1))"
start_server v2-1 "$NET.$((NET_BASE + 2))"
printf '%s server-v1\n%s server-v2\n' "$NET.$((NET_BASE + 1))" "$NET.$((NET_BASE + 2))" >"$HOSTS"
dns_reload
weights_config 50 50 "$T/c50.yaml"
weights_config 0 100 "$T/c0.yaml"
weights_config 100 0 "$T/c100.yaml"
# Broken: the weights sum to 90 (line 14 holds the second weight's cluster list... the error names the line).
weights_config 50 40 "$T/bad.yaml"
configmap_init "$T/c50.yaml"
start_xdsd
start_client
wait_for 20 grep -q ' summary ' "$T/client.log"

check "--check accepts a good file" "$BIN/xdsd" --check "$T/c50.yaml"
"$BIN/xdsd" --check "$T/bad.yaml" >"$T/check.out" 2>&1
rc=$?
check "--check rejects the broken file (exit 1)" test "$rc" -eq 1
check "--check names file and line" grep -q "bad.yaml:[0-9]*: the weights of route \"all\" sum to 90" "$T/check.out"

configmap_swap "$T/bad.yaml"
wait_for 5 sh -c "curl -sf http://$XDS_ADDR:$ADMIN_PORT/status | jq -e '.config.error != null' >/dev/null"
err=$(status | jq -r .config.error)
echo "status error: $err"
check "/status shows the error with file and line" sh -c "echo '$err' | grep -q 'config.yaml:[0-9][0-9]*: the weights'"
check "/metrics counts the failed reload" sh -c "curl -sf http://$XDS_ADDR:$ADMIN_PORT/metrics | grep -qx 'xdsd_reloads_total{result=\"failed\"} 1'"
check "/metrics flags the config error" sh -c "curl -sf http://$XDS_ADDR:$ADMIN_PORT/metrics | grep -qx 'xdsd_config_error 1'"
check "the served config version is still 1" sh -c "curl -sf http://$XDS_ADDR:$ADMIN_PORT/status | jq -e '.config.version == 1' >/dev/null"
check "the snapshot version did not move" sh -c "curl -sf http://$XDS_ADDR:$ADMIN_PORT/status | jq -e '.snapshot.version == \"1\"' >/dev/null"
read -r ok failed v1 v2 w <<<"$(collect "$(lines)" 1000 30)"
echo "after the broken config: ok=$ok v1=$v1 v2=$v2"
check "the last good config (50/50) is still served" within "$(pct "$v2" "$ok")" 42 58
check "xdsd logged the error once" test "$(grep -c 'invalid config' "$T/xdsd.log")" -eq 1

# The good config restored, then the same broken bytes again: reported again (it used to be ignored).
configmap_swap "$T/c50.yaml"
wait_for 5 sh -c "curl -sf http://$XDS_ADDR:$ADMIN_PORT/status | jq -e '.config.error == null' >/dev/null"
echo "ok: the good config restored clears the error"
configmap_swap "$T/bad.yaml"
wait_for 5 sh -c "curl -sf http://$XDS_ADDR:$ADMIN_PORT/status | jq -e '.config.error != null' >/dev/null"
echo "ok: the same broken config a second time shows in /status again"
check "and is logged again" test "$(grep -c 'invalid config' "$T/xdsd.log")" -eq 2
wait_for 5 sh -c "curl -sf http://$XDS_ADDR:$ADMIN_PORT/metrics | grep -qx 'xdsd_reloads_total{result=\"failed\"} 2'"
echo "ok: /metrics counts the second failed reload"
check "the log line is one key=value line (error sanitized)" grep -q 'msg="invalid config, keeping the last good one" error=[^ "]*the_weights_of_route__all__sum_to_90' "$T/xdsd.log"

# An editor's save: write a temporary file and rename it over config.yaml.
cp "$T/c0.yaml" "$CFG_DIR/.config.yaml.swp"
mv "$CFG_DIR/.config.yaml.swp" "$CFG"
wait_for 5 sh -c "curl -sf http://$XDS_ADDR:$ADMIN_PORT/status | jq -e '.config.error == null and .snapshot.version == \"2\"' >/dev/null"
mark=$(lines)
read -r ok failed v1 v2 w <<<"$(collect "$mark" 1000 30)"
echo "after rename-on-save (v2 only): ok=$ok v1=$v1 v2=$v2"
check "rename-on-save applied: v2 gets everything" test "$v2" -eq "$ok"

# An in-place write (truncate and write the same inode).
cat "$T/c100.yaml" >"$CFG"
wait_for 5 sh -c "curl -sf http://$XDS_ADDR:$ADMIN_PORT/status | jq -e '.snapshot.version == \"3\"' >/dev/null"
read -r ok failed v1 v2 w <<<"$(collect "$(lines)" 1000 30)"
echo "after an in-place write (v1 only): ok=$ok v1=$v1 v2=$v2"
check "in-place write applied: v1 gets everything" test "$v1" -eq "$ok"
check "no RPC failed" no_failures
