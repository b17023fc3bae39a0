# The implementations that are not ours, behind one interface (sourced by the compat tests after lib.sh).
# KIND is cpp (libgrpc++, built here) or js (grpc-js from npm, installed by js_setup.sh into COMPAT_JS_DIR).
# Both clients take: hello TARGET NAME... | health TARGET [SERVICE]; both servers read NAME and LISTEN_ADDRESS.
COMPAT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# their_client KIND ARGS...: runs the client, bounded by a timeout.
their_client() {
  local kind=$1
  shift
  case $kind in
    cpp) timeout 30 "$BIN/greeter-cpp-client" "$@" ;;
    js) NODE_PATH=${COMPAT_JS_DIR:?}/node_modules timeout 30 node "$COMPAT_DIR/js/greeter.js" "$@" ;;
    *) fail "unknown peer kind $kind" ;;
  esac
}

# spawn_their_server KIND NAME ADDRESS: spawns the server as "peer" (log in $T/peer.log).
spawn_their_server() {
  case $1 in
    cpp) spawn peer env NAME="$2" LISTEN_ADDRESS="$3" "$BIN/greeter-cpp-server" ;;
    js) spawn peer env NAME="$2" LISTEN_ADDRESS="$3" NODE_PATH="${COMPAT_JS_DIR:?}/node_modules" \
          node "$COMPAT_DIR/js/greeter.js" server ;;
    *) fail "unknown peer kind $1" ;;
  esac
}
