#!/usr/bin/env bash
# Installs grpc-js and grpc-js-xds for xds_js_client with `npm ci` from the committed lock into
# XDS_JS_DIR (in the build tree). Skipped when that lock is already installed.
. "$(dirname "$0")/../lib.sh"
npm_ci_into "$(cd "$(dirname "$0")/js" && pwd)" "${XDS_JS_DIR:?XDS_JS_DIR must name the install folder}"
