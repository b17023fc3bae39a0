/* Unit tests of src/xds/kube.c and kubeconn.c: Services and EndpointSlices as the API sends them
 * (conditions, ports by name, IPv6 and UDP left out), the store (put, delete, a relist per namespace),
 * the view (endpoints merged across slices, healthy wins), the merged config and its ClusterLoadAssignment
 * (one locality per zone, DRAINING), and kubeconfig files (inline data, paths, errors). */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "envoy/config/endpoint/v3/endpoint.pb-c.h"
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

int main(void) {
  test_parse_errors();
  test_store_and_view();
  test_service_refs();
  test_kubeconfig();
  return unit_result("test_kube");
}
