#include "ads.h"

#include <grpc/grpc_security.h>
#include <grpc/support/alloc.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "grpcarg.h"
#include "envoy/service/discovery/v3/discovery.pb-c.h"
#include "jsonw.h"
#include "log.h"
#include "prom.h"
#include "pbuf.h"
#include "sotw.h"
#include "tag.h"

#define SOTW_METHOD "/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources"
#define ACCEPT_SLOTS 32 /* pending request_call slots, so a new stream never waits for one */
/* A request is decoded whole on the loop before any limit below can look at it: 30 requests of 2 MB
 * (100,000 names each) took 1.9 s to decode under ASan, delaying every other stream. 1 MB is over
 * twice what an Envoy with 10,000 EDS names of 60 bytes sends; gRPC core refuses more before decoding. */
#define ADS_MAX_REQUEST_BYTES (1024 * 1024)
/* What one client can make xdsd keep and print (issue 16): a request past these limits ends its stream
 * with the status named, and is counted in xdsd_refused_total{reason}. */
#define ADS_MAX_FIELD_BYTES 1024                /* node.id, node.cluster, user agent name, version: INVALID_ARGUMENT */
#define ADS_MAX_NAME_BYTES 1024                 /* one resource name: INVALID_ARGUMENT */
#define ADS_MAX_NAMES 10000                     /* names in one request: RESOURCE_EXHAUSTED */
#define ADS_MAX_STREAM_NAME_BYTES (1024 * 1024) /* every name a stream subscribes to, all types: RESOURCE_EXHAUSTED */
#define ADS_MAX_DETAIL_BYTES 1024               /* error_detail.message and version_info are kept cut to this */
/* What /status shows: the first streams and names, texts cut (the counts are always whole). */
#define STATUS_MAX_STREAMS 1000
#define STATUS_MAX_NAMES 20
#define STATUS_MAX_TEXT 256
#define PEER_LOG_BURST 20 /* log lines a second that clients can cause (NACKs, refusals, junk) */

enum refusal { REFUSED_NODE_FIELD, REFUSED_NAME_TOO_LONG, REFUSED_TOO_MANY_NAMES, REFUSED_NAME_BYTES, N_REFUSALS };
static const char *const refusal_names[N_REFUSALS] = {"node_field", "name_too_long", "too_many_names",
                                                      "stream_name_bytes"};

/* Push latency buckets, in seconds (Prometheus histogram). */
static const double latency_buckets[] = {0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5};
#define N_BUCKETS (sizeof latency_buckets / sizeof latency_buckets[0])

struct stream {
  struct tag recv_tag, send_tag, close_tag;
  struct ads *ads;
  uint64_t id;
  grpc_call *call;
  grpc_byte_buffer *recv_buf; /* set by RECV_MESSAGE; destroyed after decoding */
  grpc_byte_buffer *send_buf; /* owned while its batch is in flight */
  int cancelled;              /* RECV_CLOSE_ON_SERVER output (that op is started only by stream_finish) */
  int ops;                    /* batches in flight; the stream is freed when 0 and closed */
  /* closed: the final batch (status + close) completed or failed to start; half_closed: the receive
   * side ended (client half-close or cancel); status_sent: the final batch was started. */
  unsigned accepted : 1, closed : 1, send_busy : 1, md_sent : 1, half_closed : 1, status_sent : 1, is_sotw : 1;
  unsigned pending;                                 /* bit per type: compute and maybe send a response */
  unsigned forced;                                  /* bit per type: send even if unchanged (subscription changed) */
  char *node_id, *node_cluster, *user_agent, *peer; /* owned; as the client sent them (for /status) */
  char *node_log;                                   /* node_id through log_sanitize, for log fields (owned) */
  int64_t started_ms;
  struct sotw_state st[XDS_NTYPES];
  struct stream *prev, *next;
};

/* A pending grpc_server_request_call: what gRPC fills in when a call arrives, and the stream it will be
 * (allocated up front, so that an accepted call always has one). The request's details and metadata
 * are needed only to check the method: kept here, they are freed at accept instead of being carried
 * by every open stream (120 bytes each, issue 13). */
struct accept_slot {
  struct tag tag;
  struct stream *s;
  grpc_call_details details;
  grpc_metadata_array request_md;
};

struct ads {
  grpc_server *server;
  grpc_completion_queue *cq;
  struct tag shutdown_tag;
  int shutting_down, shutdown_done;
  int cq_closing; /* the completion queue is shutting down: no batch may start (gRPC asserts) */
  struct snapshot *snap;
  struct stream *streams; /* open (accepted) streams */
  size_t n_streams, n_accepting;
  uint64_t next_id, next_nonce;
  /* metrics */
  uint64_t streams_total, requests_total, stale_total[XDS_NTYPES], stale_nacks_total[XDS_NTYPES],
      pushes_total[XDS_NTYPES], acks_total[XDS_NTYPES], nacks_total[XDS_NTYPES], unimplemented_total,
      refused_total[N_REFUSALS], log_suppressed_total;
  struct log_limit peer_log; /* budget of the log lines clients cause */
  const char *record_dir;    /* ads_record_requests, or NULL */
  uint64_t lat_buckets[N_BUCKETS], lat_count;
  double lat_sum;
};

static void accept_one(struct ads *a);
static void stream_pump(struct stream *s);
static void on_recv(struct tag *tag, bool ok);
static void on_send(struct tag *tag, bool ok);
static void on_close(struct tag *tag, bool ok);

#define STREAM_OF(tagp, field) ((struct stream *)((char *)(tagp)-offsetof(struct stream, field)))

static char *dupstr(const char *s) { return strdup(s ? s : ""); }

/* A client-controlled string made safe for a key=value log field (log_sanitize) in buf[len]. */
static const char *field(const char *in, char *buf, size_t len) {
  log_sanitize(in ? in : "", in ? strlen(in) : 0, buf, len);
  return buf;
}

/* The node id for log lines ("-" before the first request named one). */
static const char *node_log(const struct stream *s) { return s->node_log ? s->node_log : "-"; }

static void stream_free(struct stream *s) {
  struct ads *a = s->ads;
  if (s->accepted) {
    if (s->prev)
      s->prev->next = s->next;
    else if (a->streams == s)
      a->streams = s->next;
    if (s->next) s->next->prev = s->prev;
    a->n_streams--;
    if (s->is_sotw)
      log_info("msg=\"stream closed\" stream=%" PRIu64 " node=%s peer=%s secs=%.1f", s->id, node_log(s),
               s->peer ? s->peer : "?", (clock_now_ms() - s->started_ms) / 1000.0);
  }
  for (int t = 0; t < XDS_NTYPES; t++) sotw_free(&s->st[t]);
  if (s->call) grpc_call_unref(s->call);
  if (s->recv_buf) grpc_byte_buffer_destroy(s->recv_buf);
  if (s->send_buf) grpc_byte_buffer_destroy(s->send_buf);
  free(s->node_id);
  free(s->node_log);
  free(s->node_cluster);
  free(s->user_agent);
  if (s->peer) gpr_free(s->peer);
  free(s);
}

static void stream_maybe_free(struct stream *s) {
  if (s->ops == 0 && (s->closed || !s->accepted)) stream_free(s);
}

static int start_batch(struct stream *s, grpc_op *ops, size_t n, struct tag *tag) {
  if (s->ads->cq_closing) return -1;
  grpc_call_error err = grpc_call_start_batch(s->call, ops, n, tag, NULL);
  if (err != GRPC_CALL_OK) {
    log_error("msg=\"start_batch failed\" stream=%" PRIu64 " err=%d", s->id, err);
    return -1;
  }
  s->ops++;
  return 0;
}

/* The server's initial metadata goes with the first thing it sends: puts SEND_INITIAL_METADATA in
 * ops[0] the first time and returns how many ops it used (0 or 1). */
static size_t add_initial_metadata(struct stream *s, grpc_op *ops) {
  if (s->md_sent) return 0;
  ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
  s->md_sent = 1;
  return 1;
}

/* Ends the call: status OK after the client half-closed or went away, or `code` for unimplemented
 * methods, together with RECV_CLOSE_ON_SERVER. That receive is only started here, at the end, and not
 * kept outstanding for the stream's life: an idle stream then has one pending tag (its RECV_MESSAGE),
 * which matters because gRPC core as Debian builds it (without NDEBUG) checks every completion against
 * a linear list of the queue's pending tags. Waits for an in-flight send (on_send calls again). */
static void stream_finish(struct stream *s, grpc_status_code code, const char *details) {
  if (s->status_sent || s->send_busy) return;
  grpc_op ops[3];
  memset(ops, 0, sizeof ops);
  size_t n = add_initial_metadata(s, ops);
  grpc_slice d = grpc_slice_from_copied_string(details);
  ops[n].op = GRPC_OP_SEND_STATUS_FROM_SERVER;
  ops[n].data.send_status_from_server.status = code;
  ops[n].data.send_status_from_server.status_details = &d;
  n++;
  ops[n].op = GRPC_OP_RECV_CLOSE_ON_SERVER;
  ops[n].data.recv_close_on_server.cancelled = &s->cancelled;
  n++;
  s->status_sent = 1;
  if (start_batch(s, ops, n, &s->close_tag) != 0) s->closed = 1;
  grpc_slice_unref(d);
}

/* The table a type is served from: wildcard LDS gets socket listeners (Envoy), named LDS API listeners. */
static const struct snapshot_table *table_for(const struct stream *s, int t) {
  const struct snapshot *snap = s->ads->snap;
  if (t == XDS_LDS && s->st[t].wildcard) return &snap->tables[SNAP_LDS_SOCKET];
  return &snap->tables[t];
}

/* Hash of what a response of type t would carry now, and the resources themselves when `out` is set. */
static uint64_t content(const struct stream *s, int t, const struct snapshot_resource **out, size_t *n) {
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

/* Builds and starts one DiscoveryResponse of type t. Returns 0, -1 on failure. */
static int send_response(struct stream *s, int t, uint64_t hash, int forced) {
  struct ads *a = s->ads;
  size_t cap = s->st[t].wildcard ? table_for(s, t)->n : s->st[t].n_names, n = 0;
  const struct snapshot_resource **res = calloc(cap ? cap : 1, sizeof *res);
  Google__Protobuf__Any *anys = calloc(cap ? cap : 1, sizeof *anys);
  Google__Protobuf__Any **anyp = calloc(cap ? cap : 1, sizeof *anyp);
  int rc = -1;
  if (!res || !anys || !anyp) goto out;
  content(s, t, res, &n);
  const char *url = snapshot_type_url(t);
  for (size_t i = 0; i < n; i++) {
    google__protobuf__any__init(&anys[i]);
    anys[i].type_url = (char *)url;
    anys[i].value.data = res[i]->data;
    anys[i].value.len = res[i]->len;
    anyp[i] = &anys[i];
  }
  char version[24], nonce[24];
  uint64_t nonce_n = ++a->next_nonce;
  snprintf(version, sizeof version, "%" PRIu64, a->snap->version);
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
  s->send_buf = pbuf_pack(&resp.base);
  if (!s->send_buf) goto out;
  grpc_op ops[2];
  memset(ops, 0, sizeof ops);
  size_t nops = add_initial_metadata(s, ops);
  ops[nops].op = GRPC_OP_SEND_MESSAGE;
  ops[nops++].data.send_message.send_message = s->send_buf;
  s->send_busy = 1;
  if (start_batch(s, ops, nops, &s->send_tag) != 0) {
    s->send_busy = 0;
    grpc_byte_buffer_destroy(s->send_buf);
    s->send_buf = NULL;
    goto out;
  }
  sotw_sent(&s->st[t], nonce_n, a->snap->version, hash, forced ? 0 : a->snap->created_us);
  a->pushes_total[t]++;
  log_debug("msg=sent stream=%" PRIu64 " node=%s type=%s version=%s nonce=%s resources=%zu", s->id, node_log(s),
            snapshot_type_name(t), version, nonce, n);
  rc = 0;
out:
  free(res);
  free(anys);
  free(anyp);
  return rc;
}

/* Whether a response of type t is due on this stream: the subscription changed (forced), or the
 * content differs from what was sent and rejected. RDS and EDS responses without resources are never
 * due: for those types an empty response means nothing (xds-facts.md §2), so none is sent. */
static int response_due(const struct stream *s, int t, int forced, uint64_t *hash) {
  size_t n;
  uint64_t h = content(s, t, NULL, &n);
  if (hash) *hash = h;
  if ((t == XDS_RDS || t == XDS_EDS) && n == 0) return 0;
  return sotw_should_send(&s->st[t], h, forced);
}

static int stream_live(const struct stream *s) {
  return s->is_sotw && !s->closed && !s->half_closed && !s->status_sent;
}

/* Sends the next pending response, in type order, when no send is in flight. */
static void stream_pump(struct stream *s) {
  while (!s->send_busy && stream_live(s) && s->pending && s->ads->snap) {
    int t = 0;
    while (!(s->pending & (1u << t))) t++;
    int forced = (s->forced >> t) & 1;
    uint64_t h;
    /* The bits are cleared only once the response is out (or none is due): a send that fails keeps
     * the push pending for the next event on the stream, instead of losing it until the next change. */
    if (response_due(s, t, forced, &h) && send_response(s, t, h, forced) != 0) return;
    s->pending &= ~(1u << t);
    s->forced &= ~(1u << t);
  }
}

/* Whether a line that a client caused may be logged now; a line let through after some were left out
 * is preceded by one saying how many. */
static int peer_log_ok(struct ads *a) {
  uint64_t sup;
  if (!log_limit_allow(&a->peer_log, clock_now_ms(), &sup)) {
    a->log_suppressed_total++;
    return 0;
  }
  if (sup) log_warn("msg=\"log lines left out\" count=%" PRIu64 " limit_per_sec=%d", sup, PEER_LOG_BURST);
  return 1;
}

void ads_tick(struct ads *a, int64_t now_ms) {
  uint64_t sup;
  if (log_limit_due(&a->peer_log, now_ms, &sup))
    log_warn("msg=\"log lines left out\" count=%" PRIu64 " limit_per_sec=%d", sup, PEER_LOG_BURST);
}

static size_t slen(const char *s) { return s ? strlen(s) : 0; }

/* Checks a request against what one client may make xdsd keep; returns the refusal, or -1. */
static int over_limits(const struct stream *s, int t, const Envoy__Service__Discovery__V3__DiscoveryRequest *req,
                       grpc_status_code *code, char *why, size_t len) {
  const Envoy__Config__Core__V3__Node *n = req->node;
  if (n &&
      (slen(n->id) > ADS_MAX_FIELD_BYTES || slen(n->cluster) > ADS_MAX_FIELD_BYTES ||
       slen(n->user_agent_name) > ADS_MAX_FIELD_BYTES ||
       (n->user_agent_version_type_case == ENVOY__CONFIG__CORE__V3__NODE__USER_AGENT_VERSION_TYPE_USER_AGENT_VERSION &&
        slen(n->user_agent_version) > ADS_MAX_FIELD_BYTES))) {
    *code = GRPC_STATUS_INVALID_ARGUMENT;
    snprintf(why, len, "a node field (id, cluster, user agent) is longer than %d bytes", ADS_MAX_FIELD_BYTES);
    return REFUSED_NODE_FIELD;
  }
  if (req->n_resource_names > ADS_MAX_NAMES) {
    *code = GRPC_STATUS_RESOURCE_EXHAUSTED;
    snprintf(why, len, "%zu resource names in one request (at most %d)", req->n_resource_names, ADS_MAX_NAMES);
    return REFUSED_TOO_MANY_NAMES;
  }
  size_t bytes = 0;
  for (size_t i = 0; i < req->n_resource_names; i++) {
    size_t l = slen(req->resource_names[i]);
    if (l > ADS_MAX_NAME_BYTES) {
      *code = GRPC_STATUS_INVALID_ARGUMENT;
      snprintf(why, len, "a resource name of %zu bytes (at most %d)", l, ADS_MAX_NAME_BYTES);
      return REFUSED_NAME_TOO_LONG;
    }
    bytes += l;
  }
  if (t >= 0)
    for (int u = 0; u < XDS_NTYPES; u++)
      for (size_t i = 0; u != t && i < s->st[u].n_names; i++) bytes += strlen(s->st[u].names[i]);
  if (bytes > ADS_MAX_STREAM_NAME_BYTES) {
    *code = GRPC_STATUS_RESOURCE_EXHAUSTED;
    snprintf(why, len, "the stream's subscriptions would hold %zu bytes of names (at most %d)", bytes,
             ADS_MAX_STREAM_NAME_BYTES);
    return REFUSED_NAME_BYTES;
  }
  return -1;
}

/* Ends a stream whose request is over a limit (over_limits), counted and logged. */
static void refuse(struct stream *s, int reason, grpc_status_code code, const char *why) {
  struct ads *a = s->ads;
  a->refused_total[reason]++;
  if (peer_log_ok(a))
    log_warn("msg=\"request refused, stream ended\" stream=%" PRIu64 " node=%s peer=%s reason=%s code=%d detail=\"%s\"",
             s->id, node_log(s), s->peer ? s->peer : "?", refusal_names[reason], (int)code, why);
  stream_finish(s, code, why);
}

/* A copy of a client's text cut to ADS_MAX_DETAIL_BYTES (in buf), for what is kept of it. */
static const char *cut(const char *in, char *buf, size_t len) {
  if (!in || strlen(in) < len) return in;
  memcpy(buf, in, len - 1);
  buf[len - 1] = '\0';
  return buf;
}

static void observe_latency(struct ads *a, int64_t us) {
  double sec = us / 1e6;
  a->lat_count++;
  a->lat_sum += sec;
  for (size_t i = 0; i < N_BUCKETS; i++)
    if (sec <= latency_buckets[i]) a->lat_buckets[i]++;
}

/* The first request that names a node: keep what /status and the log show of it. */
static void remember_node(struct stream *s, const Envoy__Config__Core__V3__Node *n) {
  int has_version =
      n->user_agent_version_type_case == ENVOY__CONFIG__CORE__V3__NODE__USER_AGENT_VERSION_TYPE_USER_AGENT_VERSION;
  s->node_id = dupstr(n->id);
  s->node_cluster = dupstr(n->cluster);
  char ua[256];
  snprintf(ua, sizeof ua, "%s%s%s", n->user_agent_name ? n->user_agent_name : "", has_version ? " " : "",
           has_version ? n->user_agent_version : "");
  s->user_agent = dupstr(ua);
  char nb[128], cb[128], ub[256];
  s->node_log = strdup(field(s->node_id, nb, sizeof nb));
  log_info("msg=\"node connected\" stream=%" PRIu64 " node=%s cluster=%s user_agent=%s peer=%s", s->id, node_log(s),
           field(s->node_cluster, cb, sizeof cb), field(s->user_agent, ub, sizeof ub), s->peer ? s->peer : "?");
}

/* Counts and logs what the policy made of a request of type t (sotw_on_request's verdict). Returns 0
 * when the request goes on to change the subscription, -1 when it ends here (stale, out of memory). */
static int note_verdict(struct stream *s, int t, int v, const char *nonce, const char *err, const char *version) {
  struct ads *a = s->ads;
  char vb[64], nb[64], eb[512];
  switch (v) {
    case SOTW_STALE:
      /* Ignored for the subscription (SotW: the next request brings the current state), but a NACK is
       * a client saying it rejected something: that is never silent. */
      a->stale_total[t]++;
      if (!err) {
        log_debug("msg=\"stale nonce ignored\" stream=%" PRIu64 " type=%s nonce=%s", s->id, snapshot_type_name(t),
                  field(nonce, nb, sizeof nb));
        return -1;
      }
      a->stale_nacks_total[t]++;
      if (peer_log_ok(a))
        log_warn("msg=\"nack with a stale nonce\" stream=%" PRIu64 " node=%s type=%s nonce=%s nonce_sent=%" PRIu64
                 " version_kept=%s error=%s",
                 s->id, node_log(s), snapshot_type_name(t), field(nonce, nb, sizeof nb), s->st[t].nonce_sent,
                 field(version, vb, sizeof vb), field(err, eb, sizeof eb));
      return -1;
    case SOTW_ACK:
      a->acks_total[t]++;
      if (s->st[t].push_start_us) {
        observe_latency(a, clock_now_us() - s->st[t].push_start_us);
        s->st[t].push_start_us = 0;
      }
      log_debug("msg=ack stream=%" PRIu64 " node=%s type=%s version=%s", s->id, node_log(s), snapshot_type_name(t),
                field(version, vb, sizeof vb));
      return 0;
    case SOTW_NACK:
      a->nacks_total[t]++;
      if (peer_log_ok(a))
        log_warn("msg=nack stream=%" PRIu64 " node=%s type=%s version_sent=%" PRIu64 " version_kept=%s error=%s", s->id,
                 node_log(s), snapshot_type_name(t), s->st[t].version_sent, field(version, vb, sizeof vb),
                 field(err, eb, sizeof eb));
      return 0;
    case SOTW_FIRST:
      return 0;
    default:
      log_error("msg=\"out of memory handling a request\" stream=%" PRIu64, s->id);
      return -1;
  }
}

/* One DiscoveryRequest: limits, the node, the SotW policy, then whatever response is due. */
void ads_record_requests(struct ads *a, const char *dir) { a->record_dir = dir; }

static void record_request(const struct stream *s, const Envoy__Service__Discovery__V3__DiscoveryRequest *req) {
  size_t n = protobuf_c_message_get_packed_size(&req->base);
  char path[4096];
  if (n > 0xffff ||
      (size_t)snprintf(path, sizeof path, "%s/stream-%" PRIu64 ".bin", s->ads->record_dir, s->id) >= sizeof path)
    return;
  uint8_t *buf = malloc(n + 3);
  FILE *f = buf ? fopen(path, "ab") : NULL;
  if (f) {
    fseek(f, 0, SEEK_END);
    size_t at = 0;
    if (ftell(f) == 0) buf[at++] = 0; /* the flags byte: first config, no swap */
    buf[at++] = (uint8_t)(n & 0xff);
    buf[at++] = (uint8_t)(n >> 8);
    protobuf_c_message_pack(&req->base, buf + at);
    if (fwrite(buf, 1, at + n, f) != at + n || fclose(f) != 0)
      log_warn("msg=\"cannot record a request\" path=%s", path);
  }
  free(buf);
}

static void handle_request(struct stream *s, Envoy__Service__Discovery__V3__DiscoveryRequest *req) {
  struct ads *a = s->ads;
  a->requests_total++;
  grpc_status_code code;
  char why[160], tb[128];
  int t = snapshot_type_of_url(req->type_url ? req->type_url : "");
  int reason = over_limits(s, t, req, &code, why, sizeof why);
  if (reason >= 0) {
    refuse(s, reason, code, why);
    return;
  }
  if (!s->node_id && req->node) remember_node(s, req->node);
  if (t < 0) {
    if (peer_log_ok(a))
      log_warn("msg=\"unknown type ignored\" stream=%" PRIu64 " node=%s type_url=%s", s->id, node_log(s),
               field(req->type_url, tb, sizeof tb));
    return;
  }
  char errbuf[ADS_MAX_DETAIL_BYTES + 1], verbuf[ADS_MAX_DETAIL_BYTES + 1];
  const char *err = req->error_detail ? (req->error_detail->message ? req->error_detail->message : "") : NULL;
  err = cut(err, errbuf, sizeof errbuf);
  const char *version = cut(req->version_info, verbuf, sizeof verbuf);
  /* Whether the client holds the current content of everything it subscribed to so far. */
  int up_to_date = a->snap && s->st[t].nonce_sent && content(s, t, NULL, NULL) == s->st[t].hash_sent;
  int respond = 0;
  int v = sotw_on_request(&s->st[t], req->resource_names, req->n_resource_names, req->response_nonce, err, version,
                          &respond);
  if (note_verdict(s, t, v, req->response_nonce, err, version) != 0) return;
  if (!respond && up_to_date) {
    /* A narrowed subscription: the client holds the current content of the names it kept, so what was
     * "sent" is now that subset; without this, the next unrelated change would look like a change. */
    s->st[t].hash_sent = content(s, t, NULL, NULL);
    if (s->st[t].nacked) s->st[t].hash_nacked = s->st[t].hash_sent;
  }
  if (respond) {
    s->pending |= 1u << t;
    s->forced |= 1u << t;
    log_debug("msg=subscribe stream=%" PRIu64 " type=%s names=%zu wildcard=%d", s->id, snapshot_type_name(t),
              s->st[t].n_names, (int)s->st[t].wildcard);
  }
  stream_pump(s);
}

static void start_recv(struct stream *s) {
  if (s->closed || s->half_closed || s->status_sent) return;
  grpc_op op;
  memset(&op, 0, sizeof op);
  op.op = GRPC_OP_RECV_MESSAGE;
  op.data.recv_message.recv_message = &s->recv_buf;
  if (start_batch(s, &op, 1, &s->recv_tag) != 0) {
    /* Without a receive the stream would never hear its end: end it now (and when not even that can
     * start, it is marked closed and freed once its other batches are done). */
    s->half_closed = 1;
    stream_finish(s, GRPC_STATUS_UNAVAILABLE, "xdsd cannot receive on this stream");
  }
}

static void on_recv(struct tag *tag, bool ok) {
  struct stream *s = STREAM_OF(tag, recv_tag);
  s->ops--;
  if (!ok || !s->recv_buf) {
    /* The client half-closed (or the call died): finish with OK if the call is still up. */
    s->half_closed = 1;
    stream_finish(s, GRPC_STATUS_OK, "");
    stream_maybe_free(s);
    return;
  }
  Envoy__Service__Discovery__V3__DiscoveryRequest *req = NULL;
  int rc = pbuf_unpack(s->recv_buf, &envoy__service__discovery__v3__discovery_request__descriptor,
                       (ProtobufCMessage **)&req);
  grpc_byte_buffer_destroy(s->recv_buf);
  s->recv_buf = NULL;
  if (rc != 0) {
    if (peer_log_ok(s->ads)) log_warn("msg=\"undecodable request\" stream=%" PRIu64, s->id);
  } else {
    if (s->ads->record_dir) record_request(s, req);
    handle_request(s, req);
    protobuf_c_message_free_unpacked(&req->base, NULL);
  }
  start_recv(s);
  stream_maybe_free(s);
}

static void on_send(struct tag *tag, bool ok) {
  struct stream *s = STREAM_OF(tag, send_tag);
  s->ops--;
  s->send_busy = 0;
  if (s->send_buf) {
    grpc_byte_buffer_destroy(s->send_buf);
    s->send_buf = NULL;
  }
  if (ok) stream_pump(s);
  if (s->half_closed) stream_finish(s, GRPC_STATUS_OK, "");
  stream_maybe_free(s);
}

static void on_close(struct tag *tag, bool ok) {
  (void)ok;
  struct stream *s = STREAM_OF(tag, close_tag);
  s->ops--;
  s->closed = 1;
  stream_maybe_free(s);
}

static void accept_slot_free(struct accept_slot *slot) {
  grpc_call_details_destroy(&slot->details);
  grpc_metadata_array_destroy(&slot->request_md);
  free(slot);
}

/* A call arrived (or, with !ok, the server is shutting down). */
static void on_accept(struct tag *tag, bool ok) {
  struct accept_slot *slot = (struct accept_slot *)((char *)tag - offsetof(struct accept_slot, tag));
  struct stream *s = slot->s;
  struct ads *a = s->ads;
  a->n_accepting--;
  if (!ok) {
    accept_slot_free(slot);
    stream_free(s);
    return;
  }
  if (!a->shutting_down) accept_one(a);
  s->accepted = 1;
  s->id = ++a->next_id;
  s->started_ms = clock_now_ms();
  s->peer = grpc_call_get_peer(s->call);
  s->next = a->streams;
  if (a->streams) a->streams->prev = s;
  a->streams = s;
  a->n_streams++;
  s->recv_tag.handler = on_recv;
  s->send_tag.handler = on_send;
  s->close_tag.handler = on_close;

  if (grpc_slice_str_cmp(slot->details.method, SOTW_METHOD) != 0) {
    char *m = grpc_slice_to_c_string(slot->details.method);
    char mb[128];
    log_info("msg=\"unimplemented method\" method=%s peer=%s", field(m, mb, sizeof mb), s->peer ? s->peer : "?");
    gpr_free(m);
    accept_slot_free(slot);
    a->unimplemented_total++;
    stream_finish(s, GRPC_STATUS_UNIMPLEMENTED, "xdsd serves only state-of-the-world ADS");
    stream_maybe_free(s);
    return;
  }
  accept_slot_free(slot); /* the method is checked: nothing else of the request is kept */
  s->is_sotw = 1;
  a->streams_total++;
  log_info("msg=\"stream opened\" stream=%" PRIu64 " peer=%s", s->id, s->peer ? s->peer : "?");
  start_recv(s);
  stream_maybe_free(s); /* when not even the receive could start */
}

static void accept_one(struct ads *a) {
  struct stream *s = calloc(1, sizeof *s);
  struct accept_slot *slot = calloc(1, sizeof *slot);
  if (!s || !slot) {
    free(s);
    free(slot);
    log_error("msg=\"out of memory accepting a stream\"");
    return;
  }
  s->ads = a;
  for (int t = 0; t < XDS_NTYPES; t++) sotw_init(&s->st[t]);
  s->st[XDS_RDS].no_wildcard = s->st[XDS_EDS].no_wildcard = 1;
  slot->s = s;
  grpc_call_details_init(&slot->details);
  grpc_metadata_array_init(&slot->request_md);
  slot->tag.handler = on_accept;
  grpc_call_error err =
      grpc_server_request_call(a->server, &s->call, &slot->details, &slot->request_md, a->cq, a->cq, &slot->tag);
  if (err != GRPC_CALL_OK) {
    log_error("msg=\"request_call failed\" err=%d", err);
    accept_slot_free(slot);
    stream_free(s);
    return;
  }
  a->n_accepting++;
}

static void on_shutdown(struct tag *tag, bool ok) {
  (void)ok;
  struct ads *a = (struct ads *)((char *)tag - offsetof(struct ads, shutdown_tag));
  a->shutdown_done = 1;
}

int ads_start(const char *addr, grpc_completion_queue *cq, struct ads **out) {
  struct ads *a = calloc(1, sizeof *a);
  if (!a) return -1;
  a->cq = cq;
  a->shutdown_tag.handler = on_shutdown;
  a->peer_log.burst = PEER_LOG_BURST;
  grpc_arg args[9];
  args[0] = grpcarg_int(GRPC_ARG_MAX_CONCURRENT_STREAMS, 100000);
  /* Without this a second xdsd would share the port (SO_REUSEPORT) and split the clients. */
  args[1] = grpcarg_int(GRPC_ARG_ALLOW_REUSEPORT, 0);
  /* A DiscoveryRequest is a few names: anything bigger is refused with RESOURCE_EXHAUSTED before it is
   * buffered. The limit is enforced by gRPC core's message-size filter, which GRPC_ARG_MINIMAL_STACK
   * leaves out of the stack (then 60 MB requests were accepted): so no minimal stack. */
  args[2] = grpcarg_int(GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH, ADS_MAX_REQUEST_BYTES);
  /* Memory per stream (issue 13; BENCHMARKS.md): each ADS stream is a call whose arena gRPC core sizes
   * from the server's filter stack, about 11.5 KB an idle stream. Two filters that do nothing for ADS
   * are left out, 256 bytes of arena each: the server-side deadline filter (ADS streams carry no
   * deadline; a client that sets one cancels the call itself when it passes) and the per-message
   * compression filter (xdsd never compresses what it sends). Decompression stays: without it a
   * compressed request would reach xdsd whole and be inflated, with no bound, when decoded. Channelz
   * keeps about 470 bytes per connection that nothing of xdsd reads. */
  args[3] = grpcarg_int(GRPC_ARG_ENABLE_DEADLINE_CHECKS, 0);
  args[4] = grpcarg_int(GRPC_ARG_ENABLE_PER_MESSAGE_COMPRESSION, 0);
  args[5] = grpcarg_int(GRPC_ARG_ENABLE_CHANNELZ, 0);
  /* TCP reads sized to what ADS requests are (a few hundred bytes, a few KB with Envoy's node) rather
   * than 8 KB or 64 KB pieces that an idle connection then keeps: about 4 KB per proxyless client on its
   * own connection. gRPC core 1.51 honours these only with its tcp_read_chunks experiment off, which
   * main.c does before grpc_init. */
  args[6] = grpcarg_int(GRPC_ARG_TCP_READ_CHUNK_SIZE, 1024);
  args[7] = grpcarg_int(GRPC_ARG_TCP_MIN_READ_CHUNK_SIZE, 256);
  args[8] = grpcarg_int(GRPC_ARG_TCP_MAX_READ_CHUNK_SIZE, 8192);
  grpc_channel_args ch_args = {.num_args = sizeof args / sizeof args[0], .args = args};
  a->server = grpc_server_create(&ch_args, NULL);
  grpc_server_register_completion_queue(a->server, cq, NULL);
  grpc_server_credentials *creds = grpc_insecure_server_credentials_create();
  int port = grpc_server_add_http2_port(a->server, addr, creds);
  grpc_server_credentials_release(creds);
  if (port == 0) {
    grpc_server_destroy(a->server);
    free(a);
    return -1;
  }
  grpc_server_start(a->server);
  for (int i = 0; i < ACCEPT_SLOTS; i++) accept_one(a);
  *out = a;
  return 0;
}

void ads_set_snapshot(struct ads *a, struct snapshot *snap) {
  struct snapshot *old = a->snap;
  a->snap = snap;
  snapshot_free(old);
  for (struct stream *s = a->streams; s; s = s->next) {
    if (!s->is_sotw) continue;
    for (int t = 0; t < XDS_NTYPES; t++)
      if (sotw_subscribed(&s->st[t])) s->pending |= 1u << t;
    stream_pump(s);
  }
}

/* Whether type t of the stream has nothing due and its last response was answered. */
static int type_settled(const struct stream *s, int t) {
  const struct sotw_state *st = &s->st[t];
  if (!sotw_subscribed(st)) return 1;
  if (response_due(s, t, (s->forced >> t) & 1, NULL)) return 0;
  return !st->nonce_sent || st->replied;
}

int ads_clusters_warm(const struct ads *a) {
  if (!a->snap) return 1;
  const struct snapshot_table *cds = &a->snap->tables[SNAP_CDS];
  for (const struct stream *s = a->streams; s; s = s->next) {
    if (!stream_live(s)) continue;
    if (!type_settled(s, XDS_CDS) || !type_settled(s, XDS_EDS)) return 0;
    /* Every cluster the stream holds must have its endpoints asked for (and, by the above, sent). */
    for (size_t i = 0; i < cds->n; i++)
      if (sotw_wants(&s->st[XDS_CDS], cds->res[i].name) && !sotw_wants(&s->st[XDS_EDS], cds->res[i].name)) return 0;
  }
  return 1;
}

int ads_removal_settled(const struct ads *a, const struct snapshot *next) {
  if (!a->snap) return 1;
  for (const struct stream *s = a->streams; s; s = s->next) {
    if (!stream_live(s)) continue;
    /* The routes: the current LDS and RDS content was sent and answered (or nothing is owed). */
    if (!type_settled(s, XDS_LDS) || !type_settled(s, XDS_RDS)) return 0;
    /* The clusters: a client that names its subscriptions (gRPC) drops a cluster's CDS and EDS names
     * once no route and no call uses it any more; until then the removal would fail its calls. Wildcard
     * (Envoy) subscriptions never drop names: for them the routes above are the signal. */
    for (int t = XDS_CDS; t <= XDS_EDS; t++) {
      const struct sotw_state *st = &s->st[t];
      if (st->wildcard) continue;
      for (size_t i = 0; i < st->n_names; i++)
        if (snapshot_drops(a->snap, next, t, st->names[i])) return 0;
    }
  }
  return 1;
}

const struct snapshot *ads_snapshot(const struct ads *a) { return a->snap; }
size_t ads_streams(const struct ads *a) { return a->n_streams; }

size_t ads_status_json(struct ads *a, FILE *out) {
  fputc('[', out);
  int first = 1;
  size_t listed = 0;
  for (struct stream *s = a->streams; s && listed < STATUS_MAX_STREAMS; s = s->next) {
    if (!s->is_sotw) continue;
    fputs(first ? "\n  {" : ",\n  {", out);
    first = 0;
    listed++;
    fprintf(out, "\"stream\":%" PRIu64 ",\"id\":", s->id);
    jsonw_strn(out, s->node_id, STATUS_MAX_TEXT);
    fputs(",\"cluster\":", out);
    jsonw_strn(out, s->node_cluster, STATUS_MAX_TEXT);
    fputs(",\"user_agent\":", out);
    jsonw_strn(out, s->user_agent, STATUS_MAX_TEXT);
    fputs(",\"peer\":", out);
    jsonw_strn(out, s->peer, STATUS_MAX_TEXT);
    fprintf(out, ",\"connected_secs\":%.1f,\"types\":{", (clock_now_ms() - s->started_ms) / 1000.0);
    int tf = 1;
    for (int t = 0; t < XDS_NTYPES; t++) {
      const struct sotw_state *st = &s->st[t];
      if (!st->requested) continue;
      fprintf(out, "%s\"%s\":{\"subscribed\":", tf ? "" : ",", snapshot_type_name(t));
      tf = 0;
      if (st->wildcard) {
        fputs("\"*\"", out);
      } else {
        fputc('[', out);
        for (size_t i = 0; i < st->n_names && i < STATUS_MAX_NAMES; i++) {
          if (i) fputc(',', out);
          jsonw_strn(out, st->names[i], STATUS_MAX_TEXT);
        }
        fputc(']', out);
      }
      fprintf(out, ",\"names\":%zu", st->wildcard ? (size_t)0 : st->n_names);
      if (st->nonce_sent)
        fprintf(out, ",\"version_sent\":\"%" PRIu64 "\",\"nonce_sent\":\"%" PRIu64 "\"", st->version_sent,
                st->nonce_sent);
      else
        fputs(",\"version_sent\":null", out);
      fputs(",\"version_acked\":", out);
      jsonw_strn(out, st->version_acked, STATUS_MAX_TEXT);
      fputs(",\"last_nack\":", out);
      jsonw_strn(out, st->nack_message, ADS_MAX_DETAIL_BYTES);
      fprintf(out, ",\"nacked\":%s}", st->nacked ? "true" : "false");
    }
    fputs("}}", out);
  }
  fputs(first ? "]" : "\n]", out);
  return listed;
}

void ads_metrics_text(struct ads *a, FILE *out) {
  prom_metric(out, "xdsd_streams", "gauge", "ADS streams open now.", a->n_streams);
  prom_metric(out, "xdsd_streams_total", "counter", "ADS streams accepted.", a->streams_total);
  prom_metric(out, "xdsd_requests_total", "counter", "DiscoveryRequests received.", a->requests_total);
  struct {
    const char *name, *help;
    uint64_t *v;
  } per_type[] = {
      {"xdsd_pushes_total", "DiscoveryResponses sent.", a->pushes_total},
      {"xdsd_acks_total", "ACKs received.", a->acks_total},
      {"xdsd_nacks_total", "NACKs received.", a->nacks_total},
      {"xdsd_stale_requests_total", "Requests with a stale nonce, ignored.", a->stale_total},
      {"xdsd_stale_nacks_total", "Stale requests that carried error_detail (logged, then ignored).",
       a->stale_nacks_total},
  };
  for (size_t m = 0; m < sizeof per_type / sizeof per_type[0]; m++) {
    prom_header(out, per_type[m].name, "counter", per_type[m].help);
    for (int t = 0; t < XDS_NTYPES; t++)
      prom_sample(out, per_type[m].name, "type", snapshot_type_name(t), per_type[m].v[t]);
  }
  prom_metric(out, "xdsd_unimplemented_total", "counter", "Calls to methods xdsd does not serve.",
              a->unimplemented_total);
  prom_header(out, "xdsd_refused_total", "counter",
              "Requests over a limit (docs/xdsd.md, Limits): their streams were ended.");
  for (int r = 0; r < N_REFUSALS; r++)
    prom_sample(out, "xdsd_refused_total", "reason", refusal_names[r], a->refused_total[r]);
  prom_metric(out, "xdsd_log_suppressed_total", "counter", "Log lines caused by clients left out over the rate limit.",
              a->log_suppressed_total);
  prom_header(out, "xdsd_push_latency_seconds", "histogram",
              "From a snapshot change to the ACK of the response it caused.");
  for (size_t i = 0; i < N_BUCKETS; i++)
    fprintf(out, "xdsd_push_latency_seconds_bucket{le=\"%g\"} %" PRIu64 "\n", latency_buckets[i], a->lat_buckets[i]);
  fprintf(out, "xdsd_push_latency_seconds_bucket{le=\"+Inf\"} %" PRIu64 "\n", a->lat_count);
  fprintf(out, "xdsd_push_latency_seconds_sum %.6f\nxdsd_push_latency_seconds_count %" PRIu64 "\n", a->lat_sum,
          a->lat_count);
}

void ads_shutdown(struct ads *a) {
  if (a->shutting_down) return;
  a->shutting_down = 1;
  grpc_server_shutdown_and_notify(a->server, a->cq, &a->shutdown_tag);
  /* ADS streams never end on their own: cancel them; clients keep their config and reconnect. */
  grpc_server_cancel_all_calls(a->server);
}

void ads_cq_closing(struct ads *a) { a->cq_closing = 1; }

int ads_done(const struct ads *a) { return a->shutdown_done && a->n_streams == 0 && a->n_accepting == 0; }

void ads_free(struct ads *a) {
  if (!a) return;
  /* Streams still here had every batch completed (the queue was drained) but never closed. */
  while (a->streams) {
    if (a->streams->ops) log_error("msg=\"stream freed with batches in flight\" stream=%" PRIu64, a->streams->id);
    stream_free(a->streams);
  }
  grpc_server_destroy(a->server);
  snapshot_free(a->snap);
  free(a);
}
