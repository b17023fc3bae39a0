/* xdsd's Kubernetes watch input (src/xds/kube.c), what a hostile or broken API server (or a proxy in
 * front of it) could send: the input is a watch stream, one JSON event per line, the first byte saying
 * which resource the first line is (modulo 4: Services, EndpointSlices, GRPCRoutes, HTTPRoutes; each
 * line the next). Every line goes through kube_event_parse and into a store as kubewatch.c applies it;
 * then the view (with the routes), the merged config and the snapshot are built. Invariants: a
 * backend's endpoints are unique and sorted by address; the view's count adds up; the snapshot has a
 * ClusterLoadAssignment per backend (and one per route backend that has none), the endpoints all
 * counted once. */
#include <arpa/inet.h>
#include <string.h>

#include "config.h"
#include "fuzz.h"
#include "kube.h"
#include "snapshot.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  return 0;
}

static uint32_t ip_of(const char *s) {
  struct in_addr a;
  FUZZ_ASSERT(inet_pton(AF_INET, s, &a) == 1);
  return ntohl(a.s_addr);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  enum kube_kind kind = (enum kube_kind)(data[0] % KUBE_NKINDS);
  const char *p = (const char *)data + 1, *end = (const char *)data + size;
  struct kube_store *s = kube_store_new();
  FUZZ_ASSERT(s);
  while (p < end) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
    struct kube_event ev;
    char err[256];
    int rc = kube_event_parse(kind, p, len, &ev, err, sizeof err);
    FUZZ_ASSERT(rc == 0 || rc == -1 || rc == -2);
    FUZZ_ASSERT(rc != 0 || ev.type == KUBE_EV_BOOKMARK || ev.type == KUBE_EV_ERROR || ev.obj);
    if (ev.obj) {
      if (ev.type == KUBE_EV_DELETED) {
        kube_store_delete(s, kind, kube_object_key(ev.obj));
        kube_object_free(ev.obj);
      } else {
        kube_store_put(s, kind, ev.obj);
      }
    }
    /* Rotate the kind line by line too, so that Services, their slices and their routes meet. */
    kind = (enum kube_kind)((kind + 1) % KUBE_NKINDS);
    p += len + 1;
  }
  struct kube_view *v = kube_view_build(s);
  FUZZ_ASSERT(v);
  size_t total = 0;
  for (size_t i = 0; i < v->n_backends; i++) {
    const struct kube_backend *b = &v->backends[i];
    FUZZ_ASSERT(i == 0 || strcmp(v->backends[i - 1].name, b->name) < 0);
    FUZZ_ASSERT(config_service_problem(b->name) == NULL); /* NAME.NAMESPACE:PORT, both DNS labels */
    for (size_t e = 1; e < b->n_endpoints; e++) {
      uint32_t x = ip_of(b->endpoints[e - 1].ip), y = ip_of(b->endpoints[e].ip);
      FUZZ_ASSERT(x < y || (x == y && b->endpoints[e - 1].port < b->endpoints[e].port));
    }
    total += b->n_endpoints;
  }
  FUZZ_ASSERT(total == v->n_endpoints);
  char err[256];
  struct config *m = kube_config_merge(NULL, v, err, sizeof err);
  FUZZ_ASSERT(m);
  struct snapshot *snap;
  FUZZ_ASSERT(snapshot_build(m, NULL, NULL, &snap) == 0);
  FUZZ_ASSERT(snap->tables[SNAP_EDS].n >= v->n_backends && snap->n_endpoints == v->n_endpoints);
  snapshot_free(snap);
  config_free(m);
  kube_view_free(v);
  kube_store_free(s);
  return 0;
}
