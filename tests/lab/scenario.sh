#!/usr/bin/env bash
# Runs one lab scenario with --fast and asserts its verdicts: scenario.sh NAME EXPECTATIONS [LAB FLAGS...]
. "$(dirname "$0")/lablib.sh"
name=$1 n=$2
shift 2
# Run from $T with a relative --out, as `make lab` does with its default lab-out/: the lab must hand
# absolute paths to the processes it starts (dnsmasq changes directory).
scen=$(cd "$(dirname "$0")/../../lab/scenarios" && pwd)
(cd "$T" && LOG_LEVEL=info "$LAB" run "$name" --fast --scenarios "$scen" --out out "$@") >"$T/lab.log" 2>"$T/lab-stderr.log"
rc=$?
cat "$T/lab.log"
[ "$rc" -eq 0 ] || { cp "$T"/out/"$name"/*.log "$T"/ 2>/dev/null; tail -30 "$T/lab-stderr.log"; fail "lab exited $rc"; }
lab_verdicts "$T/out" "$name" "$n"
lab_leftovers "$T/lab-stderr.log"
case "$*" in
  *--no-netns*) check "the report says it ran on the host loopback" grep -q 'Node: the host loopback' "$T/out/$name/report.md"
                check "the report names HAProxy as the ClusterIP" grep -q 'ClusterIP implementation that ran: \*\*haproxy' "$T/out/$name/report.md" ;;
  *haproxy*) check "the report names HAProxy as the ClusterIP" grep -q 'ClusterIP implementation that ran: \*\*haproxy' "$T/out/$name/report.md" ;;
esac
# The seed's proxy scenarios run Envoy, with the config from deploy/ (its rewritten copy is in the run's folder).
case "$name" in
  proxy|clsidecar|canary|xds|proxymaxage|nodeproxy)
    check "the report names the proxy and its version" grep -q 'Envoy 1\.40\.' "$T/out/$name/report.md"
    check "Envoy ran the config deploy/ ships (rewritten: cluster DNS, NAME.lab)" \
      grep -q 'envoy.network.dns_resolver.cares' $(ls "$T"/out/"$name"/*.yaml | head -1) ;;
esac
