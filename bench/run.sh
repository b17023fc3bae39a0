#!/usr/bin/env bash
# Runs every benchmark (not a test): `make bench` or
# `bash bench/run.sh [greeter|greeter-profile|xds|xds-heap|envoy|kube|json]`.
# Each suite prints its figures and says how they map to BENCHMARKS.md. xds-heap: where xdsd's memory per idle client
# goes (bench/xds/heap.sh under valgrind, 1,000 streams on shared connections and on one connection each);
# greeter-profile: where greeter-server's CPU goes (bench/greeter/profile.sh under perf, 10 and 100 outstanding calls).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
export BIN=${BIN:-$PWD/$BUILD/bin}
suites=("$@")
[ ${#suites[@]} -gt 0 ] || suites=(greeter greeter-profile xds xds-heap envoy kube json)
for s in "${suites[@]}"; do
  if [ "$s" = greeter-profile ]; then
    echo "== bench: $s"
    bash bench/greeter/profile.sh 10
    bash bench/greeter/profile.sh 100
  elif [ "$s" = xds-heap ]; then
    echo "== bench: $s"
    bash bench/xds/heap.sh 1000 11
    bash bench/xds/heap.sh 1000 1000
  elif [ -x "bench/$s/run.sh" ] || [ -f "bench/$s/run.sh" ]; then
    echo "== bench: $s"
    bash "bench/$s/run.sh"
  else
    echo "== bench: $s (not present)"
  fi
done
