/* envoycfg on the manifests deploy/ ships: what the lab changes (addresses, ports, the resolver, the
 * canary's weights) and what it keeps (everything else). DEPLOY_DIR is the source tree's deploy/. */
#include "envoycfg.h"

#include <stdlib.h>
#include <string.h>

#include "../unit.h"
#include "ytree.h"

static const struct ytree *at(const struct ytree *t, const char *path) {
  char buf[256];
  snprintf(buf, sizeof buf, "%s", path);
  for (char *save, *k = strtok_r(buf, "/", &save); k && t; k = strtok_r(NULL, "/", &save)) {
    if (k[0] >= '0' && k[0] <= '9') {
      int i = atoi(k);
      for (t = t->child; t && i > 0; i--) t = t->next;
    } else {
      t = ytree_get(t, k);
    }
  }
  return t;
}

static const char *at_str(const struct ytree *t, const char *path) {
  t = at(t, path);
  return t && t->kind == YTREE_SCALAR ? t->value : NULL;
}

static void test_proxy(void) {
  struct envoycfg c;
  char err[512];
  REQUIRE(envoycfg_load(DEPLOY_DIR "/proxy/proxy.yaml", "proxyconfig", &c, err, sizeof err) == 0);
  CHECK(envoycfg_admin_port(&c) == 8081);
  const char *argv[ENVOYCFG_MAX_ARGS];
  char store[ENVOYCFG_MAX_ARGS][128];
  size_t n = envoycfg_args(&c, "proxy-1", store, argv, ENVOYCFG_MAX_ARGS);
  CHECK(n == 4 && strcmp(argv[0], "--concurrency") == 0 && strcmp(argv[1], "2") == 0); /* "-c FILE" left out */
  struct envoycfg_rewrite rw = {.ip = "127.0.3.20", .dns_ip = "127.0.3.53", .dns_port = 53, .domain = "lab"};
  REQUIRE(envoycfg_apply(&c, &rw, err, sizeof err) == 0);
  const struct ytree *b = c.bootstrap;
  CHECK_STR(at_str(b, "admin/address/socket_address/address"), "127.0.3.20");
  CHECK_STR(at_str(b, "admin/address/socket_address/port_value"), "8081");
  CHECK_STR(at_str(b, "static_resources/listeners/0/address/socket_address/address"), "127.0.3.20");
  CHECK_STR(at_str(b, "static_resources/listeners/0/address/socket_address/port_value"), "8080");
  const struct ytree *cl = at(b, "static_resources/clusters/0");
  CHECK_STR(at_str(cl, "load_assignment/endpoints/0/lb_endpoints/0/endpoint/address/socket_address/address"),
            "server.lab");
  CHECK_STR(at_str(cl, "typed_dns_resolver_config/typed_config/resolvers/0/socket_address/address"), "127.0.3.53");
  CHECK_STR(at_str(cl, "lb_policy"), "ROUND_ROBIN"); /* kept */
  /* The emitted config parses back with the same values, "@type" and "*" still strings. */
  size_t len;
  char *text = ytree_emit(b, &len);
  REQUIRE(text != NULL);
  struct ytree *again = ytree_parse(text, len, err, sizeof err);
  CHECK(again != NULL);
  CHECK_STR(at_str(again, "static_resources/clusters/0/connect_timeout"), "0.25s");
  CHECK(strstr(text, "'*'") || strstr(text, "\"*\""));
  ytree_free(again);
  free(text);
  envoycfg_free(&c);
}

static void test_canary_weights(void) {
  struct envoycfg c;
  char err[512];
  REQUIRE(envoycfg_load(DEPLOY_DIR "/canary/client.yaml", "proxyconfig", &c, err, sizeof err) == 0);
  const struct envoycfg_weight w[] = {{"server-v1", 50051, 99}, {"server-v2", 50051, 1}, {"server-v3", 50051, 0}};
  struct envoycfg_rewrite rw = {
      .ip = "127.0.3.30", .dns_ip = "127.0.3.53", .dns_port = 53, .domain = "lab", .weights = w, .n_weights = 3};
  REQUIRE(envoycfg_apply(&c, &rw, err, sizeof err) == 0);
  const struct ytree *lbs = at(c.bootstrap, "static_resources/clusters/0/load_assignment/endpoints/0/lb_endpoints");
  CHECK(ytree_len(lbs) == 2); /* weight 0 leaves the endpoint out: Envoy refuses a 0 weight */
  CHECK_STR(at_str(lbs, "0/load_balancing_weight"), "99");
  CHECK_STR(at_str(lbs, "1/endpoint/address/socket_address/address"), "server-v2.lab");
  /* The sidecar's listener binds the client pod's address (the pod-local 127.0.0.1 of a cluster). */
  CHECK_STR(at_str(c.bootstrap, "static_resources/listeners/0/address/socket_address/address"), "127.0.3.30");
  envoycfg_free(&c);
}

static void test_xds_bootstrap(void) {
  struct envoycfg c;
  char err[512];
  REQUIRE(envoycfg_load(DEPLOY_DIR "/xds/client.yaml", "proxyconfig", &c, err, sizeof err) == 0);
  const char *argv[ENVOYCFG_MAX_ARGS];
  char store[ENVOYCFG_MAX_ARGS][128];
  size_t n = envoycfg_args(&c, "client-1", store, argv, ENVOYCFG_MAX_ARGS);
  int node = 0;
  for (size_t i = 0; i + 1 < n; i++)
    node |= strcmp(argv[i], "--service-node") == 0 && strcmp(argv[i + 1], "client-1") == 0;
  CHECK(node); /* node id = pod name, from the downward API's $(POD_NAME) */
  const struct envoycfg_host hosts[] = {{"xds", "127.0.3.9", 18000}};
  struct envoycfg_rewrite rw = {
      .ip = "127.0.3.31", .dns_ip = "127.0.3.53", .dns_port = 53, .domain = "lab", .hosts = hosts, .n_hosts = 1};
  REQUIRE(envoycfg_apply(&c, &rw, err, sizeof err) == 0);
  const struct ytree *sa =
      at(c.bootstrap,
         "static_resources/clusters/0/load_assignment/endpoints/0/lb_endpoints/0/endpoint/address/socket_address");
  CHECK_STR(at_str(sa, "address"), "127.0.3.9");
  CHECK_STR(at_str(sa, "port_value"), "18000");
  envoycfg_free(&c);
}

/* The per-node proxy: a DaemonSet's Envoy (deploy/nodeproxy), its listener on the node's address. */
static void test_daemonset(void) {
  struct envoycfg c;
  char err[512];
  REQUIRE(envoycfg_load(DEPLOY_DIR "/nodeproxy/proxy.yaml", "proxyconfig", &c, err, sizeof err) == 0);
  CHECK(c.per_node);
  struct envoycfg_rewrite rw = {.ip = "127.0.3.40", .dns_ip = "127.0.3.53", .dns_port = 53, .domain = "lab"};
  REQUIRE(envoycfg_apply(&c, &rw, err, sizeof err) == 0);
  CHECK_STR(at_str(c.bootstrap, "static_resources/listeners/0/address/socket_address/address"), "127.0.3.40");
  envoycfg_free(&c);
  REQUIRE(envoycfg_load(DEPLOY_DIR "/proxy/proxy.yaml", "proxyconfig", &c, err, sizeof err) == 0);
  CHECK(!c.per_node);
  envoycfg_free(&c);
}

static void test_errors(void) {
  struct envoycfg c;
  char err[512];
  CHECK(envoycfg_load(DEPLOY_DIR "/proxy/proxy.yaml", "nosuch", &c, err, sizeof err) == -1);
  CHECK(strstr(err, "proxy.yaml: no ConfigMap nosuch") != NULL);
  const char *no_deploy = "kind: ConfigMap\nmetadata: {name: proxyconfig}\ndata: {config.yaml: 'admin: {}'}\n";
  CHECK(envoycfg_parse("x.yaml", no_deploy, strlen(no_deploy), "proxyconfig", &c, err, sizeof err) == -1);
  CHECK(strstr(err, "x.yaml: no Deployment or DaemonSet container runs envoy") != NULL);
  CHECK(envoycfg_load("/nonexistent.yaml", "proxyconfig", &c, err, sizeof err) == -1);
  CHECK(strstr(err, "/nonexistent.yaml") != NULL);
}

int main(void) {
  test_proxy();
  test_canary_weights();
  test_xds_bootstrap();
  test_daemonset();
  test_errors();
  return unit_result("test_envoycfg");
}
