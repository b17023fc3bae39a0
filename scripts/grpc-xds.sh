#!/usr/bin/env bash
# grpc-go's own xDS interop client and server, built from the Go module proxy through a wrapper module of
# ours (tools/grpc-xds: its go.mod and go.sum are the pins), plus our lbstats (tools/grpc-xds/cmd/lbstats),
# which asks the client's stats port for its LoadBalancerStatsService, Configure and CSDS answers.
#
#   grpc-xds.sh build   build once into GRPC_XDS_HOME/bin: xds-client, xds-server, lbstats (cached: a
#                       second run finds them and stops; lbstats is rebuilt when tools/grpc-xds changes)
#   grpc-xds.sh path    print GRPC_XDS_HOME/bin (exit 1 when not built)
#
# GRPC_XDS_HOME defaults to ${XDG_CACHE_HOME:-$HOME/.cache}/grpc-lb/grpc-xds-GRPC (keyed by grpc's version).
# grpc v1.64.1: from v1.65.0 on, interop/xds is a module of its own, which the module proxy here does
# not serve (tools/grpc-xds/go.mod). Needs Go >= 1.26 (go.mod's go line).
# Both binaries listen on every address (":PORT", no flag to change it): run them, and everything that
# talks to them, inside a network namespace of the test's own (unshare -n; lo only), as the kube tests do.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
MOD=$ROOT/tools/grpc-xds
GRPC_VERSION=v1.64.1
GRPC_XDS_HOME=${GRPC_XDS_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/grpc-lb/grpc-xds-$GRPC_VERSION}
BIN="$GRPC_XDS_HOME/bin"

die() {
  echo "grpc-xds.sh: $*" >&2
  exit 1
}

# shellcheck source=go-lib.sh
. "$ROOT/scripts/go-lib.sh"

# src: a digest of the wrapper module (pins and lbstats's source); the stamp records the one built.
src() { (cd "$MOD" && cat go.mod go.sum cmd/lbstats/*.go) | sha256sum | cut -c1-12; }

built() {
  [ -x "$BIN/xds-client" ] && [ -x "$BIN/xds-server" ] && [ -x "$BIN/lbstats" ] &&
    [ -f "$GRPC_XDS_HOME/stamp" ] && grep -q " src=$(src) " "$GRPC_XDS_HOME/stamp"
}

cmd_build() {
  if built; then
    echo "grpc-xds: grpc $GRPC_VERSION interop client and server present ($BIN)"
    return 0
  fi
  need_go
  local t0 tmp said
  t0=$(date +%s)
  tmp="$GRPC_XDS_HOME.part"
  rm -rf "$tmp"
  mkdir -p "$tmp/bin"
  echo "grpc-xds: building the xDS interop client and server of grpc $GRPC_VERSION and lbstats (tools/grpc-xds)"
  (cd "$MOD" && CGO_ENABLED=0 go build -mod=readonly -trimpath -ldflags "-s -w" -o "$tmp/bin/" \
    google.golang.org/grpc/interop/xds/client google.golang.org/grpc/interop/xds/server ./cmd/lbstats)
  mv "$tmp/bin/client" "$tmp/bin/xds-client"
  mv "$tmp/bin/server" "$tmp/bin/xds-server"
  # -help prints the flags and exits 0 (Go's flag package); check that each is the binary we meant.
  said=$("$tmp/bin/xds-client" -help 2>&1 || true)
  [[ $said == *"-stats_port"* ]] || die "xds-client -help does not list -stats_port: $said"
  said=$("$tmp/bin/xds-server" -help 2>&1 || true)
  [[ $said == *"-maintenance_port"* ]] || die "xds-server -help does not list -maintenance_port: $said"
  said=$("$tmp/bin/lbstats" 2>&1 || true)
  [[ $said == *"usage: lbstats"* ]] || die "lbstats prints no usage: $said"
  echo "grpc=$GRPC_VERSION src=$(src) built=$(date -u +%FT%TZ) seconds=$(($(date +%s) - t0))" >"$tmp/stamp"
  rm -rf "$GRPC_XDS_HOME"
  mv "$tmp" "$GRPC_XDS_HOME"
  echo "grpc-xds: built in $(($(date +%s) - t0)) s: $(du -sh "$GRPC_XDS_HOME" | cut -f1) in $GRPC_XDS_HOME"
}

cmd_path() {
  built || die "not built: run 'bash scripts/grpc-xds.sh build'"
  echo "$BIN"
}

case "${1:-}" in
  build) cmd_build ;;
  path) cmd_path ;;
  *) echo "usage: grpc-xds.sh build|path" >&2; exit 2 ;;
esac
