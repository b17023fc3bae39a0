#!/usr/bin/env bash
# Regenerates the seed corpora in tests/fuzz/corpus/ from the project's real inputs:
#   ytree, scenario  lab/scenarios/*.yaml, tests/lab/wrong-expectation.yaml, kind's cluster config,
#                    and the xdsd configs below (ytree only);
#   xds_config       the xdsconfig ConfigMaps of deploy/xds and deploy/proxyless, the xds_configs of
#                    the scenarios, and the configs the xdsd tests write (tests/xds/*.sh here-documents,
#                    shell variables replaced by numbers);
#   discovery, greeter  binary DiscoveryRequest streams and greeter requests, by seedgen.c.
# Usage: gen_corpus.sh FUZZ_BIN (the bin/ folder of the fuzz build, for fuzz_seedgen).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BIN=${1:?usage: gen_corpus.sh FUZZ_BIN}
C="$HERE/corpus"
# shellcheck source=tests/deploy/lib.sh
. "$ROOT/tests/deploy/lib.sh" # configmap_yaml

rm -rf "$C"
mkdir -p "$C/ytree" "$C/scenario" "$C/xds_config"

for f in "$ROOT"/lab/scenarios/*.yaml "$ROOT/tests/lab/wrong-expectation.yaml"; do
  cp "$f" "$C/scenario/$(basename "$f")"
  cp "$f" "$C/ytree/scenario-$(basename "$f")"
done
cp "$ROOT/deploy/kind/cluster.yaml" "$C/ytree/kind-cluster.yaml"

for scn in xds proxyless; do
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
du -sh "$C"/* "$C"
