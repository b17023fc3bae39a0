/* Unit tests of src/xds/kube.c and kubeconn.c: Services and EndpointSlices as the API sends them
 * (conditions, ports by name, IPv6 and UDP left out), the store (put, delete, a relist per namespace),
 * the view (endpoints merged across slices, healthy wins), the merged config and its ClusterLoadAssignment
 * (one locality per zone, DRAINING), kubeconfig files (inline data, paths, errors), and the Gateway API's
 * routes (GAMMA): parsing, precedence, weights, what is refused and why, a GRPCRoute over an HTTPRoute,
 * routes gone when their CRD is. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "envoy/config/endpoint/v3/endpoint.pb-c.h"
#include "envoy/config/route/v3/route.pb-c.h"
#include "kube.h"
#include "kubeconn.h"
#include "snapshot.h"
#include "unit.h"

static struct kube_object *parse(enum kube_kind k, const char *json) {
  cJSON *j = cJSON_Parse(json);
  struct kube_object *o = NULL;
  char err[256] = "";
  if (!j || kube_object_parse(k, j, &o, err, sizeof err) != 0) fprintf(stderr, "parse failed: %s\n", err);
  cJSON_Delete(j);
  return o;
}

static const char svc_json[] =
    "{\"metadata\":{\"name\":\"server\",\"namespace\":\"demo\"},\"spec\":{\"ports\":["
    "{\"name\":\"grpc\",\"port\":50051,\"protocol\":\"TCP\"},{\"name\":\"dns\",\"port\":53,\"protocol\":\"UDP\"},"
    "{\"name\":\"admin\",\"port\":9003}]}}";

/* Slice A: two ready (zones a, b), one terminating+serving (zone a), one not serving, one unset (ready). */
static const char slice_a[] =
    "{\"metadata\":{\"name\":\"server-a\",\"namespace\":\"demo\",\"labels\":{\"kubernetes.io/"
    "service-name\":\"server\"}},"
    "\"addressType\":\"IPv4\",\"ports\":[{\"name\":\"grpc\",\"port\":8443},{\"name\":\"admin\",\"port\":19003}],"
    "\"endpoints\":["
    "{\"addresses\":[\"198.18.0.2\"],\"conditions\":{\"ready\":true},\"zone\":\"b\"},"
    "{\"addresses\":[\"198.18.0.1\"],\"conditions\":{\"ready\":true},\"zone\":\"a\"},"
    "{\"addresses\":[\"198.18.0.3\"],\"conditions\":{\"ready\":false,\"serving\":true,\"terminating\":true},\"zone\":"
    "\"a\"},"
    "{\"addresses\":[\"198.18.0.4\"],\"conditions\":{\"ready\":false,\"serving\":false}},"
    "{\"addresses\":[\"198.18.0.5\"]}]}";

/* Slice B: 198.18.0.3 again, ready this time (healthy wins), and an IPv6 slice of the same Service. */
static const char slice_b[] =
    "{\"metadata\":{\"name\":\"server-b\",\"namespace\":\"demo\",\"labels\":{\"kubernetes.io/"
    "service-name\":\"server\"}},"
    "\"addressType\":\"IPv4\",\"ports\":[{\"name\":\"grpc\",\"port\":8443}],"
    "\"endpoints\":[{\"addresses\":[\"198.18.0.3\"],\"conditions\":{\"ready\":true},\"zone\":\"a\"}]}";
static const char slice_v6[] =
    "{\"metadata\":{\"name\":\"server-v6\",\"namespace\":\"demo\",\"labels\":{\"kubernetes.io/"
    "service-name\":\"server\"}},"
    "\"addressType\":\"IPv6\",\"ports\":[{\"name\":\"grpc\",\"port\":8443}],"
    "\"endpoints\":[{\"addresses\":[\"fd00::1\"],\"conditions\":{\"ready\":true}}]}";
/* Another namespace's Service of the same name, and a slice of it. */
static const char svc_other[] =
    "{\"metadata\":{\"name\":\"server\",\"namespace\":\"other\"},\"spec\":{\"ports\":[{\"port\":80}]}}";
static const char slice_other[] =
    "{\"metadata\":{\"name\":\"server-x\",\"namespace\":\"other\",\"labels\":{\"kubernetes.io/"
    "service-name\":\"server\"}},"
    "\"addressType\":\"IPv4\",\"ports\":[{\"port\":8080}],"
    "\"endpoints\":[{\"addresses\":[\"198.18.1.1\"]}]}";

static const struct kube_endpoint *ep(const struct kube_backend *b, const char *ip) {
  for (size_t i = 0; b && i < b->n_endpoints; i++)
    if (strcmp(b->endpoints[i].ip, ip) == 0) return &b->endpoints[i];
  return NULL;
}

static void test_parse_errors(void) {
  cJSON *j = cJSON_Parse("{\"metadata\":{\"name\":\"x\"}}");
  struct kube_object *o = NULL;
  char err[128];
  CHECK(kube_object_parse(KUBE_SERVICES, j, &o, err, sizeof err) == -1 && !o && strstr(err, "namespace"));
  cJSON_Delete(j);
  j = cJSON_Parse("{\"metadata\":{\"name\":\"x\",\"namespace\":\"y\"}}");
  CHECK(kube_object_parse(KUBE_SLICES, j, &o, err, sizeof err) == -1 && strstr(err, "addressType"));
  cJSON_Delete(j);
}

static void test_store_and_view(void) {
  struct kube_store *s = kube_store_new();
  REQUIRE(s);
  CHECK(kube_store_put(s, KUBE_SERVICES, parse(KUBE_SERVICES, svc_json)) == 0);
  CHECK(kube_store_put(s, KUBE_SLICES, parse(KUBE_SLICES, slice_a)) == 0);
  CHECK(kube_store_put(s, KUBE_SLICES, parse(KUBE_SLICES, slice_b)) == 0);
  CHECK(kube_store_put(s, KUBE_SLICES, parse(KUBE_SLICES, slice_v6)) == 0);
  CHECK(kube_store_put(s, KUBE_SERVICES, parse(KUBE_SERVICES, svc_other)) == 0);
  CHECK(kube_store_put(s, KUBE_SLICES, parse(KUBE_SLICES, slice_other)) == 0);
  CHECK(kube_store_count(s, KUBE_SERVICES) == 2 && kube_store_count(s, KUBE_SLICES) == 4);
  /* A put of the same key replaces. */
  CHECK(kube_store_put(s, KUBE_SERVICES, parse(KUBE_SERVICES, svc_json)) == 0 &&
        kube_store_count(s, KUBE_SERVICES) == 2);

  struct kube_view *v = kube_view_build(s);
  REQUIRE(v);
  /* demo/server has TCP ports grpc and admin (the UDP one is left out); other/server its port 80. */
  CHECK(v->n_backends == 3);
  const struct kube_backend *g = kube_view_find(v, "server.demo:50051");
  const struct kube_backend *a = kube_view_find(v, "server.demo:9003");
  const struct kube_backend *o = kube_view_find(v, "server.other:80");
  REQUIRE(g && a && o && !kube_view_find(v, "server.demo:53"));
  /* grpc: .1 .2 .3 .5 (the not-serving .4 is out, .3 is in twice: ready wins), on the slice's port 8443. */
  CHECK(g->n_endpoints == 4);
  CHECK(ep(g, "198.18.0.1") && ep(g, "198.18.0.1")->port == 8443 && !ep(g, "198.18.0.1")->draining);
  CHECK(ep(g, "198.18.0.3") && !ep(g, "198.18.0.3")->draining);
  CHECK(!ep(g, "198.18.0.4") && ep(g, "198.18.0.5"));
  CHECK(ep(g, "198.18.0.1") && strcmp(ep(g, "198.18.0.1")->zone, "a") == 0);
  CHECK(ep(g, "198.18.0.5") && strcmp(ep(g, "198.18.0.5")->zone, "") == 0);
  /* admin: slice A's admin port only (slice B has no such port). */
  CHECK(a->n_endpoints == 4 && ep(a, "198.18.0.3") && ep(a, "198.18.0.3")->draining &&
        ep(a, "198.18.0.3")->port == 19003);
  /* The other namespace's slices stay its own; an unnamed port matches an unnamed port. */
  CHECK(o->n_endpoints == 1 && ep(o, "198.18.1.1") && ep(o, "198.18.1.1")->port == 8080);
  kube_view_free(v);

  /* Slice B deleted: .3 is draining again. */
  CHECK(kube_store_delete(s, KUBE_SLICES, "demo/server-b") == 1 && kube_store_delete(s, KUBE_SLICES, "demo/nope") == 0);
  v = kube_view_build(s);
  g = kube_view_find(v, "server.demo:50051");
  CHECK(g && ep(g, "198.18.0.3") && ep(g, "198.18.0.3")->draining);

  /* A relist of namespace other with nothing in it: demo is untouched, other's slice is gone. */
  CHECK(kube_store_replace(s, KUBE_SLICES, "other", NULL, 0) == 0);
  CHECK(kube_store_count(s, KUBE_SLICES) == 2);
  kube_view_free(v);
  v = kube_view_build(s);
  CHECK(kube_view_find(v, "server.other:80") && kube_view_find(v, "server.other:80")->n_endpoints == 0);

  /* The merged config and its ClusterLoadAssignment: a file cluster takes a Service's endpoints; the file's
   * listener of a backend's name wins over the generated one. */
  static const char file[] =
      "spec:\n  listeners:\n  - name: server.demo:50051\n    routes:\n"
      "    - clusters: [{name: v1}]\n"
      "  clusters:\n  - name: v1\n    service: server.demo:50051\n";
  struct config *fc = NULL;
  char err[256];
  REQUIRE(config_parse("f", file, strlen(file), &fc, err, sizeof err) == 0);
  struct config *m = kube_config_merge(fc, v, err, sizeof err);
  REQUIRE(m);
  CHECK(m->n_listeners == 3 && m->n_clusters == 4); /* 1 + 2 generated; v1 + 3 generated */
  const struct config_cluster *v1 = config_find_cluster(m, "v1");
  CHECK(v1 && v1->n_endpoints == 4);
  struct snapshot *snap;
  REQUIRE(snapshot_build(m, NULL, NULL, &snap) == 0);
  CHECK(snap->n_draining == 3); /* .3 in v1 and in the generated server.demo:50051 and server.demo:9003 */
  const struct snapshot_resource *r = snapshot_find(&snap->tables[SNAP_EDS], "v1");
  REQUIRE(r);
  Envoy__Config__Endpoint__V3__ClusterLoadAssignment *cla =
      envoy__config__endpoint__v3__cluster_load_assignment__unpack(NULL, r->len, r->data);
  REQUIRE(cla);
  /* Localities in zone order: "" (default), a, b. */
  CHECK(cla->n_endpoints == 3);
  if (cla->n_endpoints == 3) {
    CHECK(strcmp(cla->endpoints[0]->locality->zone, "default") == 0 && cla->endpoints[0]->n_lb_endpoints == 1);
    CHECK(strcmp(cla->endpoints[1]->locality->zone, "a") == 0 && cla->endpoints[1]->n_lb_endpoints == 2);
    /* Localities weighted by their endpoints: calls stay even per endpoint across zones. */
    CHECK(cla->endpoints[0]->load_balancing_weight->value == 1 &&
          cla->endpoints[1]->load_balancing_weight->value == 2 && cla->endpoints[2]->load_balancing_weight->value == 1);
    CHECK(strcmp(cla->endpoints[2]->locality->zone, "b") == 0 && cla->endpoints[2]->n_lb_endpoints == 1);
    const Envoy__Config__Endpoint__V3__LbEndpoint *e1 = cla->endpoints[1]->lb_endpoints[0],
                                                  *e3 = cla->endpoints[1]->lb_endpoints[1];
    CHECK(strcmp(e1->endpoint->address->socket_address->address, "198.18.0.1") == 0 &&
          e1->health_status == ENVOY__CONFIG__CORE__V3__HEALTH_STATUS__HEALTHY);
    CHECK(strcmp(e3->endpoint->address->socket_address->address, "198.18.0.3") == 0 &&
          e3->health_status == ENVOY__CONFIG__CORE__V3__HEALTH_STATUS__DRAINING);
  }
  envoy__config__endpoint__v3__cluster_load_assignment__free_unpacked(cla, NULL);
  snapshot_free(snap);
  config_free(m);
  /* Kubernetes alone: every backend becomes a listener, a route and a cluster. */
  m = kube_config_merge(NULL, v, err, sizeof err);
  CHECK(m && m->n_listeners == 3 && m->n_clusters == 3 && config_find_cluster(m, "server.demo:9003"));
  config_free(m);
  config_free(fc);
  kube_view_free(v);
  kube_store_free(s);
}

static void test_service_refs(void) {
  CHECK(config_service_problem("server-v1.xds:50051") == NULL);
  CHECK(config_service_problem("server") != NULL);
  CHECK(config_service_problem("Server.xds:1") != NULL);
  CHECK(config_service_problem("server.xds:0") != NULL);
  CHECK(config_service_problem("server.xds:65536") != NULL);
  CHECK(config_service_problem("server..x:1") != NULL);
  static const char both[] = "spec:\n  clusters:\n  - name: c\n    service: s.n:1\n    endpoints: []\n";
  struct config *c = NULL;
  char err[256];
  CHECK(config_parse("f", both, strlen(both), &c, err, sizeof err) == -1 && strstr(err, "f:3:") &&
        strstr(err, "come from one of"));
}

static void write_file(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  if (!f) return;
  fputs(text, f);
  fclose(f);
}

static void test_kubeconfig(void) {
  char dir[] = "/tmp/test-kubeconn.XXXXXX", path[256], ca[256];
  REQUIRE(mkdtemp(dir));
  snprintf(path, sizeof path, "%s/kubeconfig", dir);
  snprintf(ca, sizeof ca, "%s/ca.crt", dir);
  write_file(ca, "-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n");
  /* kind's style: inline base64 data; "aGVsbG8=" is "hello". A relative CA path in the second. */
  write_file(path,
             "apiVersion: v1\nkind: Config\ncurrent-context: kind\n"
             "contexts:\n- name: other\n  context: {cluster: x, user: y}\n"
             "- name: kind\n  context: {cluster: kind, user: admin}\n"
             "clusters:\n- name: kind\n  cluster:\n    server: https://127.0.0.1:6443/\n"
             "    certificate-authority-data: aGVsbG8=\n"
             "users:\n- name: admin\n  user:\n    client-certificate-data: Y2VydA==\n"
             "    client-key-data: a2V5\n");
  struct kube_conn c;
  char err[512];
  REQUIRE(kube_conn_from_kubeconfig(path, &c, err, sizeof err) == 0);
  CHECK_STR(c.server, "https://127.0.0.1:6443");
  CHECK(c.ca_len == 5 && memcmp(c.ca_pem, "hello", 5) == 0);
  CHECK(c.cert_len == 4 && memcmp(c.cert_pem, "cert", 4) == 0 && c.key_len == 3);
  CHECK(!c.token && !c.token_file);
  kube_conn_clear(&c);

  write_file(path,
             "current-context: c\ncontexts:\n- name: c\n  context: {cluster: k, user: u}\n"
             "clusters:\n- name: k\n  cluster: {server: 'https://10.0.0.1:443', certificate-authority: ca.crt}\n"
             "users:\n- name: u\n  user: {tokenFile: token}\n");
  char tok[256];
  snprintf(tok, sizeof tok, "%s/token", dir);
  write_file(tok, "secret-token\n");
  REQUIRE(kube_conn_from_kubeconfig(path, &c, err, sizeof err) == 0);
  CHECK(c.ca_pem && strstr(c.ca_pem, "BEGIN CERTIFICATE"));
  char *t = NULL;
  CHECK(kube_conn_token(&c, &t, err, sizeof err) == 0 && t && strcmp(t, "secret-token") == 0);
  free(t);
  kube_conn_clear(&c);

  /* Errors name the file and the problem. */
  write_file(path, "current-context: nope\ncontexts: []\n");
  CHECK(kube_conn_from_kubeconfig(path, &c, err, sizeof err) == -1 && strstr(err, path) &&
        strstr(err, "current-context"));
  write_file(path,
             "current-context: c\ncontexts:\n- name: c\n  context: {cluster: k, user: u}\n"
             "clusters:\n- name: k\n  cluster: {server: 'http://10.0.0.1'}\nusers:\n- name: u\n  user: {}\n");
  CHECK(kube_conn_from_kubeconfig(path, &c, err, sizeof err) == -1 && strstr(err, "https://"));
  write_file(path,
             "current-context: c\ncontexts:\n- name: c\n  context: {cluster: k, user: u}\n"
             "clusters:\n- name: k\n  cluster: {server: 'https://h'}\n"
             "users:\n- name: u\n  user: {exec: {command: aws}}\n");
  CHECK(kube_conn_from_kubeconfig(path, &c, err, sizeof err) == -1 && strstr(err, "exec"));
  write_file(path,
             "current-context: c\ncontexts:\n- name: c\n  context: {cluster: k, user: u}\n"
             "clusters:\n- name: k\n  cluster: {server: 'https://h', certificate-authority-data: '!!!'}\n"
             "users:\n- name: u\n  user: {}\n");
  CHECK(kube_conn_from_kubeconfig(path, &c, err, sizeof err) == -1 && strstr(err, "base64"));
  write_file(path,
             "current-context: c\ncontexts:\n- name: c\n  context: {cluster: k, user: u}\n"
             "clusters:\n- name: k\n  cluster: {server: 'https://h', certificate-authority: missing.crt}\n"
             "users:\n- name: u\n  user: {}\n");
  CHECK(kube_conn_from_kubeconfig(path, &c, err, sizeof err) == -1 && strstr(err, "missing.crt"));
  unlink(path);
  unlink(ca);
  unlink(tok);
  rmdir(dir);
}

/* --- Gateway API routes (GAMMA) --------------------------------------------------------------------- */

/* JSON written with ' for " (readable literals). */
static struct kube_object *parse_q(enum kube_kind k, const char *q) {
  char *json = strdup(q);
  for (char *p = json; *p; p++)
    if (*p == '\'') *p = '"';
  struct kube_object *o = parse(k, json);
  free(json);
  return o;
}

static void put(struct kube_store *s, enum kube_kind k, const char *q) {
  struct kube_object *o = parse_q(k, q);
  CHECK(o != NULL);
  if (o) CHECK(kube_store_put(s, k, o) == 0);
}

/* Services demo/server (grpc 50051, admin 9003), server-v1, server-v2 (grpc 50051) with a slice each. */
static struct kube_store *gamma_store(void) {
  struct kube_store *s = kube_store_new();
  put(s, KUBE_SERVICES,
      "{'metadata':{'name':'server','namespace':'demo'},'spec':{'ports':[{'name':'grpc','port':50051},"
      "{'name':'admin','port':9003}]}}");
  put(s, KUBE_SERVICES,
      "{'metadata':{'name':'server-v1','namespace':'demo'},'spec':{'ports':[{'name':'grpc','port':50051}]}}");
  put(s, KUBE_SERVICES,
      "{'metadata':{'name':'server-v2','namespace':'demo'},'spec':{'ports':[{'name':'grpc','port':50051}]}}");
  put(s, KUBE_SLICES,
      "{'metadata':{'name':'v1','namespace':'demo','labels':{'kubernetes.io/service-name':'server-v1'}},"
      "'addressType':'IPv4','ports':[{'name':'grpc','port':50051}],'endpoints':[{'addresses':['198.18.0.11']}]}");
  put(s, KUBE_SLICES,
      "{'metadata':{'name':'v2','namespace':'demo','labels':{'kubernetes.io/service-name':'server-v2'}},"
      "'addressType':'IPv4','ports':[{'name':'grpc','port':50051}],'endpoints':[{'addresses':['198.18.0.21']}]}");
  return s;
}

static const struct config_listener *listener(const struct config *c, const char *name) {
  for (size_t i = 0; c && i < c->n_listeners; i++)
    if (strcmp(c->listeners[i].name, name) == 0) return &c->listeners[i];
  return NULL;
}

/* "NAME=W,NAME=W" of a route's clusters. */
static const char *split_of(const struct config_route *r) {
  static char buf[256];
  size_t off = 0;
  buf[0] = '\0';
  for (size_t i = 0; i < r->n_clusters; i++)
    off += (size_t)snprintf(buf + off, sizeof buf - off, "%s%s=%u", i ? "," : "", r->clusters[i].name,
                            r->clusters[i].weight);
  return buf;
}

/* How a route matches: "prefix:/", "path:/a/b" or "regex:..." and " h:NAME=VALUE" per header. */
static const char *match_of(const struct config_route *r) {
  static char buf[512];
  size_t off = (size_t)snprintf(buf, sizeof buf, "%s", r->prefix ? "prefix:" : r->path ? "path:" : "regex:");
  off += (size_t)snprintf(buf + off, sizeof buf - off, "%s", r->prefix ? r->prefix : r->path ? r->path : r->regex);
  for (size_t h = 0; h < r->n_headers; h++)
    off += (size_t)snprintf(buf + off, sizeof buf - off, " h:%s%s%s", r->headers[h].name,
                            r->headers[h].kind == HDR_REGEX ? "~" : "=", r->headers[h].value);
  return buf;
}

static int has_note(const struct kube_view *v, const char *a, const char *b) {
  for (size_t i = 0; i < v->n_notes; i++)
    if (strstr(v->notes[i], a) && (!b || strstr(v->notes[i], b))) return 1;
  return 0;
}

static void dump_notes(const struct kube_view *v) {
  for (size_t i = 0; i < v->n_notes; i++) fprintf(stderr, "  note: %s\n", v->notes[i]);
}

static void test_durations_and_weights(void) {
  CHECK(kube_duration_ms("1h") == 3600000 && kube_duration_ms("1m30s") == 90000);
  CHECK(kube_duration_ms("500ms") == 500 && kube_duration_ms("0s") == 0 && kube_duration_ms("1h1m1s1ms") == 3661001);
  CHECK(kube_duration_ms("") == -1 && kube_duration_ms("10") == -1 && kube_duration_ms("1.5s") == -1);
  CHECK(kube_duration_ms("123456s") == -1 && kube_duration_ms("1h1m1s1ms1ms") == -1 && kube_duration_ms("1d") == -1);
  uint32_t p[8];
  CHECK(kube_weights_percent((uint64_t[]){90, 10}, 2, p) == 0 && p[0] == 90 && p[1] == 10);
  CHECK(kube_weights_percent((uint64_t[]){9, 1}, 2, p) == 0 && p[0] == 90 && p[1] == 10);
  /* Largest remainder, the earlier one on a tie: 33.3 each -> 34 33 33; 66.7/33.3 -> 67 33. */
  CHECK(kube_weights_percent((uint64_t[]){1, 1, 1}, 3, p) == 0 && p[0] == 34 && p[1] == 33 && p[2] == 33);
  CHECK(kube_weights_percent((uint64_t[]){2, 1}, 2, p) == 0 && p[0] == 67 && p[1] == 33);
  CHECK(kube_weights_percent((uint64_t[]){1, 2, 1}, 3, p) == 0 && p[0] == 25 && p[1] == 50 && p[2] == 25);
  CHECK(kube_weights_percent((uint64_t[]){1, 1000000}, 2, p) == 0 && p[0] == 0 && p[1] == 100);
  CHECK(kube_weights_percent((uint64_t[]){0, 0}, 2, p) == -1);
  uint64_t seven[7] = {1, 2, 3, 4, 5, 6, 7};
  CHECK(kube_weights_percent(seven, 7, p) == 0);
  uint32_t sum = 0;
  for (int i = 0; i < 7; i++) sum += p[i];
  CHECK(sum == 100 && p[6] == 25 && p[0] == 4); /* 3.57 -> 4, 25.0 -> 25 */
  CHECK(kube_kind_optional(KUBE_GRPCROUTES) && kube_kind_optional(KUBE_HTTPROUTES) &&
        !kube_kind_optional(KUBE_SERVICES));
  CHECK_STR(kube_kind_name(KUBE_GRPCROUTES), "grpcroutes");
  CHECK_STR(kube_kind_group_path(KUBE_HTTPROUTES), "/apis/gateway.networking.k8s.io/v1");
}

/* The GAMMA preview and canary: a header match to v2, the rest 90/10; deleting the route restores the
 * default. */
static void test_grpcroute(void) {
  struct kube_store *s = gamma_store();
  put(s, KUBE_GRPCROUTES,
      "{'metadata':{'name':'server','namespace':'demo','creationTimestamp':'2026-01-01T00:00:00Z'},"
      "'spec':{'parentRefs':[{'group':'','kind':'Service','name':'server','port':50051}],'rules':["
      "{'backendRefs':[{'name':'server-v1','port':50051,'weight':90},{'name':'server-v2','port':50051,'weight':10}]},"
      "{'matches':[{'headers':[{'name':'X-Preview','value':'true'}]}],"
      " 'backendRefs':[{'group':'','kind':'Service','name':'server-v2','port':50051}]}]}}");
  struct kube_view *v = kube_view_build(s);
  REQUIRE(v);
  CHECK(v->n_routed == 1 && v->n_notes == 0);
  if (v->n_notes) dump_notes(v);
  const struct kube_backend *b = kube_view_find(v, "server.demo:50051");
  REQUIRE(b && b->n_routes == 2);
  CHECK_STR(b->routed_by, "grpcroute demo/server");
  /* The header match has precedence over the rule before it (more header matches). */
  CHECK_STR(match_of(&b->routes[0]), "prefix:/ h:x-preview=true");
  CHECK_STR(split_of(&b->routes[0]), "server-v2.demo:50051=100");
  CHECK_STR(match_of(&b->routes[1]), "prefix:/");
  CHECK_STR(split_of(&b->routes[1]), "server-v1.demo:50051=90,server-v2.demo:50051=10");
  CHECK(!kube_view_find(v, "server.demo:9003")->routed_by); /* port 50051 only */
  char err[256];
  struct config *m = kube_config_merge(NULL, v, err, sizeof err);
  REQUIRE(m);
  const struct config_listener *l = listener(m, "server.demo:50051");
  CHECK(l && l->n_routes == 2 && l->routes[1].n_clusters == 2 && l->routes[1].clusters[0].weight == 90);
  l = listener(m, "server.demo:9003");
  CHECK(l && l->n_routes == 1 && strcmp(l->routes[0].clusters[0].name, "server.demo:9003") == 0);
  CHECK(m->n_clusters == 4 && config_find_cluster(m, "server-v2.demo:50051")->n_endpoints == 1);
  /* What xdsd serves of it: the RouteConfiguration's routes and their weighted clusters. */
  struct snapshot *snap;
  REQUIRE(snapshot_build(m, NULL, NULL, &snap) == 0);
  const struct snapshot_resource *r = snapshot_find(&snap->tables[SNAP_RDS], "server.demo:50051");
  REQUIRE(r);
  Envoy__Config__Route__V3__RouteConfiguration *rc =
      envoy__config__route__v3__route_configuration__unpack(NULL, r->len, r->data);
  REQUIRE(rc && rc->n_virtual_hosts == 1 && rc->virtual_hosts[0]->n_routes == 2);
  Envoy__Config__Route__V3__Route *r0 = rc->virtual_hosts[0]->routes[0], *r1 = rc->virtual_hosts[0]->routes[1];
  CHECK(r0->match->n_headers == 1 && strcmp(r0->match->headers[0]->name, "x-preview") == 0);
  CHECK(r0->route->cluster && strcmp(r0->route->cluster, "server-v2.demo:50051") == 0);
  CHECK(r1->route->weighted_clusters && r1->route->weighted_clusters->n_clusters == 2 &&
        r1->route->weighted_clusters->clusters[0]->weight->value == 90);
  envoy__config__route__v3__route_configuration__free_unpacked(rc, NULL);
  snapshot_free(snap);
  config_free(m);
  kube_view_free(v);
  /* The route deleted: the default route again. */
  CHECK(kube_store_delete(s, KUBE_GRPCROUTES, "demo/server") == 1);
  v = kube_view_build(s);
  b = kube_view_find(v, "server.demo:50051");
  CHECK(v->n_routed == 0 && b && !b->routed_by && b->n_routes == 0);
  m = kube_config_merge(NULL, v, err, sizeof err);
  l = listener(m, "server.demo:50051");
  CHECK(l && l->n_routes == 1 && strcmp(l->routes[0].prefix, "/") == 0 &&
        strcmp(l->routes[0].clusters[0].name, "server.demo:50051") == 0);
  config_free(m);
  kube_view_free(v);
  kube_store_free(s);
}

/* Precedence across two GRPCRoutes of one parent: the longer service, then the longer method, then more
 * headers; on a tie the older route, then NAMESPACE/NAME, then the rule's order. */
static void test_precedence(void) {
  struct kube_store *s = gamma_store();
  /* b is the newer: on the tie (service helloworld.Greeter alone) a's rule wins. */
  put(s, KUBE_GRPCROUTES,
      "{'metadata':{'name':'b','namespace':'demo','creationTimestamp':'2026-02-01T00:00:00Z'},"
      "'spec':{'parentRefs':[{'group':'','kind':'Service','name':'server'}],'rules':["
      "{'backendRefs':[{'name':'server-v2','port':50051}]},"
      "{'matches':[{'method':{'service':'helloworld.Greeter'}}],'backendRefs':[{'name':'server-v2','port':50051}]},"
      "{'matches':[{'method':{'service':'helloworld.Greeter','method':'SayHello'}}],"
      " 'backendRefs':[{'name':'server-v2','port':50051}]}]}}");
  put(s, KUBE_GRPCROUTES,
      "{'metadata':{'name':'a','namespace':'demo','creationTimestamp':'2026-01-01T00:00:00Z'},"
      "'spec':{'parentRefs':[{'group':'','kind':'Service','name':'server','port':50051}],'rules':["
      "{'matches':[{'method':{'service':'helloworld.Greeter'}},"
      "            {'method':{'service':'helloworld.Greeter'},'headers':[{'name':'team','value':'a'}]}],"
      " 'backendRefs':[{'name':'server-v1','port':50051}]}]}}");
  /* c: as old as a, and as specific: its name comes after a's. */
  put(s, KUBE_GRPCROUTES,
      "{'metadata':{'name':'c','namespace':'demo','creationTimestamp':'2026-01-01T00:00:00Z'},"
      "'spec':{'parentRefs':[{'group':'','kind':'Service','name':'server','port':50051}],'rules':["
      "{'matches':[{'method':{'service':'helloworld.Greeter'}}],'backendRefs':[{'name':'server','port':50051}]}]}}");
  struct kube_view *v = kube_view_build(s);
  REQUIRE(v);
  const struct kube_backend *b = kube_view_find(v, "server.demo:50051");
  REQUIRE(b && b->n_routes == 6);
  CHECK_STR(b->routed_by, "grpcroute demo/a,demo/b,demo/c");
  CHECK_STR(match_of(&b->routes[0]), "path:/helloworld.Greeter/SayHello");
  CHECK_STR(match_of(&b->routes[1]), "prefix:/helloworld.Greeter/ h:team=a");
  CHECK_STR(split_of(&b->routes[1]), "server-v1.demo:50051=100");
  CHECK_STR(b->routes[2].name, "grpcroute:demo/a:0:0");
  CHECK_STR(b->routes[3].name, "grpcroute:demo/c:0:0");
  CHECK_STR(b->routes[4].name, "grpcroute:demo/b:1:0");
  CHECK_STR(match_of(&b->routes[5]), "prefix:/");
  /* b has no port: it covers admin 9003 too, alone there. */
  const struct kube_backend *admin = kube_view_find(v, "server.demo:9003");
  CHECK(admin && admin->n_routes == 3 && strcmp(admin->routed_by, "grpcroute demo/b") == 0);
  kube_view_free(v);
  kube_store_free(s);
}

/* What gRPC's matchers cannot express is refused with a reason; what no gRPC call can meet is left out. */
static void test_refused(void) {
  struct kube_store *s = gamma_store();
  put(s, KUBE_GRPCROUTES,
      "{'metadata':{'name':'r','namespace':'demo','creationTimestamp':'2026-01-01T00:00:00Z'},"
      "'spec':{'parentRefs':[{'group':'','kind':'Service','name':'server','sectionName':'grpc'},"
      "                      {'group':'','kind':'Service','name':'server','namespace':'other'},"
      "                      {'name':'some-gateway'}],'rules':["
      /* 0: a filter: refused */
      "{'filters':[{'type':'RequestHeaderModifier','requestHeaderModifier':{'set':[{'name':'a','value':'b'}]}}],"
      " 'backendRefs':[{'name':'server-v1','port':50051}]},"
      /* 1: a header gRPC never matches on: refused */
      "{'matches':[{'headers':[{'name':'grpc-timeout','value':'1S'}]}],'backendRefs':[{'name':'server-v1','port':50051}"
      "]},"
      /* 2: a method without a service, and a regex header: served as regexes */
      "{'name':'hello','matches':[{'method':{'method':'SayHello'},"
      "  'headers':[{'type':'RegularExpression','name':'x-team','value':'a|b'}]}],"
      " 'backendRefs':[{'name':'server-v2','port':50051}]},"
      /* 3: a missing Service, a non-Service backend and a weight-0 one */
      "{'matches':[{'method':{'service':'pkg.Other'}}],'backendRefs':[{'name':'missing','port':50051,'weight':3},"
      "  {'group':'example.com','kind':'Thing','name':'x','port':1},{'name':'server-v1','port':50051,'weight':0}]},"
      /* 4: no backend at all */
      "{'matches':[{'method':{'service':'pkg.Nothing'}}]}]}}");
  struct kube_view *v = kube_view_build(s);
  REQUIRE(v);
  const struct kube_backend *b = kube_view_find(v, "server.demo:50051");
  REQUIRE(b && b->n_routes == 3);
  CHECK(has_note(v, "grpcroute demo/r: rule 0: filters (RequestHeaderModifier) are not supported", "rule left out"));
  CHECK(has_note(v, "rule 1: match 0: header grpc-timeout", "rule left out"));
  CHECK(has_note(v, "parentRef Service other/server is in another namespace", "not attached"));
  CHECK(has_note(v, "rule 3: backendRef Thing.example.com x is not a Service port", "UNAVAILABLE"));
  CHECK(has_note(v, "rule 3: backendRef missing.demo:50051 is not a Service port xdsd knows", NULL));
  CHECK(has_note(v, "rule 4: no backend with a weight above 0", NULL));
  CHECK(!has_note(v, "some-gateway", NULL)); /* a Gateway parent is not ours */
  /* Precedence: pkg.Nothing (11), pkg.Other (9), then the method-only regex. */
  CHECK_STR(match_of(&b->routes[0]), "prefix:/pkg.Nothing/");
  CHECK_STR(split_of(&b->routes[0]), KUBE_NO_BACKEND "=100");
  CHECK_STR(match_of(&b->routes[1]), "prefix:/pkg.Other/");
  CHECK_STR(split_of(&b->routes[1]), "missing.demo:50051=75," KUBE_NO_BACKEND "=25");
  CHECK_STR(match_of(&b->routes[2]), "regex:/[^/]+/SayHello h:x-team~a|b");
  CHECK_STR(b->routes[2].name, "grpcroute:demo/r:2:0");
  /* sectionName grpc: the admin port keeps its default. */
  CHECK(!kube_view_find(v, "server.demo:9003")->routed_by);
  /* The merged config has the missing Service's cluster (it takes its endpoints once it exists) and
   * the no-backend cluster, both without endpoints. */
  char err[256];
  struct config *m = kube_config_merge(NULL, v, err, sizeof err);
  REQUIRE(m);
  const struct config_cluster *miss = config_find_cluster(m, "missing.demo:50051"),
                              *none = config_find_cluster(m, KUBE_NO_BACKEND);
  CHECK(miss && miss->n_endpoints == 0 && miss->service && strcmp(miss->service, "missing.demo:50051") == 0);
  CHECK(none && none->n_endpoints == 0 && !none->service);
  CHECK(m->n_clusters == 6);
  /* Served: the method-only match as a safe_regex path, the regex header as a safe_regex matcher. */
  struct snapshot *snap;
  REQUIRE(snapshot_build(m, NULL, NULL, &snap) == 0);
  const struct snapshot_resource *res = snapshot_find(&snap->tables[SNAP_RDS], "server.demo:50051");
  Envoy__Config__Route__V3__RouteConfiguration *rc =
      res ? envoy__config__route__v3__route_configuration__unpack(NULL, res->len, res->data) : NULL;
  REQUIRE(rc && rc->virtual_hosts[0]->n_routes == 3);
  const Envoy__Config__Route__V3__RouteMatch *rm = rc->virtual_hosts[0]->routes[2]->match;
  CHECK(rm->path_specifier_case == ENVOY__CONFIG__ROUTE__V3__ROUTE_MATCH__PATH_SPECIFIER_SAFE_REGEX &&
        strcmp(rm->safe_regex->regex, "/[^/]+/SayHello") == 0);
  CHECK(rm->n_headers == 1 && rm->headers[0]->header_match_specifier_case ==
                                  ENVOY__CONFIG__ROUTE__V3__HEADER_MATCHER__HEADER_MATCH_SPECIFIER_SAFE_REGEX_MATCH);
  envoy__config__route__v3__route_configuration__free_unpacked(rc, NULL);
  snapshot_free(snap);
  config_free(m);
  kube_view_free(v);

  /* A route none of whose rules can be served is not attached: the Service keeps its default. */
  put(s, KUBE_GRPCROUTES,
      "{'metadata':{'name':'r','namespace':'demo'},'spec':{'parentRefs':[{'group':'','kind':'Service','name':'server'}]"
      ","
      "'rules':[{'matches':[{'method':{'type':'Prefix','service':'x'}}],'backendRefs':[{'name':'server-v1','port':"
      "50051}]}]}}");
  v = kube_view_build(s);
  b = kube_view_find(v, "server.demo:50051");
  CHECK(b && !b->routed_by && v->n_routed == 0);
  CHECK(has_note(v, "match type Prefix is not supported", NULL) && has_note(v, "no rule xdsd can serve", NULL));
  kube_view_free(v);
  /* A parent that does not exist. */
  put(s, KUBE_GRPCROUTES,
      "{'metadata':{'name':'r','namespace':'demo'},'spec':{'parentRefs':[{'group':'','kind':'Service','name':'nope'},"
      "{'group':'','kind':'Service','name':'server','port':8080}],'rules':[{'backendRefs':[{'name':'server-v1','port':"
      "50051}]}]}}");
  v = kube_view_build(s);
  CHECK(v->n_routed == 0 && has_note(v, "parentRef Service nope: no such Service", NULL) &&
        has_note(v, "parentRef Service server port 8080: no such TCP port", NULL));
  kube_view_free(v);
  kube_store_free(s);
}

/* HTTPRoute: paths as gRPC sees them, methods and query parameters no gRPC call has, timeouts; a
 * GRPCRoute on the same Service port wins. */
static void test_httproute(void) {
  struct kube_store *s = gamma_store();
  put(s, KUBE_HTTPROUTES,
      "{'metadata':{'name':'h','namespace':'demo','creationTimestamp':'2026-01-01T00:00:00Z'},"
      "'spec':{'parentRefs':[{'group':'','kind':'Service','name':'server','port':50051}],'rules':["
      "{'matches':[{'path':{'type':'PathPrefix','value':'/helloworld.Greeter/'}},"
      "            {'path':{'type':'Exact','value':'/helloworld.Greeter/SayHello'},'method':'POST'},"
      "            {'path':{'type':'PathPrefix','value':'/helloworld.Greeter'},'method':'GET'},"
      "            {'path':{'type':'PathPrefix','value':'/a/b/c'}},"
      "            {'path':{'value':'/'},'queryParams':[{'name':'q','value':'1'}]}],"
      " 'timeouts':{'request':'300ms'},'backendRefs':[{'name':'server-v2','port':50051}]},"
      "{'matches':[{'path':{'type':'PathPrefix','value':'/pkg.S/M/"
      "'}}],'timeouts':{'request':'2s','backendRequest':'1s'},"
      " 'backendRefs':[{'name':'server-v1','port':50051}]},"
      "{'timeouts':{'request':'1.5s'},'backendRefs':[{'name':'server-v1','port':50051}]},"
      "{'backendRefs':[{'name':'server-v1','port':50051}]}]}}");
  struct kube_view *v = kube_view_build(s);
  REQUIRE(v);
  const struct kube_backend *b = kube_view_find(v, "server.demo:50051");
  REQUIRE(b && b->n_routes == 4);
  CHECK_STR(b->routed_by, "httproute demo/h");
  /* The exact path first; then the longest prefix: /pkg.S/M (a method: served as its path), then
   * /helloworld.Greeter; then / . */
  CHECK_STR(match_of(&b->routes[0]), "path:/helloworld.Greeter/SayHello");
  CHECK(b->routes[0].timeout_ms == 300);
  CHECK_STR(match_of(&b->routes[1]), "prefix:/helloworld.Greeter/");
  CHECK_STR(match_of(&b->routes[2]), "path:/pkg.S/M");
  CHECK(b->routes[2].timeout_ms == 1000 && strcmp(b->routes[2].name, "httproute:demo/h:1:0") == 0);
  CHECK_STR(match_of(&b->routes[3]), "prefix:/");
  CHECK(b->routes[3].timeout_ms == 0);
  CHECK(has_note(v, "rule 0: match 2 never meets a gRPC call (method GET", NULL));
  CHECK(has_note(v, "rule 0: match 3 never meets a gRPC call (path prefix /a/b/c", NULL));
  CHECK(has_note(v, "rule 0: match 4 never meets a gRPC call (query parameters", NULL));
  CHECK(has_note(v, "rule 2: timeouts.request 1.5s is not a Gateway API duration", NULL));
  kube_view_free(v);
  /* A GRPCRoute on the same port wins (GEP-1426); the HTTPRoute is noted. */
  put(s, KUBE_GRPCROUTES,
      "{'metadata':{'name':'g','namespace':'demo','creationTimestamp':'2026-03-01T00:00:00Z'},"
      "'spec':{'parentRefs':[{'group':'','kind':'Service','name':'server'}],'rules':[{'backendRefs':[{'name':'server-"
      "v2','port':50051}]}]}}");
  v = kube_view_build(s);
  b = kube_view_find(v, "server.demo:50051");
  CHECK(b && b->n_routes == 1 && strcmp(b->routed_by, "grpcroute demo/g") == 0);
  CHECK(has_note(v, "httproute demo/h: Service port server.demo:50051 also has GRPCRoutes", NULL));
  kube_view_free(v);
  kube_store_free(s);
}

/* Without the Gateway API CRDs there are no routes: a relist of an absent kind empties it, and every
 * Service port has its default route again. Route events parse like the others. */
static void test_absent_and_events(void) {
  struct kube_store *s = gamma_store();
  put(s, KUBE_HTTPROUTES,
      "{'metadata':{'name':'h','namespace':'demo'},'spec':{'parentRefs':[{'group':'','kind':'Service','name':'server'}]"
      ","
      "'rules':[{'backendRefs':[{'name':'server-v2','port':50051}]}]}}");
  struct kube_view *v = kube_view_build(s);
  CHECK(v && v->n_routed == 2);
  kube_view_free(v);
  CHECK(kube_store_replace(s, KUBE_HTTPROUTES, NULL, NULL, 0) == 0 && kube_store_count(s, KUBE_HTTPROUTES) == 0);
  v = kube_view_build(s);
  CHECK(v && v->n_routed == 0 && v->n_notes == 0);
  kube_view_free(v);
  static const char ev[] =
      "{\"type\":\"ADDED\",\"object\":{\"kind\":\"GRPCRoute\",\"metadata\":{\"name\":\"x\",\"namespace\":\"demo\","
      "\"resourceVersion\":\"42\"},\"spec\":{}}}";
  struct kube_event e;
  char err[256];
  CHECK(kube_event_parse(KUBE_GRPCROUTES, ev, strlen(ev), &e, err, sizeof err) == 0 && e.obj &&
        strcmp(e.rv, "42") == 0);
  kube_object_free(e.obj);
  kube_store_free(s);
}

/* A file's routes and clusters keep all they say when merged with the API's Services (regex, retry,
 * fault, ring hash). */
static void test_merge_keeps_file_features(void) {
  static const char file[] =
      "spec:\n  listeners:\n  - name: l\n    routes:\n"
      "    - regex: /helloworld\\..*\n      hash_header: x-user\n"
      "      retry: {on: [unavailable], attempts: 3, backoff: {base: 100ms, max: 1s}}\n"
      "      fault: {delay: {fixed: 10ms, percent: 5}}\n      clusters: [{name: c}]\n"
      "  clusters:\n  - name: c\n    lb: ring_hash\n    endpoints: [{address: 127.0.0.1, port: 1}]\n";
  struct config *fc = NULL;
  char err[256];
  REQUIRE(config_parse("f", file, strlen(file), &fc, err, sizeof err) == 0);
  struct kube_store *s = gamma_store();
  struct kube_view *v = kube_view_build(s);
  struct config *m = kube_config_merge(fc, v, err, sizeof err);
  REQUIRE(m);
  const struct config_listener *l = listener(m, "l");
  REQUIRE(l && l->n_routes == 1);
  CHECK(l->routes[0].regex && strcmp(l->routes[0].regex, "/helloworld\\..*") == 0 && !l->routes[0].prefix);
  CHECK(l->routes[0].hash_header && strcmp(l->routes[0].hash_header, "x-user") == 0);
  CHECK(l->routes[0].retry.attempts == 3 && l->routes[0].retry.on && l->routes[0].fault.delay_ms == 10);
  CHECK(config_find_cluster(m, "c") && config_find_cluster(m, "c")->ring_hash);
  config_free(m);
  config_free(fc);
  kube_view_free(v);
  kube_store_free(s);
}

int main(void) {
  test_parse_errors();
  test_store_and_view();
  test_service_refs();
  test_kubeconfig();
  test_durations_and_weights();
  test_grpcroute();
  test_precedence();
  test_refused();
  test_httproute();
  test_absent_and_events();
  test_merge_keeps_file_features();
  return unit_result("test_kube");
}
