/* The resources xdsd serves, decoded and checked against xds-facts.md §4 (Envoy) and §7 (a set
 * C-core, grpc-js and Envoy all accept). Connects like Envoy (wildcard CDS and LDS, node on every
 * request), then like a gRPC client (named LDS). Usage: test_envoy_resources ADDR */
#include <arpa/inet.h>
#include <grpc/grpc.h>
#include <stdio.h>
#include <string.h>

#include "adsc.h"
#include "envoy/config/cluster/v3/cluster.pb-c.h"
#include "envoy/config/endpoint/v3/endpoint.pb-c.h"
#include "envoy/config/listener/v3/listener.pb-c.h"
#include "envoy/config/route/v3/route.pb-c.h"
#include "envoy/extensions/filters/http/router/v3/router.pb-c.h"
#include "envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.pb-c.h"
#include "envoy/extensions/upstreams/http/v3/http_protocol_options.pb-c.h"
#include "xtest.h"

#define P "type.googleapis.com/"
#define LDS P "envoy.config.listener.v3.Listener"
#define RDS P "envoy.config.route.v3.RouteConfiguration"
#define CDS P "envoy.config.cluster.v3.Cluster"
#define EDS P "envoy.config.endpoint.v3.ClusterLoadAssignment"
#define HCM_URL P "envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager"
#define ROUTER_URL P "envoy.extensions.filters.http.router.v3.Router"
#define HPO_KEY "envoy.extensions.upstreams.http.v3.HttpProtocolOptions"

typedef Envoy__Extensions__Filters__Network__HttpConnectionManager__V3__HttpConnectionManager Hcm;

/* Fields we do not model would show up as unknown fields: xdsd must send none (no transport_socket,
 * lrs_server, load_balancing_policy, total_weight...). Checked over the whole message tree. */
static size_t unknown_fields(const ProtobufCMessage *m) {
  size_t n = m->n_unknown_fields;
  const ProtobufCMessageDescriptor *d = m->descriptor;
  for (unsigned i = 0; i < d->n_fields; i++) {
    const ProtobufCFieldDescriptor *f = &d->fields[i];
    if (f->type != PROTOBUF_C_TYPE_MESSAGE) continue;
    const char *base = (const char *)m;
    if (f->label == PROTOBUF_C_LABEL_REPEATED) {
      size_t cnt = *(const size_t *)(base + f->quantifier_offset);
      ProtobufCMessage *const *arr = *(ProtobufCMessage *const *const *)(base + f->offset);
      for (size_t k = 0; k < cnt; k++) n += unknown_fields(arr[k]);
    } else {
      if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
        uint32_t c = *(const uint32_t *)(base + f->quantifier_offset);
        if (c != f->id) continue;
      }
      const ProtobufCMessage *sub = *(ProtobufCMessage *const *)(base + f->offset);
      if (sub) n += unknown_fields(sub);
    }
  }
  return n;
}

/* HCM rules shared by both listener kinds (§3, §4, §7). Returns the RDS name (owned by the HCM). */
static Hcm *check_hcm(const Google__Protobuf__Any *any, const char *what) {
  REQUIRE(any && strcmp(any->type_url, HCM_URL) == 0, "%s: HCM Any has the exact type URL", what);
  Hcm *h = envoy__extensions__filters__network__http_connection_manager__v3__http_connection_manager__unpack(
      NULL, any->value.len, any->value.data);
  REQUIRE(h != NULL, "%s: HCM decodes", what);
  REQUIRE(unknown_fields(&h->base) == 0, "%s: HCM has no fields outside the subset", what);
  REQUIRE(h->stat_prefix && h->stat_prefix[0], "%s: stat_prefix is non-empty", what);
  REQUIRE(h->codec_type == 0, "%s: codec_type AUTO", what);
  REQUIRE(
      h->route_specifier_case ==
              ENVOY__EXTENSIONS__FILTERS__NETWORK__HTTP_CONNECTION_MANAGER__V3__HTTP_CONNECTION_MANAGER__ROUTE_SPECIFIER_RDS &&
          h->rds,
      "%s: routes come from RDS", what);
  REQUIRE(h->rds->route_config_name && h->rds->route_config_name[0], "%s: RDS name is set", what);
  REQUIRE(h->rds->config_source &&
              h->rds->config_source->config_source_specifier_case ==
                  ENVOY__CONFIG__CORE__V3__CONFIG_SOURCE__CONFIG_SOURCE_SPECIFIER_ADS &&
              h->rds->config_source->resource_api_version == ENVOY__CONFIG__CORE__V3__API_VERSION__V3,
          "%s: RDS config_source is ads{} with resource_api_version V3", what);
  REQUIRE(h->xff_num_trusted_hops == 0, "%s: xff_num_trusted_hops is 0", what);
  REQUIRE(h->n_http_filters == 1, "%s: exactly one HTTP filter", what);
  const Envoy__Extensions__Filters__Network__HttpConnectionManager__V3__HttpFilter *f = h->http_filters[0];
  REQUIRE(strcmp(f->name, "envoy.filters.http.router") == 0, "%s: the filter is the router", what);
  REQUIRE(
      f->config_type_case ==
              ENVOY__EXTENSIONS__FILTERS__NETWORK__HTTP_CONNECTION_MANAGER__V3__HTTP_FILTER__CONFIG_TYPE_TYPED_CONFIG &&
          f->typed_config && strcmp(f->typed_config->type_url, ROUTER_URL) == 0 && f->typed_config->value.len == 0,
      "%s: the router has a typed_config with the exact Router URL, empty (Envoy >= 1.22)", what);
  return h;
}

/* CDS (§4): EDS over ADS, round robin, HTTP/2 upstream, connect_timeout > 0, nothing extra. */
static void check_cluster(const Envoy__Config__Cluster__V3__Cluster *c, size_t i) {
  REQUIRE(c && c->name[0], "cluster %zu decodes and has a name", i);
  REQUIRE(unknown_fields(&c->base) == 0, "cluster %s: no transport_socket, lrs_server or load_balancing_policy",
          c->name);
  REQUIRE(c->cluster_discovery_type_case == ENVOY__CONFIG__CLUSTER__V3__CLUSTER__CLUSTER_DISCOVERY_TYPE_TYPE &&
              c->type == ENVOY__CONFIG__CLUSTER__V3__CLUSTER__DISCOVERY_TYPE__EDS,
          "cluster %s: the type oneof is set, to EDS", c->name);
  REQUIRE(c->eds_cluster_config && c->eds_cluster_config->eds_config &&
              c->eds_cluster_config->eds_config->config_source_specifier_case ==
                  ENVOY__CONFIG__CORE__V3__CONFIG_SOURCE__CONFIG_SOURCE_SPECIFIER_ADS &&
              c->eds_cluster_config->eds_config->resource_api_version == ENVOY__CONFIG__CORE__V3__API_VERSION__V3,
          "cluster %s: eds_config is ads{} V3", c->name);
  REQUIRE(c->connect_timeout && (c->connect_timeout->seconds > 0 || c->connect_timeout->nanos > 0),
          "cluster %s: connect_timeout > 0", c->name);
  REQUIRE(c->lb_policy == ENVOY__CONFIG__CLUSTER__V3__CLUSTER__LB_POLICY__ROUND_ROBIN, "cluster %s: ROUND_ROBIN",
          c->name);
  REQUIRE(c->n_typed_extension_protocol_options == 1 &&
              strcmp(c->typed_extension_protocol_options[0]->key, HPO_KEY) == 0 &&
              strcmp(c->typed_extension_protocol_options[0]->value->type_url, P HPO_KEY) == 0,
          "cluster %s: typed_extension_protocol_options has the upstream HTTP options", c->name);
  Envoy__Extensions__Upstreams__Http__V3__HttpProtocolOptions *h =
      envoy__extensions__upstreams__http__v3__http_protocol_options__unpack(
          NULL, c->typed_extension_protocol_options[0]->value->value.len,
          c->typed_extension_protocol_options[0]->value->value.data);
  REQUIRE(
      h &&
          h->upstream_protocol_options_case ==
              ENVOY__EXTENSIONS__UPSTREAMS__HTTP__V3__HTTP_PROTOCOL_OPTIONS__UPSTREAM_PROTOCOL_OPTIONS_EXPLICIT_HTTP_CONFIG &&
          h->explicit_http_config->protocol_config_case ==
              ENVOY__EXTENSIONS__UPSTREAMS__HTTP__V3__HTTP_PROTOCOL_OPTIONS__EXPLICIT_HTTP_CONFIG__PROTOCOL_CONFIG_HTTP2_PROTOCOL_OPTIONS &&
          h->explicit_http_config->http2_protocol_options,
      "cluster %s: explicit HTTP/2 upstream", c->name);
  envoy__extensions__upstreams__http__v3__http_protocol_options__free_unpacked(h, NULL);
}

/* EDS: IP literals, port_value set, locality present, weights >= 1, no duplicates. Returns how many
 * endpoints. */
static size_t check_assignment(const Envoy__Config__Endpoint__V3__ClusterLoadAssignment *a, size_t i) {
  size_t total = 0;
  REQUIRE(a && a->cluster_name[0], "assignment %zu: cluster_name is non-empty", i);
  REQUIRE(unknown_fields(&a->base) == 0, "assignment %s: nothing outside the subset", a->cluster_name);
  char seen[64][32];
  size_t ns = 0;
  for (size_t l = 0; l < a->n_endpoints; l++) {
    const Envoy__Config__Endpoint__V3__LocalityLbEndpoints *le = a->endpoints[l];
    REQUIRE(le->locality != NULL, "assignment %s: locality present", a->cluster_name);
    REQUIRE(le->load_balancing_weight && le->load_balancing_weight->value >= 1,
            "assignment %s: locality weight present and >= 1", a->cluster_name);
    REQUIRE(le->priority == 0, "assignment %s: priority 0 (contiguous)", a->cluster_name);
    for (size_t k = 0; k < le->n_lb_endpoints; k++) {
      const Envoy__Config__Endpoint__V3__LbEndpoint *lb = le->lb_endpoints[k];
      REQUIRE(lb->host_identifier_case == ENVOY__CONFIG__ENDPOINT__V3__LB_ENDPOINT__HOST_IDENTIFIER_ENDPOINT &&
                  lb->endpoint && lb->endpoint->address &&
                  lb->endpoint->address->address_case == ENVOY__CONFIG__CORE__V3__ADDRESS__ADDRESS_SOCKET_ADDRESS,
              "assignment %s: endpoint has a socket address (oneofs set)", a->cluster_name);
      const Envoy__Config__Core__V3__SocketAddress *sa = lb->endpoint->address->socket_address;
      struct in_addr ia;
      REQUIRE(inet_pton(AF_INET, sa->address, &ia) == 1, "assignment %s: %s is an IP literal", a->cluster_name,
              sa->address);
      REQUIRE(sa->port_specifier_case == ENVOY__CONFIG__CORE__V3__SOCKET_ADDRESS__PORT_SPECIFIER_PORT_VALUE &&
                  sa->port_value > 0 && sa->port_value <= 65535,
              "assignment %s: port_value set (%u)", a->cluster_name, sa->port_value);
      REQUIRE(lb->health_status <= 1, "assignment %s: health UNKNOWN or HEALTHY", a->cluster_name);
      REQUIRE(!lb->load_balancing_weight || lb->load_balancing_weight->value >= 1, "endpoint weight >= 1 if present");
      char key[32];
      snprintf(key, sizeof key, "%s:%u", sa->address, sa->port_value);
      for (size_t q = 0; q < ns; q++)
        REQUIRE(strcmp(seen[q], key) != 0, "assignment %s: %s appears once", a->cluster_name, key);
      if (ns < 64) snprintf(seen[ns++], sizeof seen[0], "%s", key);
      total++;
    }
  }
  return total;
}

/* LDS, wildcard: a socket listener, address + one filter chain with one HCM, no api_listener.
 * Returns the RDS name it asks for (the caller frees it). */
static char *check_socket_listener(const Envoy__Config__Listener__V3__Listener *l, size_t i) {
  REQUIRE(l && l->name[0], "listener %zu decodes", i);
  REQUIRE(l->api_listener == NULL, "listener %s: no api_listener (Envoy would skip it)", l->name);
  REQUIRE(l->address && l->address->address_case == ENVOY__CONFIG__CORE__V3__ADDRESS__ADDRESS_SOCKET_ADDRESS &&
              l->address->socket_address->port_specifier_case ==
                  ENVOY__CONFIG__CORE__V3__SOCKET_ADDRESS__PORT_SPECIFIER_PORT_VALUE &&
              l->address->socket_address->port_value > 0,
          "listener %s: socket address with port_value (%s:%u)", l->name, l->address->socket_address->address,
          l->address->socket_address->port_value);
  REQUIRE(l->n_filter_chains == 1 && l->filter_chains[0]->n_filters == 1, "listener %s: one chain, one filter",
          l->name);
  const Envoy__Config__Listener__V3__Filter *f = l->filter_chains[0]->filters[0];
  REQUIRE(strcmp(f->name, "envoy.filters.network.http_connection_manager") == 0 &&
              f->config_type_case == ENVOY__CONFIG__LISTENER__V3__FILTER__CONFIG_TYPE_TYPED_CONFIG,
          "listener %s: the filter is the HCM, typed", l->name);
  REQUIRE(l->n_listener_filters == 0 && !l->use_original_dst, "listener %s: no listener filters, no original dst",
          l->name);
  Hcm *h = check_hcm(f->typed_config, l->name);
  char *rds = strdup(h->rds->route_config_name);
  envoy__extensions__filters__network__http_connection_manager__v3__http_connection_manager__free_unpacked(h, NULL);
  return rds;
}

/* RDS: vhost name and domains set and unique, prefix "/..." set, weights sum to 100 without
 * total_weight, clusters among the `nc` served, timeout 0s for streaming. */
static void check_route_config(const Envoy__Config__Route__V3__RouteConfiguration *rc, size_t i, const char **cnames,
                               size_t nc) {
  REQUIRE(rc && rc->name[0] && unknown_fields(&rc->base) == 0, "route configuration %zu decodes, nothing extra", i);
  REQUIRE(rc->n_virtual_hosts == 1, "%s: one virtual host (domains unique)", rc->name);
  const Envoy__Config__Route__V3__VirtualHost *vh = rc->virtual_hosts[0];
  REQUIRE(vh->name[0] && vh->n_domains == 1 && strcmp(vh->domains[0], "*") == 0, "%s: vhost named, domains [\"*\"]",
          rc->name);
  REQUIRE(vh->n_routes >= 1, "%s: at least one route", rc->name);
  for (size_t k = 0; k < vh->n_routes; k++) {
    const Envoy__Config__Route__V3__Route *r = vh->routes[k];
    REQUIRE(r->match && r->match->path_specifier_case == ENVOY__CONFIG__ROUTE__V3__ROUTE_MATCH__PATH_SPECIFIER_PREFIX &&
                r->match->prefix[0] == '/',
            "%s: route %zu matches a prefix starting with / (%s)", rc->name, k, r->match->prefix);
    REQUIRE(r->action_case == ENVOY__CONFIG__ROUTE__V3__ROUTE__ACTION_ROUTE && r->route, "%s: route action", rc->name);
    const Envoy__Config__Route__V3__RouteAction *ra = r->route;
    REQUIRE(ra->timeout && ra->timeout->seconds == 0 && ra->timeout->nanos == 0, "%s: timeout 0s", rc->name);
    if (ra->cluster_specifier_case == ENVOY__CONFIG__ROUTE__V3__ROUTE_ACTION__CLUSTER_SPECIFIER_CLUSTER) {
      REQUIRE(ra->cluster[0], "%s: cluster named", rc->name);
    } else {
      REQUIRE(ra->cluster_specifier_case == ENVOY__CONFIG__ROUTE__V3__ROUTE_ACTION__CLUSTER_SPECIFIER_WEIGHTED_CLUSTERS,
              "%s: weighted clusters", rc->name);
      REQUIRE(ra->weighted_clusters->total_weight == NULL, "%s: total_weight unset", rc->name);
      uint64_t sum = 0;
      for (size_t w = 0; w < ra->weighted_clusters->n_clusters; w++) {
        const Envoy__Config__Route__V3__WeightedCluster__ClusterWeight *cw = ra->weighted_clusters->clusters[w];
        REQUIRE(cw->name[0] && cw->weight && cw->weight->value > 0, "%s: %s weight %u present and > 0", rc->name,
                cw->name, cw->weight ? cw->weight->value : 0);
        int known = 0;
        for (size_t q = 0; q < nc; q++) known |= strcmp(cnames[q], cw->name) == 0;
        REQUIRE(known, "%s: %s is a served cluster", rc->name, cw->name);
        sum += cw->weight->value;
      }
      REQUIRE(sum == 100, "%s: weights sum to 100 (portable rule)", rc->name);
    }
  }
}

/* A gRPC client naming the listener gets the API listener: only name and api_listener (§5, §7). */
static void check_api_listener(const char *addr) {
  struct adsc *g = adsc_open(addr, ADSC_SOTW, "grpc-client", "gRPC C-core linux", 0);
  const char *server[] = {"server"};
  REQUIRE(adsc_send(g, LDS, server, 1, "", "", NULL) == 0, "named LDS sent");
  adsc_response *glds = adsc_recv(g, 5000);
  REQUIRE(glds && glds->n_resources == 1, "the gRPC client gets exactly the listener it named");
  Envoy__Config__Listener__V3__Listener *gl = envoy__config__listener__v3__listener__unpack(
      NULL, glds->resources[0]->value.len, glds->resources[0]->value.data);
  REQUIRE(gl && strcmp(gl->name, "server") == 0 && gl->api_listener && !gl->address && gl->n_filter_chains == 0 &&
              gl->n_listener_filters == 0 && !gl->use_original_dst && unknown_fields(&gl->base) == 0,
          "API listener: only name and api_listener");
  Hcm *gh = check_hcm(gl->api_listener->api_listener, "api listener");
  REQUIRE(gh->common_http_protocol_options == NULL,
          "API listener: no default timeout (no common_http_protocol_options)");
  envoy__extensions__filters__network__http_connection_manager__v3__http_connection_manager__free_unpacked(gh, NULL);
  envoy__config__listener__v3__listener__free_unpacked(gl, NULL);
  adsc_close(g);
  adsc_free_response(glds);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s ADDR\n", argv[0]);
    return 2;
  }
  grpc_init();
  struct adsc *e = adsc_open(argv[1], ADSC_SOTW, "envoy-sidecar", "envoy", 1);

  /* CDS, wildcard: every cluster. */
  REQUIRE(adsc_send(e, CDS, NULL, 0, "", "", NULL) == 0, "wildcard CDS sent");
  adsc_response *cds = adsc_recv(e, 5000);
  REQUIRE(cds && strcmp(cds->type_url, CDS) == 0 && cds->n_resources >= 2, "CDS: all clusters arrive");
  const char *cnames[16];
  size_t nc = 0;
  for (size_t i = 0; i < cds->n_resources && nc < 16; i++) {
    REQUIRE(strcmp(cds->resources[i]->type_url, CDS) == 0, "CDS resource %zu: bare Any with the exact type URL", i);
    Envoy__Config__Cluster__V3__Cluster *c =
        envoy__config__cluster__v3__cluster__unpack(NULL, cds->resources[i]->value.len, cds->resources[i]->value.data);
    check_cluster(c, i);
    cnames[nc++] = strdup(c->name);
    envoy__config__cluster__v3__cluster__free_unpacked(c, NULL);
  }
  REQUIRE(adsc_send(e, CDS, NULL, 0, cds->version_info, cds->nonce, NULL) == 0, "CDS ACKed");

  /* EDS for those clusters. */
  REQUIRE(adsc_send(e, EDS, cnames, nc, "", "", NULL) == 0, "EDS requested for every cluster");
  adsc_response *eds = adsc_recv(e, 5000);
  REQUIRE(eds && strcmp(eds->type_url, EDS) == 0 && eds->n_resources == nc, "EDS: one assignment per cluster");
  size_t total = 0;
  for (size_t i = 0; i < eds->n_resources; i++) {
    Envoy__Config__Endpoint__V3__ClusterLoadAssignment *a =
        envoy__config__endpoint__v3__cluster_load_assignment__unpack(NULL, eds->resources[i]->value.len,
                                                                     eds->resources[i]->value.data);
    total += check_assignment(a, i);
    envoy__config__endpoint__v3__cluster_load_assignment__free_unpacked(a, NULL);
  }
  REQUIRE(total >= 3, "EDS carries the resolved endpoints (%zu)", total);
  REQUIRE(adsc_send(e, EDS, cnames, nc, eds->version_info, eds->nonce, NULL) == 0, "EDS ACKed");

  /* LDS, wildcard: socket listeners only. */
  REQUIRE(adsc_send(e, LDS, NULL, 0, "", "", NULL) == 0, "wildcard LDS sent");
  adsc_response *lds = adsc_recv(e, 5000);
  REQUIRE(lds && strcmp(lds->type_url, LDS) == 0 && lds->n_resources >= 1, "LDS: socket listeners arrive");
  const char *rnames[16];
  size_t nr = 0;
  for (size_t i = 0; i < lds->n_resources && nr < 16; i++) {
    Envoy__Config__Listener__V3__Listener *l = envoy__config__listener__v3__listener__unpack(
        NULL, lds->resources[i]->value.len, lds->resources[i]->value.data);
    rnames[nr++] = check_socket_listener(l, i);
    envoy__config__listener__v3__listener__free_unpacked(l, NULL);
  }
  REQUIRE(adsc_send(e, LDS, NULL, 0, lds->version_info, lds->nonce, NULL) == 0, "LDS ACKed");

  /* RDS for the listeners' route configurations. */
  REQUIRE(adsc_send(e, RDS, rnames, nr, "", "", NULL) == 0, "RDS requested");
  adsc_response *rds = adsc_recv(e, 5000);
  REQUIRE(rds && strcmp(rds->type_url, RDS) == 0 && rds->n_resources == nr, "RDS: every route configuration arrives");
  for (size_t i = 0; i < rds->n_resources; i++) {
    Envoy__Config__Route__V3__RouteConfiguration *rc = envoy__config__route__v3__route_configuration__unpack(
        NULL, rds->resources[i]->value.len, rds->resources[i]->value.data);
    check_route_config(rc, i, cnames, nc);
    envoy__config__route__v3__route_configuration__free_unpacked(rc, NULL);
  }
  REQUIRE(adsc_send(e, RDS, rnames, nr, rds->version_info, rds->nonce, NULL) == 0, "RDS ACKed");
  adsc_response *extra = adsc_recv(e, 600);
  REQUIRE(extra == NULL, "nothing more after the ACKs");
  adsc_close(e);

  check_api_listener(argv[1]);

  adsc_free_response(cds);
  adsc_free_response(eds);
  adsc_free_response(lds);
  adsc_free_response(rds);
  for (size_t i = 0; i < nc; i++) free((char *)cnames[i]);
  for (size_t i = 0; i < nr; i++) free((char *)rnames[i]);
  grpc_shutdown();
  printf("all resource checks passed\n");
  return 0;
}
