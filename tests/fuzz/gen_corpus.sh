#!/usr/bin/env bash
# Regenerates the seed corpora in tests/fuzz/corpus/ from the project's real inputs:
#   ytree, scenario  lab/scenarios/*.yaml, tests/lab/wrong-expectation.yaml, kind's cluster config,
#                    and the xdsd configs below (ytree only);
#   xds_config       the xdsconfig ConfigMaps of deploy/xds, deploy/proxyless and deploy/preview, the xds_configs of
#                    the scenarios, and the configs the xdsd tests write (tests/xds/*.sh here-documents,
#                    shell variables replaced by numbers);
#   discovery, greeter  binary DiscoveryRequest streams and greeter requests, by seedgen.c;
#   admin            HTTP requests to xdsd's admin endpoint, byte for byte as its clients send them
#                    (below);
#   kube             watch streams as kube-apiserver writes them (one JSON event per line; the first
#                    byte picks the first line's resource: even Services, odd EndpointSlices).
# Usage: gen_corpus.sh FUZZ_BIN (the bin/ folder of the fuzz build, for fuzz_seedgen).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BIN=${1:?usage: gen_corpus.sh FUZZ_BIN}
C="$HERE/corpus"
# shellcheck source=tests/deploy/lib.sh
. "$ROOT/tests/deploy/lib.sh" # configmap_yaml

# Everything here is generated, but for the seeds recorded from real peers (*-recorded-*, README.md).
[ -d "$C" ] && find "$C" -type f ! -name '*-recorded-*' -delete
mkdir -p "$C/ytree" "$C/scenario" "$C/xds_config"

for f in "$ROOT"/lab/scenarios/*.yaml "$ROOT/tests/lab/wrong-expectation.yaml"; do
  cp "$f" "$C/scenario/$(basename "$f")"
  cp "$f" "$C/ytree/scenario-$(basename "$f")"
done
cp "$ROOT/deploy/kind/cluster.yaml" "$C/ytree/kind-cluster.yaml"

for scn in xds proxyless preview; do
  configmap_yaml "$ROOT/deploy/$scn/xds.yaml" xdsconfig >"$C/xds_config/deploy-$scn.yaml"
done

# Each scenario's xds_configs: "  NAME: |" under "xds_configs:", the text indented by 4.
for f in "$ROOT"/lab/scenarios/*.yaml; do
  awk -v out="$C/xds_config/scenario-$(basename "$f" .yaml)" '
    /^xds_configs:/ { in_cfgs = 1; next }
    in_cfgs && /^[^ ]/ { in_cfgs = 0 }
    in_cfgs && /^  [a-z0-9-]+: \|/ { name = $1; sub(":", "", name); file = out "-" name ".yaml"; next }
    in_cfgs && file && /^    / { print substr($0, 5) > file }
  ' "$f"
done

# Here-documents of the xdsd tests that hold a config ("cat >FILE <<YAML" ... "YAML").
n=0
for f in "$ROOT"/tests/xds/*.sh; do
  while IFS= read -r -d '' doc; do
    n=$((n + 1))
    printf '%s' "$doc" | sed -e 's/\$(([^)]*))/91/g' -e 's/\$NET/127.0.2/g' -e 's/\$[12]/50/g' \
      >"$C/xds_config/test-$(basename "$f" .sh)-$n.yaml"
  done < <(awk '/<<YAML$/ { inb = 1; next } inb && /^YAML$/ { inb = 0; printf "%c", 0; next } inb { print }' "$f")
done

for f in "$C"/xds_config/*.yaml; do cp "$f" "$C/ytree/config-$(basename "$f")"; done

"$BIN/fuzz_seedgen" "$C"

# The admin endpoint's clients. curl 7.88.1 and GNU Wget 1.21.3 (Debian 12) as captured from a
# listener on 127.0.0.1:9003, xdsd's default --admin; the lab's request (controlplane.c, admin_get);
# after Prometheus 2.54's scrape and the kubelet's httpGet probe of deploy/*/xds.yaml (Go's net/http
# header order), to a pod IP; a keep-alive client's pipelined requests.
A="$C/admin"
mkdir -p "$A"
req() { # FILE FORMAT [ARG...]: printf's output, with \r\n written as such
  local f=$1
  shift
  # shellcheck disable=SC2059
  printf "$@" >"$A/$f"
}
CURL='Host: 127.0.0.1:9003\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\n'
for path in status metrics healthz; do
  req "curl-get-$path" "GET /$path HTTP/1.1\r\n$CURL\r\n"
done
req curl-get-root "GET / HTTP/1.1\r\n$CURL\r\n"
req curl-get-query "GET /status?pretty=1 HTTP/1.1\r\n$CURL\r\n"
req curl-head-status "HEAD /status HTTP/1.1\r\n$CURL\r\n"
req curl-http10-status "GET /status HTTP/1.0\r\n$CURL\r\n"
FORM='Content-Type: application/x-www-form-urlencoded\r\n'
req curl-post-form "POST /status HTTP/1.1\r\n${CURL}Content-Length: 13\r\n$FORM\r\nconfig=reload"
req curl-post-chunked "POST /status HTTP/1.1\r\n${CURL}Transfer-Encoding: chunked\r\n$FORM\r\nd\r\nconfig=reload\r\n0\r\n\r\n"
req curl-post-expect "POST /status HTTP/1.1\r\n${CURL}Expect: 100-continue\r\nContent-Length: 1500\r\n$FORM\r\n%s" \
  "$(printf '%1500s' '' | tr ' ' a)"
req wget-healthz "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:9003\r\nUser-Agent: Wget/1.21.3\r\nAccept: */*\r\n\
Accept-Encoding: identity\r\nConnection: Keep-Alive\r\n\r\n"
req lab-status "GET /status HTTP/1.0\r\nHost: 127.0.3.9\r\n\r\n"
PROM_ACCEPT='application/openmetrics-text;version=1.0.0;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2'
req prometheus-metrics "GET /metrics HTTP/1.1\r\nHost: 10.244.0.7:9003\r\nUser-Agent: Prometheus/2.54.0\r\n\
Accept: $PROM_ACCEPT\r\nAccept-Encoding: gzip\r\nX-Prometheus-Scrape-Timeout-Seconds: 10\r\n\r\n"
req kube-probe-healthz "GET /healthz HTTP/1.1\r\nHost: 10.244.0.7:9003\r\nUser-Agent: kube-probe/1.29\r\nConnection: close\r\nAccept: */*\r\n\r\n"
req pipelined "GET /status HTTP/1.1\r\n$CURL\r\nHEAD /metrics HTTP/1.1\r\n$CURL\r\n\
GET /metrics HTTP/1.1\r\n$CURL\r\nGET /healthz HTTP/1.1\r\n${CURL}Connection: close\r\n\r\n"
# Watch streams: a Service and its slice added, modified, deleted; a bookmark, a 410 Gone and an IPv6
# slice; a broken line among good ones.
mkdir -p "$C/kube"
python3 - "$C/kube" <<'PY'
import json, sys
d = sys.argv[1]
svc = {"type": "ADDED", "object": {"metadata": {"name": "server", "namespace": "demo", "resourceVersion": "7"},
       "spec": {"ports": [{"name": "grpc", "port": 50051, "protocol": "TCP"}, {"name": "admin", "port": 9003}]}}}
sl = {"type": "ADDED", "object": {"metadata": {"name": "server-a", "namespace": "demo", "resourceVersion": "8",
      "labels": {"kubernetes.io/service-name": "server"}}, "addressType": "IPv4",
      "ports": [{"name": "grpc", "port": 50051}, {"name": "admin", "port": 9003}],
      "endpoints": [{"addresses": ["198.18.0.1"], "conditions": {"ready": True}, "zone": "a"},
                    {"addresses": ["198.18.0.2"], "conditions": {"ready": False, "serving": True, "terminating": True}, "zone": "b"},
                    {"addresses": ["198.18.0.1"]}]}}
sl2 = json.loads(json.dumps(sl)); sl2["type"] = "MODIFIED"; sl2["object"]["endpoints"] = sl2["object"]["endpoints"][:1]
dl = json.loads(json.dumps(sl)); dl["type"] = "DELETED"
bm = {"type": "BOOKMARK", "object": {"kind": "EndpointSlice", "metadata": {"resourceVersion": "12"}}}
er = {"type": "ERROR", "object": {"kind": "Status", "code": 410, "message": "too old resource version: 1 (5)"}}
v6 = {"type": "ADDED", "object": {"metadata": {"name": "server-v6", "namespace": "demo",
      "labels": {"kubernetes.io/service-name": "server"}}, "addressType": "IPv6", "endpoints": [{"addresses": ["fd00::1"]}]}}
gr = {"type": "ADDED", "object": {"metadata": {"name": "preview", "namespace": "demo", "resourceVersion": "9",
      "creationTimestamp": "2026-12-02T08:00:00Z"},
      "spec": {"parentRefs": [{"group": "", "kind": "Service", "name": "server", "port": 50051}],
               "rules": [{"matches": [{"method": {"service": "helloworld.Greeter", "method": "SayHello"},
                                       "headers": [{"name": "x-preview", "value": "true"}]}],
                          "backendRefs": [{"name": "server", "port": 50051, "weight": 90},
                                          {"name": "server-v2", "port": 50051, "weight": 10}]}]}}}
hr = {"type": "ADDED", "object": {"metadata": {"name": "slow", "namespace": "demo", "resourceVersion": "10"},
      "spec": {"parentRefs": [{"group": "", "kind": "Service", "name": "server"}],
               "rules": [{"matches": [{"path": {"type": "PathPrefix", "value": "/helloworld.Greeter"}}],
                          "timeouts": {"request": "4s"}, "backendRefs": [{"name": "server", "port": 50051}]}]}}}
def w(name, first, lines, tail=b""):
    with open(f"{d}/{name}", "wb") as f:
        f.write(bytes([first]) + "\n".join(json.dumps(l, separators=(",", ":")) for l in lines).encode() + tail)
# The first byte says the first line's kind (modulo 4: Services, EndpointSlices, GRPCRoutes, HTTPRoutes),
# each line the next (fuzz_kube.c).
w("svc-slice-modify", 0, [svc, sl, gr, hr, svc, sl2])
w("svc-slice-delete", 0, [svc, sl, gr, hr, svc, dl])
w("bookmark-error", 1, [bm, er])
w("slice-v6", 1, [v6])
w("routes", 2, [gr, hr, svc, sl])
w("broken-line", 0, [svc], b'\n{"type":"ADDED"\n not json\n')
PY

du -sh "$C"/* "$C"
