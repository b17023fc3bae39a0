/* The admin HTTP endpoint (libmicrohttpd, its own thread): GET /status (JSON), GET /metrics
 * (Prometheus text), GET /healthz. The main thread renders both documents and publishes them here;
 * the HTTP thread only copies the latest under a mutex, so it never touches xdsd's live state. */
#ifndef XDS_ADMIN_H
#define XDS_ADMIN_H

#include <stddef.h>

struct admin;

/* Listens on "IPV4:PORT". Returns 0, -1 when the address is invalid or cannot be bound. */
int admin_start(const char *addr, struct admin **out);
/* The same endpoint without a listening socket and without a thread of its own (the fuzzer's:
 * tests/fuzz/fuzz_admin.c): connections come only from admin_add_connection, and are served only by
 * admin_run, in the caller's thread; libmicrohttpd's errors are not logged. Returns 0, -1 when the daemon
 * cannot start. */
int admin_start_socketless(struct admin **out);
/* Hands a connected stream socket (a socketpair's end) to the daemon, which reads the requests on it,
 * answers them and closes it. Returns 0, -1 when the daemon refused it; the socket is closed in either
 * case. */
int admin_add_connection(struct admin *a, int fd);
/* The socketless endpoint's work: reads, answers, closes what is ready on its connections, without
 * waiting. Returns 0, -1 on an error of the daemon. */
int admin_run(struct admin *a);
void admin_stop(struct admin *a);

/* Replaces the published documents; takes ownership of both malloc'd buffers (either may be NULL to
 * keep the current one). */
void admin_publish(struct admin *a, char *status_json, size_t status_len, char *metrics, size_t metrics_len);

#endif
