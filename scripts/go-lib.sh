# Sourced by the scripts that build Go tools (k8s.sh, grpc-xds.sh); each defines die.
# need_go: exits through die unless Go >= 1.26 (the wrapper modules' go line) is on PATH.
need_go() {
  command -v go >/dev/null || die "go is missing: Go >= 1.26 must be on PATH (Debian 12's golang is 1.19; take Go from go.dev)"
  local v
  v=$(go env GOVERSION | sed 's/^go//')
  [ "$(printf '%s\n1.26\n' "$v" | sort -V | head -1)" = "1.26" ] || die "go $v is too old: Go >= 1.26 is needed"
}
