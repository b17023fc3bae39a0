/* Endpoint discovery: the DNS names in the config's endpoints, resolved with c-ares (IPv4, A records)
 * every refresh interval against a given server (--dns-server HOST:PORT) or the system resolver.
 * Non-blocking: the owner calls discovery_poll from its loop. A name that does not exist (NXDOMAIN,
 * no A records) has no addresses; a failed lookup (timeout, SERVFAIL) keeps the last answer. */
#ifndef XDS_DISCOVERY_H
#define XDS_DISCOVERY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h"

struct discovery;

/* `server` is "HOST:PORT" or NULL for the system resolver (resolv.conf, with its search domains).
 * Returns 0, -1 when c-ares cannot be set up, -2 when `server` is rejected. */
int discovery_new(const char *server, int64_t refresh_ms, struct discovery **out);
void discovery_free(struct discovery *d);

/* Makes the names of `cfg`'s non-IP endpoints the set to resolve; new names are queried at once.
 * Returns 0, -1 on allocation failure. */
int discovery_set_names(struct discovery *d, const struct config *cfg);

/* Drives c-ares without blocking and starts the refreshes that are due. Returns 1 when some name's
 * address set changed since the previous call, else 0. */
int discovery_poll(struct discovery *d, int64_t now_ms);

/* Whether every name has had an answer (or failed) at least once. */
int discovery_settled(const struct discovery *d);

/* A snapshot_resolve_fn: `ctx` is the struct discovery. The addresses are sorted. */
size_t discovery_lookup(void *ctx, const char *host, char *const **ips);

/* Writes a JSON object {name: {"addresses": [...], "error": ...}}. */
void discovery_status_json(const struct discovery *d, FILE *out);

/* Writes the lookup failure, log and in-flight metrics in Prometheus text format. */
void discovery_metrics_text(const struct discovery *d, FILE *out);

/* A copy of the current answers (every live name with its addresses) that another thread may read
 * while the loop goes on: snapshots are built off the loop from one. NULL when out of memory. */
struct dns_frozen;
struct dns_frozen *discovery_freeze(const struct discovery *d);
/* A snapshot_resolve_fn over a frozen copy (ctx). */
size_t dns_frozen_lookup(void *ctx, const char *host, char *const **ips);
void dns_frozen_free(struct dns_frozen *f);

#endif
