#!/usr/bin/env bash
# What each image holds is enough to run: deploy/image/stage-rootfs.sh (the step the Dockerfile's
# builder runs) stages every program's root file system, and the programs run chrooted into it,
# as the images' non-root user 65532: greeter-server serves, greeter-client (in its own root)
# completes a round of RPCs against it, xdsd --check accepts deploy/xds's ConfigMap. Then a root
# file system missing one library must fail, so the check can fail. Needs root (chroot); skips
# (exit 77) otherwise.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BIN=${BIN:?BIN must point at the build bin/ folder}
# shellcheck source=tests/deploy/lib.sh
. "$HERE/lib.sh"
if [ "$(id -u)" -ne 0 ] || ! command -v chroot >/dev/null; then
  echo "skipped: chroot needs root"
  exit 77
fi
CHROOT=$(command -v chroot)
T=$(mktemp -d "${TMPDIR:-/tmp}/deploy-rootfs.XXXXXX")
SERVER_PID=
# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT
failed=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; failed=1; }

bash "$ROOT/deploy/image/stage-rootfs.sh" --with-loader "$BIN" "$T/rootfs" greeter-server greeter-client xdsd || { bad "stage-rootfs.sh failed"; exit 1; }

# Nothing but the program, its libraries and the loader.
for name in greeter-server greeter-client xdsd; do
  [ -d "$T/rootfs/$name" ] || continue
  extra=$(cd "$T/rootfs/$name" && find . -type f ! -path "./usr/local/bin/$name" ! -path './usr/lib/*' ! -path './lib64/*')
  if [ -z "$extra" ]; then ok "$name: root file system holds only the program and its libraries"; else bad "$name: unexpected files: $extra"; fi
done

# run NAME ENV... -- ARGS...: runs the program chrooted into its root, as 65532:65532.
run() {
  local name=$1 envs=()
  shift
  while [ "$1" != -- ]; do envs+=("$1"); shift; done
  shift
  env -i "${envs[@]}" "$CHROOT" --userspec=65532:65532 "$T/rootfs/$name" "/usr/local/bin/$name" "$@"
}

# A server and a client, each in its own root, on a free loopback port.
port=
for _ in 1 2 3 4 5 6 7 8 9 10; do
  p=$((20000 + RANDOM % 30000))
  (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { port=$p; break; }
done
[ -n "$port" ] || { bad "no free port"; exit 1; }
# Started directly (not through the `run` function): a function in the background is a subshell, whose
# PID is not the server's, and killing it would leave the server running. env and chroot exec, so $! is
# the server itself.
env -i NAME=image-server LISTEN_ADDRESS="127.0.0.1:$port" RESPONSE_DELAY=0 \
  "$CHROOT" --userspec=65532:65532 "$T/rootfs/greeter-server" /usr/local/bin/greeter-server >"$T/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.05; done
if run greeter-client NAME=image-client SERVER_ADDRESS="ipv4:127.0.0.1:$port" ROUNDS=2 CONCURRENCY=3 RPC_TIMEOUT=10s -- >"$T/client.log" 2>&1 &&
  grep -q "image-server: Hello image-client_" "$T/client.log"; then
  ok "greeter-server and greeter-client run from their image contents as uid 65532 ($(grep -c 'Hello image-client_' "$T/client.log") replies)"
else
  bad "server/client from their image contents:"; tail -n 20 "$T/server.log" "$T/client.log"
fi
# The server drains and exits 0 on SIGTERM, as the kubelet stops it.
kill -TERM "$SERVER_PID"
rc=
for _ in $(seq 100); do kill -0 "$SERVER_PID" 2>/dev/null || { wait "$SERVER_PID"; rc=$?; break; }; sleep 0.05; done
if [ "$rc" = 0 ]; then ok "greeter-server from its image contents stops on SIGTERM with status 0"; SERVER_PID=
else bad "greeter-server from its image contents did not exit 0 within 5 s of SIGTERM (status '$rc')"; fi

if [ -d "$T/rootfs/xdsd" ]; then
  configmap_yaml "$ROOT/deploy/xds/xds.yaml" xdsconfig >"$T/rootfs/xdsd/config.yaml"
  if run xdsd -- --check /config.yaml >"$T/xdsd.log" 2>&1; then
    ok "xdsd --check runs from its image contents as uid 65532"
  else
    bad "xdsd from its image contents:"; cat "$T/xdsd.log"
  fi
else
  echo "note xdsd is not built: its image contents were not checked"
fi

# The check can fail: the same server root without libgrpc does not start.
cp -a "$T/rootfs/greeter-server" "$T/broken"
rm -f "$T"/broken/usr/lib/*/libgrpc.so.*
if env -i LISTEN_ADDRESS=nonsense "$CHROOT" "$T/broken" /usr/local/bin/greeter-server >"$T/broken.log" 2>&1; [ $? -eq 127 ] &&
  grep -q "error while loading shared libraries" "$T/broken.log"; then
  ok "a root file system missing libgrpc is caught: $(head -n 1 "$T/broken.log")"
else
  bad "a root file system missing libgrpc was not caught:"; cat "$T/broken.log"
fi
[ "$failed" -eq 0 ] && echo "all checks passed"
exit "$failed"
