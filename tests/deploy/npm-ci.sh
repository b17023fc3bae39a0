#!/usr/bin/env bash
# Installs the static checks' npm dependencies from package-lock.json (`npm ci`) into
# $DEPLOY_NODE_DIR (inside the build tree), once per lock file; concurrent runs wait on a lock.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
DIR=${DEPLOY_NODE_DIR:?DEPLOY_NODE_DIR must name the folder for node_modules}
command -v npm >/dev/null || { echo "npm not found (bash scripts/deps.sh installs it)"; exit 1; }
mkdir -p "$DIR"
exec 9>"$DIR/.lock"
flock 9
sum=$(cat "$HERE/package.json" "$HERE/package-lock.json" | sha256sum | cut -d' ' -f1)
if [ -d "$DIR/node_modules" ] && [ "$(cat "$DIR/.stamp" 2>/dev/null)" = "$sum" ]; then
  echo "npm dependencies up to date in $DIR"
  exit 0
fi
rm -f "$DIR/.stamp"
cp "$HERE/package.json" "$HERE/package-lock.json" "$DIR/"
(cd "$DIR" && npm ci --no-audit --no-fund --loglevel=error)
echo "$sum" >"$DIR/.stamp"
echo "npm dependencies installed in $DIR"
