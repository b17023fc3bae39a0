#!/usr/bin/env bash
# Runs every benchmark (not a test): `make bench` or `bash bench/run.sh [greeter|xds|envoy|kube|json]`.
# Each suite prints its figures and says how they map to BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
export BIN=${BIN:-$PWD/$BUILD/bin}
suites=("$@")
[ ${#suites[@]} -gt 0 ] || suites=(greeter xds envoy kube json)
for s in "${suites[@]}"; do
  if [ -x "bench/$s/run.sh" ] || [ -f "bench/$s/run.sh" ]; then
    echo "== bench: $s"
    bash "bench/$s/run.sh"
  else
    echo "== bench: $s (not present)"
  fi
done
