#!/usr/bin/env bash
# gRPC's public xDS interop test cases (grpc/grpc doc/xds-test-descriptions.md) with xdsd as the control
# plane and grpc-go's own xDS interop client and server (scripts/grpc-xds.sh: grpc-go v1.64.1's
# interop/xds client and server, and our lbstats, which asks the client's stats port for
# LoadBalancerStatsService, XdsUpdateClientConfigureService and CSDS answers). Issue 12, "Proven with a
# real peer test client".
#
# Both interop binaries listen on every address (":PORT", no flag), so the test re-runs itself in a
# network namespace of its own (unshare -n, lo only; needs root), where every process it starts runs:
# xdsd on 127.0.2.200, each interop server on 127.0.0.1 with a port of its own (its --host_name_override
# is the name the client's stats report), each case's client with a stats port of its own. Every case
# starts a fresh client (node id interop-CASE) at $QPS RPCs a second per RPC type, as gRPC's framework
# does; a config change is a ConfigMap-style swap (xlib's configmap_swap: a rename), waited for in
# xdsd's log (the snapshot of phase=final) and then at the client (its CSDS versions, then the
# distribution of its RPCs, polled with deadlines). Each case prints "PASS case: figures" or fails.
#
# Cases, in order (a1..a4: cluster a's backends, b1 b2: cluster b's):
#   ping_pong              every backend of a (4) gets RPCs, no RPC fails
#   round_robin            then 1000 RPCs: each backend 25% +- 5 points (the description's +-1 RPC
#                          holds for grpc-go's picker, but a picker rebuilt mid-window may restart its
#                          rotation; 5 points of 1000 is 50 RPCs, which no working round robin misses and
#                          a broken one cannot hit: pick-first would give 100/0/0/0)
#   backends_restart       all 4 stopped: every RPC fails; started again: every backend gets RPCs, even
#                          split (25% +- 5 points of 400), no failure once they are back
#   remove_instance_group  cluster a as two localities (instance groups) g1 = a1 a2 and g2 = a3 a4: all
#                          4 get RPCs; g2 removed from the config: only a1 a2 get RPCs (50% +- 5 points
#                          each), and no RPC fails at all
#   change_backend_service the route to a switched to b: then only b gets RPCs (a handful of failures,
#                          at most 5, tolerated at the switch only: grpc-go's "unknown cluster selected for
#                          RPC" race; zero before and after)
#   traffic_splitting      route to a (a1 a2), then a:20 b:80 with b new in the config: each backend's
#                          share of 1000 RPCs within 5 points of 10% (a1, a2) and 40% (b1, b2) (the
#                          cluster pick is random: 5 points is over 7 standard deviations)
#   path_matching          UnaryCall and EmptyCall; exact path EmptyCall, prefix .../Unary, a
#                          case-insensitive (case_sensitive: false) /gRpC.tEsTinG.tEstseRvice/empTycaLl and
#                          the regex ^\/.*\/UnaryCall$ each route their method to b, the other to a (the
#                          default route /)
#   header_matching        EmptyCall sends xds_md=empty_ytpme, UnaryCall xds_md=unary_yranu and
#                          xds_md_numeric=159: exact, prefix "un", suffix "me", present xds_md_numeric,
#                          exact unary_yranu inverted, range [100, 200] and regex ^em.*me$ each route
#                          exactly the method they match to b, the other to a
#                          (the regex steps run when xdsd --check accepts regex, and print SKIPPED with
#                          xdsd's refusal otherwise; a refusal for another reason fails)
#   circuit_breaking       UnaryCall keep-open to a cluster with max_requests 25: the calls in flight
#                          (accumulated stats: started - succeeded - failed) settle at 25 (25..27 in 10
#                          samples over a second), the rest fail UNAVAILABLE; raised to 50: they settle at 50
#   timeout                UnaryCall's route has timeout 1s (max_stream_duration), the default route none;
#                          without metadata both methods succeed; with rpc-behavior sleep-2 UnaryCalls end
#                          DEADLINE_EXCEEDED (the client's own deadline is 5 s) and EmptyCalls (which
#                          ignore rpc-behavior) succeed
#   csds                   the client's CSDS: the Listener (the target), its RouteConfiguration, both
#                          Clusters and ClusterLoadAssignments, all ACKED at the versions xdsd's /status
#                          says that node ACKed; again after a route change (a new RDS version only)
#   secondary_locality_gets_requests_on_primary_failure
#                          cluster a as locality z1 (the client's zone, priority 0: a1 a2) and z2
#                          (priority 1: b1 b2): 200 RPCs to the primaries only; both killed: only the
#                          secondaries (within 20 s), then 200 RPCs to b1 b2 only, none failed; restarted:
#                          only the primaries again (within 20 s; grpc-go reconnects after its backoff, 1 s
#                          and up), 200 RPCs, none failed. Both times are measured (windows of 20 RPCs, 100
#                          ms) and printed, with the RPCs that failed on the way
#   secondary_locality_gets_no_requests_on_partial_primary_failure
#                          the same localities; a1 killed: 400 RPCs all to a2, none to b1 b2, none failed
#   gentle_failover        z1 a1 a2 a3, z2 b1 b2; a2 a3 killed: the description wants the secondaries AND
#                          a1 to get RPCs (Traffic Director's overprovisioning), which gRPC clients do not
#                          do: grpc-go does not even read ClusterLoadAssignment's overprovisioning_factor,
#                          its priority policy uses the first priority with a READY endpoint, and locality
#                          weights act within a priority only, so no config of xdsd's reaches it. Asserted
#                          is what they do: 400 RPCs all to a1, none to b1 b2 (a documented difference, not a
#                          failure of xdsd); restarted: a1 a2 a3 again
#   fault_injection        one route per sub-case chosen by metadata fi_testcase (exact), the default route
#                          without fault; the client's deadline 1 s (the description's 2 s: each sub-case
#                          waits out one deadline before it counts), the delays 20 s as described; counted
#                          per status in the accumulated stats: zero_percent_fault (delay and abort at 0%)
#                          and fault_not_matching (the default route): every call OK; always_delay: every
#                          call DEADLINE_EXCEEDED; always_abort (code 16): every call UNAUTHENTICATED; 200
#                          calls each; delay_half, abort_half (50%; the abort as `unauthenticated`): 500
#                          calls, 50% +- 10 points (4.5 standard deviations) DEADLINE_EXCEEDED or
#                          UNAUTHENTICATED, the rest OK
#   retry                  (not a public case; gRFC A44, issue 12) the route chosen by metadata
#                          xds_retry=retry retries UNAVAILABLE, attempts 3, the default route has no retry
#                          policy; the server's rpc-behavior succeed-on-retry-attempt-2 then error-code-14:
#                          200 calls all OK through the retry route and all UNAVAILABLE through the default
#                          route; succeed-on-retry-attempt-3 (a 4th attempt): all UNAVAILABLE through the
#                          retry route too. The client also sends grpc-previous-rpc-attempts: 0, because
#                          grpc-go's server panics on a first attempt without it (case_retry)
#   outlier_detection      (gRFC A50) a1 a2 a3, a3 failing every call (rpc-behavior hostname=a3
#                          error-code-2); without outlier detection 600 RPCs: a third fail (a3's); with
#                          failure_percentage {threshold 50, minimum_hosts 3, request_volume 10}, interval
#                          1 s, base_ejection_time 30 s, max_ejection_percent 50: a3 ejected (a window
#                          without a failure, a1 a2 only) within 15 s of the client's ACK of the cluster
#                          (measured), then 400 RPCs to a1 a2 only, none failed, and every failure since
#                          the client started was a3's UNKNOWN (2)
# And at the end: no NACK from any client (xdsd_nacks_total 0).
# INTEROP_CASES="CASE ..." runs only those cases, in that order (for debugging; default all, as above).
#
# Not covered: load_based_failover (Traffic Director's RATE balancing mode with a maxRate per locality:
# neither xDS's resources for gRPC nor gRPC clients have a rate to fail over on); gentle_failover's
# expected split (above); affinity (ring hash on a header, which xdsd now serves as route hash_header with
# cluster lb: ring_hash; xds_e2e_features proves it through grpc-js and Envoy, not yet added here).
# Not applicable: the cases about the test framework's cloud (api_listener, forwarding_rule_*,
# metadata_filter, ...), which are about GCP's URL maps rather than what a client gets.
NET_BASE=200
DNS_PORT=5500
QPS=${INTEROP_QPS:-200} # RPCs a second per RPC type (the client's -qps)
HERE=$(cd "$(dirname "$0")" && pwd)
if [ "${XDS_INTEROP_NETNS:-}" != 1 ]; then
  # The only reason to skip: the peers are not built (scripts/deps.sh builds them).
  if ! G=$(bash "$HERE/../../scripts/grpc-xds.sh" path 2>&1); then
    echo "SKIP: grpc-go's xDS interop client and server are not built ($G)"
    exit 77
  fi
  [ "$(id -u)" -eq 0 ] || { echo "FAIL: $0 needs root (it makes a network namespace of its own)" >&2; exit 1; }
  exec unshare -n env XDS_INTEROP_NETNS=1 GRPC_XDS_BIN="$G" bash "$0" "$@"
fi
ip link set lo up || { echo "FAIL: cannot set up the network namespace" >&2; exit 1; }
. "$HERE/xlib.sh"
G=$GRPC_XDS_BIN
T0=$(now_ms)

# ---- backends: one interop server per name, each on its own port of 127.0.0.1 -------------------------
declare -A PORT=([a1]=50101 [a2]=50102 [a3]=50103 [a4]=50104 [b1]=50201 [b2]=50202)
declare -A SRV
backend_start() {
  local n
  for n in "$@"; do
    spawn "server-$n" "$G/xds-server" --port "${PORT[$n]}" --maintenance_port "$((PORT[$n] + 1000))" \
      --server_id "$n" --host_name_override "$n"
    SRV[$n]=$LAST_PID
  done
  for n in "$@"; do wait_port 127.0.0.1 "${PORT[$n]}"; done
}
backend_stop() {
  local n
  for n in "$@"; do kill -TERM "${SRV[$n]}" 2>/dev/null; done
  for n in "$@"; do wait "${SRV[$n]}" 2>/dev/null; forget "${SRV[$n]}"; done
}
# eps NAME...: a YAML flow list of the backends' endpoints.
eps() {
  local n out=
  for n in "$@"; do out+="${out:+, }{address: 127.0.0.1, port: ${PORT[$n]}}"; done
  echo "[$out]"
}

# ---- xdsd and its config ---------------------------------------------------------------------------------
finals() { grep -c 'msg="snapshot" .*phase=final' "$T/xdsd.log"; }
# serve FILE: the config swapped in (a rename, as kubelet does); returns once xdsd has logged the
# final snapshot of it and sets VERSION to that snapshot's version. A FILE identical to the config being
# served is not swapped in again (VERSION stays); every other config of this test differs in what it
# serves from the one before.
serve() {
  local n
  "$BIN/xdsd" --check "$1" >"$T/check.out" 2>&1 || fail "xdsd --check refuses $1: $(cat "$T/check.out")"
  # The very config xdsd serves already (a case run after another that left it): nothing to swap.
  cmp -s "$1" "$T/serving.yaml" && return 0
  n=$(finals)
  configmap_swap "$1"
  wait_for 10 sh -c "[ \$(grep -c 'msg=\"snapshot\" .*phase=final' '$T/xdsd.log') -gt $n ]"
  VERSION=$(grep 'msg="snapshot" .*phase=final' "$T/xdsd.log" | tail -n 1 | sed 's/.* version=\([0-9]*\) .*/\1/')
  cp "$1" "$T/serving.yaml"
}
# config FILE: the config on stdin, one listener "server" (clients dial xds:///server).
config() { cat >"$1"; }

# ---- the client ------------------------------------------------------------------------------------------
CLIENT_N=0
# client CASE [ARGS...]: a fresh interop client on xds:///server, node id interop-CASE, stats port of
# its own ($STATS), $QPS per RPC type; ARGS go to the client (-rpc_timeout ...).
client() {
  local name=$1
  shift
  CLIENT_N=$((CLIENT_N + 1))
  NODE=interop-$name
  STATS=127.0.0.1:$((8100 + CLIENT_N))
  cat >"$T/bootstrap-$name.json" <<JSON
{"xds_servers":[{"server_uri":"$XDS_ADDR:$XDS_PORT","channel_creds":[{"type":"insecure"}],"server_features":["xds_v3"]}],
 "node":{"id":"$NODE","cluster":"interop","locality":{"zone":"z1"}}}
JSON
  spawn "client-$name" env GRPC_XDS_BOOTSTRAP="$T/bootstrap-$name.json" "$G/xds-client" --server xds:///server \
    --stats_port "$((8100 + CLIENT_N))" --qps "$QPS" --rpc_timeout 5s "$@"
  CLIENT_PID=$LAST_PID
  wait_port 127.0.0.1 "$((8100 + CLIENT_N))"
}
client_stop() {
  kill -TERM "$CLIENT_PID" 2>/dev/null
  wait "$CLIENT_PID" 2>/dev/null
  forget "$CLIENT_PID"
}
lb() { "$G/lbstats" -addr "$STATS" "$@"; }
# configure RPCS [METADATA]: what the client sends (XdsUpdateClientConfigureService).
configure() { lb configure -rpc "$1" ${2:+-metadata "$2"} >/dev/null || fail "lbstats configure $* failed"; }

# jq over lbstats's answers: peers of a window (all or of one method), its failures, its total.
JQ='def peers: .rpcs_by_peer // {};
def method($m): .rpcs_by_method[$m].rpcs_by_peer // {};
def fails: .num_failures // 0;
def sum: [.[]] | add // 0;
def show: to_entries | map("\(.key)=\(.value)") | join(" ");'
# window N: the stats of the next N RPCs into $T/window.json (lbstats waits for them, at most 10 s).
window() { lb stats -n "$1" -timeout 10s >"$T/window.json" || fail "lbstats stats -n $1 failed"; }
# w JQ-EXPR: prints EXPR of the last window; wq JQ-EXPR: whether it is true.
w() { jq -r "$JQ $1" "$T/window.json"; }
wq() { jq -e "$JQ $1" "$T/window.json" >/dev/null; }
# shown: the last window in one line.
shown() { jq -r "$JQ"' "peers: \(peers | show) failures: \(fails)" + ([.rpcs_by_method // {} | to_entries[] |
  " \(.key): \(.value.rpcs_by_peer // {} | show)"] | join(""))' "$T/window.json"; }
# until_window SECS N WHAT JQ-EXPR: windows of N RPCs until one satisfies EXPR, or fails after SECS.
until_window() {
  local secs=$1 n=$2 what=$3 expr=$4 deadline
  deadline=$(($(now_ms) + secs * 1000))
  while :; do
    window "$n"
    wq "$expr" && return 0
    [ "$(now_ms)" -lt "$deadline" ] || fail "$CASE: no window of $n RPCs where $what within ${secs}s; last: $(shown)"
  done
}
# acc JQ-EXPR: evaluates EXPR on the client's accumulated stats (counts since it started).
acc() { lb accumulated | jq -r "$1" || fail "lbstats accumulated failed"; }
acc_failed() { acc '[.num_rpcs_failed_by_method // {} | .[]] | add // 0'; }
# none_failed [WHEN]: fails the case when any RPC failed since its client started (its accumulated stats).
none_failed() {
  local f
  f=$(acc_failed)
  [ "$f" -eq 0 ] || fail "$CASE: $f RPCs failed ${1:-since the client started}"
}
# csds_at TYPE VERSION: the client holds every resource of TYPE ACKED at VERSION.
csds_at() {
  lb csds | jq -e --arg t "envoy.config.$1" --arg v "$2" \
    '[.[] | select(.type == $t)] | length > 0 and all(.version == $v and .client_status == "ACKED")' >/dev/null
}
pass() { echo "PASS $CASE: $* ($(($(now_ms) - CASE_T0)) ms)"; }
begin() {
  CASE=$1
  CASE_T0=$(now_ms)
  echo "--- $CASE"
}

# ---- start: 6 backends, xdsd on the first config -------------------------------------------------------
backend_start a1 a2 a3 a4 b1 b2
config "$T/four.yaml" <<YAML
name: interop-four
spec:
  listeners:
  - name: server
    routes:
    - {name: all, prefix: /, clusters: [{name: a}]}
  clusters:
  - {name: a, endpoints: $(eps a1 a2 a3 a4)}
YAML
"$BIN/xdsd" --check "$T/four.yaml" >/dev/null || fail "xdsd --check refuses the first config"
configmap_init "$T/four.yaml"
start_xdsd
wait_for 10 sh -c "[ \$(grep -c 'msg=\"snapshot\" .*phase=final' '$T/xdsd.log') -ge 1 ]"
cp "$T/four.yaml" "$T/serving.yaml"
VERSION=$(grep 'msg="snapshot" .*phase=final' "$T/xdsd.log" | tail -n 1 | sed 's/.* version=\([0-9]*\) .*/\1/')
ALL4='["a1","a2","a3","a4"]'

case_ping_pong() {
  begin ping_pong
  client ping_pong
  until_window 15 100 "all 4 backends answer" "peers | keys == $ALL4"
  window 200
  wq "fails == 0 and (peers | keys) == $ALL4 and (peers | sum) == 200" ||
    fail "$CASE: 200 RPCs not all answered by a1..a4 without failure: $(shown)"
  none_failed
  pass "200 RPCs: $(w 'peers | show'), 0 failed (0 since the client started)"
  client_stop
}

case_round_robin() {
  begin round_robin
  client round_robin
  until_window 15 100 "all 4 backends answer" "peers | keys == $ALL4"
  window 1000
  wq "fails == 0 and (peers | sum) == 1000 and (peers | keys) == $ALL4 and
      all(peers[]; . >= 200 and . <= 300)" ||
    fail "$CASE: 1000 RPCs not 25% +- 5 points on each of a1..a4 without failure: $(shown)"
  pass "1000 RPCs: $(w 'peers | show') (each 250 +- 50 required; largest deviation $(w '[peers[] - 250 | fabs] | max')), 0 failed"
  client_stop
}

case_backends_restart() {
  begin backends_restart
  client backends_restart
  until_window 15 100 "all 4 backends answer" "peers | keys == $ALL4"
  backend_stop a1 a2 a3 a4
  local t0 down up f0
  t0=$(now_ms)
  until_window 10 20 "every RPC fails" "(peers | sum) == 0 and fails == 20"
  down=$(($(now_ms) - t0))
  window 100
  wq "(peers | sum) == 0 and fails == 100" || fail "$CASE: with every backend stopped some RPC succeeded: $(shown)"
  backend_start a1 a2 a3 a4
  t0=$(now_ms)
  until_window 20 100 "all 4 restarted backends answer" "peers | keys == $ALL4"
  up=$(($(now_ms) - t0))
  f0=$(acc_failed)
  window 400
  wq "fails == 0 and (peers | sum) == 400 and (peers | keys) == $ALL4 and all(peers[]; . >= 80 and . <= 120)" ||
    fail "$CASE: after the restart, 400 RPCs not 25% +- 5 points on each of a1..a4 without failure: $(shown)"
  [ "$(acc_failed)" -eq "$f0" ] || fail "$CASE: RPCs failed after the backends were back"
  pass "stopped: 100 of 100 RPCs failed (all failing ${down} ms after the stop); restarted: all 4 answering after ${up} ms, then 400 RPCs $(w 'peers | show'), 0 failed"
  client_stop
}

case_remove_instance_group() {
  begin remove_instance_group
  # One cluster, two instance groups: localities g1 (a1 a2) and g2 (a3 a4), both priority 0.
  local g
  for g in both g1; do
    {
      printf 'name: interop-groups-%s\nspec:\n  listeners:\n  - name: server\n    routes:\n' "$g"
      printf '    - {name: all, prefix: /, clusters: [{name: a}]}\n  clusters:\n  - name: a\n    localities:\n'
      printf '    - {zone: g1, endpoints: %s}\n' "$(eps a1 a2)"
      [ "$g" = g1 ] || printf '    - {zone: g2, endpoints: %s}\n' "$(eps a3 a4)"
    } >"$T/groups-$g.yaml"
  done
  serve "$T/groups-both.yaml"
  client remove_instance_group
  until_window 15 100 "both groups' 4 backends answer" "peers | keys == $ALL4"
  window 200
  wq "fails == 0 and (peers | keys) == $ALL4 and (peers | sum) == 200" ||
    fail "$CASE: 200 RPCs not all answered by both groups without failure: $(shown)"
  local before t0 t
  before=$(w 'peers | show')
  t0=$(now_ms)
  serve "$T/groups-g1.yaml"
  wait_for 10 csds_at endpoint.v3.ClusterLoadAssignment "$VERSION"
  until_window 10 50 "only a1 a2 answer" 'peers | keys == ["a1","a2"]'
  t=$(($(now_ms) - t0))
  window 200
  wq 'fails == 0 and (peers | keys) == ["a1","a2"] and (peers | sum) == 200 and all(peers[]; . >= 90 and . <= 110)' ||
    fail "$CASE: after the removal 200 RPCs not split over a1 a2 only without failure: $(shown)"
  none_failed "across the removal"
  pass "groups g1+g2: 200 RPCs $before; g2 removed (version $VERSION): only g1 after ${t} ms, 200 RPCs $(w 'peers | show'), 0 failed since the client started"
  client_stop
}

case_change_backend_service() {
  begin change_backend_service
  local to
  for to in a b; do
    config "$T/route-$to.yaml" <<YAML
name: interop-route-$to
spec:
  listeners:
  - name: server
    routes:
    - {name: all, prefix: /, clusters: [{name: $to}]}
  clusters:
  - {name: a, endpoints: $(eps a1 a2 a3 a4)}
  - {name: b, endpoints: $(eps b1 b2)}
YAML
  done
  serve "$T/route-a.yaml"
  client change_backend_service
  until_window 15 100 "all of a answers" "peers | keys == $ALL4"
  local f0 f1 t0 t
  f0=$(acc_failed)
  [ "$f0" -eq 0 ] || fail "$CASE: $f0 RPCs failed before the switch"
  t0=$(now_ms)
  serve "$T/route-b.yaml"
  wait_for 10 csds_at route.v3.RouteConfiguration "$VERSION"
  until_window 10 50 "only b answers" 'peers | keys == ["b1","b2"]'
  t=$(($(now_ms) - t0))
  f1=$(acc_failed)
  window 200
  wq 'fails == 0 and (peers | keys) == ["b1","b2"] and (peers | sum) == 200' ||
    fail "$CASE: after the switch 200 RPCs not all to b without failure: $(shown)"
  [ "$(acc_failed)" -eq "$f1" ] || fail "$CASE: RPCs failed after the switch had settled"
  [ $((f1 - f0)) -le 5 ] || fail "$CASE: $((f1 - f0)) RPCs failed at the switch (at most 5 tolerated)"
  pass "a1..a4 only, then the route switched to b (version $VERSION): only b after ${t} ms, 200 RPCs $(w 'peers | show'), $((f1 - f0)) failed at the switch (grpc-go's race; at most 5 tolerated), 0 before and after"
  client_stop
}

case_traffic_splitting() {
  begin traffic_splitting
  config "$T/split-a.yaml" <<YAML
name: interop-split-a
spec:
  listeners:
  - name: server
    routes:
    - {name: all, prefix: /, clusters: [{name: a}]}
  clusters:
  - {name: a, endpoints: $(eps a1 a2)}
YAML
  # b is new in the config: xdsd serves it before the route that names it (make before break).
  config "$T/split.yaml" <<YAML
name: interop-split
spec:
  listeners:
  - name: server
    routes:
    - name: all
      prefix: /
      clusters: [{name: a, weight: 20}, {name: b, weight: 80}]
  clusters:
  - {name: a, endpoints: $(eps a1 a2)}
  - {name: b, endpoints: $(eps b1 b2)}
YAML
  serve "$T/split-a.yaml"
  client traffic_splitting
  until_window 15 100 "a1 a2 answer everything" 'peers | keys == ["a1","a2"] and fails == 0'
  local f0 f1
  f0=$(acc_failed)
  [ "$f0" -eq 0 ] || fail "$CASE: $f0 RPCs failed before the split"
  serve "$T/split.yaml"
  wait_for 10 csds_at route.v3.RouteConfiguration "$VERSION"
  until_window 10 100 "all 4 of a and b answer" 'peers | keys == ["a1","a2","b1","b2"]'
  f1=$(acc_failed)
  window 1000
  wq 'fails == 0 and (peers | sum) == 1000 and (peers | keys) == ["a1","a2","b1","b2"] and
      (peers.a1 >= 50 and peers.a1 <= 150 and peers.a2 >= 50 and peers.a2 <= 150) and
      (peers.b1 >= 350 and peers.b1 <= 450 and peers.b2 >= 350 and peers.b2 <= 450)' ||
    fail "$CASE: 1000 RPCs not 10/10/40/40% +- 5 points on a1 a2 b1 b2 without failure: $(shown)"
  [ $((f1 - f0)) -le 5 ] || fail "$CASE: $((f1 - f0)) RPCs failed at the switch (at most 5 tolerated)"
  pass "all to a, then a:20 b:80 (version $VERSION): 1000 RPCs $(w 'peers | show') (a $(pct "$(w 'peers.a1 + peers.a2')" 1000)%, b $(pct "$(w 'peers.b1 + peers.b2')" 1000)%), $((f1 - f0)) failed at the switch, 0 after"
  client_stop
}

# regex_offered FILE: whether xdsd --check accepts FILE's regex matcher (RE2; issue 12 adds it). When
# it refuses, the refusal must be about the regex (then the regex step is skipped, and says so).
regex_offered() {
  local out
  out=$("$BIN/xdsd" --check "$1" 2>&1) && return 0
  [[ $out == *regex* ]] || fail "$CASE: xdsd --check refuses $1 for another reason than regex: $out"
  REGEX_REFUSED=$out
  return 1
}
# regex_step FILE METHOD: the regex step (FILE routes METHOD to b), or a skip when xdsd refuses it.
regex_step() {
  SUB=regex
  if regex_offered "$1"; then
    serve "$1"
    routed "$2"
  else
    FIGS+=" regex: SKIPPED (xdsd --check refuses it: ${REGEX_REFUSED##*: });"
  fi
}

# route_config FILE NAME ROUTE-YAML: a matching route to b (its YAML lines given), then the default to a.
route_config() {
  config "$1" <<YAML
name: $2
spec:
  listeners:
  - name: server
    routes:
    - name: match
$3
      clusters: [{name: b}]
    - {name: default, prefix: /, clusters: [{name: a}]}
  clusters:
  - {name: a, endpoints: $(eps a1 a2)}
  - {name: b, endpoints: $(eps b1 b2)}
YAML
}
# routed TO_B: after serve, waits for the client's new RDS version, then for the method
# TO_B (UnaryCall or EmptyCall) to reach b only and the other a only; then 200 RPCs (about 100 of each:
# the window ends at its 200th answer, whichever method it is) must do exactly that. Appends the
# figures to $FIGS.
routed() {
  local to_b=$1 other=EmptyCall
  [ "$to_b" = EmptyCall ] && other=UnaryCall
  local expr="(method(\"$to_b\") | keys) == [\"b1\",\"b2\"] and (method(\"$other\") | keys) == [\"a1\",\"a2\"]"
  wait_for 10 csds_at route.v3.RouteConfiguration "$VERSION"
  until_window 10 40 "$to_b reaches only b and $other only a" "$expr"
  window 200
  wq "fails == 0 and $expr and (peers | sum) == 200 and (method(\"$to_b\") | sum) >= 50 and (method(\"$other\") | sum) >= 50" ||
    fail "$CASE ($SUB): of 200 RPCs, not every $to_b to b and every $other to a without failure: $(shown)"
  FIGS+=" $SUB: $to_b->b $(w "method(\"$to_b\") | sum") $other->a $(w "method(\"$other\") | sum");"
}

case_path_matching() {
  begin path_matching
  FIGS=
  route_config "$T/path-exact.yaml" interop-path-exact "      path: /grpc.testing.TestService/EmptyCall"
  route_config "$T/path-prefix.yaml" interop-path-prefix "      prefix: /grpc.testing.TestService/Unary"
  route_config "$T/path-nocase.yaml" interop-path-nocase "      path: /gRpC.tEsTinG.tEstseRvice/empTycaLl
      case_sensitive: false"
  route_config "$T/path-regex.yaml" interop-path-regex "      regex: '^\\/.*\\/UnaryCall\$'"
  serve "$T/path-exact.yaml"
  client path_matching
  configure UnaryCall,EmptyCall
  SUB=exact_path
  routed EmptyCall
  SUB=prefix
  serve "$T/path-prefix.yaml"
  routed UnaryCall
  SUB=case_insensitive_path
  serve "$T/path-nocase.yaml"
  routed EmptyCall
  regex_step "$T/path-regex.yaml" UnaryCall
  none_failed
  pass "$FIGS 0 failed since the client started"
  client_stop
}

case_header_matching() {
  begin header_matching
  FIGS=
  route_config "$T/hdr-exact.yaml" interop-hdr-exact "      headers: [{name: xds_md, exact: empty_ytpme}]"
  route_config "$T/hdr-prefix.yaml" interop-hdr-prefix "      headers: [{name: xds_md, prefix: un}]"
  route_config "$T/hdr-suffix.yaml" interop-hdr-suffix "      headers: [{name: xds_md, suffix: me}]"
  route_config "$T/hdr-present.yaml" interop-hdr-present "      headers: [{name: xds_md_numeric, present: true}]"
  route_config "$T/hdr-invert.yaml" interop-hdr-invert "      headers: [{name: xds_md, exact: unary_yranu, invert: true}]"
  route_config "$T/hdr-range.yaml" interop-hdr-range "      headers: [{name: xds_md_numeric, range: [100, 200]}]"
  route_config "$T/hdr-regex.yaml" interop-hdr-regex "      headers: [{name: xds_md, regex: '^em.*me\$'}]"
  serve "$T/hdr-exact.yaml"
  client header_matching
  configure UnaryCall,EmptyCall "EmptyCall:xds_md:empty_ytpme,UnaryCall:xds_md:unary_yranu,UnaryCall:xds_md_numeric:159"
  SUB=exact
  routed EmptyCall
  local s to
  for s in prefix:UnaryCall suffix:EmptyCall present:UnaryCall invert:EmptyCall range:UnaryCall; do
    SUB=${s%%:*}
    to=${s#*:}
    serve "$T/hdr-$SUB.yaml"
    routed "$to"
  done
  regex_step "$T/hdr-regex.yaml" EmptyCall
  none_failed
  pass "$FIGS 0 failed since the client started"
  client_stop
}

# inflight: UnaryCalls started and not finished (accumulated stats).
inflight() {
  acc '(.num_rpcs_started_by_method.UNARY_CALL // 0) - (.num_rpcs_succeeded_by_method.UNARY_CALL // 0)
       - (.num_rpcs_failed_by_method.UNARY_CALL // 0)'
}
# settles_at N: in flight reaches N (deadline 10 s), then stays there over 10 samples 100 ms apart: N,
# or N+1 or N+2 when refused calls are caught between their start and their failure (each takes well
# under a millisecond, but a loaded machine may stall one). Sets SAMPLES.
settles_at() {
  local n=$1 i v deadline
  deadline=$(($(now_ms) + 10000))
  until [ "$(inflight)" -eq "$n" ]; do
    [ "$(now_ms)" -lt "$deadline" ] || fail "$CASE: calls in flight did not reach $n within 10 s (now $(inflight))"
    sleep 0.05
  done
  SAMPLES=
  for i in $(seq 10); do
    v=$(inflight)
    SAMPLES+="${SAMPLES:+,}$v"
    [ "$v" -ge "$n" ] && [ "$v" -le $((n + 2)) ] || fail "$CASE: calls in flight $v, not $n (samples $SAMPLES)"
    sleep 0.1
  done
}

case_circuit_breaking() {
  begin circuit_breaking
  local m
  for m in 25 50; do
    config "$T/cb-$m.yaml" <<YAML
name: interop-cb-$m
spec:
  listeners:
  - name: server
    routes:
    - {name: all, prefix: /, clusters: [{name: a}]}
  clusters:
  - {name: a, max_requests: $m, endpoints: $(eps a1 a2)}
YAML
  done
  serve "$T/cb-25.yaml"
  # keep-open calls stay open for the case (their deadline is 60 s; the client is stopped at the end).
  client circuit_breaking --rpc_timeout 60s
  until_window 15 50 "a1 a2 answer" 'peers | keys == ["a1","a2"] and fails == 0'
  configure UnaryCall "UnaryCall:rpc-behavior:keep-open"
  settles_at 25
  local s25=$SAMPLES refused codes
  refused=$(acc_failed)
  [ "$refused" -gt 0 ] || fail "$CASE: no call was refused over the limit"
  serve "$T/cb-50.yaml"
  wait_for 10 csds_at cluster.v3.Cluster "$VERSION"
  settles_at 50
  codes=$(acc '.stats_per_method.UNARY_CALL.result // {} | to_entries | map(select(.key != "0")) | map("\(.key)=\(.value)") | join(" ")')
  [[ $codes =~ ^14=[0-9]+$ ]] || fail "$CASE: refused calls ended with codes other than UNAVAILABLE (14): $codes"
  pass "max_requests 25: in flight $s25; raised to 50 (version $VERSION): in flight $SAMPLES; refused: $(acc_failed) calls, all code 14 UNAVAILABLE"
  client_stop
}

case_timeout() {
  begin timeout
  config "$T/timeout.yaml" <<YAML
name: interop-timeout
spec:
  listeners:
  - name: server
    routes:
    - {name: unary, path: /grpc.testing.TestService/UnaryCall, timeout: 1s, clusters: [{name: a}]}
    - {name: default, prefix: /, clusters: [{name: a}]}
  clusters:
  - {name: a, endpoints: $(eps a1 a2)}
YAML
  serve "$T/timeout.yaml"
  client timeout --rpc_timeout 5s
  configure UnaryCall,EmptyCall
  until_window 15 40 "a1 a2 answer both methods" \
    '(method("UnaryCall") | keys) == ["a1","a2"] and (method("EmptyCall") | keys) == ["a1","a2"]'
  window 200
  wq 'fails == 0 and (peers | sum) == 200 and (method("UnaryCall") | sum) >= 50 and (method("EmptyCall") | sum) >= 50' ||
    fail "$CASE: without metadata, not every call answered: $(shown)"
  local plain="without metadata: $(w 'method("UnaryCall") | sum') UnaryCalls and $(w 'method("EmptyCall") | sum') EmptyCalls answered, 0 failed"
  # With sleep-2 (the server answers UnaryCall after 2 s; EmptyCall ignores rpc-behavior). Counted in
  # the accumulated stats, per method and status code, from B0 (taken once the client sends the
  # metadata) until 50 UnaryCalls have ended DEADLINE_EXCEEDED. A UnaryCall that succeeds after B0 can
  # only be one already in flight at B0 (sent before the metadata).
  configure UnaryCall,EmptyCall "UnaryCall:rpc-behavior:sleep-2,EmptyCall:rpc-behavior:sleep-2"
  local b0 b1 t0 ms
  b0=$(lb accumulated) || fail "lbstats accumulated failed"
  t0=$(now_ms)
  de_reach() { [ "$(acc '.stats_per_method.UNARY_CALL.result["4"] // 0')" -ge "$1" ]; }
  wait_for 10 de_reach $(($(jq '.stats_per_method.UNARY_CALL.result["4"] // 0' <<<"$b0") + 50))
  ms=$(($(now_ms) - t0))
  b1=$(lb accumulated) || fail "lbstats accumulated failed"
  # d METHOD FIELD: FIELD's growth from b0 to b1 (FIELD: started, succeeded, failed or a status code).
  d() {
    local f
    case $2 in
      started | succeeded | failed) f=".num_rpcs_$2_by_method.$1 // 0" ;;
      *) f=".stats_per_method.$1.result[\"$2\"] // 0" ;;
    esac
    echo $(($(jq "$f" <<<"$b1") - $(jq "$f" <<<"$b0")))
  }
  local inflight0 u_ok u_fail u_de e_ok e_fail
  inflight0=$(jq '(.num_rpcs_started_by_method.UNARY_CALL // 0) - (.num_rpcs_succeeded_by_method.UNARY_CALL // 0) -
    (.num_rpcs_failed_by_method.UNARY_CALL // 0)' <<<"$b0")
  u_ok=$(d UNARY_CALL succeeded) u_fail=$(d UNARY_CALL failed) u_de=$(d UNARY_CALL 4)
  e_ok=$(d EMPTY_CALL succeeded) e_fail=$(d EMPTY_CALL failed)
  [ "$u_de" -ge 50 ] && [ "$u_fail" -eq "$u_de" ] ||
    fail "$CASE: with sleep-2, $u_fail UnaryCalls failed, $u_de of them DEADLINE_EXCEEDED (want all)"
  [ "$u_ok" -le "$inflight0" ] ||
    fail "$CASE: with sleep-2, $u_ok UnaryCalls succeeded (the route's 1 s timeout did not end them; $inflight0 were in flight before)"
  [ "$e_fail" -eq 0 ] && [ "$e_ok" -ge 50 ] || fail "$CASE: with sleep-2, EmptyCalls: $e_ok answered, $e_fail failed"
  pass "$plain; with sleep-2 (1 s route timeout, 5 s client deadline): $u_de UnaryCalls DEADLINE_EXCEEDED, $u_ok answered ($inflight0 in flight before the metadata), $e_ok EmptyCalls answered, 0 failed (50 DEADLINE_EXCEEDED after ${ms} ms)"
  client_stop
}

case_csds() {
  begin csds
  config "$T/csds.yaml" <<YAML
name: interop-csds
spec:
  listeners:
  - name: server
    routes:
    - {name: empty, path: /grpc.testing.TestService/EmptyCall, clusters: [{name: b}]}
    - {name: all, prefix: /, clusters: [{name: a}]}
  clusters:
  - {name: a, endpoints: $(eps a1 a2)}
  - {name: b, endpoints: $(eps b1 b2)}
YAML
  config "$T/csds2.yaml" <<YAML
name: interop-csds2
spec:
  listeners:
  - name: server
    routes:
    - {name: empty, path: /grpc.testing.TestService/EmptyCall, clusters: [{name: a}]}
    - {name: all, prefix: /, clusters: [{name: b}]}
  clusters:
  - {name: a, endpoints: $(eps a1 a2)}
  - {name: b, endpoints: $(eps b1 b2)}
YAML
  serve "$T/csds.yaml"
  client csds
  configure UnaryCall,EmptyCall
  until_window 15 40 "both methods answered" '(method("UnaryCall") | keys) == ["a1","a2"] and (method("EmptyCall") | keys) == ["b1","b2"]'
  local r1 r2
  csds_matches
  r1=$CSDS_FIGS
  serve "$T/csds2.yaml"
  wait_for 10 csds_at route.v3.RouteConfiguration "$VERSION"
  csds_matches
  r2=$CSDS_FIGS
  pass "at first: $r1; after a route change (version $VERSION): $r2"
  client_stop
}
# csds_matches: the client's CSDS holds exactly Listener server, RouteConfiguration server, Cluster and
# ClusterLoadAssignment a and b, all ACKED, each at the version xdsd's /status says this node ACKed
# for that type (polled: /status is published every loop turn). Sets CSDS_FIGS.
csds_matches() {
  local deadline got want
  deadline=$(($(now_ms) + 5000))
  while :; do
    lb csds >"$T/csds.json" || fail "lbstats csds failed"
    status >"$T/status.json" || fail "xdsd /status failed"
    got=$(jq -r '[.[] | "\(.type | sub("^envoy.config.[a-z]+.v3."; ""))/\(.name)@\(.version):\(.client_status)"] | join(" ")' "$T/csds.json")
    want=$(jq -r --arg n "$NODE" '.nodes[] | select(.id == $n) | .types as $t |
      ["Listener/server@\($t.lds.version_acked):ACKED", "RouteConfiguration/server@\($t.rds.version_acked):ACKED",
       "Cluster/a@\($t.cds.version_acked):ACKED", "Cluster/b@\($t.cds.version_acked):ACKED",
       "ClusterLoadAssignment/a@\($t.eds.version_acked):ACKED", "ClusterLoadAssignment/b@\($t.eds.version_acked):ACKED"] | join(" ")' \
      "$T/status.json")
    [ -n "$want" ] && [ "$got" = "$want" ] && break
    [ "$(now_ms)" -lt "$deadline" ] || fail "$CASE: the client's CSDS [$got] is not what xdsd says node $NODE ACKed [$want]"
    sleep 0.1
  done
  jq -e '[.[] | .error_state == null] | all' "$T/csds.json" >/dev/null || fail "$CASE: a resource has an error_state: $(cat "$T/csds.json")"
  CSDS_FIGS=$got
}

# ---- locality priorities (gRFC A27's priority policy; the client's own zone is z1) ------------------------
# loc_config FILE NAME "PRIMARIES" "SECONDARIES": cluster a as locality z1 (the client's zone, priority 0)
# with PRIMARIES and locality z2 (priority 1) with SECONDARIES; every call routed to a.
loc_config() {
  config "$1" <<YAML
name: $2
spec:
  listeners:
  - name: server
    routes:
    - {name: all, prefix: /, clusters: [{name: a}]}
  clusters:
  - name: a
    localities:
    - {zone: z1, priority: 0, endpoints: $(eps $3)}
    - {zone: z2, priority: 1, endpoints: $(eps $4)}
YAML
}
# keys_of NAME...: the jq array of the names, sorted (what `peers | keys` gives).
keys_of() { printf '%s\n' "$@" | sort | jq -R . | jq -sc .; }
# only WINDOW-N NAME...: a window of N RPCs answered by exactly NAMEs, none failed (else the case fails).
only() {
  local n=$1 want
  shift
  want=$(keys_of "$@")
  window "$n"
  wq "fails == 0 and (peers | keys) == $want and (peers | sum) == $n" ||
    fail "$CASE: $n RPCs not all answered by $* without failure: $(shown)"
}

case_secondary_locality_gets_requests_on_primary_failure() {
  begin secondary_locality_gets_requests_on_primary_failure
  loc_config "$T/loc-22.yaml" interop-loc-22 "a1 a2" "b1 b2"
  serve "$T/loc-22.yaml"
  client secondary_locality_gets_requests_on_primary_failure
  until_window 15 100 "the primaries a1 a2 answer" 'peers | keys == ["a1","a2"]'
  only 200 a1 a2
  local before t0 over back f0 f1 f2 during
  before=$(w 'peers | show')
  f0=$(acc_failed)
  # Both primaries killed: priority 0 has no reachable endpoint left (grpc-go's round robin reports
  # TRANSIENT_FAILURE as soon as their reconnections are refused), and the priority policy moves on.
  backend_stop a1 a2
  t0=$(now_ms)
  until_window 20 20 "only the secondaries b1 b2 answer" 'peers | keys == ["b1","b2"]'
  over=$(($(now_ms) - t0))
  f1=$(acc_failed)
  only 200 b1 b2
  during=$(w 'peers | show')
  backend_start a1 a2
  t0=$(now_ms)
  until_window 20 20 "only the primaries a1 a2 answer again" 'peers | keys == ["a1","a2"]'
  back=$(($(now_ms) - t0))
  f2=$(acc_failed)
  only 200 a1 a2
  [ "$(acc_failed)" -eq "$f2" ] || fail "$CASE: RPCs failed after the primaries were back"
  pass "primaries: 200 RPCs $before; both killed: only the secondaries after ${over} ms (RPCs failed meanwhile: $((f1 - f0))), 200 RPCs $during, 0 failed; restarted: only the primaries again after ${back} ms (failed meanwhile: $((f2 - f1))), 200 RPCs $(w 'peers | show'), 0 failed"
  client_stop
}

case_secondary_locality_gets_no_requests_on_partial_primary_failure() {
  begin secondary_locality_gets_no_requests_on_partial_primary_failure
  loc_config "$T/loc-22.yaml" interop-loc-22 "a1 a2" "b1 b2"
  serve "$T/loc-22.yaml"
  client secondary_locality_gets_no_requests_on_partial_primary_failure
  until_window 15 100 "the primaries a1 a2 answer" 'peers | keys == ["a1","a2"]'
  only 200 a1 a2
  local before t0 t f0 f1
  before=$(w 'peers | show')
  f0=$(acc_failed)
  backend_stop a1
  t0=$(now_ms)
  until_window 10 20 "only a2 answers" 'peers | keys == ["a2"]'
  t=$(($(now_ms) - t0))
  f1=$(acc_failed)
  only 400 a2
  local during
  during=$(w 'peers | show')
  backend_start a1
  until_window 20 20 "a1 answers again" 'peers | keys == ["a1","a2"]'
  only 200 a1 a2
  pass "primaries: 200 RPCs $before; a1 killed: only a2 after ${t} ms (RPCs failed at the kill: $((f1 - f0))), 400 RPCs $during, none to b1 b2, 0 failed; a1 restarted: 200 RPCs $(w 'peers | show')"
  client_stop
}

# gentle_failover: the description expects the secondaries AND the remaining primary to get RPCs when 2
# of 3 primaries are down (Traffic Director's overprovisioning: a priority under 72% healthy spills a
# share to the next). gRPC clients do not implement overprovisioning (the priority policy uses exactly
# one priority: the first with a READY endpoint), and no config of xdsd's changes that (locality weights
# act within a priority only), so the case asserts what gRPC does with xdsd: the remaining primary gets
# every RPC and the secondaries none; then the restarted primaries share them again.
case_gentle_failover() {
  begin gentle_failover
  loc_config "$T/loc-32.yaml" interop-loc-32 "a1 a2 a3" "b1 b2"
  serve "$T/loc-32.yaml"
  client gentle_failover
  until_window 15 150 "the primaries a1 a2 a3 answer" 'peers | keys == ["a1","a2","a3"]'
  only 300 a1 a2 a3
  local before t0 t during f0 f1 back
  before=$(w 'peers | show')
  f0=$(acc_failed)
  backend_stop a2 a3
  t0=$(now_ms)
  until_window 10 20 "only a1 answers" 'peers | keys == ["a1"]'
  t=$(($(now_ms) - t0))
  f1=$(acc_failed)
  only 400 a1
  during=$(w 'peers | show')
  backend_start a2 a3
  t0=$(now_ms)
  until_window 20 21 "a1 a2 a3 answer again" 'peers | keys == ["a1","a2","a3"]'
  back=$(($(now_ms) - t0))
  only 300 a1 a2 a3
  pass "primaries: 300 RPCs $before; a2 a3 killed: only a1 after ${t} ms (RPCs failed at the kill: $((f1 - f0))), 400 RPCs $during, none to the secondaries b1 b2 (the documented difference: no overprovisioning in gRPC); restarted: all 3 after ${back} ms, 300 RPCs $(w 'peers | show')"
  client_stop
}

# ---- per-status counts of the UnaryCalls that end in a stretch ----------------------------------------------
# ended JSON: UnaryCalls ended so far (every status) in an accumulated-stats answer.
ended() { jq '[.stats_per_method.UNARY_CALL.result // {} | .[]] | add // 0' <<<"$1"; }
# sample N: from SETTLE ms after now (SETTLE exceeds the client's RPC deadline, so that every call sent
# before, under other metadata, has ended by then) until N more UnaryCalls have ended (within 20 s):
# their statuses into S ({"CODE": count}), their number into S_N, "CODE=count ..." into S_SHOW. In
# steady state the calls ending in a stretch are as many as those sent in one, whatever each waits.
sample() {
  local n=$1 b0 b1 e0 deadline
  wait_until $(($(now_ms) + SETTLE))
  b0=$(lb accumulated) || fail "lbstats accumulated failed"
  e0=$(ended "$b0")
  deadline=$(($(now_ms) + 20000))
  while :; do
    b1=$(lb accumulated) || fail "lbstats accumulated failed"
    [ "$(ended "$b1")" -ge $((e0 + n)) ] && break
    [ "$(now_ms)" -lt "$deadline" ] || fail "$CASE ($SUB): fewer than $n UnaryCalls ended within 20 s"
    sleep 0.1
  done
  S=$(jq -nc --argjson a "$b0" --argjson b "$b1" '($a.stats_per_method.UNARY_CALL.result // {}) as $x |
    $b.stats_per_method.UNARY_CALL.result // {} | with_entries(.value -= ($x[.key] // 0) | select(.value > 0))')
  S_N=$(jq '[.[]] | add // 0' <<<"$S")
  S_SHOW=$(jq -r 'to_entries | sort_by(.key | tonumber) | map("\(.key)=\(.value)") | join(" ")' <<<"$S")
}
# sc CODE: the last sample's count of status CODE.
sc() { jq --arg c "$1" '.[$c] // 0' <<<"$S"; }
# sample_all N CODE: a sample of N whose every call ended with CODE.
sample_all() {
  sample "$1"
  [ "$(sc "$2")" -eq "$S_N" ] || fail "$CASE ($SUB): of $S_N UnaryCalls not every one ended with status $2: $S_SHOW"
}
# sample_half N CODE: a sample of N that ended OK or with CODE, CODE for 50% +- 10 points of them.
sample_half() {
  sample "$1"
  [ $(($(sc 0) + $(sc "$2"))) -eq "$S_N" ] && within "$(pct "$(sc "$2")" "$S_N")" 40 60 ||
    fail "$CASE ($SUB): of $S_N UnaryCalls, not 50% +- 10 points with status $2 and the rest OK: $S_SHOW"
}

# fault_injection (gRFC A33): one route per sub-case, chosen by the metadata fi_testcase (an exact header
# match), the default route without a fault. The client's deadline is 1 s (the description's 2 s; the
# delays are its 20 s): a delayed call ends DEADLINE_EXCEEDED after 1 s, and each sub-case starts
# counting 1.3 s after the metadata changed (every call sent before has ended by then).
case_fault_injection() {
  begin fault_injection
  config "$T/fault.yaml" <<YAML
name: interop-fault
spec:
  listeners:
  - name: server
    routes:
    - name: zero_percent_fault
      headers: [{name: fi_testcase, exact: zero_percent_fault}]
      fault: {delay: {fixed: 20s, percent: 0}, abort: {code: 16, percent: 0}}
      clusters: [{name: a}]
    - name: always_delay
      headers: [{name: fi_testcase, exact: always_delay}]
      fault: {delay: {fixed: 20s, percent: 100}}
      clusters: [{name: a}]
    - name: always_abort
      headers: [{name: fi_testcase, exact: always_abort}]
      fault: {abort: {code: 16, percent: 100}}
      clusters: [{name: a}]
    - name: delay_half
      headers: [{name: fi_testcase, exact: delay_half}]
      fault: {delay: {fixed: 20s, percent: 50}}
      clusters: [{name: a}]
    - name: abort_half
      headers: [{name: fi_testcase, exact: abort_half}]
      fault: {abort: {code: unauthenticated, percent: 50}}
      clusters: [{name: a}]
    - {name: default, prefix: /, clusters: [{name: a}]}
  clusters:
  - {name: a, endpoints: $(eps a1 a2)}
YAML
  serve "$T/fault.yaml"
  client fault_injection --rpc_timeout 1s
  until_window 15 100 "a1 a2 answer" 'peers | keys == ["a1","a2"] and fails == 0'
  local FIGS= s code
  SETTLE=1300
  for s in zero_percent_fault:0 fault_not_matching:0 always_delay:4 always_abort:16; do
    SUB=${s%%:*} code=${s#*:}
    configure UnaryCall "UnaryCall:fi_testcase:$SUB"
    sample_all 200 "$code"
    FIGS+=" $SUB: $S_SHOW;"
  done
  for s in delay_half:4 abort_half:16; do
    SUB=${s%%:*} code=${s#*:}
    configure UnaryCall "UnaryCall:fi_testcase:$SUB"
    sample_half 500 "$code"
    FIGS+=" $SUB: $S_SHOW ($(pct "$(sc "$code")" "$S_N")% $code);"
  done
  pass "statuses per sub-case (0 OK, 4 DEADLINE_EXCEEDED, 16 UNAUTHENTICATED; 200 calls each, the halves 500 with 50% +- 10 points required):${FIGS%;}"
  client_stop
}

# retry (gRFC A44): the route chosen by the metadata xds_retry=retry retries UNAVAILABLE with 3 attempts,
# the default route has no retry policy. The server's rpc-behavior succeed-on-retry-attempt-N,error-code-14
# answers UNAVAILABLE unless the call's grpc-previous-rpc-attempts is N. grpc-go's server indexes that
# header without checking that it is there, and a first attempt carries none (grpc-go sends it from the
# first retry on): the server would panic and exit. So the client also sends grpc-previous-rpc-attempts: 0
# as its own metadata, which grpc-go passes on; on a retry the transport's header comes first, and the
# server reads the first value.
case_retry() {
  begin retry
  config "$T/retry.yaml" <<YAML
name: interop-retry
spec:
  listeners:
  - name: server
    routes:
    - name: retried
      headers: [{name: xds_retry, exact: retry}]
      retry: {on: [unavailable], attempts: 3}
      clusters: [{name: a}]
    - {name: default, prefix: /, clusters: [{name: a}]}
  clusters:
  - {name: a, endpoints: $(eps a1 a2)}
YAML
  serve "$T/retry.yaml"
  client retry --rpc_timeout 1s
  until_window 15 100 "a1 a2 answer" 'peers | keys == ["a1","a2"] and fails == 0'
  local FIGS= md0=UnaryCall:grpc-previous-rpc-attempts:0
  SETTLE=1300
  SUB=retried
  configure UnaryCall "UnaryCall:xds_retry:retry,UnaryCall:rpc-behavior:succeed-on-retry-attempt-2,UnaryCall:rpc-behavior:error-code-14,$md0"
  sample_all 200 0
  FIGS+=" with the retry policy, succeed on the 3rd attempt: $S_SHOW;"
  SUB=beyond_attempts
  configure UnaryCall "UnaryCall:xds_retry:retry,UnaryCall:rpc-behavior:succeed-on-retry-attempt-3,UnaryCall:rpc-behavior:error-code-14,$md0"
  sample_all 200 14
  FIGS+=" succeed on the 4th attempt (beyond 3): $S_SHOW;"
  SUB=no_retry_policy
  configure UnaryCall "UnaryCall:rpc-behavior:succeed-on-retry-attempt-2,UnaryCall:rpc-behavior:error-code-14,$md0"
  sample_all 200 14
  FIGS+=" without a retry policy, succeed on the 3rd attempt: $S_SHOW;"
  pass "statuses of 200 UnaryCalls each (0 OK, 14 UNAVAILABLE):${FIGS%;}"
  client_stop
}

# outlier_detection (gRFC A50): a1 a2 a3, a3 failing every UnaryCall (rpc-behavior hostname=a3
# error-code-2: UNKNOWN). Without outlier detection a3 keeps getting its third of the calls (all
# failing); with failure_percentage (threshold 50%, minimum_hosts 3, request_volume 10), interval 1 s,
# base_ejection_time 30 s and max_ejection_percent 50 it is ejected within a few intervals, and the
# others get every call.
case_outlier_detection() {
  begin outlier_detection
  local od
  for od in off on; do
    {
      printf 'name: interop-od-%s\nspec:\n  listeners:\n  - name: server\n    routes:\n' "$od"
      printf '    - {name: all, prefix: /, clusters: [{name: a}]}\n  clusters:\n  - name: a\n'
      printf '    endpoints: %s\n' "$(eps a1 a2 a3)"
      [ "$od" = off ] || printf '    outlier_detection: {interval: 1s, base_ejection_time: 30s, max_ejection_percent: 50, failure_percentage: {threshold: 50, minimum_hosts: 3, request_volume: 10}}\n'
    } >"$T/od-$od.yaml"
  done
  serve "$T/od-off.yaml"
  client outlier_detection
  until_window 15 90 "a1 a2 a3 answer" 'peers | keys == ["a1","a2","a3"] and fails == 0'
  configure UnaryCall "UnaryCall:rpc-behavior:hostname=a3 error-code-2"
  until_window 10 30 "a3's calls fail" 'peers | keys == ["a1","a2"]'
  # 600 RPCs (3 s, three intervals' worth) without outlier detection: a3's third all fail.
  window 600
  wq '(peers | keys) == ["a1","a2"] and fails >= 140 and fails <= 260' ||
    fail "$CASE: without outlier detection, 600 RPCs not about a third failing (a3's): $(shown)"
  local control t0 t
  control="$(w 'peers | show') failed $(w fails)"
  serve "$T/od-on.yaml"
  wait_for 10 csds_at cluster.v3.Cluster "$VERSION"
  t0=$(now_ms)
  until_window 15 40 "a3 is ejected (no call fails)" 'fails == 0 and (peers | keys) == ["a1","a2"]'
  t=$(($(now_ms) - t0))
  only 400 a1 a2
  local codes
  codes=$(acc '.stats_per_method.UNARY_CALL.result // {} | to_entries | map(select(.key != "0")) | map("\(.key)=\(.value)") | join(" ")')
  [[ $codes =~ ^2=[0-9]+$ ]] || fail "$CASE: calls failed with other codes than a3's UNKNOWN (2): $codes"
  pass "without outlier detection, 600 RPCs: $control; with it (version $VERSION): no call to a3 ${t} ms after the client ACKed the cluster, then 400 RPCs $(w 'peers | show'), 0 failed; all failures code $codes"
  client_stop
}

CASES="ping_pong round_robin backends_restart remove_instance_group change_backend_service traffic_splitting
  path_matching header_matching circuit_breaking timeout csds secondary_locality_gets_requests_on_primary_failure
  secondary_locality_gets_no_requests_on_partial_primary_failure gentle_failover fault_injection retry
  outlier_detection"
for c in ${INTEROP_CASES:-$CASES}; do
  declare -F "case_$c" >/dev/null || fail "INTEROP_CASES: no case $c (the cases: $(echo $CASES))"
  "case_$c"
done

metrics >"$T/metrics.txt" || fail "xdsd /metrics failed"
grep -q '^xdsd_nacks_total' "$T/metrics.txt" || fail "xdsd's /metrics has no xdsd_nacks_total"
nacks=$(awk '/^xdsd_nacks_total/ { s += $2 } END { print s + 0 }' "$T/metrics.txt")
[ "$nacks" -eq 0 ] || fail "xdsd counted $nacks NACKs: $(status | jq -c '[.nodes[] | {id, nacks: [.types | to_entries[] | select(.value.last_nack != null)]}]')"
echo "PASS no NACK from any client (xdsd_nacks_total 0); all cases in $(($(now_ms) - T0)) ms"
# What xdsd did (for the record): its snapshots by phase, and any make-before-break phase that waited
# its full second for a client.
echo "xdsd: $(grep -c 'msg="snapshot"' "$T/xdsd.log") snapshots ($(grep -o 'msg="snapshot" version=[0-9]* phase=[a-z-]*' "$T/xdsd.log" |
  sed 's/.*phase=//' | sort | uniq -c | awk '{ s = s (NR > 1 ? ", " : "") $1 " " $2 } END { print s }')), $(grep -c 'phase timed out' "$T/xdsd.log") phases timed out"
kill -TERM "$XDSD_PID"
wait_exit "$XDSD_PID" 10
check "xdsd stops cleanly on SIGTERM (exit 0; under ASan this includes the leak check)" test "$EXIT_STATUS" -eq 0
