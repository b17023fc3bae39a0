#include "snapshot.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "clock.h"
#include "envoy/config/cluster/v3/cluster.pb-c.h"
#include "envoy/config/endpoint/v3/endpoint.pb-c.h"
#include "envoy/config/listener/v3/listener.pb-c.h"
#include "envoy/config/route/v3/route.pb-c.h"
#include "envoy/extensions/filters/http/fault/v3/fault.pb-c.h"
#include "envoy/extensions/filters/http/router/v3/router.pb-c.h"
#include "envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.pb-c.h"
#include "envoy/extensions/upstreams/http/v3/http_protocol_options.pb-c.h"

#define TYPE_PREFIX "type.googleapis.com/"
#define HCM_URL TYPE_PREFIX "envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager"
#define ROUTER_URL TYPE_PREFIX "envoy.extensions.filters.http.router.v3.Router"
#define FAULT_URL TYPE_PREFIX "envoy.extensions.filters.http.fault.v3.HTTPFault"
#define FAULT_FILTER "envoy.filters.http.fault"
#define UPSTREAM_HTTP_KEY "envoy.extensions.upstreams.http.v3.HttpProtocolOptions"
#define UPSTREAM_HTTP_URL TYPE_PREFIX UPSTREAM_HTTP_KEY

static const char *const type_urls[XDS_NTYPES] = {
    [XDS_CDS] = TYPE_PREFIX "envoy.config.cluster.v3.Cluster",
    [XDS_EDS] = TYPE_PREFIX "envoy.config.endpoint.v3.ClusterLoadAssignment",
    [XDS_LDS] = TYPE_PREFIX "envoy.config.listener.v3.Listener",
    [XDS_RDS] = TYPE_PREFIX "envoy.config.route.v3.RouteConfiguration",
};
static const char *const type_names[XDS_NTYPES] = {"cds", "eds", "lds", "rds"};

const char *snapshot_type_url(enum xds_type type) { return (unsigned)type < XDS_NTYPES ? type_urls[type] : NULL; }

const char *snapshot_type_name(enum xds_type type) { return (unsigned)type < XDS_NTYPES ? type_names[type] : "?"; }

int snapshot_type_of_url(const char *url) {
  for (int t = 0; t < XDS_NTYPES; t++)
    if (strcmp(url, type_urls[t]) == 0) return t;
  return -1;
}

uint64_t snapshot_hash(uint64_t h, const void *data, size_t len) {
  const uint8_t *p = data;
  for (size_t i = 0; i < len; i++) {
    h ^= p[i];
    h *= 1099511628211ULL;
  }
  return h;
}

/* A table under construction: resources appended, then sorted and hashed by table_finish. */
static int table_add(struct snapshot_table *t, const char *name, const ProtobufCMessage *msg) {
  struct snapshot_resource *n = realloc(t->res, (t->n + 1) * sizeof *n);
  if (!n) return -1;
  t->res = n;
  struct snapshot_resource *r = &t->res[t->n];
  memset(r, 0, sizeof *r);
  r->name = strdup(name);
  r->len = protobuf_c_message_get_packed_size(msg);
  r->data = malloc(r->len ? r->len : 1);
  if (!r->name || !r->data) {
    free(r->name);
    free(r->data);
    return -1;
  }
  protobuf_c_message_pack(msg, r->data);
  r->hash = snapshot_hash(snapshot_hash(SNAPSHOT_HASH_INIT, name, strlen(name) + 1), r->data, r->len);
  t->n++;
  return 0;
}

static int res_cmp(const void *a, const void *b) {
  return strcmp(((const struct snapshot_resource *)a)->name, ((const struct snapshot_resource *)b)->name);
}

static void table_finish(struct snapshot_table *t) {
  if (t->n) qsort(t->res, t->n, sizeof *t->res, res_cmp);
  t->hash = SNAPSHOT_HASH_INIT;
  for (size_t i = 0; i < t->n; i++) t->hash = snapshot_hash(t->hash, &t->res[i].hash, sizeof t->res[i].hash);
}

const struct snapshot_resource *snapshot_find(const struct snapshot_table *t, const char *name) {
  size_t lo = 0, hi = t->n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int c = strcmp(name, t->res[mid].name);
    if (c == 0) return &t->res[mid];
    if (c < 0)
      hi = mid;
    else
      lo = mid + 1;
  }
  return NULL;
}

/* Packs a message into a new buffer for an Any's value. Returns 0 or -1. */
static int pack_any(const ProtobufCMessage *msg, const char *url, Google__Protobuf__Any *any) {
  size_t len = protobuf_c_message_get_packed_size(msg);
  uint8_t *buf = malloc(len ? len : 1);
  if (!buf) return -1;
  protobuf_c_message_pack(msg, buf);
  google__protobuf__any__init(any);
  any->type_url = (char *)url;
  any->value.data = buf;
  any->value.len = len;
  return 0;
}

/* A ConfigSource saying "over ADS, v3 resources" (RDS in the HCM, EDS in a Cluster), with the empty
 * message it points at; owned by the caller. */
struct ads_source {
  Envoy__Config__Core__V3__AggregatedConfigSource ads;
  Envoy__Config__Core__V3__ConfigSource cs;
};

static Envoy__Config__Core__V3__ConfigSource *ads_config_source(struct ads_source *src) {
  envoy__config__core__v3__aggregated_config_source__init(&src->ads);
  envoy__config__core__v3__config_source__init(&src->cs);
  src->cs.config_source_specifier_case = ENVOY__CONFIG__CORE__V3__CONFIG_SOURCE__CONFIG_SOURCE_SPECIFIER_ADS;
  src->cs.ads = &src->ads;
  src->cs.resource_api_version = ENVOY__CONFIG__CORE__V3__API_VERSION__V3;
  return &src->cs;
}

/* An HTTP filter `name` with `msg` as its typed config (type `url`). NULL when memory runs out. */
static Envoy__Extensions__Filters__Network__HttpConnectionManager__V3__HttpFilter *typed_filter(
    struct arena *a, const char *name, const ProtobufCMessage *msg, const char *url) {
  struct {
    Envoy__Extensions__Filters__Network__HttpConnectionManager__V3__HttpFilter f;
    Google__Protobuf__Any any;
  } *x = arena_alloc(a, 1, sizeof *x);
  size_t len = protobuf_c_message_get_packed_size(msg);
  uint8_t *buf = arena_alloc(a, len ? len : 1, 1);
  if (!x || !buf) return NULL;
  protobuf_c_message_pack(msg, buf);
  google__protobuf__any__init(&x->any);
  x->any.type_url = (char *)url;
  x->any.value.data = buf;
  x->any.value.len = len;
  envoy__extensions__filters__network__http_connection_manager__v3__http_filter__init(&x->f);
  x->f.name = (char *)name;
  x->f.config_type_case =
      ENVOY__EXTENSIONS__FILTERS__NETWORK__HTTP_CONNECTION_MANAGER__V3__HTTP_FILTER__CONFIG_TYPE_TYPED_CONFIG;
  x->f.typed_config = &x->any;
  return &x->f;
}

/* The HttpConnectionManager shared by API and socket listeners: RDS over ADS naming the route
 * configuration `route_name`; the filters are the router (typed, empty), after the fault filter (typed,
 * empty: the routes carry its settings) when `with_fault`. */
static int build_hcm(const char *name, const char *route_name, int with_fault, Google__Protobuf__Any *out) {
  struct arena a = {0};
  int rc = -1;
  Envoy__Extensions__Filters__Http__Router__V3__Router router =
      ENVOY__EXTENSIONS__FILTERS__HTTP__ROUTER__V3__ROUTER__INIT;
  Envoy__Extensions__Filters__Http__Fault__V3__HTTPFault fault =
      ENVOY__EXTENSIONS__FILTERS__HTTP__FAULT__V3__HTTPFAULT__INIT;
  Envoy__Extensions__Filters__Network__HttpConnectionManager__V3__HttpFilter *filters[2];
  size_t nf = 0;
  if (with_fault && !(filters[nf++] = typed_filter(&a, FAULT_FILTER, &fault.base, FAULT_URL))) goto out;
  if (!(filters[nf++] = typed_filter(&a, "envoy.filters.http.router", &router.base, ROUTER_URL))) goto out;
  struct ads_source src;
  Envoy__Extensions__Filters__Network__HttpConnectionManager__V3__Rds rds =
      ENVOY__EXTENSIONS__FILTERS__NETWORK__HTTP_CONNECTION_MANAGER__V3__RDS__INIT;
  rds.config_source = ads_config_source(&src);
  rds.route_config_name = (char *)route_name;
  Envoy__Extensions__Filters__Network__HttpConnectionManager__V3__HttpConnectionManager hcm =
      ENVOY__EXTENSIONS__FILTERS__NETWORK__HTTP_CONNECTION_MANAGER__V3__HTTP_CONNECTION_MANAGER__INIT;
  hcm.codec_type =
      ENVOY__EXTENSIONS__FILTERS__NETWORK__HTTP_CONNECTION_MANAGER__V3__HTTP_CONNECTION_MANAGER__CODEC_TYPE__AUTO;
  hcm.stat_prefix = (char *)name;
  hcm.route_specifier_case =
      ENVOY__EXTENSIONS__FILTERS__NETWORK__HTTP_CONNECTION_MANAGER__V3__HTTP_CONNECTION_MANAGER__ROUTE_SPECIFIER_RDS;
  hcm.rds = &rds;
  hcm.n_http_filters = nf;
  hcm.http_filters = filters;
  rc = pack_any(&hcm.base, HCM_URL, out);
out:
  arena_free(&a);
  return rc;
}

/* Whether any route of the listener injects faults (then its HCM carries the fault filter). */
static int has_faults(const struct config_listener *l) {
  for (size_t i = 0; i < l->n_routes; i++)
    if (l->routes[i].fault.delay_ms || l->routes[i].fault.abort_code) return 1;
  return 0;
}

static int add_listeners(struct snapshot *s, const struct config_listener *l) {
  Google__Protobuf__Any hcm;
  if (build_hcm(l->name, l->name, has_faults(l), &hcm)) return -1;
  int rc = 0;
  /* The gRPC client's listener: only name and api_listener (grpc-js validates anything else). */
  Envoy__Config__Listener__V3__ApiListener api = ENVOY__CONFIG__LISTENER__V3__API_LISTENER__INIT;
  api.api_listener = &hcm;
  Envoy__Config__Listener__V3__Listener lis = ENVOY__CONFIG__LISTENER__V3__LISTENER__INIT;
  lis.name = l->name;
  lis.api_listener = &api;
  rc = table_add(&s->tables[SNAP_LDS_API], l->name, &lis.base);
  /* Envoy's listener: a socket address and one filter chain holding the HCM. */
  if (rc == 0 && l->port) {
    Envoy__Config__Core__V3__SocketAddress sa = ENVOY__CONFIG__CORE__V3__SOCKET_ADDRESS__INIT;
    sa.address = l->address;
    sa.port_specifier_case = ENVOY__CONFIG__CORE__V3__SOCKET_ADDRESS__PORT_SPECIFIER_PORT_VALUE;
    sa.port_value = l->port;
    Envoy__Config__Core__V3__Address addr = ENVOY__CONFIG__CORE__V3__ADDRESS__INIT;
    addr.address_case = ENVOY__CONFIG__CORE__V3__ADDRESS__ADDRESS_SOCKET_ADDRESS;
    addr.socket_address = &sa;
    Envoy__Config__Listener__V3__Filter f = ENVOY__CONFIG__LISTENER__V3__FILTER__INIT;
    f.name = "envoy.filters.network.http_connection_manager";
    f.config_type_case = ENVOY__CONFIG__LISTENER__V3__FILTER__CONFIG_TYPE_TYPED_CONFIG;
    f.typed_config = &hcm;
    Envoy__Config__Listener__V3__Filter *fs[1] = {&f};
    Envoy__Config__Listener__V3__FilterChain fc = ENVOY__CONFIG__LISTENER__V3__FILTER_CHAIN__INIT;
    fc.n_filters = 1;
    fc.filters = fs;
    Envoy__Config__Listener__V3__FilterChain *fcs[1] = {&fc};
    Envoy__Config__Listener__V3__Listener sl = ENVOY__CONFIG__LISTENER__V3__LISTENER__INIT;
    sl.name = l->name;
    sl.address = &addr;
    sl.n_filter_chains = 1;
    sl.filter_chains = fcs;
    rc = table_add(&s->tables[SNAP_LDS_SOCKET], l->name, &sl.base);
  }
  free(hcm.value.data);
  return rc;
}

static Envoy__Config__Route__V3__RegexMatcher *regex_matcher(struct arena *a, const char *re) {
  Envoy__Config__Route__V3__RegexMatcher *m = ARENA_NEW(a, Envoy__Config__Route__V3__RegexMatcher, 1);
  if (!m) return NULL;
  envoy__config__route__v3__regex_matcher__init(m);
  m->regex = (char *)re;
  return m;
}

/* A route's match: its prefix, path or regex, case sensitivity and header matchers. NULL when memory
 * runs out. */
static Envoy__Config__Route__V3__RouteMatch *build_match(struct arena *a, const struct config_route *cr) {
  struct {
    Envoy__Config__Route__V3__RouteMatch m;
    Google__Protobuf__BoolValue cs;
  } *x = arena_alloc(a, 1, sizeof *x);
  struct {
    Envoy__Config__Route__V3__HeaderMatcher hm;
    Envoy__Config__Route__V3__Int64Range range;
  } *hs = arena_alloc(a, cr->n_headers, sizeof *hs);
  Envoy__Config__Route__V3__HeaderMatcher **hp = ARENA_NEW(a, Envoy__Config__Route__V3__HeaderMatcher *, cr->n_headers);
  if (!x || !hs || !hp) return NULL;
  Envoy__Config__Route__V3__RouteMatch *m = &x->m;
  envoy__config__route__v3__route_match__init(m);
  if (cr->regex) {
    if (!(m->safe_regex = regex_matcher(a, cr->regex))) return NULL;
    m->path_specifier_case = ENVOY__CONFIG__ROUTE__V3__ROUTE_MATCH__PATH_SPECIFIER_SAFE_REGEX;
  } else if (cr->path) {
    m->path_specifier_case = ENVOY__CONFIG__ROUTE__V3__ROUTE_MATCH__PATH_SPECIFIER_PATH;
    m->path = cr->path;
  } else {
    m->path_specifier_case = ENVOY__CONFIG__ROUTE__V3__ROUTE_MATCH__PATH_SPECIFIER_PREFIX;
    m->prefix = cr->prefix; /* never protobuf_c_empty_string: it starts with "/" */
  }
  if (cr->case_sensitive >= 0) {
    google__protobuf__bool_value__init(&x->cs);
    x->cs.value = cr->case_sensitive;
    m->case_sensitive = &x->cs;
  }
  for (size_t j = 0; j < cr->n_headers; j++) {
    const struct config_header *ch = &cr->headers[j];
    Envoy__Config__Route__V3__HeaderMatcher *h = &hs[j].hm;
    envoy__config__route__v3__header_matcher__init(h);
    h->name = ch->name;
    h->invert_match = ch->invert;
    switch (ch->kind) {
      case HDR_EXACT:
        h->header_match_specifier_case = ENVOY__CONFIG__ROUTE__V3__HEADER_MATCHER__HEADER_MATCH_SPECIFIER_EXACT_MATCH;
        h->exact_match = ch->value;
        break;
      case HDR_PREFIX:
        h->header_match_specifier_case = ENVOY__CONFIG__ROUTE__V3__HEADER_MATCHER__HEADER_MATCH_SPECIFIER_PREFIX_MATCH;
        h->prefix_match = ch->value;
        break;
      case HDR_SUFFIX:
        h->header_match_specifier_case = ENVOY__CONFIG__ROUTE__V3__HEADER_MATCHER__HEADER_MATCH_SPECIFIER_SUFFIX_MATCH;
        h->suffix_match = ch->value;
        break;
      case HDR_PRESENT:
        h->header_match_specifier_case = ENVOY__CONFIG__ROUTE__V3__HEADER_MATCHER__HEADER_MATCH_SPECIFIER_PRESENT_MATCH;
        h->present_match = 1;
        break;
      case HDR_REGEX:
        if (!(h->safe_regex_match = regex_matcher(a, ch->value))) return NULL;
        h->header_match_specifier_case =
            ENVOY__CONFIG__ROUTE__V3__HEADER_MATCHER__HEADER_MATCH_SPECIFIER_SAFE_REGEX_MATCH;
        break;
      case HDR_RANGE:
        envoy__config__route__v3__int64_range__init(&hs[j].range);
        hs[j].range.start = ch->lo;
        hs[j].range.end = ch->hi;
        h->header_match_specifier_case = ENVOY__CONFIG__ROUTE__V3__HEADER_MATCHER__HEADER_MATCH_SPECIFIER_RANGE_MATCH;
        h->range_match = &hs[j].range;
        break;
    }
    hp[j] = h;
  }
  m->n_headers = cr->n_headers;
  m->headers = cr->n_headers ? hp : NULL;
  return m;
}

/* Where a route sends its calls: one cluster, or several by weight. Weight-0 entries are left out;
 * the rest sum to 100 and total_weight stays unset (the portable rule). Returns 0 or -1. */
static int set_clusters(struct arena *a, const struct config_route *cr, Envoy__Config__Route__V3__RouteAction *act) {
  size_t nonzero = 0, last = 0;
  for (size_t j = 0; j < cr->n_clusters; j++)
    if (cr->clusters[j].weight) nonzero++, last = j;
  if (nonzero == 1) {
    act->cluster_specifier_case = ENVOY__CONFIG__ROUTE__V3__ROUTE_ACTION__CLUSTER_SPECIFIER_CLUSTER;
    act->cluster = cr->clusters[last].name;
    return 0;
  }
  Envoy__Config__Route__V3__WeightedCluster *wc = ARENA_NEW(a, Envoy__Config__Route__V3__WeightedCluster, 1);
  struct {
    Envoy__Config__Route__V3__WeightedCluster__ClusterWeight cw;
    Google__Protobuf__UInt32Value weight;
  } *ws = arena_alloc(a, nonzero, sizeof *ws);
  Envoy__Config__Route__V3__WeightedCluster__ClusterWeight **wp =
      ARENA_NEW(a, Envoy__Config__Route__V3__WeightedCluster__ClusterWeight *, nonzero);
  if (!wc || !ws || !wp) return -1;
  envoy__config__route__v3__weighted_cluster__init(wc);
  wc->clusters = wp;
  for (size_t j = 0; j < cr->n_clusters; j++) {
    if (!cr->clusters[j].weight) continue;
    size_t k = wc->n_clusters++;
    envoy__config__route__v3__weighted_cluster__cluster_weight__init(&ws[k].cw);
    google__protobuf__uint32_value__init(&ws[k].weight);
    ws[k].weight.value = cr->clusters[j].weight;
    ws[k].cw.name = cr->clusters[j].name;
    ws[k].cw.weight = &ws[k].weight;
    wp[k] = &ws[k].cw;
  }
  act->cluster_specifier_case = ENVOY__CONFIG__ROUTE__V3__ROUTE_ACTION__CLUSTER_SPECIFIER_WEIGHTED_CLUSTERS;
  act->weighted_clusters = wc;
  return 0;
}

static Google__Protobuf__Duration *duration_ms(struct arena *a, int64_t ms) {
  Google__Protobuf__Duration *d = ARENA_NEW(a, Google__Protobuf__Duration, 1);
  if (!d) return NULL;
  google__protobuf__duration__init(d);
  d->seconds = ms / 1000;
  d->nanos = (int32_t)(ms % 1000) * 1000000;
  return d;
}

/* gRFC A44: retry_on as gRPC's status names, num_retries = attempts - 1, the backoff. */
static Envoy__Config__Route__V3__RetryPolicy *build_retry(struct arena *a, const struct config_retry *rt) {
  static const char *const codes[] = {"cancelled", "deadline-exceeded", "internal", "resource-exhausted",
                                      "unavailable"};
  struct {
    Envoy__Config__Route__V3__RetryPolicy rp;
    Envoy__Config__Route__V3__RetryPolicy__RetryBackOff bo;
    Google__Protobuf__UInt32Value n;
    char on[128];
  } *x = arena_alloc(a, 1, sizeof *x);
  if (!x) return NULL;
  envoy__config__route__v3__retry_policy__init(&x->rp);
  for (unsigned k = 0, len = 0; k < 5; k++)
    if (rt->on & (1u << k))
      len += (unsigned)snprintf(x->on + len, sizeof x->on - len, "%s%s", len ? "," : "", codes[k]);
  x->rp.retry_on = x->on;
  google__protobuf__uint32_value__init(&x->n);
  x->n.value = rt->attempts - 1;
  x->rp.num_retries = &x->n;
  envoy__config__route__v3__retry_policy__retry_back_off__init(&x->bo);
  if (!(x->bo.base_interval = duration_ms(a, rt->base_ms)) || !(x->bo.max_interval = duration_ms(a, rt->max_ms)))
    return NULL;
  x->rp.retry_back_off = &x->bo;
  return &x->rp;
}

/* A route's action: its clusters and, when set, its timeout, retry policy and hash policy. */
static Envoy__Config__Route__V3__RouteAction *build_action(struct arena *a, const struct config_route *cr) {
  Envoy__Config__Route__V3__RouteAction *act = ARENA_NEW(a, Envoy__Config__Route__V3__RouteAction, 1);
  Google__Protobuf__Duration *zero = duration_ms(a, 0); /* Envoy's 15 s default would cut streams */
  if (!act || !zero) return NULL;
  envoy__config__route__v3__route_action__init(act);
  act->timeout = zero;
  if (cr->timeout_ms) { /* gRPC clients cap the RPC deadline by it; Envoy ends the stream after it */
    Envoy__Config__Route__V3__MaxStreamDuration *msd = ARENA_NEW(a, Envoy__Config__Route__V3__MaxStreamDuration, 1);
    if (!msd) return NULL;
    envoy__config__route__v3__max_stream_duration__init(msd);
    if (!(msd->max_stream_duration = duration_ms(a, cr->timeout_ms))) return NULL;
    act->max_stream_duration = msd;
  }
  if (cr->retry.on && !(act->retry_policy = build_retry(a, &cr->retry))) return NULL;
  if (cr->hash_header) {
    Envoy__Config__Route__V3__RouteAction__HashPolicy **hp =
        ARENA_NEW(a, Envoy__Config__Route__V3__RouteAction__HashPolicy *, 1);
    struct {
      Envoy__Config__Route__V3__RouteAction__HashPolicy hp;
      Envoy__Config__Route__V3__RouteAction__HashPolicy__Header h;
    } *x = arena_alloc(a, 1, sizeof *x);
    if (!hp || !x) return NULL;
    envoy__config__route__v3__route_action__hash_policy__init(&x->hp);
    envoy__config__route__v3__route_action__hash_policy__header__init(&x->h);
    x->h.header_name = cr->hash_header;
    x->hp.policy_specifier_case = ENVOY__CONFIG__ROUTE__V3__ROUTE_ACTION__HASH_POLICY__POLICY_SPECIFIER_HEADER;
    x->hp.header = &x->h;
    hp[0] = &x->hp;
    act->n_hash_policy = 1;
    act->hash_policy = hp;
  }
  return set_clusters(a, cr, act) == 0 ? act : NULL;
}

/* The fault filter's per-route config: Any(HTTPFault) with the delay and the abort (a gRPC status),
 * each for a percentage of the calls. 0 or -1 (memory). */
static int route_fault(struct arena *a, const struct config_fault *f, Envoy__Config__Route__V3__Route *r) {
  struct {
    Envoy__Extensions__Filters__Http__Fault__V3__HTTPFault hf;
    Envoy__Extensions__Filters__Http__Fault__V3__FaultDelay delay;
    Envoy__Extensions__Filters__Http__Fault__V3__FaultAbort abort;
    Envoy__Extensions__Filters__Http__Fault__V3__FractionalPercent delay_pct, abort_pct;
    Envoy__Config__Route__V3__Route__TypedPerFilterConfigEntry entry;
    Envoy__Config__Route__V3__Route__TypedPerFilterConfigEntry *entries[1];
    Google__Protobuf__Any any;
  } *x = arena_alloc(a, 1, sizeof *x);
  if (!x) return -1;
  envoy__extensions__filters__http__fault__v3__httpfault__init(&x->hf);
  if (f->delay_ms) {
    envoy__extensions__filters__http__fault__v3__fault_delay__init(&x->delay);
    envoy__extensions__filters__http__fault__v3__fractional_percent__init(&x->delay_pct);
    x->delay_pct.numerator = f->delay_percent;
    x->delay.percentage = &x->delay_pct;
    x->delay.fault_delay_specifier_case =
        ENVOY__EXTENSIONS__FILTERS__HTTP__FAULT__V3__FAULT_DELAY__FAULT_DELAY_SPECIFIER_FIXED_DELAY;
    if (!(x->delay.fixed_delay = duration_ms(a, f->delay_ms))) return -1;
    x->hf.delay = &x->delay;
  }
  if (f->abort_code) {
    envoy__extensions__filters__http__fault__v3__fault_abort__init(&x->abort);
    envoy__extensions__filters__http__fault__v3__fractional_percent__init(&x->abort_pct);
    x->abort_pct.numerator = f->abort_percent;
    x->abort.percentage = &x->abort_pct;
    x->abort.error_type_case = ENVOY__EXTENSIONS__FILTERS__HTTP__FAULT__V3__FAULT_ABORT__ERROR_TYPE_GRPC_STATUS;
    x->abort.grpc_status = f->abort_code;
    x->hf.abort = &x->abort;
  }
  size_t len = protobuf_c_message_get_packed_size(&x->hf.base);
  uint8_t *buf = arena_alloc(a, len ? len : 1, 1);
  if (!buf) return -1;
  protobuf_c_message_pack(&x->hf.base, buf);
  google__protobuf__any__init(&x->any);
  x->any.type_url = FAULT_URL;
  x->any.value.data = buf;
  x->any.value.len = len;
  envoy__config__route__v3__route__typed_per_filter_config_entry__init(&x->entry);
  x->entry.key = FAULT_FILTER;
  x->entry.value = &x->any;
  x->entries[0] = &x->entry;
  r->n_typed_per_filter_config = 1;
  r->typed_per_filter_config = x->entries;
  return 0;
}

/* One RouteConfiguration per listener, named after it: one VirtualHost "*" with the routes in order. */
static int add_routes(struct snapshot *s, const struct config_listener *l) {
  struct arena a = {0};
  int rc = -1;
  Envoy__Config__Route__V3__Route *routes = ARENA_NEW(&a, Envoy__Config__Route__V3__Route, l->n_routes);
  Envoy__Config__Route__V3__Route **rp = ARENA_NEW(&a, Envoy__Config__Route__V3__Route *, l->n_routes);
  if (!routes || !rp) goto out;
  for (size_t i = 0; i < l->n_routes; i++) {
    const struct config_route *cr = &l->routes[i];
    envoy__config__route__v3__route__init(&routes[i]);
    routes[i].name = cr->name;
    routes[i].action_case = ENVOY__CONFIG__ROUTE__V3__ROUTE__ACTION_ROUTE;
    if (!(routes[i].match = build_match(&a, cr)) || !(routes[i].route = build_action(&a, cr))) goto out;
    if ((cr->fault.delay_ms || cr->fault.abort_code) && route_fault(&a, &cr->fault, &routes[i])) goto out;
    rp[i] = &routes[i];
  }
  char *domains[1] = {"*"};
  Envoy__Config__Route__V3__VirtualHost vh = ENVOY__CONFIG__ROUTE__V3__VIRTUAL_HOST__INIT;
  vh.name = l->name;
  vh.n_domains = 1;
  vh.domains = domains;
  vh.n_routes = l->n_routes;
  vh.routes = rp;
  Envoy__Config__Route__V3__VirtualHost *vhs[1] = {&vh};
  Envoy__Config__Route__V3__RouteConfiguration rc_msg = ENVOY__CONFIG__ROUTE__V3__ROUTE_CONFIGURATION__INIT;
  rc_msg.name = l->name;
  rc_msg.n_virtual_hosts = 1;
  rc_msg.virtual_hosts = vhs;
  rc = table_add(&s->tables[SNAP_RDS], l->name, &rc_msg.base);
out:
  arena_free(&a);
  return rc;
}

static Google__Protobuf__UInt32Value *u32(struct arena *a, uint32_t v) {
  Google__Protobuf__UInt32Value *x = ARENA_NEW(a, Google__Protobuf__UInt32Value, 1);
  if (!x) return NULL;
  google__protobuf__uint32_value__init(x);
  x->value = v;
  return x;
}

/* gRFC A50: gRPC runs the success-rate algorithm when enforcing_success_rate is not 0 (Envoy's
 * default is 100) and the failure-percentage one when enforcing_failure_percentage is not 0 (default
 * 0): both are always written, so that what is served is what the config says. The consecutive-5xx
 * ones, which only Envoy runs, are turned off (enforcing 0). */
static Envoy__Config__Cluster__V3__OutlierDetection *build_outlier(struct arena *a, const struct config_outlier *o) {
  Envoy__Config__Cluster__V3__OutlierDetection *x = ARENA_NEW(a, Envoy__Config__Cluster__V3__OutlierDetection, 1);
  if (!x) return NULL;
  envoy__config__cluster__v3__outlier_detection__init(x);
  x->interval = duration_ms(a, o->interval_ms);
  x->base_ejection_time = duration_ms(a, o->base_ejection_ms);
  x->max_ejection_time = duration_ms(a, o->max_ejection_ms);
  x->max_ejection_percent = u32(a, o->max_ejection_percent);
  x->enforcing_consecutive_5xx = u32(a, 0);
  x->enforcing_success_rate = u32(a, o->success_rate ? o->sr_enforcement : 0);
  x->enforcing_failure_percentage = u32(a, o->failure_percentage ? o->fp_enforcement : 0);
  if (!x->interval || !x->base_ejection_time || !x->max_ejection_time || !x->max_ejection_percent ||
      !x->enforcing_consecutive_5xx || !x->enforcing_success_rate || !x->enforcing_failure_percentage)
    return NULL;
  if (o->success_rate && (!(x->success_rate_stdev_factor = u32(a, o->sr_stdev_factor)) ||
                          !(x->success_rate_minimum_hosts = u32(a, o->sr_minimum_hosts)) ||
                          !(x->success_rate_request_volume = u32(a, o->sr_request_volume))))
    return NULL;
  if (o->failure_percentage && (!(x->failure_percentage_threshold = u32(a, o->fp_threshold)) ||
                                !(x->failure_percentage_minimum_hosts = u32(a, o->fp_minimum_hosts)) ||
                                !(x->failure_percentage_request_volume = u32(a, o->fp_request_volume))))
    return NULL;
  return x;
}

/* An EDS cluster over ADS, round robin or ring hash, HTTP/2 upstream (for Envoy; gRPC ignores the
 * options), circuit breaking and outlier detection when configured. */
static int add_cluster(struct snapshot *s, const struct config_cluster *c) {
  Envoy__Config__Core__V3__Http2ProtocolOptions h2 = ENVOY__CONFIG__CORE__V3__HTTP2_PROTOCOL_OPTIONS__INIT;
  Envoy__Extensions__Upstreams__Http__V3__HttpProtocolOptions__ExplicitHttpConfig ex =
      ENVOY__EXTENSIONS__UPSTREAMS__HTTP__V3__HTTP_PROTOCOL_OPTIONS__EXPLICIT_HTTP_CONFIG__INIT;
  ex.protocol_config_case =
      ENVOY__EXTENSIONS__UPSTREAMS__HTTP__V3__HTTP_PROTOCOL_OPTIONS__EXPLICIT_HTTP_CONFIG__PROTOCOL_CONFIG_HTTP2_PROTOCOL_OPTIONS;
  ex.http2_protocol_options = &h2;
  Envoy__Extensions__Upstreams__Http__V3__HttpProtocolOptions hpo =
      ENVOY__EXTENSIONS__UPSTREAMS__HTTP__V3__HTTP_PROTOCOL_OPTIONS__INIT;
  hpo.upstream_protocol_options_case =
      ENVOY__EXTENSIONS__UPSTREAMS__HTTP__V3__HTTP_PROTOCOL_OPTIONS__UPSTREAM_PROTOCOL_OPTIONS_EXPLICIT_HTTP_CONFIG;
  hpo.explicit_http_config = &ex;
  Google__Protobuf__Any hpo_any;
  if (pack_any(&hpo.base, UPSTREAM_HTTP_URL, &hpo_any)) return -1;
  Envoy__Config__Cluster__V3__Cluster__TypedExtensionProtocolOptionsEntry entry =
      ENVOY__CONFIG__CLUSTER__V3__CLUSTER__TYPED_EXTENSION_PROTOCOL_OPTIONS_ENTRY__INIT;
  entry.key = UPSTREAM_HTTP_KEY;
  entry.value = &hpo_any;
  Envoy__Config__Cluster__V3__Cluster__TypedExtensionProtocolOptionsEntry *entries[1] = {&entry};
  struct ads_source src;
  Envoy__Config__Cluster__V3__Cluster__EdsClusterConfig eds =
      ENVOY__CONFIG__CLUSTER__V3__CLUSTER__EDS_CLUSTER_CONFIG__INIT;
  eds.eds_config = ads_config_source(&src);
  Google__Protobuf__Duration ct = GOOGLE__PROTOBUF__DURATION__INIT;
  ct.seconds = 1;
  Envoy__Config__Cluster__V3__Cluster cl = ENVOY__CONFIG__CLUSTER__V3__CLUSTER__INIT;
  cl.name = c->name;
  cl.cluster_discovery_type_case = ENVOY__CONFIG__CLUSTER__V3__CLUSTER__CLUSTER_DISCOVERY_TYPE_TYPE;
  cl.type = ENVOY__CONFIG__CLUSTER__V3__CLUSTER__DISCOVERY_TYPE__EDS;
  cl.eds_cluster_config = &eds;
  cl.connect_timeout = &ct;
  cl.lb_policy = ENVOY__CONFIG__CLUSTER__V3__CLUSTER__LB_POLICY__ROUND_ROBIN;
  cl.n_typed_extension_protocol_options = 1;
  cl.typed_extension_protocol_options = entries;
  /* Circuit breaking: the DEFAULT priority's max_requests, which gRPC clients (gRFC A32) and Envoy
   * both apply to the calls in flight to the cluster. */
  Google__Protobuf__UInt32Value maxr = GOOGLE__PROTOBUF__UINT32_VALUE__INIT;
  Envoy__Config__Cluster__V3__CircuitBreakers__Thresholds th =
      ENVOY__CONFIG__CLUSTER__V3__CIRCUIT_BREAKERS__THRESHOLDS__INIT;
  Envoy__Config__Cluster__V3__CircuitBreakers__Thresholds *ths[1] = {&th};
  Envoy__Config__Cluster__V3__CircuitBreakers cb = ENVOY__CONFIG__CLUSTER__V3__CIRCUIT_BREAKERS__INIT;
  if (c->max_requests) {
    maxr.value = c->max_requests;
    th.max_requests = &maxr;
    cb.n_thresholds = 1;
    cb.thresholds = ths;
    cl.circuit_breakers = &cb;
  }
  struct arena a = {0};
  int rc = -1;
  /* Ring hash with gRPC's and Envoy's defaults (XX_HASH, rings of 1024 up to the client's cap). */
  if (c->ring_hash) cl.lb_policy = ENVOY__CONFIG__CLUSTER__V3__CLUSTER__LB_POLICY__RING_HASH;
  if (c->outlier.set && !(cl.outlier_detection = build_outlier(&a, &c->outlier))) goto out;
  rc = table_add(&s->tables[SNAP_CDS], c->name, &cl.base);
out:
  arena_free(&a);
  free(hpo_any.value.data);
  return rc;
}

struct ipport {
  uint32_t ip; /* host order, for sorting */
  uint32_t port;
  int draining;                       /* a Kubernetes endpoint that is terminating but still serving */
  const char *zone;                   /* its locality's zone ("" for the default one), borrowed from the config */
  uint32_t priority, locality_weight; /* its locality's (config.h) */
};

static int ipport_cmp(const void *a, const void *b) {
  const struct ipport *x = a, *y = b;
  if (x->ip != y->ip) return x->ip < y->ip ? -1 : 1;
  if (x->port != y->port) return x->port < y->port ? -1 : 1;
  return x->draining - y->draining; /* of two entries for one address, the healthy one is kept */
}

/* Localities in priority order, then by zone. */
static int locality_cmp(const void *a, const void *b) {
  const struct ipport *x = a, *y = b;
  if (x->priority != y->priority) return x->priority < y->priority ? -1 : 1;
  int r = strcmp(x->zone, y->zone);
  return r ? r : ipport_cmp(a, b);
}

static int same_locality(const struct ipport *x, const struct ipport *y) {
  return x->priority == y->priority && strcmp(x->zone, y->zone) == 0;
}

/* Every endpoint of `c`, names resolved, in locality order (priority, zone), each address:port once (C-core and grpc-js
 * NACK duplicate addresses, also across localities). Stores a new array (free it) and returns its length, or (size_t)-1
 * when out of memory. */
static size_t collect_endpoints(const struct config_cluster *c, snapshot_resolve_fn resolve, void *ctx,
                                struct ipport **out) {
  size_t cap = 0;
  for (size_t i = 0; i < c->n_endpoints; i++) {
    char *const *ips = NULL;
    cap += c->endpoints[i].is_ip ? 1 : (resolve ? resolve(ctx, c->endpoints[i].address, &ips) : 0);
  }
  struct ipport *eps = calloc(cap ? cap : 1, sizeof *eps);
  if (!eps) return (size_t)-1;
  size_t n = 0;
  for (size_t i = 0; i < c->n_endpoints; i++) {
    const struct config_endpoint *e = &c->endpoints[i];
    const char *zone = e->zone ? e->zone : "";
    struct in_addr a;
    if (e->is_ip) {
      if (inet_pton(AF_INET, e->address, &a) == 1 && n < cap)
        eps[n++] = (struct ipport){ntohl(a.s_addr), e->port, e->draining, zone, e->priority, e->locality_weight};
      continue;
    }
    char *const *ips = NULL;
    size_t k = resolve ? resolve(ctx, e->address, &ips) : 0;
    for (size_t j = 0; j < k && n < cap; j++)
      if (inet_pton(AF_INET, ips[j], &a) == 1)
        eps[n++] = (struct ipport){ntohl(a.s_addr), e->port, 0, zone, e->priority, e->locality_weight};
  }
  if (n) qsort(eps, n, sizeof *eps, ipport_cmp);
  size_t u = 0;
  for (size_t i = 0; i < n; i++)
    if (u == 0 || eps[u - 1].ip != eps[i].ip || eps[u - 1].port != eps[i].port) eps[u++] = eps[i];
  if (u) qsort(eps, u, sizeof *eps, locality_cmp);
  *out = eps;
  return u;
}

/* One endpoint, HEALTHY or DRAINING. NULL when memory runs out. */
static Envoy__Config__Endpoint__V3__LbEndpoint *build_lb_endpoint(struct arena *a, const struct ipport *e) {
  struct {
    Envoy__Config__Endpoint__V3__LbEndpoint lbe;
    Envoy__Config__Endpoint__V3__Endpoint ep;
    Envoy__Config__Core__V3__Address addr;
    Envoy__Config__Core__V3__SocketAddress sa;
    char ip[INET_ADDRSTRLEN];
  } *x = arena_alloc(a, 1, sizeof *x);
  if (!x) return NULL;
  struct in_addr in = {.s_addr = htonl(e->ip)};
  inet_ntop(AF_INET, &in, x->ip, sizeof x->ip);
  envoy__config__core__v3__socket_address__init(&x->sa);
  x->sa.address = x->ip;
  x->sa.port_specifier_case = ENVOY__CONFIG__CORE__V3__SOCKET_ADDRESS__PORT_SPECIFIER_PORT_VALUE;
  x->sa.port_value = e->port;
  envoy__config__core__v3__address__init(&x->addr);
  x->addr.address_case = ENVOY__CONFIG__CORE__V3__ADDRESS__ADDRESS_SOCKET_ADDRESS;
  x->addr.socket_address = &x->sa;
  envoy__config__endpoint__v3__endpoint__init(&x->ep);
  x->ep.address = &x->addr;
  envoy__config__endpoint__v3__lb_endpoint__init(&x->lbe);
  x->lbe.host_identifier_case = ENVOY__CONFIG__ENDPOINT__V3__LB_ENDPOINT__HOST_IDENTIFIER_ENDPOINT;
  x->lbe.endpoint = &x->ep;
  x->lbe.health_status =
      e->draining ? ENVOY__CONFIG__CORE__V3__HEALTH_STATUS__DRAINING : ENVOY__CONFIG__CORE__V3__HEALTH_STATUS__HEALTHY;
  return &x->lbe;
}

/* One locality: the endpoints `lbe[0..n)` of the zone of `e`, weighted as configured or
 * by their count (gRPC picks a locality, then an endpoint in it: equal weights would give a zone's lone
 * pod as much as a zone of ten). */
static Envoy__Config__Endpoint__V3__LocalityLbEndpoints *build_locality(struct arena *a, const struct ipport *e,
                                                                        Envoy__Config__Endpoint__V3__LbEndpoint **lbe,
                                                                        size_t n) {
  struct {
    Envoy__Config__Endpoint__V3__LocalityLbEndpoints lle;
    Envoy__Config__Core__V3__Locality loc;
    Google__Protobuf__UInt32Value weight;
  } *x = arena_alloc(a, 1, sizeof *x);
  if (!x) return NULL;
  envoy__config__core__v3__locality__init(&x->loc);
  x->loc.region = "xdsd";
  x->loc.zone = e->zone[0] ? (char *)e->zone : "default";
  envoy__config__endpoint__v3__locality_lb_endpoints__init(&x->lle);
  x->lle.locality = &x->loc;
  x->lle.n_lb_endpoints = n;
  x->lle.lb_endpoints = lbe;
  google__protobuf__uint32_value__init(&x->weight);
  x->weight.value = e->locality_weight ? e->locality_weight : (uint32_t)n;
  x->lle.load_balancing_weight = &x->weight;
  return &x->lle;
}

/* The ClusterLoadAssignment: one locality per zone and priority (the endpoints without a zone in
 * locality "default", priority 0), each weighted as configured or by its number of endpoints, so that
 * clients, which first pick a locality by weight and then an endpoint in it (gRFC A52), still spread
 * calls evenly over endpoints when zones hold different numbers of them (as Istio weights localities);
 * every endpoint HEALTHY or, terminating but serving, DRAINING (clients send it no new calls). An empty
 * cluster has no localities. */
static int add_endpoints(struct snapshot *s, const struct config_cluster *c, snapshot_resolve_fn resolve, void *ctx) {
  struct ipport *eps = NULL;
  size_t n = collect_endpoints(c, resolve, ctx, &eps);
  if (n == (size_t)-1) return -1;
  size_t nz = 0;
  for (size_t i = 0; i < n; i++) nz += i == 0 || !same_locality(&eps[i], &eps[i - 1]);
  struct arena a = {0};
  int rc = -1;
  Envoy__Config__Endpoint__V3__LbEndpoint **lbe = ARENA_NEW(&a, Envoy__Config__Endpoint__V3__LbEndpoint *, n);
  Envoy__Config__Endpoint__V3__LocalityLbEndpoints **lle =
      ARENA_NEW(&a, Envoy__Config__Endpoint__V3__LocalityLbEndpoints *, nz);
  if (!lbe || !lle) goto out;
  for (size_t i = 0; i < n; i++) {
    if (!(lbe[i] = build_lb_endpoint(&a, &eps[i]))) goto out;
    s->n_draining += eps[i].draining;
  }
  /* Priorities left without endpoints (a zone whose names resolve to nothing, say) are skipped: the
   * ones served stay contiguous from 0, as clients require (C-core NACKs a gap). */
  uint32_t served = 0;
  for (size_t i = 0, z = 0; i < n; z++) {
    size_t j = i;
    while (j < n && same_locality(&eps[j], &eps[i])) j++;
    if (!(lle[z] = build_locality(&a, &eps[i], &lbe[i], j - i))) goto out;
    if (z > 0 && eps[i].priority != eps[i - 1].priority) served++;
    lle[z]->priority = served;
    i = j;
  }
  Envoy__Config__Endpoint__V3__ClusterLoadAssignment cla = ENVOY__CONFIG__ENDPOINT__V3__CLUSTER_LOAD_ASSIGNMENT__INIT;
  cla.cluster_name = c->name;
  cla.n_endpoints = nz;
  cla.endpoints = lle;
  s->n_endpoints += n;
  rc = table_add(&s->tables[SNAP_EDS], c->name, &cla.base);
out:
  arena_free(&a);
  free(eps);
  return rc;
}

int snapshot_build(const struct config *cfg, snapshot_resolve_fn resolve, void *ctx, struct snapshot **out) {
  struct snapshot *s = calloc(1, sizeof *s);
  if (!s) return -1;
  s->created_us = clock_now_us();
  for (size_t i = 0; i < cfg->n_listeners; i++)
    if (add_listeners(s, &cfg->listeners[i]) || add_routes(s, &cfg->listeners[i])) goto fail;
  for (size_t i = 0; i < cfg->n_clusters; i++)
    if (add_cluster(s, &cfg->clusters[i]) || add_endpoints(s, &cfg->clusters[i], resolve, ctx)) goto fail;
  for (int t = 0; t < SNAP_NTABLES; t++) table_finish(&s->tables[t]);
  *out = s;
  return 0;
fail:
  snapshot_free(s);
  return -1;
}

/* Appends a copy of resource `r` to table `t` (sorted and hashed later by table_finish). */
static int table_copy(struct snapshot_table *t, const struct snapshot_resource *r) {
  struct snapshot_resource *n = realloc(t->res, (t->n + 1) * sizeof *n);
  if (!n) return -1;
  t->res = n;
  struct snapshot_resource *c = &t->res[t->n];
  c->name = strdup(r->name);
  c->data = malloc(r->len ? r->len : 1);
  if (!c->name || !c->data) {
    free(c->name);
    free(c->data);
    return -1;
  }
  if (r->len) memcpy(c->data, r->data, r->len);
  c->len = r->len;
  c->hash = r->hash;
  t->n++;
  return 0;
}

int snapshot_drops(const struct snapshot *cur, const struct snapshot *next, enum xds_type type, const char *name) {
  if (type != XDS_CDS && type != XDS_EDS) return 0;
  return snapshot_find(&cur->tables[type], name) && !snapshot_find(&next->tables[type], name);
}

/* Whether table t of `a` has a name that table t of `b` lacks. */
static int has_more(const struct snapshot *a, const struct snapshot *b, int t) {
  for (size_t i = 0; i < a->tables[t].n; i++)
    if (!snapshot_find(&b->tables[t], a->tables[t].res[i].name)) return 1;
  return 0;
}

/* Listeners and routes of `routes`; Clusters and assignments of `clusters`, plus those of `also` that
 * `clusters` lacks, unchanged. n_endpoints is that of `clusters`. */
static int mix(const struct snapshot *routes, const struct snapshot *clusters, const struct snapshot *also,
               struct snapshot **out) {
  struct snapshot *s = calloc(1, sizeof *s);
  if (!s) return -1;
  s->created_us = clusters->created_us;
  s->n_endpoints = clusters->n_endpoints;
  s->n_draining = clusters->n_draining;
  for (int t = 0; t < SNAP_NTABLES; t++) {
    int is_cluster = t == SNAP_CDS || t == SNAP_EDS;
    const struct snapshot_table *from = is_cluster ? &clusters->tables[t] : &routes->tables[t];
    for (size_t i = 0; i < from->n; i++)
      if (table_copy(&s->tables[t], &from->res[i])) goto fail;
    if (is_cluster)
      for (size_t i = 0; i < also->tables[t].n; i++)
        if (!snapshot_find(from, also->tables[t].res[i].name) && table_copy(&s->tables[t], &also->tables[t].res[i]))
          goto fail;
    table_finish(&s->tables[t]);
  }
  *out = s;
  return 0;
fail:
  snapshot_free(s);
  return -1;
}

int snapshot_plan(const struct snapshot *cur, const struct snapshot *target, struct snapshot **out) {
  *out = NULL;
  if (!cur) return SNAPSHOT_PHASE_FINAL;
  if (has_more(target, cur, SNAP_CDS) || has_more(target, cur, SNAP_EDS))
    return mix(cur, target, cur, out) ? -1 : SNAPSHOT_PHASE_ADD;
  if (has_more(cur, target, SNAP_CDS) || has_more(cur, target, SNAP_EDS)) {
    if (mix(target, target, cur, out)) return -1;
    if (!snapshot_same(cur, *out)) return SNAPSHOT_PHASE_KEEP;
    snapshot_free(*out); /* only unused clusters go: nothing to do first */
    *out = NULL;
  }
  return SNAPSHOT_PHASE_FINAL;
}

const char *snapshot_phase_name(int phase) {
  switch (phase) {
    case SNAPSHOT_PHASE_ADD:
      return "add-clusters";
    case SNAPSHOT_PHASE_KEEP:
      return "keep-removed";
    default:
      return "final";
  }
}

void snapshot_free(struct snapshot *s) {
  if (!s) return;
  for (int t = 0; t < SNAP_NTABLES; t++) {
    for (size_t i = 0; i < s->tables[t].n; i++) {
      free(s->tables[t].res[i].name);
      free(s->tables[t].res[i].data);
    }
    free(s->tables[t].res);
  }
  free(s);
}

int snapshot_same(const struct snapshot *a, const struct snapshot *b) {
  if (!a || !b) return a == b;
  for (int t = 0; t < SNAP_NTABLES; t++) {
    const struct snapshot_table *x = &a->tables[t], *y = &b->tables[t];
    if (x->n != y->n || x->hash != y->hash) return 0;
    for (size_t i = 0; i < x->n; i++)
      if (x->res[i].len != y->res[i].len || strcmp(x->res[i].name, y->res[i].name) != 0 ||
          (x->res[i].len && memcmp(x->res[i].data, y->res[i].data, x->res[i].len) != 0))
        return 0;
  }
  return 1;
}
