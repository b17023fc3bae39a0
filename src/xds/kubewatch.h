/* Following the Kubernetes API as client-go's informers do: per resource (Services, EndpointSlices,
 * and the Gateway API's GRPCRoutes and HTTPRoutes) and namespace, a thread lists (in pages of 500), then watches from
 * the list's resourceVersion with bookmarks; a watch answered 410 Gone relists; a watch the server ends is resumed from
 * the last resourceVersion; a watch silent for longer than the idle timeout is restarted; a failed request is retried
 * with backoff (200 ms doubling to 5 s). HTTP is libcurl, JSON is cJSON. The objects go into a kube_store (kube.h)
 * under one lock; the loop asks for the generation and freezes a view when it changed. On any failure the store keeps
 * what it had: xdsd goes on serving the last state. A route kind whose CRD is not installed (its list answers 404) is
 * "absent": logged once, not an error, no objects, listed again with backoff until the CRD appears. */
#ifndef XDS_KUBEWATCH_H
#define XDS_KUBEWATCH_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "kube.h"
#include "kubeconn.h"

struct kubewatch_options {
  const char *const *namespaces; /* NULL or n_namespaces == 0: every namespace */
  size_t n_namespaces;
  int64_t watch_timeout_s; /* the timeoutSeconds asked of the server per watch (client-go: 5-10 min) */
  int64_t idle_ms;         /* a watch that sent nothing (not even a bookmark) this long is restarted */
};

struct kubewatch;

/* Starts the threads; `conn` is moved into the watch (cleared in the caller). Returns 0, or -1 when a
 * thread or libcurl cannot be set up. */
int kubewatch_start(struct kube_conn *conn, const struct kubewatch_options *o, struct kubewatch **out);
/* Stops the threads (within about a second: libcurl's progress callback sees the request) and frees. */
void kubewatch_stop(struct kubewatch *kw);

/* Bumped by every change applied to the store. */
uint64_t kubewatch_generation(struct kubewatch *kw);
/* Whether every resource has been listed at least once or found absent (synced), or listed, absent or
 * failed once (settled). */
int kubewatch_synced(struct kubewatch *kw);
int kubewatch_settled(struct kubewatch *kw);
/* A view of the store now (kube_view_free), or NULL when out of memory. Its route notes that are new
 * since the last view are logged, and kept for /status. */
struct kube_view *kubewatch_freeze(struct kubewatch *kw);

/* {"server":..., "origin":..., "synced":..., "services":N, "endpointslices":N, "grpcroutes":N,
 * "httproutes":N, "watches":[{"resource", "namespace", "state", "resource_version", "last_event",
 * "events", "bookmarks", "relists", "errors", "last_error"}], "route_watches":[the same, and "absent"],
 * "routes":{"routed_listeners", "notes_count", "notes":[the first 100]}} */
void kubewatch_status_json(struct kubewatch *kw, FILE *out);
/* xdsd_kube_events_total{resource,type}, xdsd_kube_relists_total, xdsd_kube_errors_total,
 * xdsd_kube_objects, xdsd_kube_absent, xdsd_kube_routed_listeners, xdsd_kube_route_notes,
 * xdsd_kube_synced. */
void kubewatch_metrics_text(struct kubewatch *kw, FILE *out);

#endif
