# shellcheck shell=bash
# Helpers shared by the deploy_* shell tests. Source it.

# configmap_yaml FILE NAME: prints the `config.yaml: |` block of the ConfigMap NAME in FILE, dedented.
configmap_yaml() {
  awk -v want="$2" '
    /^---/ { cm = 0; ours = 0; inblock = 0 }
    /^kind: ConfigMap/ { cm = 1 }
    cm && $0 == "  name: " want { ours = 1 }
    ours && /^  config.yaml: \|/ { inblock = 1; next }
    inblock && /^    / { print substr($0, 5); next }
    inblock && /^$/ { print ""; next }
    inblock { inblock = 0; ours = 0 }
  ' "$1"
}
