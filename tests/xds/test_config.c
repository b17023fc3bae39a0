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

/* A route with `m` (the lines after "    - ") and one cluster "a", for the route tests. */
static char *route(const char *m) {
  static char buf[2048];
  snprintf(buf, sizeof buf,
           "spec:\n  listeners:\n  - name: l\n    routes:\n    - %s\n      clusters: [{name: a}]\n"
           "  clusters:\n  - name: a\n",
           m);
  return buf;
}

/* Issue 12: path, case_sensitive, headers, timeout; what gRPC clients would drop is refused. */
static void test_routes(void) {
  struct config *c =
      ok(route("path: /helloworld.Greeter/SayHello\n      case_sensitive: false\n"
               "      timeout: 1500ms\n      headers:\n"
               "      - {name: x-preview, exact: \"true\"}\n      - {name: team, prefix: a, invert: true}\n"
               "      - {name: x-user, suffix: \"@example.com\"}\n      - {name: x-canary, present: true}\n"
               "      - {name: x-shard, range: [0, 10]}"));
  const struct config_route *r = &c->listeners[0].routes[0];
  REQUIRE(r->path && strcmp(r->path, "/helloworld.Greeter/SayHello") == 0 && !r->prefix && r->case_sensitive == 0 &&
              r->timeout_ms == 1500,
          "a path route, case-insensitive, with a timeout");
  REQUIRE(r->n_headers == 5 && r->headers[0].kind == HDR_EXACT && strcmp(r->headers[0].value, "true") == 0 &&
              r->headers[1].kind == HDR_PREFIX && r->headers[1].invert && r->headers[2].kind == HDR_SUFFIX &&
              r->headers[3].kind == HDR_PRESENT && r->headers[4].kind == HDR_RANGE && r->headers[4].lo == 0 &&
              r->headers[4].hi == 10,
          "five header matchers of every kind, in order");
  config_free(c);
  c = ok(route("name: r"));
  REQUIRE(c->listeners[0].routes[0].case_sensitive == -1 && c->listeners[0].routes[0].timeout_ms == 0 &&
              strcmp(c->listeners[0].routes[0].prefix, "/") == 0,
          "defaults: prefix /, case sensitivity and timeout unset");
  config_free(c);
  bad(route("path: /helloworld.Greeter"), "t.yaml:5: route path \"/helloworld.Greeter\" must be /SERVICE/METHOD");
  bad(route("path: /a/b/c"), "must be /SERVICE/METHOD");
  bad(route("path: //b"), "must be /SERVICE/METHOD");
  bad(route("prefix: /a/\n      path: /a/b"), "t.yaml:5: a route matches one of a prefix, a path or a regex");
  bad(route("regex: ^/a\n      path: /a/b"), "t.yaml:5: a route matches one of a prefix, a path or a regex");
  bad(route("case_sensitive: \"no\""), "\"case_sensitive\" must be true or false");
  bad(route("timeout: 0s"), "t.yaml:5: \"timeout\" must be a duration above 0");
  /* Beyond protobuf's Duration range (315576000000 s) C-core NACKs the route configuration. */
  bad(route("timeout: 87660001h"), "t.yaml:5: \"timeout\" must be a duration above 0, such as 2s or 500ms (at most");
  bad(route("fault: {delay: {fixed: 90000000h}}"), "\"fixed\" must be a duration above 0");
  bad(route("timeout: soon"), "\"timeout\" must be a duration");
  bad(route("headers: [{name: x-data-bin, exact: a}]"), "header \"x-data-bin\" ends in -bin");
  bad(route("headers: [{name: grpc-timeout, exact: a}]"), "header \"grpc-timeout\" starts with grpc-");
  bad(route("headers: [{name: \":path\", exact: a}]"), "is a pseudo-header");
  bad(route("headers: [{name: X-Preview, exact: a}]"), "must be lower case");
  bad(route("headers: [{name: x, exact: a, prefix: b}]"), "header \"x\": one of exact, prefix");
  bad(route("headers: [{name: x}]"), "header \"x\" needs exact, prefix, suffix, present, range or regex");
  bad(route("headers: [{name: x, present: false}]"), "present: false is written invert: true");
  bad(route("headers: [{name: x, range: [5, 5]}]"), "needs lo < hi");
  bad(route("headers: [{name: x, range: [a, 5]}]"), "a range bound must be an integer");
  bad(route("headers: [{name: x, prefix: \"\"}]"), "an empty prefix matches everything");
  bad(route("headers: [{name: x, exact: a, regex: b}]"),
      "header \"x\": one of exact, prefix, suffix, present, range, regex");
  bad(route("headers: {name: x}"), "route headers must be a list");
  c = ok("spec:\n  clusters:\n  - {name: a, max_requests: 3}\n");
  REQUIRE(c->clusters[0].max_requests == 3, "max_requests");
  config_free(c);
  bad("spec:\n  clusters:\n  - {name: a, max_requests: 0}\n",
      "t.yaml:3: \"max_requests\" must be an integer in 1..1000000");
}

/* Issue 12: regex matchers (RE2), retry, fault injection, ring hash, outlier detection. */
static void test_route_actions(void) {
  struct config *c =
      ok(route("regex: \"^/grpc\\\\.testing\\\\..*/UnaryCall$\"\n      headers:\n"
               "      - {name: xds_md, regex: \"^em.*me$\"}"));
  const struct config_route *r = &c->listeners[0].routes[0];
  REQUIRE(r->regex && strcmp(r->regex, "^/grpc\\.testing\\..*/UnaryCall$") == 0 && !r->prefix && !r->path,
          "a route regex (got %s)", r->regex ? r->regex : "NULL");
  REQUIRE(r->n_headers == 1 && r->headers[0].kind == HDR_REGEX && strcmp(r->headers[0].value, "^em.*me$") == 0,
          "a header regex");
  config_free(c);
  bad(route("regex: \"a(b\""), "t.yaml:5: route regex \"a(b\" is not RE2 syntax: missing ): a(b");
  bad(route("regex: \"(?<n>a)\""), "is not RE2 syntax"); /* RE2 has no (?<name>) in this version */
  bad(route("regex: \"a\\\\1\""), "is not RE2 syntax");  /* no backreferences in RE2 */
  bad(route("headers: [{name: a, regex: \"\"}]"), "an empty header regex matches only the empty string");

  c =
      ok(route("retry: {on: [unavailable, cancelled], attempts: 3, backoff: {base: 100ms, max: 1s}}\n"
               "      fault: {delay: {fixed: 2s, percent: 50}, abort: {code: unauthenticated, percent: 25}}"));
  r = &c->listeners[0].routes[0];
  REQUIRE(r->retry.on == (RETRY_UNAVAILABLE | RETRY_CANCELLED) && r->retry.attempts == 3 && r->retry.base_ms == 100 &&
              r->retry.max_ms == 1000,
          "retry on two codes, 3 attempts, backoff 100 ms .. 1 s");
  REQUIRE(r->fault.delay_ms == 2000 && r->fault.delay_percent == 50 && r->fault.abort_code == 16 &&
              r->fault.abort_percent == 25,
          "fault: 2 s delay for 50%%, UNAUTHENTICATED (16) for 25%%");
  config_free(c);
  c = ok(route("retry: {on: [internal]}\n      fault: {abort: {code: 14}}"));
  r = &c->listeners[0].routes[0];
  REQUIRE(r->retry.attempts == 2 && r->retry.base_ms == 25 && r->retry.max_ms == 250,
          "retry defaults: 2 attempts, gRPC's 25 ms base, 10 times that at most");
  REQUIRE(r->fault.abort_code == 14 && r->fault.abort_percent == 100 && r->fault.delay_ms == 0,
          "an abort by number, for every call");
  config_free(c);
  bad(route("retry: {on: [not-found]}"), "t.yaml:5: retry on \"not-found\": gRPC clients retry on cancelled");
  bad(route("retry: {on: []}"), "retry needs \"on\"");
  bad(route("retry: {on: [internal], attempts: 6}"), "\"attempts\" must be an integer in 2..5");
  bad(route("retry: {on: [internal, internal]}"), "retry on \"internal\" twice");
  bad(route("retry: {on: [internal], backoff: {base: 1s, max: 100ms}}"), "retry backoff: max must be at least base");
  bad(route("fault: {}"), "fault needs a delay, an abort or both");
  bad(route("fault: {delay: {percent: 10}}"), "fault delay needs \"fixed\"");
  bad(route("fault: {abort: {code: ok}}"), "is a gRPC status: a name such as unavailable, or 1..16");
  bad(route("fault: {abort: {code: 17}}"), "is a gRPC status");
  bad(route("fault: {abort: {code: 14, percent: 101}}"), "\"percent\" must be an integer in 0..100");

  c =
      ok("spec:\n  listeners:\n  - name: l\n    routes:\n    - hash_header: x-user\n      clusters: [{name: a}]\n"
         "  clusters:\n  - name: a\n    lb: ring_hash\n    outlier_detection:\n      interval: 1s\n"
         "      failure_percentage: {threshold: 50, minimum_hosts: 2, request_volume: 10}\n");
  REQUIRE(strcmp(c->listeners[0].routes[0].hash_header, "x-user") == 0 && c->clusters[0].ring_hash, "ring hash");
  const struct config_outlier *o = &c->clusters[0].outlier;
  REQUIRE(o->set && o->interval_ms == 1000 && o->base_ejection_ms == 30000 && o->max_ejection_ms == 300000 &&
              o->max_ejection_percent == 10 && !o->success_rate && o->failure_percentage && o->fp_threshold == 50 &&
              o->fp_enforcement == 100 && o->fp_minimum_hosts == 2 && o->fp_request_volume == 10,
          "outlier detection: failure percentage, Envoy's defaults elsewhere");
  config_free(c);
  bad("spec:\n  listeners:\n  - name: l\n    routes:\n    - hash_header: x-user\n      clusters: [{name: a}]\n"
      "  clusters:\n  - name: a\n",
      "t.yaml:5: route \"\" hashes on \"x-user\" but its cluster \"a\" is not lb: ring_hash");
  bad(route("hash_header: x-key-bin"), "hash_header \"x-key-bin\" ends in -bin");
  bad("spec:\n  clusters:\n  - {name: a, lb: least_request}\n",
      "t.yaml:3: cluster \"a\": lb is round_robin or ring_hash");
  bad("spec:\n  clusters:\n  - name: a\n    outlier_detection: {interval: 1s}\n",
      "outlier_detection needs success_rate, failure_percentage or both");
  bad("spec:\n  clusters:\n  - name: a\n    outlier_detection: {max_ejection_percent: 101, success_rate: {}}\n",
      "\"max_ejection_percent\" must be an integer in 0..100");
}

/* Issue 12: endpoints grouped into localities with zone, priority and weight. */
static void test_localities(void) {
  struct config *c =
      ok("spec:\n  clusters:\n  - name: a\n    localities:\n"
         "    - zone: near\n      endpoints: [{address: 10.0.0.1, port: 1}, {address: 10.0.0.2, port: 1}]\n"
         "    - zone: far\n      priority: 1\n      weight: 7\n      endpoints: [{address: far.example, port: 2}]\n");
  const struct config_cluster *cl = &c->clusters[0];
  REQUIRE(cl->n_endpoints == 3, "every locality's endpoints");
  REQUIRE(strcmp(cl->endpoints[0].zone, "near") == 0 && cl->endpoints[0].priority == 0 &&
              cl->endpoints[0].locality_weight == 0 && cl->endpoints[1].priority == 0,
          "near: priority 0, weight by endpoint count");
  REQUIRE(strcmp(cl->endpoints[2].zone, "far") == 0 && cl->endpoints[2].priority == 1 &&
              cl->endpoints[2].locality_weight == 7 && !cl->endpoints[2].is_ip,
          "far: priority 1, weight 7, a DNS name");
  config_free(c);
  const char *one = "    - zone: z\n      endpoints: [{address: 10.0.0.1, port: 1}]\n";
  char y[1024];
  snprintf(y, sizeof y,
           "spec:\n  clusters:\n  - name: a\n    localities:\n%s    - zone: y\n      priority: 2\n"
           "      endpoints: [{address: 10.0.0.2, port: 1}]\n",
           one);
  bad(y, "t.yaml:5: cluster \"a\": priorities must be contiguous from 0 (none has priority 1)");
  snprintf(y, sizeof y, "spec:\n  clusters:\n  - name: a\n    localities:\n%s%s", one, one);
  bad(y, "t.yaml:7: cluster \"a\": zone \"z\" twice (one locality per zone)");
  bad("spec:\n  clusters:\n  - name: a\n    localities:\n    - zone: z\n      endpoints: []\n",
      "t.yaml:5: locality \"z\" has no endpoints");
  bad("spec:\n  clusters:\n  - name: a\n    localities: []\n", "t.yaml:4: cluster \"a\": localities is empty");
  bad("spec:\n  clusters:\n  - name: a\n    localities:\n    - zone: \"\"\n      endpoints: [{address: 10.0.0.1, "
      "port: 1}]\n",
      "t.yaml:5: a locality's zone must not be empty");
  bad("spec:\n  clusters:\n  - name: a\n    localities:\n    - zone: z\n      weight: 0\n"
      "      endpoints: [{address: 10.0.0.1, port: 1}]\n",
      "t.yaml:6: \"weight\" must be an integer in 1..1000");
  bad("spec:\n  clusters:\n  - name: a\n    localities:\n    - zone: z\n      region: r\n"
      "      endpoints: [{address: 10.0.0.1, port: 1}]\n",
      "t.yaml:6: unknown key \"region\" in a locality");
  bad("spec:\n  clusters:\n  - name: a\n    endpoints: []\n    localities: []\n",
      "t.yaml:3: cluster \"a\": its endpoints come from one of");
}

/* The demo's schema as it is, and our defaults. */
static void test_demo_and_defaults(void) {
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
}

/* Structural errors, each at its line. */
static void test_errors(void) {
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
}

/* Route prefixes gRPC C-core would silently ignore (the route vanishes for proxyless clients). */
static void test_prefixes(void) {
  bad("spec:\n  listeners:\n  - name: l\n    routes:\n    - prefix: api\n      clusters:\n      - name: a\n",
      "t.yaml:5: route prefix \"api\" must start with \"/\"");
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
}

/* Listeners: socket addresses, documents that are not configs. */
static void test_listeners_and_documents(void) {
  /* Two socket listeners on one address:port: Envoy refuses the second. */
  bad("spec:\n  listeners:\n  - name: a\n    port: 8080\n    routes:\n    - clusters:\n      - name: c\n"
      "  - name: b\n    address: 0.0.0.0\n    port: 8080\n    routes:\n    - clusters:\n      - name: c\n"
      "  clusters:\n  - name: c\n",
      "t.yaml:8: listener \"b\" uses 0.0.0.0:8080, as listener \"a\" does (line 3)");
  struct config *c =
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
}

/* The helpers the Kubernetes merge and the lab share: weights, host names. */
static void test_helpers(void) {
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
}

int main(void) {
  test_demo_and_defaults();
  test_errors();
  test_prefixes();
  test_listeners_and_documents();
  test_routes();
  test_localities();
  test_route_actions();
  test_helpers();
  return 0;
}
