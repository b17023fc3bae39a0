/* ADS protocol tests against a running xdsd: ACK, NACK, stale nonce, subscription change,
 * unsubscribe, resource removal (make before break), reconnect, wildcard, unknown types, oversized
 * requests, delta UNIMPLEMENTED.
 * Usage: test_ads_protocol --initial-config CONFIG_PATH (writes the config xdsd must be started with),
 * then test_ads_protocol ADDR CONFIG_PATH (rewrites it by rename, as an editor does, and waits for the
 * pushes). */
#include <grpc/grpc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adsc.h"
#include "envoy/config/cluster/v3/cluster.pb-c.h"
#include "envoy/config/endpoint/v3/endpoint.pb-c.h"
#include "envoy/config/listener/v3/listener.pb-c.h"
#include "envoy/config/route/v3/route.pb-c.h"
#include "envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.pb-c.h"
#include "xtest.h"

#define LDS "type.googleapis.com/envoy.config.listener.v3.Listener"
#define RDS "type.googleapis.com/envoy.config.route.v3.RouteConfiguration"
#define CDS "type.googleapis.com/envoy.config.cluster.v3.Cluster"
#define EDS "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment"
#define PUSH_MS 3000 /* a config change reaches a stream well within this */
#define QUIET_MS 600 /* "no response" means none within this */

static const char *addr, *cfg_path;

/* Writes a config with listeners "server" (weights w1/w2 over c1/c2, or c1 only when w2 < 0) and
 * "other" (c1), clusters c1 and c2 (unless dropped) at the given last octets. */
static void write_config(int w1, int w2, int c1_ip, int c2_ip, int with_other) {
  char tmp[1024], text[4096];
  int n = snprintf(text, sizeof text,
                   "name: proto\nspec:\n  listeners:\n  - name: server\n    port: 8080\n    routes:\n"
                   "    - name: r\n      prefix: /\n      clusters:\n      - name: c1\n        weight: %d\n",
                   w1);
  if (w2 >= 0) n += snprintf(text + n, sizeof text - n, "      - name: c2\n        weight: %d\n", w2);
  if (with_other)
    n += snprintf(text + n, sizeof text - n,
                  "  - name: other\n    port: 8081\n    routes:\n    - clusters:\n      - name: c1\n");
  n += snprintf(text + n, sizeof text - n,
                "  clusters:\n  - name: c1\n    endpoints:\n    - address: 127.0.2.%d\n      port: 50051\n", c1_ip);
  if (w2 >= 0)
    snprintf(text + n, sizeof text - n, "  - name: c2\n    endpoints:\n    - address: 127.0.2.%d\n      port: 50051\n",
             c2_ip);
  snprintf(tmp, sizeof tmp, "%s.tmp", cfg_path);
  FILE *f = fopen(tmp, "w");
  if (!f || fputs(text, f) < 0 || fclose(f) != 0 || rename(tmp, cfg_path) != 0) {
    printf("FAIL: cannot write %s\n", cfg_path);
    exit(1);
  }
}

/* Every response expect() returned, freed at the end. */
static adsc_response *kept[64];
static size_t n_kept;

static adsc_response *expect(struct adsc *c, const char *type, const char *what) {
  adsc_response *r = adsc_recv(c, PUSH_MS);
  REQUIRE(r != NULL, "%s: a response arrives", what);
  REQUIRE(n_kept < sizeof kept / sizeof kept[0], "%s: fewer than 64 responses in the test", what);
  kept[n_kept++] = r;
  REQUIRE(strcmp(r->type_url, type) == 0, "%s: it is of type %s (got %s)", what, type, r->type_url);
  REQUIRE(r->nonce && r->nonce[0], "%s: it has a nonce", what);
  for (size_t i = 0; i < r->n_resources; i++)
    REQUIRE(strcmp(r->resources[i]->type_url, type) == 0, "%s: resource %zu has the response's type URL", what, i);
  return r;
}

/* The probe of a stream: its LDS names, and the version and nonce of its last LDS response. Adding a
 * name that does not exist to the LDS subscription makes xdsd answer at once (with the same listeners);
 * narrowing back with that answer's nonce is an ACK that needs no answer. So a probe leaves the
 * stream's state as it was, and its answer is a response known to come. */
struct probe {
  struct adsc *c;
  const char *const *names;
  size_t n, listeners; /* names subscribed; listeners an LDS answer for them carries */
  char version[32], nonce[32];
};
static struct probe probe;

/* `names` is kept, not copied: it must outlive the probe (a static or file-level array). */
static void probe_set(struct adsc *c, const char *const *names, size_t n, const adsc_response *lds) {
  probe.c = c;
  probe.names = names;
  probe.n = n;
  probe.listeners = lds->n_resources;
  snprintf(probe.version, sizeof probe.version, "%s", lds->version_info);
  snprintf(probe.nonce, sizeof probe.nonce, "%s", lds->nonce);
}

/* Silence is not proof: after QUIET_MS without a response, a probe's answer must be the very next
 * response (anything still owed, or wrongly sent, would come before it). Streams without a probe (the
 * wildcard one) are only watched for QUIET_MS. */
static void expect_quiet(struct adsc *c, const char *what) {
  adsc_response *r = adsc_recv(c, QUIET_MS);
  if (r) printf("unexpected response type=%s version=%s resources=%zu\n", r->type_url, r->version_info, r->n_resources);
  REQUIRE(r == NULL, "%s: no response", what);
  if (c != probe.c) return;
  const char *names[8];
  for (size_t i = 0; i < probe.n; i++) names[i] = probe.names[i];
  names[probe.n] = "probe-does-not-exist";
  REQUIRE(adsc_send(c, LDS, names, probe.n + 1, probe.version, probe.nonce, NULL) == 0, "%s: probe sent", what);
  r = adsc_recv(c, PUSH_MS);
  REQUIRE(r && strcmp(r->type_url, LDS) == 0 && r->n_resources == probe.listeners,
          "%s: the next response is the probe's answer (LDS with the %zu listener(s); got %s with %zu)", what,
          probe.listeners, r ? r->type_url : "nothing", r ? r->n_resources : 0);
  REQUIRE(adsc_send(c, LDS, probe.names, probe.n, r->version_info, r->nonce, NULL) == 0, "%s: probe narrowed back",
          what);
  snprintf(probe.version, sizeof probe.version, "%s", r->version_info);
  snprintf(probe.nonce, sizeof probe.nonce, "%s", r->nonce);
  adsc_free_response(r);
}

static void ack(struct adsc *c, const adsc_response *r, const char *const *names, size_t n) {
  REQUIRE(adsc_send(c, r->type_url, names, n, r->version_info, r->nonce, NULL) == 0, "ACK sent");
}

static Envoy__Config__Endpoint__V3__ClusterLoadAssignment *cla(const adsc_response *r, size_t i) {
  return envoy__config__endpoint__v3__cluster_load_assignment__unpack(NULL, r->resources[i]->value.len,
                                                                      r->resources[i]->value.data);
}

/* The first endpoint's address of CLA i. */
static void first_ip(const adsc_response *r, size_t i, char *name, size_t nlen, char *ip, size_t iplen) {
  Envoy__Config__Endpoint__V3__ClusterLoadAssignment *a = cla(r, i);
  REQUIRE(a != NULL, "ClusterLoadAssignment %zu decodes", i);
  snprintf(name, nlen, "%s", a->cluster_name);
  snprintf(ip, iplen, "%s",
           a->n_endpoints && a->endpoints[0]->n_lb_endpoints
               ? a->endpoints[0]->lb_endpoints[0]->endpoint->address->socket_address->address
               : "-");
  envoy__config__endpoint__v3__cluster_load_assignment__free_unpacked(a, NULL);
}

static uint32_t weight_of(const adsc_response *r, const char *cluster) {
  Envoy__Config__Route__V3__RouteConfiguration *rc = envoy__config__route__v3__route_configuration__unpack(
      NULL, r->resources[0]->value.len, r->resources[0]->value.data);
  REQUIRE(rc && rc->n_virtual_hosts == 1 && rc->virtual_hosts[0]->n_routes == 1, "RouteConfiguration decodes");
  Envoy__Config__Route__V3__RouteAction *ra = rc->virtual_hosts[0]->routes[0]->route;
  uint32_t w = 0;
  if (ra->cluster_specifier_case == ENVOY__CONFIG__ROUTE__V3__ROUTE_ACTION__CLUSTER_SPECIFIER_CLUSTER)
    w = strcmp(ra->cluster, cluster) == 0 ? 100 : 0;
  else
    for (size_t i = 0; i < ra->weighted_clusters->n_clusters; i++)
      if (strcmp(ra->weighted_clusters->clusters[i]->name, cluster) == 0)
        w = ra->weighted_clusters->clusters[i]->weight->value;
  envoy__config__route__v3__route_configuration__free_unpacked(rc, NULL);
  return w;
}

/* Sends `bytes` of resource names on a new stream: xdsd must refuse the request (RESOURCE_EXHAUSTED)
 * without harm to itself. */
static void oversized_request(size_t bytes) {
  size_t n = bytes / 1024 + 1;
  char *name = malloc(1024);
  const char **names = calloc(n, sizeof *names);
  memset(name, 'x', 1023);
  name[1023] = '\0';
  for (size_t i = 0; i < n; i++) names[i] = name;
  struct adsc *big = adsc_open(addr, ADSC_SOTW, "big-1", "test", 0);
  adsc_send(big, CDS, names, n, "", "", NULL); /* may fail: the server can end the call mid-message */
  int code = adsc_status(big, 10000);
  REQUIRE(code == GRPC_STATUS_RESOURCE_EXHAUSTED, "a %zu-byte request ends the stream with RESOURCE_EXHAUSTED (got %d)",
          bytes, code);
  adsc_close(big);
  free(names);
  free(name);
}

/* What later cases need of the first sync and the changes: the responses they answer or resend. */
struct story {
  adsc_response *lds, *rds, *eds, *eds3, *eds5;
  char old_eds_nonce[32];
};

static const char *server[] = {"server"}, *route[] = {"server"}, *clusters[] = {"c1", "c2"}, *c1only[] = {"c1"};

/* LDS, RDS, CDS and EDS, each ACKed: the API listener alone, the 50/50 route, both clusters. */
static void first_sync(struct adsc *s, struct story *st) {
  /* LDS: the API listener, alone (the socket listener of the same name is for Envoy). */
  REQUIRE(adsc_send(s, LDS, server, 1, "", "", NULL) == 0, "first LDS request sent");
  adsc_response *lds = st->lds = expect(s, LDS, "LDS");
  REQUIRE(lds->n_resources == 1, "LDS carries only the requested listener");
  Envoy__Config__Listener__V3__Listener *l =
      envoy__config__listener__v3__listener__unpack(NULL, lds->resources[0]->value.len, lds->resources[0]->value.data);
  REQUIRE(l && strcmp(l->name, "server") == 0, "the listener is \"server\"");
  REQUIRE(l->api_listener && l->api_listener->api_listener, "it is an API listener");
  REQUIRE(l->address == NULL && l->n_filter_chains == 0, "it has no socket address and no filter chains");
  Envoy__Extensions__Filters__Network__HttpConnectionManager__V3__HttpConnectionManager *hcm =
      envoy__extensions__filters__network__http_connection_manager__v3__http_connection_manager__unpack(
          NULL, l->api_listener->api_listener->value.len, l->api_listener->api_listener->value.data);
  REQUIRE(hcm && hcm->rds && strcmp(hcm->rds->route_config_name, "server") == 0, "its HCM asks RDS for \"server\"");
  REQUIRE(hcm->n_http_filters == 1 && strcmp(hcm->http_filters[0]->name, "envoy.filters.http.router") == 0,
          "exactly one HTTP filter, the router");
  envoy__extensions__filters__network__http_connection_manager__v3__http_connection_manager__free_unpacked(hcm, NULL);
  envoy__config__listener__v3__listener__free_unpacked(l, NULL);
  ack(s, lds, server, 1);
  probe_set(s, server, 1, lds);
  expect_quiet(s, "a plain ACK");

  REQUIRE(adsc_send(s, RDS, route, 1, "", "", NULL) == 0, "RDS request sent");
  adsc_response *rds = st->rds = expect(s, RDS, "RDS");
  REQUIRE(rds->n_resources == 1 && weight_of(rds, "c1") == 50 && weight_of(rds, "c2") == 50, "RDS has the 50/50 route");
  ack(s, rds, route, 1);
  REQUIRE(adsc_send(s, CDS, clusters, 2, "", "", NULL) == 0, "CDS request sent");
  adsc_response *cds = expect(s, CDS, "CDS");
  REQUIRE(cds->n_resources == 2, "CDS has both clusters");
  ack(s, cds, clusters, 2);
  REQUIRE(adsc_send(s, EDS, clusters, 2, "", "", NULL) == 0, "EDS request sent");
  adsc_response *eds = st->eds = expect(s, EDS, "EDS");
  REQUIRE(eds->n_resources == 2, "EDS has both assignments");
  ack(s, eds, clusters, 2);
  expect_quiet(s, "ACKs of RDS, CDS and EDS");
  snprintf(st->old_eds_nonce, sizeof st->old_eds_nonce, "%s", eds->nonce);
}

/* A change of weights pushes RDS only. */
static void weight_change(struct adsc *s, const struct story *st) {
  write_config(90, 10, 71, 72, 1);
  adsc_response *rds2 = expect(s, RDS, "after a weight change");
  REQUIRE(strcmp(rds2->version_info, st->rds->version_info) != 0, "the push has a new version (%s -> %s)",
          st->rds->version_info, rds2->version_info);
  REQUIRE(strcmp(rds2->nonce, st->rds->nonce) != 0, "and a fresh nonce");
  REQUIRE(weight_of(rds2, "c1") == 90 && weight_of(rds2, "c2") == 10, "RDS has 90/10");
  ack(s, rds2, route, 1);
  expect_quiet(s, "nothing else changed, nothing else is pushed");
}

/* NACK: an endpoint change pushes EDS; after a NACK the same content is not resent. */
static void nack(struct adsc *s, struct story *st) {
  write_config(90, 10, 71, 73, 1);
  adsc_response *eds2 = expect(s, EDS, "after an endpoint change");
  REQUIRE(
      adsc_send(s, EDS, clusters, 2, st->eds->version_info, eds2->nonce, "xDS response validation errors: [test]") == 0,
      "NACK sent");
  expect_quiet(s, "after a NACK");
  write_config(80, 20, 71, 73, 1);
  adsc_response *rds3 = expect(s, RDS, "after a weight change following the NACK");
  ack(s, rds3, route, 1);
  expect_quiet(s, "the NACKed EDS content is not resent while it is unchanged");
  write_config(80, 20, 71, 74, 1);
  adsc_response *eds3 = st->eds3 = expect(s, EDS, "when the endpoints change again, EDS is sent again");
  char name[64], ip[64];
  for (size_t i = 0; i < eds3->n_resources; i++) {
    first_ip(eds3, i, name, sizeof name, ip, sizeof ip);
    if (strcmp(name, "c2") == 0) REQUIRE(strcmp(ip, "127.0.2.74") == 0, "c2 is now at 127.0.2.74");
  }
  ack(s, eds3, clusters, 2);
}

/* Stale nonce: a request answering an older response is ignored, names and all (it adds c9, which
 * would force an answer if it were taken). */
static void stale_nonces_and_subscriptions(struct adsc *s, struct story *st) {
  char name[64], ip[64];
  const char *more[] = {"c1", "c2", "c9"};
  REQUIRE(adsc_send(s, EDS, more, 3, st->eds->version_info, st->old_eds_nonce, NULL) == 0,
          "request with a stale nonce sent");
  expect_quiet(s, "a stale nonce");
  /* A NACK with a stale nonce is ignored the same way (ads_protocol.sh checks it was logged and counted). */
  REQUIRE(adsc_send(s, EDS, more, 3, st->eds->version_info, st->old_eds_nonce, "stale \"rejection\"\nsecond line") == 0,
          "NACK with a stale nonce sent");
  expect_quiet(s, "a NACK with a stale nonce");
  /* Narrowing the subscription to c1 needs no answer... */
  REQUIRE(adsc_send(s, EDS, c1only, 1, st->eds3->version_info, st->eds3->nonce, NULL) == 0, "EDS narrowed to c1");
  expect_quiet(s, "a narrowed subscription");
  /* ...and from now on only c1 matters. */
  write_config(80, 20, 71, 75, 1);
  expect_quiet(s, "a change to an unsubscribed resource (c2)");
  write_config(80, 20, 76, 75, 1);
  adsc_response *eds4 = expect(s, EDS, "a change to the subscribed c1");
  first_ip(eds4, 0, name, sizeof name, ip, sizeof ip);
  REQUIRE(eds4->n_resources == 1 && strcmp(name, "c1") == 0 && strcmp(ip, "127.0.2.76") == 0,
          "only c1 is sent, at its new address 127.0.2.76");
  ack(s, eds4, c1only, 1);
  /* Unsubscribe: an empty list after names means nothing. */
  REQUIRE(adsc_send(s, EDS, NULL, 0, eds4->version_info, eds4->nonce, NULL) == 0, "EDS unsubscribed");
  expect_quiet(s, "an unsubscribe");
  write_config(80, 20, 77, 75, 1);
  expect_quiet(s, "changes after unsubscribing");
  /* Subscribing again is answered at once with the current content. */
  REQUIRE(adsc_send(s, EDS, c1only, 1, eds4->version_info, eds4->nonce, NULL) == 0, "EDS subscribed to c1 again");
  adsc_response *eds5 = st->eds5 = expect(s, EDS, "a subscription that adds a name");
  first_ip(eds5, 0, name, sizeof name, ip, sizeof ip);
  REQUIRE(eds5->n_resources == 1 && strcmp(ip, "127.0.2.77") == 0, "c1 at 127.0.2.77, the current content");
  ack(s, eds5, c1only, 1);
}

/* Removal, make before break (xds-facts §2: remove stale clusters last): c2 leaves the config. The
 * route moves to c1 first, while c2 still exists; CDS without c2 (SotW deletion) only follows. This
 * client keeps c2 subscribed, as one with calls still on c2 would: xdsd waits for that (at most 1 s). */
static void cluster_removal(struct adsc *s, const struct story *st) {
  write_config(100, -1, 77, 0, 1);
  adsc_response *rds4 = expect(s, RDS, "removal of c2: RDS comes first");
  REQUIRE(weight_of(rds4, "c1") == 100, "the route goes to c1 only");
  ack(s, rds4, route, 1);
  adsc_response *cds2 = expect(s, CDS, "then CDS");
  REQUIRE(cds2->n_resources == 1, "CDS now holds only c1 (c2 removed)");
  ack(s, cds2, clusters, 2);
  expect_quiet(s, "after ACKing the removal");
  /* c2 comes back: make before break again, the cluster is warm before the route uses it. CDS comes
   * first, under the old route; like a gRPC client, this one then asks for c2's endpoints, and only once
   * it has them does the route to c2 follow. */
  write_config(50, 50, 77, 78, 1);
  adsc_response *cds3 = expect(s, CDS, "c2 is back: CDS first");
  REQUIRE(cds3->n_resources == 2, "CDS holds c1 and c2 again");
  ack(s, cds3, clusters, 2);
  REQUIRE(adsc_send(s, EDS, clusters, 2, st->eds5->version_info, st->eds5->nonce, NULL) == 0,
          "EDS asks for c2 as well");
  adsc_response *eds6 = expect(s, EDS, "then EDS, still before the route");
  REQUIRE(eds6->n_resources == 2, "EDS holds c1 and c2");
  ack(s, eds6, clusters, 2);
  adsc_response *rds5 = expect(s, RDS, "then RDS");
  REQUIRE(weight_of(rds5, "c2") == 50, "the route is 50/50 again");
  ack(s, rds5, route, 1);
  /* c2 removed again, from a client that lets go of c2 once the route left it (as gRPC clients do when no
   * call uses it any more): CDS without c2 then changes nothing for it, and xdsd removes c2 at once
   * (ads_protocol.sh checks in the log that only the first removal waited its full second). */
  write_config(100, -1, 77, 0, 1);
  adsc_response *rds6 = expect(s, RDS, "c2 removed again: RDS first");
  REQUIRE(weight_of(rds6, "c1") == 100, "the route goes to c1 only");
  ack(s, rds6, route, 1);
  ack(s, cds3, c1only, 1); /* the client drops c2 */
  ack(s, eds6, c1only, 1);
  expect_quiet(s, "a client that dropped c2 gets nothing for its removal");
}

/* Reconnect: a new stream gets everything again, with the version it had. */
static void reconnect_and_listener_removal(struct adsc **s, const struct story *st) {
  char last_lds_version[32];
  snprintf(last_lds_version, sizeof last_lds_version, "%s", st->lds->version_info);
  adsc_close(*s);
  static const char *both[] = {"server", "other"}; /* static: the probe keeps pointing at it */
  *s = adsc_open(addr, ADSC_SOTW, "proto-1", "test-grpc", 0);
  REQUIRE(adsc_send(*s, LDS, both, 2, last_lds_version, "", NULL) == 0, "reconnected, LDS with the last version");
  adsc_response *lds2 = expect(*s, LDS, "reconnect");
  REQUIRE(lds2->n_resources == 2, "the new stream gets both listeners");
  ack(*s, lds2, both, 2);
  probe_set(*s, both, 2, lds2);
  /* Listener removal: "other" leaves; LDS is pushed with the full set (just "server"). */
  write_config(100, -1, 77, 0, 0);
  adsc_response *lds3 = expect(*s, LDS, "removal of a listener");
  REQUIRE(lds3->n_resources == 1, "LDS without \"other\" (the client deletes it)");
  ack(*s, lds3, both, 2);
  probe_set(*s, both, 2, lds3); /* "other" is gone: LDS for both names carries one listener */
}

/* RDS and EDS for names that do not exist: no response at all (an empty one would mean nothing). */
static void missing_names_and_unknown_types(struct adsc *s) {
  const char *nope[] = {"nope"};
  REQUIRE(adsc_send(s, RDS, nope, 1, "", "", NULL) == 0, "RDS for a route that does not exist");
  expect_quiet(s, "RDS without resources");
  REQUIRE(adsc_send(s, EDS, nope, 1, "", "", NULL) == 0, "EDS for a cluster that does not exist");
  expect_quiet(s, "EDS without resources");

  /* Unknown types are ignored. */
  REQUIRE(adsc_send(s, "type.googleapis.com/envoy.config.core.v3.Nothing", NULL, 0, "", "", NULL) == 0,
          "unknown type sent");
  expect_quiet(s, "an unknown type");
}

/* Wildcard (Envoy): empty names on a new stream mean everything, and LDS gets socket listeners. */
static void wildcard(void) {
  struct adsc *e = adsc_open(addr, ADSC_SOTW, "envoy-1", "envoy", 1);
  REQUIRE(adsc_send(e, CDS, NULL, 0, "", "", NULL) == 0, "wildcard CDS sent");
  adsc_response *wc = expect(e, CDS, "wildcard CDS");
  REQUIRE(wc->n_resources == 1, "wildcard CDS has every cluster");
  REQUIRE(adsc_send(e, LDS, NULL, 0, "", "", NULL) == 0, "wildcard LDS sent");
  adsc_response *wl = expect(e, LDS, "wildcard LDS");
  Envoy__Config__Listener__V3__Listener *l =
      envoy__config__listener__v3__listener__unpack(NULL, wl->resources[0]->value.len, wl->resources[0]->value.data);
  REQUIRE(wl->n_resources == 1 && l && l->address && !l->api_listener, "wildcard LDS gets the socket listener");
  envoy__config__listener__v3__listener__free_unpacked(l, NULL);
  const char *star[] = {"*"};
  REQUIRE(adsc_send(e, LDS, star, 1, wl->version_info, wl->nonce, NULL) == 0, "explicit \"*\" with the current nonce");
  expect_quiet(e, "\"*\" is the same wildcard subscription");
  adsc_close(e);
}

/* A DiscoveryRequest over the 1 MB limit is refused, and xdsd goes on serving. */
static void oversized(void) {
  oversized_request(5 * 1024 * 1024);
  struct adsc *after = adsc_open(addr, ADSC_SOTW, "after-big", "test", 0);
  REQUIRE(adsc_send(after, LDS, server, 1, "", "", NULL) == 0, "a new stream after the oversized request");
  expect(after, LDS, "xdsd still serves");
  adsc_close(after);
}

/* Delta ADS: UNIMPLEMENTED. */
static void delta(void) {
  struct adsc *d = adsc_open(addr, ADSC_DELTA, "delta-1", "test", 0);
  int code = adsc_status(d, 5000);
  REQUIRE(code == GRPC_STATUS_UNIMPLEMENTED, "DeltaAggregatedResources answers UNIMPLEMENTED (got %d)", code);
  adsc_close(d);
}

int main(int argc, char **argv) {
  if (argc == 3 && strcmp(argv[1], "--initial-config") == 0) {
    cfg_path = argv[2];
    write_config(50, 50, 71, 72, 1);
    return 0;
  }
  if (argc != 3) {
    fprintf(stderr, "usage: %s ADDR CONFIG_PATH | --initial-config CONFIG_PATH\n", argv[0]);
    return 2;
  }
  addr = argv[1];
  cfg_path = argv[2];
  grpc_init();
  struct story st;
  struct adsc *s = adsc_open(addr, ADSC_SOTW, "proto-1", "test-grpc", 0);
  first_sync(s, &st);
  weight_change(s, &st);
  nack(s, &st);
  stale_nonces_and_subscriptions(s, &st);
  cluster_removal(s, &st);
  reconnect_and_listener_removal(&s, &st);
  missing_names_and_unknown_types(s);
  wildcard();
  oversized();
  delta();
  for (size_t i = 0; i < n_kept; i++) adsc_free_response(kept[i]);
  adsc_close(s);
  grpc_shutdown();
  printf("all ADS protocol checks passed\n");
  return 0;
}
