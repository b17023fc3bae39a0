/* xdsd's config parser and validator (src/xds/config.c), then what `xdsd --check` does with a config
 * that passes (xdsd_check in src/xds/xdsd.c): snapshot_build without DNS and snapshot_print. Then
 * what a reload does: the same build with every DNS name resolved, and the make-before-break plan
 * from a fixed served snapshot towards the new one. */
#include <string.h>

#include "config.h"
#include "fuzz.h"
#include "listing.h"
#include "snapshot.h"

static FILE *devnull;
static struct snapshot *served; /* what the "running xdsd" serves before the reload */

static const char served_yaml[] =
    "name: xds\n"
    "spec:\n"
    "  listeners:\n"
    "    - name: server\n"
    "      port: 8080\n"
    "      routes:\n"
    "        - {name: r, prefix: /, clusters: [{name: server-v1, weight: 90}, {name: server-v2, weight: 10}]}\n"
    "  clusters:\n"
    "    - {name: server-v1, endpoints: [{address: server-v1, port: 50051}]}\n"
    "    - {name: server-v2, endpoints: [{address: 127.0.0.1, port: 50052}]}\n";

/* Every DNS name resolves to two addresses (one of them twice: the snapshot sorts and de-duplicates). */
static size_t resolve_any(void *ctx, const char *host, char *const **ips) {
  static char *const answer[] = {"10.0.0.2", "10.0.0.1", "10.0.0.2"};
  (void)ctx;
  if (host[0] == 'x') return 0; /* some names are not resolved yet */
  *ips = answer;
  return 3;
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  devnull = fopen("/dev/null", "w");
  struct config *c;
  char err[512];
  if (!devnull || config_parse("served.yaml", served_yaml, strlen(served_yaml), &c, err, sizeof err) != 0 ||
      snapshot_build(c, resolve_any, NULL, &served) != 0) {
    fprintf(stderr, "fuzz_xds_config: setup failed: %s\n", err);
    abort();
  }
  config_free(c);
  return 0;
}

/* The invariants the validator promises (config.h). */
static void check_config(const struct config *c) {
  for (size_t i = 0; i < c->n_listeners; i++) {
    const struct config_listener *l = &c->listeners[i];
    FUZZ_ASSERT(l->name[0] && l->n_routes > 0 && l->port <= 65535);
    for (size_t r = 0; r < l->n_routes; r++) {
      const struct config_route *rt = &l->routes[r];
      uint32_t sum = 0;
      FUZZ_ASSERT(rt->path ? config_path_problem(rt->path) == NULL : config_prefix_problem(rt->prefix) == NULL);
      for (size_t k = 0; k < rt->n_clusters; k++) {
        FUZZ_ASSERT(config_find_cluster(c, rt->clusters[k].name) != NULL);
        sum += rt->clusters[k].weight;
      }
      FUZZ_ASSERT(sum == 100);
    }
  }
  for (size_t i = 0; i < c->n_clusters; i++)
    for (size_t e = 0; e < c->clusters[i].n_endpoints; e++) {
      const struct config_endpoint *ep = &c->clusters[i].endpoints[e];
      FUZZ_ASSERT(ep->port >= 1 && ep->port <= 65535);
      FUZZ_ASSERT(ep->is_ip || config_is_hostname(ep->address));
    }
}

static void check_snapshot(const struct snapshot *s, const struct config *c) {
  FUZZ_ASSERT(s->tables[SNAP_LDS_API].n == c->n_listeners);
  FUZZ_ASSERT(s->tables[SNAP_RDS].n == c->n_listeners);
  FUZZ_ASSERT(s->tables[SNAP_CDS].n == c->n_clusters);
  FUZZ_ASSERT(s->tables[SNAP_EDS].n == c->n_clusters);
  for (int t = 0; t < SNAP_NTABLES; t++)
    for (size_t i = 0; i < s->tables[t].n; i++) {
      const struct snapshot_resource *r = &s->tables[t].res[i];
      FUZZ_ASSERT(snapshot_find(&s->tables[t], r->name) == r);
      if (i) FUZZ_ASSERT(strcmp(s->tables[t].res[i - 1].name, r->name) < 0);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct config *c;
  char err[512];
  err[0] = '\0';
  if (config_parse("fuzz.yaml", (const char *)data, size, &c, err, sizeof err) != 0) {
    FUZZ_ASSERT(strncmp(err, "fuzz.yaml:", 10) == 0);
    return 0;
  }
  check_config(c);

  /* xdsd --check */
  struct snapshot *s;
  FUZZ_ASSERT(snapshot_build(c, NULL, NULL, &s) == 0);
  check_snapshot(s, c);
  listing_print(s, c, devnull);

  /* A reload: resolved names, then the phases from the served snapshot to the new one. */
  struct snapshot *target;
  FUZZ_ASSERT(snapshot_build(c, resolve_any, NULL, &target) == 0);
  check_snapshot(target, c);
  FUZZ_ASSERT(snapshot_same(s, s) && snapshot_same(target, target));
  const struct snapshot *cur = served;
  struct snapshot *owned = NULL;
  for (int step = 0;; step++) {
    struct snapshot *next;
    FUZZ_ASSERT(step < 3); /* ADD, KEEP, FINAL at most */
    int phase = snapshot_plan(cur, target, &next);
    FUZZ_ASSERT(phase >= 0);
    FUZZ_ASSERT(strcmp(snapshot_phase_name(phase), "?") != 0);
    if (phase == SNAPSHOT_PHASE_FINAL) {
      FUZZ_ASSERT(next == NULL);
      break;
    }
    FUZZ_ASSERT(next != NULL);
    snapshot_free(owned);
    owned = next;
    cur = next;
  }
  snapshot_free(owned);
  snapshot_free(target);
  snapshot_free(s);
  config_free(c);
  return 0;
}
