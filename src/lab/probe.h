/* Readiness probes and request/answer exchanges over sockets, with deadlines: what the lab uses to
 * know that a pod listens, and to talk to HAProxy's runtime API and xdsd's admin port. */
#ifndef LAB_PROBE_H
#define LAB_PROBE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* True when a TCP connection to ip:port succeeds (something listens). */
int probe_tcp(const char *ip, uint16_t port);

/* Connects (TCP to ip:port, or the unix socket at `unix_path` when it is not NULL), writes `req`,
 * reads until the peer closes or timeout_ms passes, and stores the answer NUL-terminated in
 * out[outlen]. Returns its length, or -1 (connect or write error, or timeout). */
ssize_t probe_exchange(const char *ip, uint16_t port, const char *unix_path, const char *req, char *out, size_t outlen,
                       int64_t timeout_ms);

#endif
