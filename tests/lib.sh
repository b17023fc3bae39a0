# Shared helpers for integration tests (bash). Source it: `. "$(dirname "$0")/../lib.sh"`.
# Every process started with `spawn` is killed by PID on exit; on failure the logs are printed.
# Environment: BIN (the build's bin/ folder, set by ctest), T (a fresh temp dir, made here).
set -uo pipefail

BIN=${BIN:?BIN must point at the build bin/ folder}
T=$(mktemp -d "${TMPDIR:-/tmp}/grpclb-test.XXXXXX")
PIDS=()
FAILED=0

t_cleanup() {
  local rc=$?
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null
  done
  if [ "$rc" -ne 0 ] || [ "$FAILED" -ne 0 ]; then
    for f in "$T"/*.log; do
      [ -f "$f" ] || continue
      echo "----- $f (last 40 lines)"
      tail -n 40 "$f"
    done
  fi
  # KEEP_T=DIR keeps the logs of a failed run in DIR (for stress runs and debugging).
  if [ -n "${KEEP_T:-}" ] && { [ "$rc" -ne 0 ] || [ "$FAILED" -ne 0 ]; }; then
    mkdir -p "$KEEP_T" && cp -r "$T" "$KEEP_T/" 2>/dev/null
  fi
  rm -rf "$T"
}
trap t_cleanup EXIT
trap 'exit 130' INT TERM

# spawn NAME CMD...: runs CMD in the background with stdout+stderr to $T/NAME.log; sets LAST_PID.
spawn() {
  local name=$1
  shift
  "$@" >"$T/$name.log" 2>&1 &
  LAST_PID=$!
  PIDS+=("$LAST_PID")
}

# wait_port HOST PORT [SECONDS]: polls until a TCP connect succeeds, or fails the test.
wait_port() {
  local host=$1 port=$2 secs=${3:-10} i
  for i in $(seq $((secs * 20))); do
    (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null && return 0
    sleep 0.05
  done
  fail "nothing listens on $host:$port after ${secs}s"
}

# wait_for SECONDS CMD...: polls CMD every 50 ms until it succeeds, or fails the test.
wait_for() {
  local secs=$1 i
  shift
  for i in $(seq $((secs * 20))); do
    "$@" && return 0
    sleep 0.05
  done
  fail "timed out after ${secs}s waiting for: $*"
}

# wait_exit PID SECONDS: waits for a child of this shell to exit and sets EXIT_STATUS; fails on
# timeout. (Not usable inside $(...): a subshell cannot wait for its parent's children.)
wait_exit() {
  local pid=$1 secs=$2 i
  for i in $(seq $((secs * 20))); do
    if ! kill -0 "$pid" 2>/dev/null; then
      wait "$pid"
      EXIT_STATUS=$?
      forget "$pid"
      return 0
    fi
    sleep 0.05
  done
  fail "pid $pid still running after ${secs}s"
}

# forget PID: drops a reaped child from the cleanup list (its PID may be reused by then).
forget() {
  local p keep=()
  for p in "${PIDS[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
  PIDS=("${keep[@]}")
}

# kill9 PID: SIGKILLs a child, reaps it and forgets it.
kill9() {
  kill -KILL "$1" 2>/dev/null
  wait "$1" 2>/dev/null
  forget "$1"
}

fail() {
  echo "FAIL: $*" >&2
  FAILED=1
  exit 1
}

# check COND-DESCRIPTION CMD...: runs CMD; fails the test with the description when it fails.
check() {
  local what=$1
  shift
  "$@" || fail "$what"
  echo "ok: $what"
}

# npm_ci_into SRC DIR: installs SRC's package.json and package-lock.json with `npm ci` into DIR (in the
# build tree, git-ignored), once: skipped when DIR already holds an install of that very lock.
npm_ci_into() {
  local src=$1 dir=$2
  command -v npm >/dev/null || fail "npm is missing (Debian: nodejs npm; make deps)"
  if [ -d "$dir/node_modules" ] && cmp -s "$src/package-lock.json" "$dir/installed-lock.json"; then
    echo "ok: $src/package-lock.json already installed in $dir"
    return 0
  fi
  mkdir -p "$dir" && rm -f "$dir/installed-lock.json" && cp "$src/package.json" "$src/package-lock.json" "$dir/" ||
    fail "cannot prepare $dir"
  (cd "$dir" && timeout 300 npm ci --no-audit --no-fund --loglevel=error) || fail "npm ci failed in $dir"
  cp "$src/package-lock.json" "$dir/installed-lock.json" || fail "cannot record the install in $dir"
  echo "ok: $src/package-lock.json installed in $dir"
}
