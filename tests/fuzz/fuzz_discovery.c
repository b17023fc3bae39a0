/* xdsd's handling of DiscoveryRequests, without network: each input is one ADS stream. Every request
 * is decoded with protobuf-c as envoy.service.discovery.v3.DiscoveryRequest, as ads.c's on_recv does,
 * then applied to the state-of-the-world policy (src/xds/sotw.c: sotw_on_request), and every
 * response that policy says is due (sotw_should_send) is built from a real snapshot, packed, decoded
 * again and recorded (sotw_sent), as ads.c's handle_request, stream_pump and send_response do. Those
 * are static in ads.c and tied to a grpc_call, so their few lines of logic are repeated here (marked
 * "as ads.c"); a change there should be mirrored.
 *
 * Input: one flags byte, then the requests, each a 2-byte little-endian length and that many bytes
 * (the last one may be cut short). Flags: bit 0 picks which of two configs is served first; bit 1
 * swaps the other one in after the second request, as a ConfigMap update does (every subscribed type
 * is then due). tests/fuzz/seedgen.c writes seeds in this format. */
#include <inttypes.h>
#include <string.h>

#include "config.h"
#include "envoy/config/cluster/v3/cluster.pb-c.h"
#include "envoy/config/endpoint/v3/endpoint.pb-c.h"
#include "envoy/config/listener/v3/listener.pb-c.h"
#include "envoy/config/route/v3/route.pb-c.h"
#include "envoy/service/discovery/v3/discovery.pb-c.h"
#include "fuzz.h"
#include "log.h"
#include "snapshot.h"
#include "sotw.h"

#define MAX_REQUESTS 24
/* As ads.c's limits on what one client may make xdsd keep. */
#define ADS_MAX_FIELD_BYTES 1024
#define ADS_MAX_NAME_BYTES 1024
#define ADS_MAX_NAMES 10000
#define ADS_MAX_STREAM_NAME_BYTES (1024 * 1024)
#define ADS_MAX_DETAIL_BYTES 1024

/* The two configs: deploy/xds's ConfigMap (Envoy: a socket listener) and lab/scenarios/xds.yaml's
 * w95-5 with a second, API-only listener and an IP endpoint (gRPC clients). */
static const char *const configs[2] = {
    "name: xds\n"
    "spec:\n"
    "  listeners:\n"
    "    - name: listener_0\n"
    "      address: 127.0.0.1\n"
    "      port: 8080\n"
    "      routes:\n"
    "        - {name: local_route, prefix: /, clusters: [{name: server-v1, weight: 100}]}\n"
    "  clusters:\n"
    "    - {name: server-v1, endpoints: [{address: server-v1, port: 50051}]}\n"
    "    - {name: server-v2, endpoints: [{address: server-v2, port: 50051}]}\n",
    "name: xds-demo\n"
    "spec:\n"
    "  listeners:\n"
    "    - name: server\n"
    "      port: 8080\n"
    "      routes:\n"
    "        - name: local_route\n"
    "          prefix: /\n"
    "          clusters: [{name: server-v1, weight: 95}, {name: server-v2, weight: 5}]\n"
    "    - name: other\n"
    "      routes:\n"
    "        - {prefix: /helloworld.Greeter/, clusters: [{name: server-v3}]}\n"
    "        - {clusters: [{name: server-v1}]}\n"
    "  clusters:\n"
    "    - {name: server-v1, endpoints: [{address: server-v1, port: 50051}]}\n"
    "    - {name: server-v2, endpoints: [{address: server-v2, port: 50051}, {address: 10.0.0.9, port: 1}]}\n"
    "    - {name: server-v3, endpoints: [{address: 127.0.0.7, port: 50051}]}\n",
};
static struct snapshot *snaps[2];

static size_t resolve(void *ctx, const char *host, char *const **ips) {
  static char *const answer[] = {"10.0.0.2", "10.0.0.1"};
  (void)ctx;
  (void)host;
  *ips = answer;
  return 2;
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  for (int i = 0; i < 2; i++) {
    struct config *c;
    char err[512];
    if (config_parse("fuzz.yaml", configs[i], strlen(configs[i]), &c, err, sizeof err) != 0 ||
        snapshot_build(c, resolve, NULL, &snaps[i]) != 0) {
      fprintf(stderr, "fuzz_discovery: setup failed: %s\n", err);
      abort();
    }
    snaps[i]->version = (uint64_t)i + 1;
    config_free(c);
  }
  return 0;
}

/* One stream: what ads.c's struct stream keeps, without the call. */
struct fstream {
  const struct snapshot *snap;
  struct sotw_state st[XDS_NTYPES];
  unsigned pending, forced; /* bit per type, as ads.c */
  uint64_t next_nonce;
  char *node_id, *node_log, *user_agent;
  int refused; /* a request was over a limit: ads.c ends the stream */
};

/* As ads.c's field(): a client string for a log field. */
static const char *field(const char *in, char *buf, size_t len) {
  log_sanitize(in ? in : "", in ? strlen(in) : 0, buf, len);
  return buf;
}

/* As ads.c's table_for and content. */
static const struct snapshot_table *table_for(const struct fstream *s, int t) {
  if (t == XDS_LDS && s->st[t].wildcard) return &s->snap->tables[SNAP_LDS_SOCKET];
  return &s->snap->tables[t];
}

static uint64_t content(const struct fstream *s, int t, const struct snapshot_resource **out, size_t *n) {
  const struct snapshot_table *tab = table_for(s, t);
  const struct sotw_state *st = &s->st[t];
  uint64_t h = snapshot_hash(SNAPSHOT_HASH_INIT, &t, sizeof t);
  size_t k = 0;
  if (st->wildcard) {
    for (size_t i = 0; i < tab->n; i++) {
      if (out) out[k] = &tab->res[i];
      k++;
    }
    h = snapshot_hash(h, &tab->hash, sizeof tab->hash);
  } else {
    for (size_t i = 0; i < st->n_names; i++) {
      const struct snapshot_resource *r = snapshot_find(tab, st->names[i]);
      if (!r) continue;
      if (out) out[k] = r;
      k++;
      h = snapshot_hash(h, &r->hash, sizeof r->hash);
    }
  }
  if (n) *n = k;
  return h;
}

/* Decodes a resource of type t as its message: what the snapshot serves must be what it says. */
static void check_resource(int t, const ProtobufCBinaryData *v, const char *name) {
  static const ProtobufCMessageDescriptor *const desc[XDS_NTYPES] = {
      [XDS_CDS] = &envoy__config__cluster__v3__cluster__descriptor,
      [XDS_EDS] = &envoy__config__endpoint__v3__cluster_load_assignment__descriptor,
      [XDS_LDS] = &envoy__config__listener__v3__listener__descriptor,
      [XDS_RDS] = &envoy__config__route__v3__route_configuration__descriptor,
  };
  ProtobufCMessage *m = protobuf_c_message_unpack(desc[t], NULL, v->len, v->data);
  FUZZ_ASSERT(m != NULL);
  (void)name;
  protobuf_c_message_free_unpacked(m, NULL);
}

/* As ads.c's send_response, with the call replaced by a decode of the packed response. */
static void send_response(struct fstream *s, int t, uint64_t hash, int forced) {
  size_t cap = s->st[t].wildcard ? table_for(s, t)->n : s->st[t].n_names, n = 0;
  const struct snapshot_resource **res = calloc(cap ? cap : 1, sizeof *res);
  Google__Protobuf__Any *anys = calloc(cap ? cap : 1, sizeof *anys);
  Google__Protobuf__Any **anyp = calloc(cap ? cap : 1, sizeof *anyp);
  FUZZ_ASSERT(res && anys && anyp);
  content(s, t, res, &n);
  FUZZ_ASSERT(n <= cap);
  const char *url = snapshot_type_url(t);
  for (size_t i = 0; i < n; i++) {
    google__protobuf__any__init(&anys[i]);
    anys[i].type_url = (char *)url;
    anys[i].value.data = res[i]->data;
    anys[i].value.len = res[i]->len;
    anyp[i] = &anys[i];
  }
  char version[24], nonce[24];
  uint64_t nonce_n = ++s->next_nonce;
  snprintf(version, sizeof version, "%" PRIu64, s->snap->version);
  snprintf(nonce, sizeof nonce, "%" PRIu64, nonce_n);
  Envoy__Service__Discovery__V3__ControlPlane cp = ENVOY__SERVICE__DISCOVERY__V3__CONTROL_PLANE__INIT;
  cp.identifier = "xdsd";
  Envoy__Service__Discovery__V3__DiscoveryResponse resp = ENVOY__SERVICE__DISCOVERY__V3__DISCOVERY_RESPONSE__INIT;
  resp.version_info = version;
  resp.type_url = (char *)url;
  resp.nonce = nonce;
  resp.n_resources = n;
  resp.resources = anyp;
  resp.control_plane = &cp;
  size_t len = protobuf_c_message_get_packed_size(&resp.base);
  uint8_t *wire = malloc(len ? len : 1);
  FUZZ_ASSERT(wire != NULL);
  FUZZ_ASSERT(protobuf_c_message_pack(&resp.base, wire) == len);

  /* What the client gets. */
  Envoy__Service__Discovery__V3__DiscoveryResponse *got =
      envoy__service__discovery__v3__discovery_response__unpack(NULL, len, wire);
  FUZZ_ASSERT(got != NULL);
  FUZZ_ASSERT(got->n_resources == n && strcmp(got->nonce, nonce) == 0 && strcmp(got->type_url, url) == 0);
  for (size_t i = 0; i < n; i++) {
    FUZZ_ASSERT(sotw_wants(&s->st[t], res[i]->name));
    check_resource(t, &got->resources[i]->value, res[i]->name);
  }
  envoy__service__discovery__v3__discovery_response__free_unpacked(got, NULL);
  free(wire);

  sotw_sent(&s->st[t], nonce_n, s->snap->version, hash, forced ? 0 : s->snap->created_us);
  /* The same content is never sent twice in a row. */
  FUZZ_ASSERT(!sotw_should_send(&s->st[t], hash, 0));
  free(res);
  free(anys);
  free(anyp);
}

/* As ads.c's response_due and stream_pump (a send completes at once here). */
static int response_due(const struct fstream *s, int t, int forced, uint64_t *hash) {
  size_t n;
  uint64_t h = content(s, t, NULL, &n);
  *hash = h;
  if ((t == XDS_RDS || t == XDS_EDS) && n == 0) return 0;
  return sotw_should_send(&s->st[t], h, forced);
}

static void pump(struct fstream *s) {
  while (s->pending) {
    int t = 0;
    while (!(s->pending & (1u << t))) t++;
    int forced = (s->forced >> t) & 1;
    s->pending &= ~(1u << t);
    s->forced &= ~(1u << t);
    uint64_t h;
    if (response_due(s, t, forced, &h)) send_response(s, t, h, forced);
  }
}

/* What sotw.h promises about the subscription after any request. */
static void check_state(const struct sotw_state *st) {
  for (size_t i = 0; i < st->n_names; i++) {
    FUZZ_ASSERT(strcmp(st->names[i], "*") != 0);
    if (i) FUZZ_ASSERT(strcmp(st->names[i - 1], st->names[i]) < 0);
    FUZZ_ASSERT(sotw_wants(st, st->names[i]));
  }
  if (st->no_wildcard) FUZZ_ASSERT(!st->wildcard);
  if (st->wildcard) FUZZ_ASSERT(sotw_subscribed(st));
  FUZZ_ASSERT(!sotw_subscribed(st) || st->requested);
}

static size_t slen(const char *s) { return s ? strlen(s) : 0; }

/* As ads.c's over_limits: whether the request is refused (the stream is then ended). */
static int over_limits(const struct fstream *s, int t, const Envoy__Service__Discovery__V3__DiscoveryRequest *req) {
  const Envoy__Config__Core__V3__Node *n = req->node;
  if (n &&
      (slen(n->id) > ADS_MAX_FIELD_BYTES || slen(n->cluster) > ADS_MAX_FIELD_BYTES ||
       slen(n->user_agent_name) > ADS_MAX_FIELD_BYTES ||
       (n->user_agent_version_type_case == ENVOY__CONFIG__CORE__V3__NODE__USER_AGENT_VERSION_TYPE_USER_AGENT_VERSION &&
        slen(n->user_agent_version) > ADS_MAX_FIELD_BYTES)))
    return 1;
  if (req->n_resource_names > ADS_MAX_NAMES) return 1;
  size_t bytes = 0;
  for (size_t i = 0; i < req->n_resource_names; i++) {
    size_t l = slen(req->resource_names[i]);
    if (l > ADS_MAX_NAME_BYTES) return 1;
    bytes += l;
  }
  if (t >= 0)
    for (int u = 0; u < XDS_NTYPES; u++)
      for (size_t i = 0; u != t && i < s->st[u].n_names; i++) bytes += strlen(s->st[u].names[i]);
  return bytes > ADS_MAX_STREAM_NAME_BYTES;
}

/* As ads.c's cut: a client's text kept at most ADS_MAX_DETAIL_BYTES long (in buf). */
static const char *cut(const char *in, char *buf, size_t len) {
  if (!in || strlen(in) < len) return in;
  memcpy(buf, in, len - 1);
  buf[len - 1] = '\0';
  return buf;
}

/* As ads.c's handle_request (without the metrics and the log budget). */
static void handle_request(struct fstream *s, Envoy__Service__Discovery__V3__DiscoveryRequest *req) {
  if (over_limits(s, snapshot_type_of_url(req->type_url ? req->type_url : ""), req)) {
    s->refused = 1;
    return;
  }
  if (!s->node_id && req->node) {
    s->node_id = strdup(req->node->id ? req->node->id : "");
    char ua[256];
    snprintf(ua, sizeof ua, "%s%s%s", req->node->user_agent_name ? req->node->user_agent_name : "",
             req->node->user_agent_version_type_case ==
                     ENVOY__CONFIG__CORE__V3__NODE__USER_AGENT_VERSION_TYPE_USER_AGENT_VERSION
                 ? " "
                 : "",
             req->node->user_agent_version_type_case ==
                     ENVOY__CONFIG__CORE__V3__NODE__USER_AGENT_VERSION_TYPE_USER_AGENT_VERSION
                 ? req->node->user_agent_version
                 : "");
    s->user_agent = strdup(ua);
    char nb[128];
    s->node_log = strdup(field(s->node_id, nb, sizeof nb));
    FUZZ_ASSERT(s->node_id && s->user_agent && s->node_log);
    FUZZ_ASSERT(strpbrk(s->node_log, " =\"\n") == NULL);
  }
  char tb[128], vb[64], nb[64], eb[512];
  field(req->type_url, tb, sizeof tb);
  int t = snapshot_type_of_url(req->type_url ? req->type_url : "");
  if (t < 0) return;
  char errbuf[ADS_MAX_DETAIL_BYTES + 1], verbuf[ADS_MAX_DETAIL_BYTES + 1];
  const char *err = req->error_detail ? (req->error_detail->message ? req->error_detail->message : "") : NULL;
  err = cut(err, errbuf, sizeof errbuf);
  const char *version = cut(req->version_info, verbuf, sizeof verbuf);
  int up_to_date = s->st[t].nonce_sent && content(s, t, NULL, NULL) == s->st[t].hash_sent;
  int respond = 0;
  uint64_t nonce_before = s->st[t].nonce_sent;
  int v = sotw_on_request(&s->st[t], req->resource_names, req->n_resource_names, req->response_nonce, err, version,
                          &respond);
  field(req->response_nonce, nb, sizeof nb);
  field(version, vb, sizeof vb);
  field(err, eb, sizeof eb);
  FUZZ_ASSERT(v >= SOTW_FIRST && v <= SOTW_STALE); /* -1 only when out of memory */
  FUZZ_ASSERT(s->st[t].nonce_sent == nonce_before);
  check_state(&s->st[t]);
  if (v == SOTW_STALE) {
    FUZZ_ASSERT(!respond);
    return;
  }
  if (v == SOTW_NACK) FUZZ_ASSERT(s->st[t].nacked && s->st[t].nack_message && s->st[t].replied);
  if (v == SOTW_ACK) FUZZ_ASSERT(!s->st[t].nacked && s->st[t].version_acked && s->st[t].replied);
  FUZZ_ASSERT(!s->st[t].version_acked || strlen(s->st[t].version_acked) <= ADS_MAX_DETAIL_BYTES);
  FUZZ_ASSERT(!s->st[t].nack_message || strlen(s->st[t].nack_message) <= ADS_MAX_DETAIL_BYTES);
  if (!respond && up_to_date) {
    s->st[t].hash_sent = content(s, t, NULL, NULL);
    if (s->st[t].nacked) s->st[t].hash_nacked = s->st[t].hash_sent;
  }
  if (respond) {
    s->pending |= 1u << t;
    s->forced |= 1u << t;
  }
  pump(s);
}

/* As ads.c's ads_set_snapshot. */
static void set_snapshot(struct fstream *s, const struct snapshot *snap) {
  s->snap = snap;
  for (int t = 0; t < XDS_NTYPES; t++)
    if (sotw_subscribed(&s->st[t])) s->pending |= 1u << t;
  pump(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  unsigned flags = data[0];
  struct fstream s;
  memset(&s, 0, sizeof s);
  for (int t = 0; t < XDS_NTYPES; t++) sotw_init(&s.st[t]);
  s.st[XDS_RDS].no_wildcard = s.st[XDS_EDS].no_wildcard = 1;
  s.snap = snaps[flags & 1];
  size_t off = 1;
  for (int i = 0; i < MAX_REQUESTS && off < size && !s.refused; i++) {
    size_t len = data[off];
    if (off + 1 < size) len |= (size_t)data[off + 1] << 8;
    off += 2;
    if (off > size) off = size;
    if (len > size - off) len = size - off;
    Envoy__Service__Discovery__V3__DiscoveryRequest *req =
        envoy__service__discovery__v3__discovery_request__unpack(NULL, len, data + off);
    off += len;
    if (req) {
      handle_request(&s, req);
      envoy__service__discovery__v3__discovery_request__free_unpacked(req, NULL);
    }
    if (i == 1 && (flags & 2)) set_snapshot(&s, snaps[!(flags & 1)]);
  }
  for (int t = 0; t < XDS_NTYPES; t++) sotw_free(&s.st[t]);
  free(s.node_id);
  free(s.node_log);
  free(s.user_agent);
  return 0;
}
