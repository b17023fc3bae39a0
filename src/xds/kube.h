/* Kubernetes Services, EndpointSlices and Gateway API routes (GRPCRoute, HTTPRoute) as xdsd serves
 * them: the objects parsed from the API's JSON (cJSON), the store a watch keeps them in, and the view a
 * snapshot is built from. Pure: no I/O, no locks (kubewatch.c owns both).
 *
 * What a Service becomes (docs/xdsd.md, "Kubernetes"): for each TCP port, a backend named
 * NAME.NAMESPACE:PORT (what a proxyless client dials as xds:///NAME.NAMESPACE:PORT) whose endpoints are
 * those of the Service's IPv4 EndpointSlices (label kubernetes.io/service-name) on the slice port of the
 * same name. Conditions: ready (unset counts as ready) -> healthy; not ready but serving and terminating
 * -> draining (no new calls); anything else is left out. The endpoint's zone is its locality. An address
 * in several slices is one endpoint (healthy if any slice says so).
 *
 * Routes (docs/xdsd.md, "Gateway API routes (GAMMA)"): a GRPCRoute or HTTPRoute whose parentRef is a
 * Service of its own namespace (group "", kind Service; `port` or `sectionName` narrow it to one port)
 * replaces the default route of that Service port's listener with its rules, in the Gateway API's
 * precedence order, merged with the other routes of the same kind on that port (a GRPCRoute there
 * wins over HTTPRoutes: GEP-1426). Each match becomes a config_route; backendRefs become clusters
 * NAME.NAMESPACE:PORT with weights scaled to sum to 100. What gRPC's route matchers cannot express
 * is refused with a reason (kube_view.notes), never served approximately. */
#ifndef XDS_KUBE_H
#define XDS_KUBE_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"

struct cJSON;

enum kube_kind { KUBE_SERVICES = 0, KUBE_SLICES, KUBE_GRPCROUTES, KUBE_HTTPROUTES, KUBE_NKINDS };

/* "services", "endpointslices", "grpcroutes", "httproutes". */
const char *kube_kind_name(enum kube_kind k);
/* The API path of a kind's collection: "/api/v1", "/apis/discovery.k8s.io/v1",
 * "/apis/gateway.networking.k8s.io/v1". */
const char *kube_kind_group_path(enum kube_kind k);
/* Whether a kind's CRD may be missing from a cluster (the Gateway API's routes): a 404 then means
 * "none", not a failure. */
int kube_kind_optional(enum kube_kind k);

/* The cluster a route's share goes to when it has no valid backend (no backendRefs, weights all 0, a
 * backendRef that is not a Service port): it has no endpoints, so gRPC fails those calls with
 * UNAVAILABLE, as the Gateway API asks (500 for HTTP). */
#define KUBE_NO_BACKEND "xdsd:no-backend"

/* Scales n weights (each at most 1000000, as the Gateway API allows) to percentages that sum to exactly
 * 100, by the largest remainder (ties go to the earlier weight). Returns 0, or -1 when they sum to 0. */
int kube_weights_percent(const uint64_t *w, size_t n, uint32_t *out);

/* A Gateway API duration (GEP-2257: 1-4 of NUMBER{h,m,s,ms}, e.g. 1h, 1m30s, 500ms) in milliseconds;
 * -1 when it is not one. */
int64_t kube_duration_ms(const char *s);

/* One parsed object (a Service, an EndpointSlice or a route). Opaque; free with kube_object_free. */
struct kube_object;

/* Parses `obj` (an item of a list, or a watch event's object) as kind `k`. Returns 0, or -1 with
 * err[errlen] saying which field is wrong. An object xdsd does not serve (a UDP-only Service, an IPv6
 * slice) parses fine and contributes nothing. */
int kube_object_parse(enum kube_kind k, const struct cJSON *obj, struct kube_object **out, char *err, size_t errlen);
void kube_object_free(struct kube_object *o);
/* "NAMESPACE/NAME" of a parsed object. */
const char *kube_object_key(const struct kube_object *o);

/* One line of a watch stream: {"type": ..., "object": ...}. */
enum kube_event_type {
  KUBE_EV_ADDED,
  KUBE_EV_MODIFIED,
  KUBE_EV_DELETED,
  KUBE_EV_BOOKMARK,
  KUBE_EV_ERROR,
  KUBE_EV_NTYPES
};

struct kube_event {
  enum kube_event_type type;
  struct kube_object *obj; /* ADDED, MODIFIED, DELETED: the parsed object (the caller's) */
  char rv[128];            /* the object's metadata.resourceVersion, "" without one */
  int code;                /* ERROR: the Status's code (410: the resourceVersion is gone) */
  char message[256];       /* ERROR: the Status's message */
};

/* "ADDED", "MODIFIED", ... */
const char *kube_event_name(enum kube_event_type t);

/* Parses one watch event of kind `k`. Returns 0 (ev filled); -1 when the line is not an event (the
 * stream is broken); -2 when the event is but its object is not one xdsd can read (ev->type and ev->rv
 * are set, ev->obj is NULL: skip it). err[errlen] says what is wrong. */
int kube_event_parse(enum kube_kind k, const char *line, size_t len, struct kube_event *ev, char *err, size_t errlen);

/* The objects of every kind, by NAMESPACE/NAME. */
struct kube_store;
struct kube_store *kube_store_new(void);
void kube_store_free(struct kube_store *s);
/* Adds or replaces `o` (owned by the store from here, also on failure). Returns 0 or -1 (memory). */
int kube_store_put(struct kube_store *s, enum kube_kind k, struct kube_object *o);
/* Removes NAMESPACE/NAME; returns 1 when it was there, else 0. */
int kube_store_delete(struct kube_store *s, enum kube_kind k, const char *key);
/* A relist: every object of kind `k` in namespace `ns` (NULL: every namespace) is replaced by the n
 * objects of `objs` (owned by the store from here, also on failure; the array is not). Returns 0 or -1. */
int kube_store_replace(struct kube_store *s, enum kube_kind k, const char *ns, struct kube_object **objs, size_t n);
size_t kube_store_count(const struct kube_store *s, enum kube_kind k);

/* An immutable projection of a store: the backends, sorted by name. Built by kube_view_build (with the
 * store's lock held by the caller) and read by snapshot builds on another thread. */
struct kube_endpoint {
  char ip[16]; /* IPv4 literal */
  uint32_t port;
  int draining;
  const char *zone; /* "" when the slice gives none; owned by the view */
};

struct kube_backend {
  char *name; /* NAME.NAMESPACE:PORT */
  struct kube_endpoint *endpoints;
  size_t n_endpoints;
  /* The routes attached to this Service port, in precedence order (owned), or none (n_routes 0 and
   * routed_by NULL): the default route "/" to the backend's own cluster. */
  struct config_route *routes;
  size_t n_routes;
  char *routed_by; /* "grpcroute demo/a,demo/b" or "httproute ...", NULL when not routed */
};

struct kube_view {
  struct kube_backend *backends;
  size_t n_backends;
  size_t n_endpoints;
  char **zones; /* the zone strings endpoints point at */
  size_t n_zones;
  size_t n_routed; /* backends whose listener the routes decide */
  /* Why something of a route is not served as written (a refused rule, a missing backend, a
   * conflict), one line each, sorted; for the log and /status. */
  char **notes;
  size_t n_notes;
};

struct kube_view *kube_view_build(const struct kube_store *s);
void kube_view_free(struct kube_view *v);
/* The backend named `name`, or NULL. */
const struct kube_backend *kube_view_find(const struct kube_view *v, const char *name);

/* The config a snapshot is built from: `file` (NULL when xdsd runs on Kubernetes alone) with every
 * cluster that names a `service` given that backend's endpoints, plus, for every backend whose name the
 * file does not use for a listener, a listener of that name with the backend's routes, or by default
 * one route ("/") to a cluster of that name (the file's own cluster of that name when it has one).
 * A cluster a route names that is neither a backend nor the file's (a backendRef to a missing
 * Service port, KUBE_NO_BACKEND) is added without endpoints. Returns a new config (config_free), or
 * NULL with err[errlen] set (memory). A `service` the view lacks gives a cluster without endpoints. */
struct config *kube_config_merge(const struct config *file, const struct kube_view *v, char *err, size_t errlen);

#endif
