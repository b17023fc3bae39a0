#!/usr/bin/env bash
# deploy_envoy_validate: every Envoy config under deploy/ loads in Envoy itself (`envoy --mode validate`),
# beyond the proto check of deploy_manifests: cross references (a route to an unknown cluster), addresses,
# extensions compiled in. `check.mjs envoy-configs` extracts each Envoy ConfigMap (the rule deploy_manifests
# uses) with the args of the Envoy container that mounts it ($(POD_NAME) given a made-up pod name: the xds
# bootstrap needs --service-node/--service-cluster); each must print "configuration '<file>' OK" and
# exit 0. Each tests/deploy/broken fixture marked "# check: envoy-validate" must be refused, with the
# message its "# expect:" line names. No Envoy is a failure, not a skip.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
TIMEOUT=${ENVOY_VALIDATE_TIMEOUT:-60}
if ! ENVOY=$(bash "$ROOT/scripts/envoy-path.sh" 2>&1); then
  echo "FAIL no Envoy to validate the configs with: $ENVOY"
  echo "FAIL install it with 'bash scripts/deps.sh' (this test needs Envoy; it is not skipped)"
  exit 1
fi
T=$(mktemp -d "${TMPDIR:-/tmp}/deploy-envoy.XXXXXX")
trap 'rm -rf "$T"' EXIT
failed=0
echo "Envoy: $ENVOY ($("$ENVOY" --version 2>/dev/null | grep -o 'version: [^ ]*' | head -n 1))"

# validate LOG CONFIG ARGS...: envoy --mode validate, bounded; its exit status (124 on timeout).
validate() {
  local log=$1 cfg=$2
  shift 2
  timeout -k 5 "$TIMEOUT" "$ENVOY" --mode validate --disable-hot-restart -c "$cfg" "$@" >"$log" 2>&1
}
# Envoy's reason, for messages: its critical/error lines, else its last lines.
reason() {
  grep -E '\]\[(critical|error)\]' "$1" | sed 's/^\[[^]]*\]\[[^]]*\]\[[^]]*\]\[[^]]*\] \[[^]]*\] //' | head -n 5 | grep . ||
    tail -n 5 "$1"
}

if ! bash "$HERE/run.sh" envoy-configs "$T/configs" "$ROOT" >"$T/extract.log" 2>&1; then
  cat "$T/extract.log"
  echo "FAIL check.mjs envoy-configs could not extract the Envoy configs"
  exit 1
fi
n=0
while IFS=$'\t' read -r src cm cfg who argsfile; do
  n=$((n + 1))
  mapfile -t args <"$argsfile"
  log="$T/$(basename "$argsfile" .args).log"
  what="$src: ConfigMap/$cm as $who runs it (envoy ${args[*]})"
  validate "$log" "$cfg" "${args[@]}"
  rc=$?
  if [ "$rc" -eq 124 ]; then
    echo "FAIL $what: envoy --mode validate did not finish in ${TIMEOUT}s"
    failed=1
  elif [ "$rc" -ne 0 ] || ! grep -Fqx "configuration '$cfg' OK" "$log"; then
    echo "FAIL $what: envoy --mode validate refused it (exit $rc):"
    reason "$log" | sed 's/^/    /'
    failed=1
  else
    echo "ok   $what: envoy --mode validate OK"
  fi
done <"$T/configs/index.tsv"
[ "$n" -gt 0 ] || { echo "FAIL no Envoy config extracted from deploy/"; failed=1; }

# The check must be able to fail, for a reason only Envoy sees.
nb=0
for f in "$HERE"/broken/*; do
  head -n 5 "$f" | grep -qx '# check: envoy-validate' || continue
  nb=$((nb + 1))
  name=${f#"$ROOT"/}
  expect=$(head -n 5 "$f" | sed -n 's/^# expect: //p' | head -n 1)
  if [ -z "$expect" ]; then
    echo "FAIL $name: no \"# expect:\" line"
    failed=1
    continue
  fi
  log="$T/broken-$(basename "$f").log"
  validate "$log" "$f"
  rc=$?
  if [ "$rc" -eq 124 ]; then
    echo "FAIL $name: envoy --mode validate did not finish in ${TIMEOUT}s"
    failed=1
  elif [ "$rc" -eq 0 ] || grep -q "' OK$" "$log"; then
    echo "FAIL $name: the broken config was ACCEPTED by envoy --mode validate (exit $rc)"
    failed=1
  elif ! grep -Fq -- "$expect" "$log"; then
    echo "FAIL $name: refused (exit $rc), but not for \"$expect\":"
    reason "$log" | sed 's/^/    /'
    failed=1
  else
    echo "ok   $name: refused by envoy --mode validate (exit $rc): $(grep -F -- "$expect" "$log" | head -n 1 | sed 's/^.*\] //')"
  fi
done
[ "$nb" -gt 0 ] || { echo "FAIL no tests/deploy/broken fixture has \"# check: envoy-validate\""; failed=1; }

[ "$failed" -eq 0 ] && echo "all checks passed"
exit "$failed"
