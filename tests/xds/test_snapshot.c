/* Unit tests of src/xds/snapshot.c: resources built from a config and DNS answers, their encoding
 * details (oneofs set, prefix "/", weights), sorting, comparison and removal. */
#include <string.h>

#include "config.h"
#include "envoy/config/cluster/v3/cluster.pb-c.h"
#include "envoy/config/endpoint/v3/endpoint.pb-c.h"
#include "envoy/config/listener/v3/listener.pb-c.h"
#include "envoy/config/route/v3/route.pb-c.h"
#include "envoy/extensions/filters/http/fault/v3/fault.pb-c.h"
#include "envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.pb-c.h"
#include "snapshot.h"
#include "xtest.h"

static char *v1_ips[] = {"10.0.0.2", "10.0.0.1", "10.0.0.1"};
static size_t n_v1 = 3;

static size_t resolve(void *ctx, const char *host, char *const **ips) {
  (void)ctx;
  if (strcmp(host, "server-v1") != 0) return 0;
  *ips = v1_ips;
  return n_v1;
}

static struct config *cfg(const char *yaml) {
  struct config *c;
  char err[256] = "";
  REQUIRE(config_parse("t", yaml, strlen(yaml), &c, err, sizeof err) == 0, "config parses: %s", err);
  return c;
}

static const char config_y1[] =
    "spec:\n  listeners:\n  - name: server\n    port: 8080\n    routes:\n    - clusters:\n"
    "      - {name: server-v1, weight: 95}\n      - {name: server-v2, weight: 5}\n"
    "  - name: grpc-only\n    routes:\n    - clusters:\n      - name: server-v2\n"
    "  clusters:\n  - name: server-v2\n    endpoints:\n    - {address: 10.0.1.1, port: 50051}\n"
    "  - name: server-v1\n    endpoints:\n    - {address: server-v1, port: 50051}\n    - {address: 10.0.0.1, port: "
    "50051}\n";

/* Localities: one per zone and priority, in priority order, weighted as configured or by count. */
static void test_localities(void) {
  struct config *c =
      cfg("spec:\n  clusters:\n  - name: a\n    localities:\n"
          "    - zone: far\n      priority: 1\n      weight: 7\n      endpoints: [{address: 10.0.9.1, port: 1}]\n"
          "    - zone: near\n      endpoints: [{address: 10.0.0.2, port: 1}, {address: 10.0.0.1, port: 1}]\n");
  struct snapshot *s;
  REQUIRE(snapshot_build(c, resolve, NULL, &s) == 0, "builds");
  const struct snapshot_resource *r = snapshot_find(&s->tables[SNAP_EDS], "a");
  Envoy__Config__Endpoint__V3__ClusterLoadAssignment *a =
      envoy__config__endpoint__v3__cluster_load_assignment__unpack(NULL, r->len, r->data);
  REQUIRE(a && a->n_endpoints == 2, "two localities");
  const Envoy__Config__Endpoint__V3__LocalityLbEndpoints *near = a->endpoints[0], *far = a->endpoints[1];
  REQUIRE(strcmp(near->locality->zone, "near") == 0 && near->priority == 0 && near->n_lb_endpoints == 2 &&
              near->load_balancing_weight->value == 2,
          "priority 0 first: near, its 2 endpoints, weight 2 (the count)");
  REQUIRE(strcmp(far->locality->zone, "far") == 0 && far->priority == 1 && far->n_lb_endpoints == 1 &&
              far->load_balancing_weight->value == 7,
          "then far: priority 1, weight 7 as configured");
  REQUIRE(strcmp(near->lb_endpoints[0]->endpoint->address->socket_address->address, "10.0.0.1") == 0,
          "endpoints sorted within a locality");
  envoy__config__endpoint__v3__cluster_load_assignment__free_unpacked(a, NULL);
  snapshot_free(s);
  config_free(c);
  /* A priority whose names resolve to nothing is skipped: the next one is served as priority 0. */
  c =
      cfg("spec:\n  clusters:\n  - name: a\n    localities:\n"
          "    - zone: near\n      endpoints: [{address: gone.example, port: 1}]\n"
          "    - zone: far\n      priority: 1\n      endpoints: [{address: 10.0.9.1, port: 1}]\n"
          "    - zone: farther\n      priority: 2\n      endpoints: [{address: 10.0.9.2, port: 1}]\n");
  REQUIRE(snapshot_build(c, resolve, NULL, &s) == 0, "builds");
  r = snapshot_find(&s->tables[SNAP_EDS], "a");
  a = envoy__config__endpoint__v3__cluster_load_assignment__unpack(NULL, r->len, r->data);
  REQUIRE(a && a->n_endpoints == 2 && strcmp(a->endpoints[0]->locality->zone, "far") == 0 &&
              a->endpoints[0]->priority == 0 && a->endpoints[1]->priority == 1,
          "far becomes priority 0 and farther 1 while near has no endpoints");
  envoy__config__endpoint__v3__cluster_load_assignment__free_unpacked(a, NULL);
  snapshot_free(s);
  config_free(c);
}

/* Issue 12's route and cluster features on the wire: regex, retry, hash and fault on the route, the
 * fault filter before the router in the listener's HCM, ring hash and outlier detection. */
static void test_route_features(void) {
  struct config *c =
      cfg("spec:\n  listeners:\n  - name: l\n    routes:\n    - regex: \"^/a/.*$\"\n"
          "      headers: [{name: k, regex: \"v+\"}]\n"
          "      retry: {on: [unavailable, internal], attempts: 4, backoff: {base: 10ms, max: 90ms}}\n"
          "      fault: {delay: {fixed: 1500ms, percent: 30}, abort: {code: unauthenticated, percent: 20}}\n"
          "      hash_header: x-user\n      clusters: [{name: a}]\n"
          "  - name: plain\n    routes:\n    - clusters: [{name: a}]\n"
          "  clusters:\n  - name: a\n    lb: ring_hash\n    outlier_detection:\n      interval: 2s\n"
          "      failure_percentage: {threshold: 60}\n");
  struct snapshot *s;
  REQUIRE(snapshot_build(c, resolve, NULL, &s) == 0, "builds");
  const struct snapshot_resource *r = snapshot_find(&s->tables[SNAP_RDS], "l");
  Envoy__Config__Route__V3__RouteConfiguration *rc =
      envoy__config__route__v3__route_configuration__unpack(NULL, r->len, r->data);
  REQUIRE(rc, "RDS decodes");
  const Envoy__Config__Route__V3__Route *rt = rc->virtual_hosts[0]->routes[0];
  REQUIRE(rt->match->path_specifier_case == ENVOY__CONFIG__ROUTE__V3__ROUTE_MATCH__PATH_SPECIFIER_SAFE_REGEX &&
              strcmp(rt->match->safe_regex->regex, "^/a/.*$") == 0,
          "safe_regex path");
  REQUIRE(rt->match->n_headers == 1 &&
              rt->match->headers[0]->header_match_specifier_case ==
                  ENVOY__CONFIG__ROUTE__V3__HEADER_MATCHER__HEADER_MATCH_SPECIFIER_SAFE_REGEX_MATCH &&
              strcmp(rt->match->headers[0]->safe_regex_match->regex, "v+") == 0,
          "safe_regex_match header");
  const Envoy__Config__Route__V3__RetryPolicy *rp = rt->route->retry_policy;
  REQUIRE(rp && strcmp(rp->retry_on, "internal,unavailable") == 0 && rp->num_retries->value == 3 &&
              rp->retry_back_off->base_interval->nanos == 10000000 &&
              rp->retry_back_off->max_interval->nanos == 90000000,
          "retry_on in gRPC's names, num_retries 3 (4 attempts), backoff 10 ms .. 90 ms (got %s)",
          rp ? rp->retry_on : "none");
  REQUIRE(rt->route->n_hash_policy == 1 && strcmp(rt->route->hash_policy[0]->header->header_name, "x-user") == 0,
          "hash policy on x-user");
  REQUIRE(rt->n_typed_per_filter_config == 1 &&
              strcmp(rt->typed_per_filter_config[0]->key, "envoy.filters.http.fault") == 0 &&
              strcmp(rt->typed_per_filter_config[0]->value->type_url,
                     "type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault") == 0,
          "the fault filter's per-route config");
  const Google__Protobuf__Any *fa = rt->typed_per_filter_config[0]->value;
  Envoy__Extensions__Filters__Http__Fault__V3__HTTPFault *hf =
      envoy__extensions__filters__http__fault__v3__httpfault__unpack(NULL, fa->value.len, fa->value.data);
  REQUIRE(hf && hf->delay && hf->delay->fixed_delay->seconds == 1 && hf->delay->fixed_delay->nanos == 500000000 &&
              hf->delay->percentage->numerator == 30 && hf->delay->percentage->denominator == 0 && hf->abort &&
              hf->abort->error_type_case ==
                  ENVOY__EXTENSIONS__FILTERS__HTTP__FAULT__V3__FAULT_ABORT__ERROR_TYPE_GRPC_STATUS &&
              hf->abort->grpc_status == 16 && hf->abort->percentage->numerator == 20,
          "HTTPFault: 1.5 s for 30 of HUNDRED, grpc_status 16 for 20");
  envoy__extensions__filters__http__fault__v3__httpfault__free_unpacked(hf, NULL);
  envoy__config__route__v3__route_configuration__free_unpacked(rc, NULL);

  /* The listener with a fault route has the fault filter before the router; the other only the router. */
  const char *names[] = {"l", "plain"};
  for (int i = 0; i < 2; i++) {
    r = snapshot_find(&s->tables[SNAP_LDS_API], names[i]);
    Envoy__Config__Listener__V3__Listener *l = envoy__config__listener__v3__listener__unpack(NULL, r->len, r->data);
    const Google__Protobuf__Any *ha = l->api_listener->api_listener;
    Envoy__Extensions__Filters__Network__HttpConnectionManager__V3__HttpConnectionManager *h =
        envoy__extensions__filters__network__http_connection_manager__v3__http_connection_manager__unpack(
            NULL, ha->value.len, ha->value.data);
    if (i == 0)
      REQUIRE(h->n_http_filters == 2 && strcmp(h->http_filters[0]->name, "envoy.filters.http.fault") == 0 &&
                  strcmp(h->http_filters[1]->name, "envoy.filters.http.router") == 0 &&
                  strstr(h->http_filters[0]->typed_config->type_url, "fault.v3.HTTPFault") &&
                  h->http_filters[0]->typed_config->value.len == 0,
              "fault filter (typed, empty), then the router");
    else
      REQUIRE(h->n_http_filters == 1 && strcmp(h->http_filters[0]->name, "envoy.filters.http.router") == 0,
              "a listener without faults keeps the router alone");
    envoy__extensions__filters__network__http_connection_manager__v3__http_connection_manager__free_unpacked(h, NULL);
    envoy__config__listener__v3__listener__free_unpacked(l, NULL);
  }

  r = snapshot_find(&s->tables[SNAP_CDS], "a");
  Envoy__Config__Cluster__V3__Cluster *cl = envoy__config__cluster__v3__cluster__unpack(NULL, r->len, r->data);
  REQUIRE(cl && cl->lb_policy == ENVOY__CONFIG__CLUSTER__V3__CLUSTER__LB_POLICY__RING_HASH, "RING_HASH");
  const Envoy__Config__Cluster__V3__OutlierDetection *od = cl->outlier_detection;
  REQUIRE(od && od->interval->seconds == 2 && od->base_ejection_time->seconds == 30 &&
              od->max_ejection_time->seconds == 300 && od->max_ejection_percent->value == 10 &&
              od->enforcing_success_rate->value == 0 && od->enforcing_failure_percentage->value == 100 &&
              od->failure_percentage_threshold->value == 60 && od->failure_percentage_minimum_hosts->value == 5 &&
              od->failure_percentage_request_volume->value == 50 && od->enforcing_consecutive_5xx->value == 0 &&
              !od->success_rate_stdev_factor,
          "outlier detection: failure percentage on, success rate and consecutive 5xx off");
  envoy__config__cluster__v3__cluster__free_unpacked(cl, NULL);
  snapshot_free(s);
  config_free(c);
}

/* config_y1's resources: counts, sorting, the endpoints (sorted, merged, weighted) and the route. */
static void build_and_encode(const struct config *c, struct snapshot **out) {
  struct snapshot *s;
  REQUIRE(snapshot_build(c, resolve, NULL, &s) == 0, "builds");
  REQUIRE(s->tables[SNAP_LDS_API].n == 2 && s->tables[SNAP_LDS_SOCKET].n == 1,
          "two API listeners, one socket listener");
  REQUIRE(s->tables[SNAP_RDS].n == 2 && s->tables[SNAP_CDS].n == 2 && s->tables[SNAP_EDS].n == 2,
          "routes, clusters, EDS");
  REQUIRE(strcmp(s->tables[SNAP_CDS].res[0].name, "server-v1") == 0, "tables are sorted by name");
  REQUIRE(snapshot_find(&s->tables[SNAP_EDS], "server-v2") && !snapshot_find(&s->tables[SNAP_EDS], "x"), "find");
  REQUIRE(s->n_endpoints == 3, "server-v1 resolves to 2 addresses, the duplicate literal is merged (3 in all)");

  const struct snapshot_resource *r = snapshot_find(&s->tables[SNAP_EDS], "server-v1");
  Envoy__Config__Endpoint__V3__ClusterLoadAssignment *a =
      envoy__config__endpoint__v3__cluster_load_assignment__unpack(NULL, r->len, r->data);
  REQUIRE(a && a->n_endpoints == 1 && a->endpoints[0]->n_lb_endpoints == 2, "one locality, two endpoints");
  const Envoy__Config__Core__V3__SocketAddress *sa =
      a->endpoints[0]->lb_endpoints[0]->endpoint->address->socket_address;
  REQUIRE(strcmp(sa->address, "10.0.0.1") == 0 && sa->port_value == 50051 &&
              sa->port_specifier_case == ENVOY__CONFIG__CORE__V3__SOCKET_ADDRESS__PORT_SPECIFIER_PORT_VALUE,
          "endpoints sorted, port oneof set");
  REQUIRE(a->endpoints[0]->load_balancing_weight && a->endpoints[0]->load_balancing_weight->value == 2 &&
              a->endpoints[0]->locality,
          "locality present, weighted by its 2 endpoints");
  envoy__config__endpoint__v3__cluster_load_assignment__free_unpacked(a, NULL);

  r = snapshot_find(&s->tables[SNAP_RDS], "server");
  Envoy__Config__Route__V3__RouteConfiguration *rc =
      envoy__config__route__v3__route_configuration__unpack(NULL, r->len, r->data);
  const Envoy__Config__Route__V3__Route *rt = rc->virtual_hosts[0]->routes[0];
  REQUIRE(rt->match->path_specifier_case == ENVOY__CONFIG__ROUTE__V3__ROUTE_MATCH__PATH_SPECIFIER_PREFIX &&
              strcmp(rt->match->prefix, "/") == 0,
          "prefix \"/\" is on the wire (not the empty default)");
  REQUIRE(
      rt->route->weighted_clusters->n_clusters == 2 && rt->route->weighted_clusters->clusters[1]->weight->value == 5,
      "weighted clusters 95/5");
  envoy__config__route__v3__route_configuration__free_unpacked(rc, NULL);

  *out = s;
}

/* Same input, same content; DNS order does not matter; a DNS change changes EDS only. */
static void same_and_dns(const struct config *c, const struct snapshot *s) {
  struct snapshot *s2, *s3;
  v1_ips[0] = "10.0.0.1";
  v1_ips[1] = "10.0.0.2";
  REQUIRE(snapshot_build(c, resolve, NULL, &s2) == 0 && snapshot_same(s, s2), "same config and answers: same snapshot");
  n_v1 = 1;
  REQUIRE(snapshot_build(c, resolve, NULL, &s3) == 0 && !snapshot_same(s, s3), "a DNS change is a change");
  REQUIRE(
      s3->tables[SNAP_CDS].hash == s->tables[SNAP_CDS].hash && s3->tables[SNAP_EDS].hash != s->tables[SNAP_EDS].hash,
      "only EDS differs");
  snapshot_free(s2);
  snapshot_free(s3);
}

/* Removal: a cluster and a listener gone from the config are gone from the snapshot; phases (make
 * before break) from `s` (server-v1, server-v2) to server-v2 only, and back. */
static void removal_phases(const struct snapshot *s) {
  struct config *c =
      cfg("spec:\n  listeners:\n  - name: server\n    routes:\n    - clusters:\n      - name: server-v2\n"
          "  clusters:\n  - name: server-v2\n");
  struct snapshot *s2;
  REQUIRE(snapshot_build(c, NULL, NULL, &s2) == 0, "builds without a resolver");
  REQUIRE(s2->tables[SNAP_CDS].n == 1 && s2->tables[SNAP_LDS_API].n == 1 && s2->tables[SNAP_LDS_SOCKET].n == 0,
          "removed resources are gone; no port, no socket listener");
  const struct snapshot_resource *r = snapshot_find(&s2->tables[SNAP_EDS], "server-v2");
  Envoy__Config__Endpoint__V3__ClusterLoadAssignment *a =
      envoy__config__endpoint__v3__cluster_load_assignment__unpack(NULL, r->len, r->data);
  REQUIRE(a && a->n_endpoints == 0, "an empty cluster is an assignment without localities");
  envoy__config__endpoint__v3__cluster_load_assignment__free_unpacked(a, NULL);
  /* Phases (make before break). Removal: s (server-v1, server-v2) -> s2 (server-v2 only). */
  struct snapshot *t, *t2;
  REQUIRE(snapshot_plan(s, s2, &t) == SNAPSHOT_PHASE_KEEP && t != NULL, "dropping server-v1: first keep it");
  REQUIRE(t->tables[SNAP_CDS].n == 2 && t->tables[SNAP_EDS].n == 2,
          "the phase keeps the dropped Cluster and assignment");
  REQUIRE(snapshot_find(&t->tables[SNAP_CDS], "server-v1")->hash ==
                  snapshot_find(&s->tables[SNAP_CDS], "server-v1")->hash &&
              snapshot_find(&t->tables[SNAP_EDS], "server-v1")->hash ==
                  snapshot_find(&s->tables[SNAP_EDS], "server-v1")->hash,
          "unchanged");
  REQUIRE(t->tables[SNAP_RDS].hash == s2->tables[SNAP_RDS].hash &&
              t->tables[SNAP_LDS_API].hash == s2->tables[SNAP_LDS_API].hash &&
              t->tables[SNAP_LDS_SOCKET].hash == s2->tables[SNAP_LDS_SOCKET].hash,
          "while listeners and routes are the new ones");
  REQUIRE(
      snapshot_find(&t->tables[SNAP_EDS], "server-v2")->hash == snapshot_find(&s2->tables[SNAP_EDS], "server-v2")->hash,
      "and kept clusters have their new content");
  REQUIRE(strcmp(t->tables[SNAP_CDS].res[0].name, "server-v1") == 0, "tables stay sorted");
  REQUIRE(snapshot_plan(t, s2, &t2) == SNAPSHOT_PHASE_FINAL && t2 == NULL, "then the target itself");
  REQUIRE(snapshot_drops(s, s2, XDS_CDS, "server-v1") && snapshot_drops(s, s2, XDS_EDS, "server-v1") &&
              !snapshot_drops(s, s2, XDS_CDS, "server-v2") && !snapshot_drops(s, s2, XDS_RDS, "server"),
          "snapshot_drops names what goes");
  snapshot_free(t);
  /* Addition: s2 -> s (server-v1 comes): first the clusters under the old routes. */
  REQUIRE(snapshot_plan(s2, s, &t) == SNAPSHOT_PHASE_ADD && t != NULL, "adding server-v1: clusters first");
  REQUIRE(t->tables[SNAP_CDS].n == 2 && snapshot_find(&t->tables[SNAP_EDS], "server-v1") &&
              t->tables[SNAP_RDS].hash == s2->tables[SNAP_RDS].hash &&
              t->tables[SNAP_LDS_API].hash == s2->tables[SNAP_LDS_API].hash,
          "the phase has the new cluster and the old listeners and routes");
  REQUIRE(t->n_endpoints == s->n_endpoints, "its endpoint count is the target's");
  REQUIRE(snapshot_plan(t, s, &t2) == SNAPSHOT_PHASE_FINAL && t2 == NULL, "then the target itself");
  snapshot_free(t);
  snapshot_free(s2);
  config_free(c);
}

/* Both (server-v1 -> server-v3): add, then keep, then the target. */
static void swap_phases(void) {
  struct config *c3 =
      cfg("spec:\n  listeners:\n  - name: server\n    routes:\n    - clusters:\n      - name: server-v3\n"
          "  clusters:\n  - name: server-v3\n");
  struct config *c1 =
      cfg("spec:\n  listeners:\n  - name: server\n    routes:\n    - clusters:\n      - name: server-v1\n"
          "  clusters:\n  - name: server-v1\n");
  struct snapshot *s1, *s3, *p1, *p2, *p3;
  REQUIRE(snapshot_build(c1, NULL, NULL, &s1) == 0 && snapshot_build(c3, NULL, NULL, &s3) == 0, "builds");
  REQUIRE(snapshot_plan(s1, s3, &p1) == SNAPSHOT_PHASE_ADD && p1->tables[SNAP_CDS].n == 2 &&
              p1->tables[SNAP_RDS].hash == s1->tables[SNAP_RDS].hash,
          "a swap of clusters: v3 added under the old route");
  REQUIRE(snapshot_plan(p1, s3, &p2) == SNAPSHOT_PHASE_KEEP && p2->tables[SNAP_CDS].n == 2 &&
              p2->tables[SNAP_RDS].hash == s3->tables[SNAP_RDS].hash,
          "then the new route, v1 still there");
  REQUIRE(snapshot_plan(p2, s3, &p3) == SNAPSHOT_PHASE_FINAL && p3 == NULL, "then the target");
  REQUIRE(snapshot_plan(NULL, s3, &p3) == SNAPSHOT_PHASE_FINAL && p3 == NULL, "the first snapshot is served at once");
  snapshot_free(p2);
  snapshot_free(p1);
  snapshot_free(s3);
  snapshot_free(s1);
  config_free(c3);
  config_free(c1);
}

/* Dropping an unused cluster changes no route: nothing to do first. */
static void unused_cluster(void) {
  struct config *c1 =
      cfg("spec:\n  listeners:\n  - name: server\n    routes:\n    - clusters:\n      - name: server-v1\n"
          "  clusters:\n  - name: server-v1\n");
  struct snapshot *s1, *p3;
  REQUIRE(snapshot_build(c1, NULL, NULL, &s1) == 0, "builds");
  struct config *cu =
      cfg("spec:\n  listeners:\n  - name: server\n    routes:\n    - clusters:\n      - name: server-v1\n"
          "  clusters:\n  - name: server-v1\n  - name: unused\n");
  struct snapshot *su;
  REQUIRE(snapshot_build(cu, NULL, NULL, &su) == 0 && snapshot_plan(su, s1, &p3) == SNAPSHOT_PHASE_FINAL && p3 == NULL,
          "an unused cluster goes in one step");
  REQUIRE(strcmp(snapshot_phase_name(SNAPSHOT_PHASE_KEEP), "keep-removed") == 0, "phase names");
  snapshot_free(su);
  snapshot_free(s1);
  config_free(cu);
  config_free(c1);
}

int main(void) {
  test_localities();
  test_route_features();
  struct config *c = cfg(config_y1);
  struct snapshot *s;
  build_and_encode(c, &s);
  same_and_dns(c, s);
  removal_phases(s);
  swap_phases();
  unused_cluster();
  snapshot_free(s);
  config_free(c);
  REQUIRE(snapshot_type_of_url("type.googleapis.com/envoy.config.cluster.v3.Cluster") == XDS_CDS &&
              snapshot_type_of_url("type.googleapis.com/x") == -1,
          "type URLs");
  return 0;
}
