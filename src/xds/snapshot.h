/* The versioned resource set xdsd serves, built from a config and the DNS answers, then swapped in
 * whole. No I/O. Resources are kept serialized (the bytes of the Any's value), sorted by name.
 *
 * gRPC clients and Envoy get different Listener resources of the same name (xds-facts.md §4, §7):
 * an API listener (HttpConnectionManager as api_listener) for clients that name the listener, and a
 * socket listener (address, port, one filter chain with the HCM) for wildcard (Envoy) subscriptions.
 * RouteConfiguration, Cluster and ClusterLoadAssignment resources are shared. */
#ifndef XDS_SNAPSHOT_H
#define XDS_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"

/* The resource types, in push order (CDS, EDS, LDS, RDS: make before break). */
enum xds_type { XDS_CDS = 0, XDS_EDS, XDS_LDS, XDS_RDS, XDS_NTYPES };

/* The tables of a snapshot: one per type, plus the socket listeners served to wildcard LDS. */
enum snapshot_table_id {
  SNAP_CDS = XDS_CDS,
  SNAP_EDS = XDS_EDS,
  SNAP_LDS_API = XDS_LDS,
  SNAP_RDS = XDS_RDS,
  SNAP_LDS_SOCKET,
  SNAP_NTABLES
};

struct snapshot_resource {
  char *name;    /* owned */
  uint8_t *data; /* the serialized resource (owned); may be NULL when len is 0 */
  size_t len;
  uint64_t hash; /* FNV-1a of name and data */
};

struct snapshot_table {
  struct snapshot_resource *res; /* sorted by name */
  size_t n;
  uint64_t hash; /* of every resource, in order */
};

struct snapshot {
  uint64_t version;   /* set by the owner: bumped whenever the content changes */
  int64_t created_us; /* clock_now_us() when built: the start of a push */
  struct snapshot_table tables[SNAP_NTABLES];
  size_t n_endpoints; /* resolved endpoints over every ClusterLoadAssignment */
  size_t n_draining;  /* of which DRAINING (Kubernetes: terminating, still serving) */
};

/* Resolves a DNS name: stores a pointer to its IPv4 literals (owned by the resolver, valid until the
 * next resolver call) and returns how many there are; 0 when the name is unknown or not resolved yet. */
typedef size_t (*snapshot_resolve_fn)(void *ctx, const char *host, char *const **ips);

/* Builds a new snapshot (version 0) from `cfg` and the resolver. Returns 0, or -1 on allocation failure.
 * `resolve` may be NULL (names then have no endpoints). Free with snapshot_free. */
int snapshot_build(const struct config *cfg, snapshot_resolve_fn resolve, void *ctx, struct snapshot **out);
void snapshot_free(struct snapshot *s);

/* Whether two snapshots hold the same resources (versions are not compared). NULLs differ from non-NULL. */
int snapshot_same(const struct snapshot *a, const struct snapshot *b);

/* Make before break (xds-facts.md §2 Ordering): clusters must exist, warm, before a route points at
 * them, and go only after the routes left them. A change that adds or removes clusters is served in
 * phases, each a snapshot of its own:
 *   SNAPSHOT_PHASE_ADD   the listeners and routes being served, with the target's clusters (and the
 *                        others kept): clients fetch the new clusters' endpoints while no route uses them;
 *   SNAPSHOT_PHASE_KEEP  the target's listeners and routes, with the target's clusters plus those it
 *                        removes: routes leave the removed clusters while they still exist;
 *   SNAPSHOT_PHASE_FINAL the target itself.
 * From `cur` (served; NULL before the first) towards `target`, snapshot_plan returns the phase to serve
 * next and stores its snapshot (version 0) in *out; for FINAL, *out is NULL (serve `target`). The owner
 * serves the phase, waits until the clients are through it (ads_clusters_warm, ads_removal_settled) or
 * a deadline, and calls again with the phase as `cur`. A phase that would change nothing is skipped.
 * Returns -1 on allocation failure. */
enum snapshot_phase { SNAPSHOT_PHASE_FINAL = 0, SNAPSHOT_PHASE_ADD, SNAPSHOT_PHASE_KEEP };
int snapshot_plan(const struct snapshot *cur, const struct snapshot *target, struct snapshot **out);
/* "add-clusters", "keep-removed", "final" (for logs). */
const char *snapshot_phase_name(int phase);

/* Whether `name` of `type` (CDS or EDS) is in `cur` but not in `next`. */
int snapshot_drops(const struct snapshot *cur, const struct snapshot *next, enum xds_type type, const char *name);

/* The resource named `name` in table `t`, or NULL. */
const struct snapshot_resource *snapshot_find(const struct snapshot_table *t, const char *name);

/* "type.googleapis.com/envoy.config.cluster.v3.Cluster" and the others; NULL for a bad type. */
const char *snapshot_type_url(enum xds_type type);
/* The type of a type URL, or -1 when it is none of the four. */
int snapshot_type_of_url(const char *url);
/* "cds", "eds", "lds", "rds". */
const char *snapshot_type_name(enum xds_type type);

/* 64-bit FNV-1a, continued from `h` (start with SNAPSHOT_HASH_INIT). */
#define SNAPSHOT_HASH_INIT 14695981039346656037ULL
uint64_t snapshot_hash(uint64_t h, const void *data, size_t len);

#endif
