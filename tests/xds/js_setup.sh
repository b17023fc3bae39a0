#!/usr/bin/env bash
# Installs grpc-js and grpc-js-xds for xds_js_client with `npm ci` from the committed lock into
# XDS_JS_DIR (in the build tree). Skipped when that lock is already installed.
set -euo pipefail
src=$(cd "$(dirname "$0")/js" && pwd)
dir=${XDS_JS_DIR:?XDS_JS_DIR must name the install folder}
command -v npm >/dev/null || { echo "FAIL: npm is missing (make deps)" >&2; exit 1; }
if [ -d "$dir/node_modules" ] && cmp -s "$src/package-lock.json" "$dir/installed-lock.json"; then
  echo "ok: grpc-js-xds already installed in $dir"
  exit 0
fi
mkdir -p "$dir"
rm -f "$dir/installed-lock.json"
cp "$src/package.json" "$src/package-lock.json" "$dir/"
(cd "$dir" && timeout 300 npm ci --no-audit --no-fund --loglevel=error)
cp "$src/package-lock.json" "$dir/installed-lock.json"
echo "ok: grpc-js-xds installed in $dir"
