#!/usr/bin/env bash
# The xdsconfig ConfigMaps of deploy/xds, deploy/proxyless, deploy/preview and deploy/zonefailover pass
# `xdsd --check`, and a broken config does not. The config.yaml block is cut out of the ConfigMap with awk
# (no node needed).
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BIN=${BIN:?BIN must point at the build bin/ folder}
T=$(mktemp -d "${TMPDIR:-/tmp}/deploy-xdsd.XXXXXX")
trap 'rm -rf "$T"' EXIT
# shellcheck source=tests/deploy/lib.sh
. "$HERE/lib.sh"
failed=0

for scn in xds proxyless preview zonefailover; do
  cfg="$T/$scn.yaml"
  configmap_yaml "$ROOT/deploy/$scn/xds.yaml" xdsconfig >"$cfg"
  if [ ! -s "$cfg" ]; then
    echo "FAIL deploy/$scn/xds.yaml: no ConfigMap xdsconfig with config.yaml"
    failed=1
  elif "$BIN/xdsd" --check "$cfg" >"$T/$scn.log" 2>&1; then
    echo "ok   deploy/$scn/xds.yaml: xdsconfig passes xdsd --check"
  else
    echo "FAIL deploy/$scn/xds.yaml: xdsd --check rejected xdsconfig:"
    cat "$T/$scn.log"
    failed=1
  fi
done

# The check must be able to fail: a port that is not a number.
sed 's/port: 50051/port: fifty/' "$T/xds.yaml" >"$T/broken.yaml"
if "$BIN/xdsd" --check "$T/broken.yaml" >"$T/broken.log" 2>&1; then
  echo "FAIL xdsd --check ACCEPTED a config with port: fifty"
  failed=1
else
  echo "ok   xdsd --check rejects a broken xdsconfig: $(head -n 1 "$T/broken.log")"
fi
[ "$failed" -eq 0 ] && echo "all checks passed"
exit "$failed"
