/* Writes the binary seeds of the seed corpora (tests/fuzz/gen_corpus.sh runs it):
 *   OUT/discovery/NAME  one ADS stream each, in fuzz_discovery.c's format (a flags byte, then every
 *                       request as a 2-byte little-endian length and a DiscoveryRequest), as gRPC
 *                       C-core (our greeter-client), grpc-js-xds and Envoy send them, with ACKs,
 *                       NACKs, stale nonces, unsubscribes and a config swap;
 *   OUT/greeter/NAME    one HelloRequest or HealthCheckRequest each.
 * The nonces are those fuzz_discovery (like xdsd) gives its responses: 1, 2, ... per stream. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "envoy/service/discovery/v3/discovery.pb-c.h"
#include "health.pb-c.h"
#include "helloworld.pb-c.h"

#define CDS "type.googleapis.com/envoy.config.cluster.v3.Cluster"
#define EDS "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment"
#define LDS "type.googleapis.com/envoy.config.listener.v3.Listener"
#define RDS "type.googleapis.com/envoy.config.route.v3.RouteConfiguration"

static const char *out_dir;

/* A stream being written: the flags byte, then framed requests. */
struct seed {
  uint8_t buf[8192];
  size_t len;
};

static void seed_start(struct seed *s, unsigned flags) {
  s->buf[0] = (uint8_t)flags;
  s->len = 1;
}

static void put_msg(struct seed *s, const ProtobufCMessage *m) {
  size_t n = protobuf_c_message_get_packed_size(m);
  if (s->len + 2 + n > sizeof s->buf || n > 0xffff) {
    fprintf(stderr, "seedgen: seed too big\n");
    exit(1);
  }
  s->buf[s->len++] = (uint8_t)(n & 0xff);
  s->buf[s->len++] = (uint8_t)(n >> 8);
  protobuf_c_message_pack(m, s->buf + s->len);
  s->len += n;
}

static void write_file(const char *sub, const char *name, const void *data, size_t len) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", out_dir, sub);
  if (mkdir(path, 0755) != 0 && errno != EEXIST) {
    perror(path);
    exit(1);
  }
  snprintf(path, sizeof path, "%s/%s/%s", out_dir, sub, name);
  FILE *f = fopen(path, "wb");
  if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
    perror(path);
    exit(1);
  }
}

static void seed_write(const struct seed *s, const char *name) { write_file("discovery", name, s->buf, s->len); }

/* The clients' nodes. */
enum client { GRPC_C, GRPC_JS, ENVOY };

static Envoy__Config__Core__V3__Node nodes[3];
static Envoy__Config__Core__V3__Locality locality;
static Envoy__Config__Core__V3__BuildVersion build_version;

static void nodes_init(void) {
  static char *features[] = {"envoy.lb.does_not_support_overprovisioning", "xds.config.resource-in-sotw"};
  envoy__config__core__v3__locality__init(&locality);
  locality.zone = "z1";
  for (int i = 0; i < 3; i++) envoy__config__core__v3__node__init(&nodes[i]);
  /* As tests/xds/xlib.sh's bootstrap names our greeter-client. */
  nodes[GRPC_C].id = "client-1";
  nodes[GRPC_C].cluster = "test";
  nodes[GRPC_C].locality = &locality;
  nodes[GRPC_C].user_agent_name = "gRPC C-core";
  nodes[GRPC_C].user_agent_version_type_case =
      ENVOY__CONFIG__CORE__V3__NODE__USER_AGENT_VERSION_TYPE_USER_AGENT_VERSION;
  nodes[GRPC_C].user_agent_version = "1.51.1";
  nodes[GRPC_C].n_client_features = 2;
  nodes[GRPC_C].client_features = features;
  nodes[GRPC_JS].id = "js-client";
  nodes[GRPC_JS].cluster = "test";
  nodes[GRPC_JS].locality = &locality;
  nodes[GRPC_JS].user_agent_name = "gRPC Node Pure JS";
  nodes[GRPC_JS].user_agent_version_type_case =
      ENVOY__CONFIG__CORE__V3__NODE__USER_AGENT_VERSION_TYPE_USER_AGENT_VERSION;
  nodes[GRPC_JS].user_agent_version = "1.8.14";
  nodes[GRPC_JS].n_client_features = 2;
  nodes[GRPC_JS].client_features = features;
  envoy__config__core__v3__build_version__init(&build_version);
  nodes[ENVOY].id = "client-1";
  nodes[ENVOY].cluster = "client";
  nodes[ENVOY].user_agent_name = "envoy";
  nodes[ENVOY].user_agent_version_type_case =
      ENVOY__CONFIG__CORE__V3__NODE__USER_AGENT_VERSION_TYPE_USER_AGENT_BUILD_VERSION;
  nodes[ENVOY].user_agent_build_version = &build_version;
}

/* Appends one request: `node` (or NULL), the type, the names (NULL-terminated), the version and
 * nonce it answers ("" for none), and a NACK message (NULL: an ACK or a plain request). */
static void req(struct seed *s, const Envoy__Config__Core__V3__Node *node, const char *type, const char *const *names,
                const char *version, const char *nonce, const char *nack) {
  Envoy__Service__Discovery__V3__DiscoveryRequest r = ENVOY__SERVICE__DISCOVERY__V3__DISCOVERY_REQUEST__INIT;
  Google__Rpc__Status st = GOOGLE__RPC__STATUS__INIT;
  size_t n = 0;
  while (names && names[n]) n++;
  r.node = (Envoy__Config__Core__V3__Node *)node;
  r.type_url = (char *)type;
  r.resource_names = (char **)names;
  r.n_resource_names = n;
  r.version_info = (char *)version;
  r.response_nonce = (char *)nonce;
  if (nack) {
    st.code = 3; /* INVALID_ARGUMENT, as clients NACK */
    st.message = (char *)nack;
    r.error_detail = &st;
  }
  put_msg(s, &r.base);
}

static const char *const server[] = {"server", NULL};
static const char *const listener0[] = {"listener_0", NULL};
static const char *const v1v2[] = {"server-v1", "server-v2", NULL};
static const char *const v1[] = {"server-v1", NULL};
static const char *const star[] = {"*", NULL};

/* gRPC C-core, as greeter-client with xds:///server: LDS, RDS, CDS, EDS, each ACKed (config 1). */
static void grpc_c(void) {
  struct seed s;
  const Envoy__Config__Core__V3__Node *n = &nodes[GRPC_C];
  seed_start(&s, 1);
  req(&s, n, LDS, server, "", "", NULL);
  req(&s, NULL, LDS, server, "2", "1", NULL);
  req(&s, NULL, RDS, server, "", "", NULL);
  req(&s, NULL, RDS, server, "2", "2", NULL);
  req(&s, NULL, CDS, v1v2, "", "", NULL);
  req(&s, NULL, CDS, v1v2, "2", "3", NULL);
  req(&s, NULL, EDS, v1v2, "", "", NULL);
  req(&s, NULL, EDS, v1v2, "2", "4", NULL);
  seed_write(&s, "grpc-c-lds-server");

  /* The same, then the config changes (weights: the routes) and the client ACKs the push. */
  seed_start(&s, 1 | 2);
  req(&s, n, LDS, server, "", "", NULL);
  req(&s, NULL, LDS, server, "2", "1", NULL);
  req(&s, NULL, RDS, server, "", "", NULL);
  req(&s, NULL, RDS, server, "1", "5", NULL);
  req(&s, NULL, CDS, v1, "", "", NULL);
  req(&s, NULL, CDS, v1, "1", "6", NULL);
  seed_write(&s, "grpc-c-config-swap");

  /* A reconnect: the first request carries the last stream's version and nonce. */
  seed_start(&s, 1);
  req(&s, n, LDS, server, "7", "42", NULL);
  req(&s, NULL, LDS, server, "2", "1", NULL);
  seed_write(&s, "grpc-c-reconnect");
}

/* grpc-js-xds: node on every request, CDS and EDS names dropped when a cluster goes, a NACK. */
static void grpc_js(void) {
  struct seed s;
  const Envoy__Config__Core__V3__Node *n = &nodes[GRPC_JS];
  seed_start(&s, 1);
  req(&s, n, LDS, server, "", "", NULL);
  req(&s, n, LDS, server, "2", "1", NULL);
  req(&s, n, RDS, server, "", "", NULL);
  req(&s, n, RDS, server, "2", "2", NULL);
  req(&s, n, CDS, v1v2, "", "", NULL);
  req(&s, n, EDS, v1v2, "", "", NULL);
  req(&s, n, CDS, v1v2, "2", "3", NULL);
  req(&s, n, EDS, v1v2, "2", "4", NULL);
  req(&s, n, CDS, v1, "2", "", NULL);
  req(&s, n, EDS, v1, "2", "", NULL);
  req(&s, n, EDS, NULL, "2", "", NULL);
  seed_write(&s, "grpc-js-unsubscribe");

  seed_start(&s, 1);
  req(&s, n, LDS, server, "", "", NULL);
  req(&s, n, LDS, server, "", "1",
      "Listener server: HttpConnectionManager missing http_filters (xDS resource validation failed)");
  req(&s, n, LDS, server, "", "1", NULL);
  seed_write(&s, "grpc-js-nack");
}

/* Envoy: wildcard CDS and LDS (empty names, and the newer explicit "*"), EDS and RDS by name (config 0). */
static void envoy(void) {
  struct seed s;
  const Envoy__Config__Core__V3__Node *n = &nodes[ENVOY];
  seed_start(&s, 0);
  req(&s, n, CDS, NULL, "", "", NULL);
  req(&s, n, EDS, v1v2, "", "", NULL);
  req(&s, n, CDS, NULL, "1", "1", NULL);
  req(&s, n, LDS, NULL, "", "", NULL);
  req(&s, n, EDS, v1v2, "1", "2", NULL);
  req(&s, n, RDS, listener0, "", "", NULL);
  req(&s, n, LDS, NULL, "1", "3", NULL);
  req(&s, n, RDS, listener0, "1", "4", NULL);
  seed_write(&s, "envoy-wildcard");

  /* Explicit wildcard, a NACK of the clusters, a stale NACK, then the swap to the other config. */
  seed_start(&s, 0 | 2);
  req(&s, n, CDS, star, "", "", NULL);
  req(&s, n, LDS, star, "", "", NULL);
  req(&s, n, CDS, star, "", "1", "cluster server-v1: unknown field http2_protocol_options");
  req(&s, n, CDS, star, "", "1", "stale");
  req(&s, n, CDS, star, "2", "3", NULL);
  req(&s, n, LDS, star, "2", "4", NULL);
  seed_write(&s, "envoy-star-nack-swap");

  /* A type xdsd does not serve, and a Delta-style stray field. */
  seed_start(&s, 0);
  req(&s, n, "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret", NULL, "", "", NULL);
  req(&s, n, "", NULL, "", "", NULL);
  req(&s, n, CDS, NULL, "", "", NULL);
  seed_write(&s, "envoy-unknown-type");
}

static void greeter(void) {
  static const char *const names[] = {"client-1_41", "", "no-counter", "a b=c\"d\n_", NULL};
  static const char *const services[] = {"", "helloworld.Greeter", "unknown", NULL};
  uint8_t buf[512];
  char file[64];
  for (int i = 0; names[i]; i++) {
    Helloworld__HelloRequest r = HELLOWORLD__HELLO_REQUEST__INIT;
    r.name = (char *)names[i];
    size_t n = helloworld__hello_request__pack(&r, buf);
    snprintf(file, sizeof file, "hello-%d", i);
    write_file("greeter", file, buf, n);
  }
  for (int i = 0; services[i]; i++) {
    Grpc__Health__V1__HealthCheckRequest r = GRPC__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
    r.service = (char *)services[i];
    size_t n = grpc__health__v1__health_check_request__pack(&r, buf);
    snprintf(file, sizeof file, "health-%d", i);
    write_file("greeter", file, buf, n);
  }
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s OUT_DIR\n", argv[0]);
    return 2;
  }
  out_dir = argv[1];
  nodes_init();
  grpc_c();
  grpc_js();
  envoy();
  greeter();
  return 0;
}
