#!/usr/bin/env bash
# Installs the Debian 12 packages this project builds and tests with. Idempotent: packages that are
# already installed are not fetched again. Run as root (or with sudo available).
set -euo pipefail

PKGS=(
  build-essential cmake pkg-config git
  libgrpc-dev libgrpc++-dev protobuf-compiler protobuf-compiler-grpc libprotobuf-dev
  protobuf-c-compiler libprotobuf-c-dev
  libyaml-dev libmicrohttpd-dev libc-ares-dev
  dnsmasq-base haproxy iptables iproute2 gnuplot-nox curl jq
  nghttp2-client valgrind clang libclang-rt-14-dev
  ca-certificates
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
  exit 0
fi
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
echo "deps: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
