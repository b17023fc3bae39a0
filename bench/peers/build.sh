#!/usr/bin/env bash
# Builds a benchmark peer of ours (bench/peers/NAME, a Go module) once and prints the binary's path.
# The binary is cached in ${XDG_CACHE_HOME:-$HOME/.cache}/grpc-lb/peers/NAME-KEY, KEY a hash of the
# module's go.mod, go.sum and Go sources (go.sum pins every dependency; the sources are ours), so that a
# second run prints the path and nothing else. Building needs Go >= 1.26 on PATH and, the first time, the
# Go module proxy; it says what it does on stderr.
# Usage: bash bench/peers/build.sh NAME   (e.g. PEER=$(bash bench/peers/build.sh xds))
set -euo pipefail
name=${1:?usage: build.sh NAME}
src=$(cd "$(dirname "$0")" && pwd)/$name
[ -f "$src/go.mod" ] || { echo "build.sh: no Go module at $src" >&2; exit 1; }
key=$(cd "$src" && cat go.mod go.sum $(find . -name '*.go' | LC_ALL=C sort) | sha256sum | cut -c1-16)
dir=${XDG_CACHE_HOME:-$HOME/.cache}/grpc-lb/peers
bin=$dir/$name-$key
if [ ! -x "$bin" ]; then
  command -v go >/dev/null || { echo "build.sh: go is missing: Go >= 1.26 must be on PATH (take it from go.dev)" >&2; exit 1; }
  v=$(go env GOVERSION | sed 's/^go//')
  [ "$(printf '%s\n1.26\n' "$v" | sort -V | head -1)" = 1.26 ] || { echo "build.sh: go $v is too old: Go >= 1.26 is needed" >&2; exit 1; }
  t0=$(date +%s)
  echo "peers: building $name ($src, go $v)" >&2
  mkdir -p "$dir"
  (cd "$src" && CGO_ENABLED=0 go build -mod=readonly -trimpath -buildvcs=false -o "$bin.part" .)
  mv "$bin.part" "$bin"
  echo "peers: built $bin in $(($(date +%s) - t0)) s" >&2
fi
echo "$bin"
