#!/usr/bin/env bash
# Which JSON library xdsd's Kubernetes watch uses, by measurement (issue 11; not a test): jansson, json-c
# and cJSON from Debian parse and walk an EndpointSliceList of 1,000 slices x 10 endpoints (3.2 MB, as
# kube-apiserver writes it), median of 15 runs each; the three take turns, 3 rounds, so that a noisy
# neighbour hits them alike. Prints each library's parse+walk time and the heap its tree holds.
# Usage: bash bench/json/run.sh [SLICES PER_SLICE]   (needs libjansson-dev libjson-c-dev libcjson-dev)
set -euo pipefail
cd "$(dirname "$0")"
T=$(mktemp -d "${TMPDIR:-/tmp}/json-bench.XXXXXX")
trap 'rm -rf "$T"' EXIT
for l in JANSSON:jansson JSONC:json-c CJSON:cjson; do
  gcc -O2 -Wall -Wextra -Werror "-DLIB_${l%%:*}" jsonbench.c -o "$T/jb-${l##*:}" "-l${l##*:}"
done
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
for round in 1 2 3; do
  for l in jansson json-c cjson; do "$T/jb-$l" "${1:-1000}" "${2:-10}" 15; done
done
