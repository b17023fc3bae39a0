/* Unit tests of src/xds/config.c: the demo's schema, our defaults, and errors as file:line. */
#include <string.h>

#include "config.h"
#include "xtest.h"

static struct config *ok(const char *yaml) {
  struct config *c = NULL;
  char err[512] = "";
  int rc = config_parse("t.yaml", yaml, strlen(yaml), &c, err, sizeof err);
  REQUIRE(rc == 0 && c, "parses: %s", err);
  return c;
}

/* Parses `yaml`, expects failure with an error that contains `want`. */
static void bad(const char *yaml, const char *want) {
  struct config *c = NULL;
  char err[512] = "";
  int rc = config_parse("t.yaml", yaml, strlen(yaml), &c, err, sizeof err);
  REQUIRE(rc == -1 && c == NULL && strstr(err, want) != NULL, "rejected with \"%s\" (got \"%s\")", want, err);
}

static const char demo[] =
    "name: xds-demo\n"
    "spec:\n"
    "  listeners:\n"
    "  - name: listener_0\n"
    "    address: 0.0.0.0\n"
    "    port: 8080\n"
    "    routes:\n"
    "    - name: local_route\n"
    "      prefix: /\n"
    "      clusters:\n"
    "      - name: server-v1\n"
    "        weight: 95\n"
    "      - name: server-v2\n"
    "        weight: 5\n"
    "  clusters:\n"
    "  - name: server-v1\n"
    "    endpoints:\n"
    "    - address: server-v1\n"
    "      port: 50051\n"
    "  - name: server-v2\n"
    "    endpoints:\n"
    "    - address: 10.0.0.7\n"
    "      port: 50051\n";

int main(void) {
  struct config *c = ok(demo);
  REQUIRE(strcmp(c->name, "xds-demo") == 0 && c->n_listeners == 1 && c->n_clusters == 2,
          "the demo's schema, unchanged");
  REQUIRE(c->listeners[0].port == 8080 && c->listeners[0].n_routes == 1, "listener port and routes");
  REQUIRE(c->listeners[0].routes[0].clusters[1].weight == 5, "weights read");
  REQUIRE(!c->clusters[0].endpoints[0].is_ip && c->clusters[1].endpoints[0].is_ip, "DNS names vs IP literals");
  REQUIRE(config_find_cluster(c, "server-v2") == &c->clusters[1] && !config_find_cluster(c, "x"), "find cluster");
  config_free(c);

  c =
      ok("spec:\n  listeners:\n  - name: server\n    routes:\n    - clusters:\n      - name: a\n"
         "  clusters:\n  - name: a\n");
  REQUIRE(c->listeners[0].port == 0 && strcmp(c->listeners[0].address, "0.0.0.0") == 0,
          "port optional, address defaults");
  REQUIRE(strcmp(c->listeners[0].routes[0].prefix, "/") == 0, "prefix defaults to /");
  REQUIRE(c->listeners[0].routes[0].clusters[0].weight == 100, "a single cluster's weight defaults to 100");
  REQUIRE(c->clusters[0].n_endpoints == 0, "a cluster may have no endpoints");
  config_free(c);

  c = ok("spec: {}\n");
  REQUIRE(c->n_listeners == 0 && c->n_clusters == 0, "an empty spec serves nothing");
  config_free(c);

  bad("spec:\n  listeners:\n  - name: l\n    routes:\n    - clusters:\n      - name: a\n        weight: 50\n"
      "      - name: b\n        weight: 40\n  clusters:\n  - name: a\n  - name: b\n",
      "t.yaml:5: the weights of route \"\" sum to 90; they must sum to exactly 100");
  bad("spec:\n  listeners:\n  - name: l\n    routes:\n    - clusters:\n      - name: a\n      - name: b\n"
      "  clusters:\n  - name: a\n  - name: b\n",
      "t.yaml:6: cluster \"a\" needs a weight");
  bad("spec:\n  listeners:\n  - name: l\n    routes: []\n", "t.yaml:3: listener \"l\" has no routes");
  bad("spec:\n  listeners:\n  - name: l\n    routes:\n    - clusters:\n      - name: nope\n",
      "t.yaml:5: route \"\" names cluster \"nope\", which is not defined");
  bad("spec:\n  clusters:\n  - name: a\n  - name: a\n", "t.yaml:4: cluster \"a\" is defined twice (first on line 3)");
  bad("spec:\n  listeners:\n  - name: l\n    routes:\n    - clusters:\n      - name: a\n"
      "  - name: l\n    routes:\n    - clusters:\n      - name: a\n  clusters:\n  - name: a\n",
      "t.yaml:7: listener \"l\" is defined twice");
  bad("spec:\n  clusters:\n  - name: a\n    endpoints:\n    - address: bad_host!\n      port: 1\n",
      "t.yaml:5: endpoint address \"bad_host!\" is neither");
  bad("spec:\n  clusters:\n  - name: a\n    endpoints:\n    - address: h\n      port: 70000\n",
      "t.yaml:6: \"port\" must be an integer in 1..65535, not \"70000\"");
  bad("spec:\n  clusters:\n  - name: a\n    endpoints:\n    - address: h\n", "t.yaml:5: missing \"port\"");
  bad("spec:\n  clusters:\n  - name: a\n    endpoint: []\n", "t.yaml:4: unknown key \"endpoint\" in a cluster");
  bad("spec:\n  listeners:\n  - name: l\n    routes:\n    - prefix: api\n      clusters:\n      - name: a\n",
      "t.yaml:5: route prefix \"api\" must start with \"/\"");
  /* Prefixes gRPC C-core would silently ignore (the route vanishes for proxyless clients). */
  bad("spec:\n  listeners:\n  - name: l\n    routes:\n    - name: r\n      prefix: /pkg.Svc/Method/\n      clusters:\n"
      "      - name: a\n  clusters:\n  - name: a\n",
      "t.yaml:6: route prefix \"/pkg.Svc/Method/\" has more than 2 slashes");
  bad("spec:\n  listeners:\n  - name: l\n    routes:\n    - name: r\n      prefix: //x\n      clusters:\n"
      "      - name: a\n  clusters:\n  - name: a\n",
      "t.yaml:6: route prefix \"//x\" must not start with \"//\"");
  bad("spec:\n  listeners:\n  - name: l\n    routes:\n    - prefix: //\n      clusters:\n      - name: a\n",
      "t.yaml:5: route prefix \"//\" must not start with \"//\"");
  REQUIRE(!config_prefix_problem("/") && !config_prefix_problem("/pkg.Svc/") &&
              !config_prefix_problem("/pkg.Svc/Say") && !config_prefix_problem("/pkg"),
          "prefixes gRPC clients honour: /, /service/, /service/method-prefix, /service-prefix");
  REQUIRE(config_prefix_problem("") && config_prefix_problem("a/") && config_prefix_problem("/a/b/c") &&
              config_prefix_problem("//"),
          "prefixes they ignore");
  /* Two socket listeners on one address:port: Envoy refuses the second. */
  bad("spec:\n  listeners:\n  - name: a\n    port: 8080\n    routes:\n    - clusters:\n      - name: c\n"
      "  - name: b\n    address: 0.0.0.0\n    port: 8080\n    routes:\n    - clusters:\n      - name: c\n"
      "  clusters:\n  - name: c\n",
      "t.yaml:8: listener \"b\" uses 0.0.0.0:8080, as listener \"a\" does (line 3)");
  c =
      ok("spec:\n  listeners:\n  - name: a\n    port: 8080\n    routes:\n    - clusters:\n      - name: c\n"
         "  - name: b\n    port: 8081\n    routes:\n    - clusters:\n      - name: c\n"
         "  - name: grpc-only\n    routes:\n    - clusters:\n      - name: c\n"
         "  - name: grpc-only-2\n    routes:\n    - clusters:\n      - name: c\n  clusters:\n  - name: c\n");
  REQUIRE(c->n_listeners == 4, "other ports are fine, and listeners without a port have no socket");
  config_free(c);
  bad("spec:\n  listeners:\n  - name: l\n    address: example\n    routes: []\n",
      "t.yaml:3: listener address \"example\" must be an IPv4 address");
  bad("name: x\n", "t.yaml:1: missing \"spec\"");
  bad("spec:\n  listeners: {}\n", "t.yaml:2: spec.listeners must be a list");
  bad("spec:\n  listeners:\n  - name: [\n", "t.yaml:");
  bad("- a\n- b\n", "the document must be a mapping");

  uint32_t w[] = {95, 5}, w2[] = {50, 49}, sum;
  REQUIRE(config_weights_check(w, 2, &sum) == 0 && sum == 100, "95/5 sums to 100");
  REQUIRE(config_weights_check(w2, 2, &sum) == -1 && sum == 99, "50/49 does not");
  REQUIRE(config_weights_check(w, 0, &sum) == -2, "no weights");
  REQUIRE(!config_is_hostname("999.1.1.1") && !config_is_hostname("127.1") && !config_is_hostname("-bad-") &&
              !config_is_hostname("a-.b") && !config_is_hostname("a.-b") && config_is_hostname("1a.b2") &&
              config_is_hostname("a.b-c"),
          "addresses and dashed edges are not host names (issue 16)");
  REQUIRE(config_is_hostname("server-v1.ns.svc.cluster.local") && !config_is_hostname("a..b") &&
              !config_is_hostname("") && !config_is_hostname("a b"),
          "host names");
  return 0;
}
