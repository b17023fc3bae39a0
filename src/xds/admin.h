/* The admin HTTP endpoint (libmicrohttpd, its own thread): GET /status (JSON), GET /metrics
 * (Prometheus text), GET /healthz. The main thread renders both documents and publishes them here;
 * the HTTP thread only copies the latest under a mutex, so it never touches xdsd's live state. */
#ifndef XDS_ADMIN_H
#define XDS_ADMIN_H

#include <stddef.h>

struct admin;

/* Listens on "IPV4:PORT". Returns 0, -1 when the address is invalid or cannot be bound. */
int admin_start(const char *addr, struct admin **out);
void admin_stop(struct admin *a);

/* Replaces the published documents; takes ownership of both malloc'd buffers (either may be NULL to
 * keep the current one). */
void admin_publish(struct admin *a, char *status_json, size_t status_len, char *metrics, size_t metrics_len);

#endif
