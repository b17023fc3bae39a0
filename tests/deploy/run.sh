#!/usr/bin/env bash
# Runs check.mjs with the npm dependencies that npm-ci.sh installed: the scripts are copied into a
# fresh temporary folder next to a node_modules link, since ES modules resolve packages from the
# script's own location (NODE_PATH does not apply to them).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
DIR=${DEPLOY_NODE_DIR:?DEPLOY_NODE_DIR must name the folder npm-ci.sh installed into}
[ -d "$DIR/node_modules" ] || { echo "no $DIR/node_modules: run the deploy_npm_ci test first"; exit 1; }
T=$(mktemp -d "${TMPDIR:-/tmp}/deploy-check.XXXXXX")
trap 'rm -rf "$T"' EXIT
cp "$HERE"/*.mjs "$T/"
cp -r "$HERE/schemas" "$T/"
ln -s "$DIR/node_modules" "$T/node_modules"
node "$T/check.mjs" "$@"
