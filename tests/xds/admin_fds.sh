#!/usr/bin/env bash
# The admin endpoint with more than FD_SETSIZE (1024) descriptors open: 1,200 client connections to the
# ADS port, then /healthz, /status and /metrics must still answer (libmicrohttpd with select() refused
# every descriptor >= 1024 and logged "not less than FD_SETSIZE": a liveness probe would have restarted
# an xdsd serving a thousand clients; issue 13's benchmark found it). Connections are plain TCP.
NET_BASE=230
DNS_PORT=5530
. "$(dirname "$0")/xlib.sh"
ulimit -n 8192 || fail "cannot raise the descriptor limit"
start_dns
printf 'name: fds\nspec: {}\n' >"$T/fds.yaml"
configmap_init "$T/fds.yaml"
start_xdsd
python3 - "$XDS_ADDR" "$XDS_PORT" "$ADMIN_PORT" >"$T/probe.txt" 2>&1 <<'PY'
import socket, subprocess, sys, time
addr, port, admin = sys.argv[1], int(sys.argv[2]), sys.argv[3]
socks = [socket.create_connection((addr, port), timeout=5) for _ in range(1200)]
time.sleep(0.5)
for path in ("healthz", "status", "metrics"):
    r = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "5",
                        f"http://{addr}:{admin}/{path}"], capture_output=True, text=True)
    print(path, r.stdout or "none")
PY
cat "$T/probe.txt"
check "with 1,200 connections open, /healthz answers 200" grep -qx "healthz 200" "$T/probe.txt"
check "and /status and /metrics do" sh -c "grep -qx 'status 200' '$T/probe.txt' && grep -qx 'metrics 200' '$T/probe.txt'"
check "nothing about FD_SETSIZE in xdsd's log" sh -c "! grep -q FD_SETSIZE '$T/xdsd.log'"
