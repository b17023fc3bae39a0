#!/usr/bin/env bash
# Installs grpc-js for the compat tests with `npm ci` from the committed package-lock.json, into
# COMPAT_JS_DIR (in the build tree: git-ignored, one per build). Skipped when that lock is already installed.
. "$(dirname "$0")/../lib.sh"
npm_ci_into "$(cd "$(dirname "$0")/js" && pwd)" "${COMPAT_JS_DIR:?COMPAT_JS_DIR must name the install folder}"
