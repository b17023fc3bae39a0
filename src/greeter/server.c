#include "server.h"

#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/support/alloc.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "grpcarg.h"
#include "health.pb-c.h"
#include "helloworld.pb-c.h"
#include "log.h"
#include "pbuf.h"
#include "tag.h"

#define SAYHELLO_SLOTS 128 /* pending request slots, so that new calls never wait for one */
#define HEALTH_SLOTS 4
#define GENERIC_SLOTS 4
#define DRAIN_QUIET_MS 150 /* no new call for this long after NOT_SERVING: clients have moved away */
#define DRAIN_NOTICE_MAX_MS 2000
#define MIN_PING_INTERVAL_MS 500 /* clients' keepalive PINGs may come this often (ours: every 1 s) */

enum call_kind { CALL_SAYHELLO, CALL_HEALTH_CHECK, CALL_HEALTH_WATCH, CALL_GENERIC, CALL_KINDS };

struct server;

/* One server-side call, from its request slot to its last batch. Once the call has arrived it holds
 * one reference per outstanding batch; it is freed when the last one completes. */
struct call {
  struct tag tag;       /* request slot, then reply/stream sends */
  struct tag close_tag; /* RECV_CLOSE_ON_SERVER, started as soon as the call arrives */
  struct server *srv;
  enum call_kind kind;
  int arrived;
  int refs;
  int close_watched;     /* RECV_CLOSE_ON_SERVER in a batch of its own (else in the final send's) */
  int closed;            /* RECV_CLOSE_ON_SERVER completed */
  int sending;           /* a send batch is in flight */
  int finished;          /* the status has been sent (or is being sent) */
  int watch_sent_status; /* Watch: the health status last sent, -1 none */
  int watch_unknown;     /* Watch: the service named is not ours (SERVICE_UNKNOWN) */
  int watching;          /* Watch: in the watcher list, holding the owner's reference */
  grpc_call *call;
  grpc_call_details details; /* generic calls only */
  gpr_timespec deadline;     /* registered calls */
  grpc_metadata_array request_md;
  grpc_byte_buffer *payload; /* request message (owned) */
  grpc_byte_buffer *reply;   /* message of the send batch in flight (owned) */
  int cancelled;             /* RECV_CLOSE_ON_SERVER result */
  int64_t due_ms;            /* when a delayed reply is due (monotonic) */
  int delayed;               /* in the delayed-reply FIFO, which holds the owner's reference */
  struct call *next;         /* delayed-reply FIFO, or the list of health watchers */
  struct call *prev;         /* delayed-reply FIFO only: a cancelled call leaves it at once */
};

enum drain_phase { RUNNING, NOTICE, SHUTTING_DOWN };

struct server {
  const struct server_config *cfg;
  grpc_server *server;
  grpc_completion_queue *cq;
  void *methods[CALL_KINDS];
  enum drain_phase phase;
  int shutdown_done;
  struct tag shutdown_tag;
  /* Delayed replies, in due order: the delay is the same for every call, so a FIFO suffices. */
  struct call *delay_head, *delay_tail;
  struct call *watchers;   /* open Health/Watch streams */
  int64_t last_call_ms;    /* arrival of the last SayHello (drain quiet detection) */
  int64_t notice_start_ms; /* when the drain notice began */
  uint64_t served;
};

static void call_on_event(struct tag *t, bool ok);
static void call_on_close(struct tag *t, bool ok);

static void call_free(struct call *c) {
  if (c->call) grpc_call_unref(c->call);
  if (c->kind == CALL_GENERIC) grpc_call_details_destroy(&c->details);
  grpc_metadata_array_destroy(&c->request_md);
  if (c->payload) grpc_byte_buffer_destroy(c->payload);
  if (c->reply) grpc_byte_buffer_destroy(c->reply);
  free(c);
}

static void call_unref(struct call *c) {
  if (--c->refs == 0) call_free(c);
}

static void post_slot(struct server *s, enum call_kind kind) {
  struct call *c = calloc(1, sizeof *c);
  if (!c) fatal(1, "msg=\"out of memory\"");
  c->tag.handler = call_on_event;
  c->close_tag.handler = call_on_close;
  c->srv = s;
  c->kind = kind;
  c->watch_sent_status = -1;
  grpc_metadata_array_init(&c->request_md);
  grpc_call_error err;
  if (kind == CALL_GENERIC) {
    grpc_call_details_init(&c->details);
    err = grpc_server_request_call(s->server, &c->call, &c->details, &c->request_md, s->cq, s->cq, c);
  } else {
    err = grpc_server_request_registered_call(s->server, s->methods[kind], &c->call, &c->deadline, &c->request_md,
                                              &c->payload, s->cq, s->cq, c);
  }
  if (err != GRPC_CALL_OK) {
    log_error("msg=\"request_call failed\" err=%d", err);
    call_free(c);
  }
}

/* Starts a send batch: initial metadata on the first send, the message `msg` if any, and the status
 * when `final`. Takes ownership of `msg` (kept in c->reply until the next send or the call's end, and
 * freed even when the batch cannot start). At most one send batch is in flight per call. Returns 0,
 * or -1 when the batch did not start: then nothing was sent and c->finished is unchanged. A call
 * whose end nobody watches (an undelayed SayHello: start_close_watch was not called) receives its
 * close in this batch, which then ends it. */
static int send_batch(struct call *c, int first, grpc_byte_buffer *msg, int final, grpc_status_code code,
                      const char *details_text) {
  grpc_op ops[4];
  memset(ops, 0, sizeof ops);
  size_t n = 0;
  grpc_slice details = grpc_slice_from_static_string(details_text);
  if (first) ops[n++].op = GRPC_OP_SEND_INITIAL_METADATA;
  if (c->reply) grpc_byte_buffer_destroy(c->reply);
  c->reply = msg;
  if (msg) {
    ops[n].op = GRPC_OP_SEND_MESSAGE;
    ops[n++].data.send_message.send_message = msg;
  }
  if (final) {
    ops[n].op = GRPC_OP_SEND_STATUS_FROM_SERVER;
    ops[n].data.send_status_from_server.status = code;
    ops[n++].data.send_status_from_server.status_details = &details;
  }
  if (final && !c->close_watched) {
    ops[n].op = GRPC_OP_RECV_CLOSE_ON_SERVER;
    ops[n++].data.recv_close_on_server.cancelled = &c->cancelled;
  }
  c->sending = 1;
  c->refs++;
  if (grpc_call_start_batch(c->call, ops, n, &c->tag, NULL) != GRPC_CALL_OK) {
    log_error("msg=\"start_batch failed\" op=send");
    c->sending = 0;
    call_unref(c);
    return -1;
  }
  if (final) c->finished = 1; /* only once the status is on its way */
  return 0;
}

/* A unary reply: metadata, message, status in one batch. */
static void send_unary(struct call *c, grpc_byte_buffer *msg, grpc_status_code code, const char *details) {
  send_batch(c, 1, msg, 1, code, details);
}

/* Watches for the end of the call from the start: a pending RECV_CLOSE_ON_SERVER keeps the call
 * known to the server while its reply is delayed, and tells when a client goes away. */
static void start_close_watch(struct call *c) {
  c->close_watched = 1;
  grpc_op op;
  memset(&op, 0, sizeof op);
  op.op = GRPC_OP_RECV_CLOSE_ON_SERVER;
  op.data.recv_close_on_server.cancelled = &c->cancelled;
  c->refs++;
  if (grpc_call_start_batch(c->call, &op, 1, &c->close_tag, NULL) != GRPC_CALL_OK) {
    log_error("msg=\"start_batch failed\" op=recv_close");
    call_unref(c);
  }
}

static int health_status(const struct server *s) {
  return s->phase == RUNNING ? GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING
                             : GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__NOT_SERVING;
}

static grpc_byte_buffer *health_message(int status) {
  Grpc__Health__V1__HealthCheckResponse resp = GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__INIT;
  resp.status = status;
  return pbuf_pack(&resp.base);
}

/* Brings one Health/Watch stream up to date: sends the current status if it changed, or ends the
 * stream once the server shuts down. Called whenever a send completes or the status changes. */
static void watch_update(struct call *c) {
  struct server *s = c->srv;
  if (c->sending || c->finished || c->closed) return;
  int status =
      c->watch_unknown ? GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVICE_UNKNOWN : health_status(s);
  if (status != c->watch_sent_status) {
    if (send_batch(c, c->watch_sent_status == -1, health_message(status), 0, GRPC_STATUS_OK, "") == 0)
      c->watch_sent_status = status; /* a send that did not start is tried again on the next change */
  } else if (s->phase == SHUTTING_DOWN) {
    send_batch(c, 0, NULL, 1, GRPC_STATUS_OK, "");
  }
}

static void watchers_update(struct server *s) {
  for (struct call *c = s->watchers; c; c = c->next) watch_update(c);
}

static void watchers_remove(struct server *s, struct call *c) {
  for (struct call **p = &s->watchers; *p; p = &(*p)->next)
    if (*p == c) {
      *p = c->next;
      return;
    }
}

/* Whether a HealthCheckRequest names a service we have a status for: the server ("") and the
 * Greeter. Returns 1 or 0, or -1 when the request cannot be decoded. */
static int health_known_service(struct call *c) {
  Grpc__Health__V1__HealthCheckRequest *req = NULL;
  if (pbuf_unpack(c->payload, &grpc__health__v1__health_check_request__descriptor, (ProtobufCMessage **)&req) != 0)
    return -1;
  int known = strcmp(req->service, "") == 0 || strcmp(req->service, "helloworld.Greeter") == 0;
  protobuf_c_message_free_unpacked(&req->base, NULL);
  return known;
}

/* Health/Check as grpc.health.v1 specifies it: any other service name is NOT_FOUND, so that a probe
 * naming the wrong service fails. (Watch answers SERVICE_UNKNOWN instead, as the protocol says.) */
static void handle_health_check(struct call *c) {
  int known = health_known_service(c);
  if (known < 0) {
    send_unary(c, NULL, GRPC_STATUS_INVALID_ARGUMENT, "cannot decode HealthCheckRequest");
    return;
  }
  if (known)
    send_unary(c, health_message(health_status(c->srv)), GRPC_STATUS_OK, "");
  else
    send_unary(c, NULL, GRPC_STATUS_NOT_FOUND, "unknown service");
}

static void delay_push(struct server *s, struct call *c) {
  c->delayed = 1;
  c->next = NULL;
  c->prev = s->delay_tail;
  if (s->delay_tail)
    s->delay_tail->next = c;
  else
    s->delay_head = c;
  s->delay_tail = c;
}

static void delay_remove(struct server *s, struct call *c) {
  if (c->prev)
    c->prev->next = c->next;
  else
    s->delay_head = c->next;
  if (c->next)
    c->next->prev = c->prev;
  else
    s->delay_tail = c->prev;
  c->next = c->prev = NULL;
  c->delayed = 0;
}

/* Builds the SayHello reply "<NAME>: Hello <name>", logs who asked, and sends it now or later.
 * Returns 1 when the reply is delayed: the delay FIFO then holds the owner's reference. */
static int handle_sayhello(struct call *c) {
  struct server *s = c->srv;
  Helloworld__HelloRequest *req = NULL;
  if (!c->payload) {
    /* No message: the call was cancelled (or half-closed) before its request arrived, as calls whose
     * deadline expired while they waited for a request slot are. Not a malformed payload. */
    log_debug("msg=\"no request message\" rpc=SayHello");
    send_unary(c, NULL, GRPC_STATUS_INVALID_ARGUMENT, "missing HelloRequest");
    return 0;
  }
  if (pbuf_unpack(c->payload, &helloworld__hello_request__descriptor, (ProtobufCMessage **)&req) != 0) {
    log_warn("msg=\"bad request payload\" rpc=SayHello");
    send_unary(c, NULL, GRPC_STATUS_INVALID_ARGUMENT, "cannot decode HelloRequest");
    return 0;
  }
  size_t len = strlen(s->cfg->name) + strlen(req->name) + 16;
  char *text = malloc(len);
  if (!text) fatal(1, "msg=\"out of memory\"");
  snprintf(text, len, "%s: Hello %s", s->cfg->name, req->name);
  Helloworld__HelloReply reply = HELLOWORLD__HELLO_REPLY__INIT;
  reply.message = text;
  grpc_byte_buffer *msg = pbuf_pack(&reply.base);
  free(text);

  /* The request name is "<client>_<counter>": log both, as the demo's "Received: <name>". */
  if (log_enabled(LOG_LEVEL_INFO)) {
    const char *us = strrchr(req->name, '_');
    size_t full = strlen(req->name);
    char name[160], from[160], counter[32];
    log_sanitize(req->name, full, name, sizeof name);
    log_sanitize(req->name, us ? (size_t)(us - req->name) : full, from, sizeof from);
    log_sanitize(us ? us + 1 : "-", us ? strlen(us + 1) : 1, counter, sizeof counter);
    char *peer = grpc_call_get_peer(c->call);
    log_info("msg=received rpc=SayHello name=%s from=%s counter=%s peer=%s", name, from, counter, peer);
    gpr_free(peer);
  }
  protobuf_c_message_free_unpacked(&req->base, NULL);
  s->served++;
  s->last_call_ms = clock_now_ms();

  if (s->cfg->response_delay_ms > 0) {
    c->reply = msg;
    c->due_ms = s->last_call_ms + s->cfg->response_delay_ms;
    delay_push(s, c);
    return 1;
  }
  send_unary(c, msg, GRPC_STATUS_OK, "");
  return 0;
}

static void handle_arrival(struct call *c) {
  struct server *s = c->srv;
  c->arrived = 1;
  c->refs = 1; /* the owner's reference, dropped below or when the call finishes */
  if (s->phase != SHUTTING_DOWN) post_slot(s, c->kind);
  /* An undelayed SayHello is answered in this turn: its close comes with its reply's batch, one batch
   * a call instead of two (gRPC core's CPU per call is most of the server's: BENCHMARKS.md). */
  if (c->kind != CALL_SAYHELLO || s->cfg->response_delay_ms > 0) start_close_watch(c);
  switch (c->kind) {
    case CALL_SAYHELLO:
      if (handle_sayhello(c)) return;
      break;
    case CALL_HEALTH_CHECK:
      handle_health_check(c);
      break;
    case CALL_HEALTH_WATCH:
      c->watch_unknown = health_known_service(c);
      if (c->watch_unknown < 0) {
        send_unary(c, NULL, GRPC_STATUS_INVALID_ARGUMENT, "cannot decode HealthCheckRequest");
        break;
      }
      c->watch_unknown = !c->watch_unknown;
      log_info("msg=\"health watch\" service_known=%d", !c->watch_unknown);
      c->watching = 1;
      c->next = s->watchers;
      s->watchers = c;
      watch_update(c);
      return; /* keeps its reference while it is a watcher */
    case CALL_GENERIC: {
      char *method = grpc_slice_to_c_string(c->details.method);
      log_warn("msg=\"unknown method\" method=%s", method);
      gpr_free(method);
      send_unary(c, NULL, GRPC_STATUS_UNIMPLEMENTED, "unknown method");
      break;
    }
    case CALL_KINDS:
      break;
  }
  call_unref(c);
}

static void call_on_event(struct tag *t, bool ok) {
  struct call *c = (struct call *)t;
  if (!c->arrived) {
    if (ok)
      handle_arrival(c);
    else
      call_free(c); /* a slot returned by shutdown */
    return;
  }
  c->sending = 0; /* a send batch completed */
  if (c->kind == CALL_HEALTH_WATCH && ok) watch_update(c);
  call_unref(c);
}

static void call_on_close(struct tag *t, bool ok) {
  (void)ok;
  struct call *c = (struct call *)((char *)t - offsetof(struct call, close_tag));
  c->closed = 1;
  /* RECV_CLOSE_ON_SERVER completes before the status is sent only when the call is over: cancelled
   * by its client, its deadline, or the transport. A delayed reply is then dropped at once, with
   * the FIFO's (the owner's) reference, instead of holding the call until it is due. */
  if (c->delayed) {
    log_debug("msg=\"call cancelled\" rpc=SayHello cancelled=%d", c->cancelled);
    delay_remove(c->srv, c);
    grpc_byte_buffer_destroy(c->reply);
    c->reply = NULL;
    call_unref(c);
  }
  /* Only a registered watcher holds the owner's reference here: a Watch call that was answered at
   * once (an undecodable or absent request, e.g. cancelled before its message) already dropped it. */
  if (c->watching) {
    watchers_remove(c->srv, c);
    c->watching = 0;
    call_unref(c);
  }
  call_unref(c);
}

static void on_shutdown(struct tag *t, bool ok) {
  (void)ok;
  struct server *s = (struct server *)((char *)t - offsetof(struct server, shutdown_tag));
  s->shutdown_done = 1;
}

/* Sends every delayed reply that is due; the FIFO held the owner's reference. */
static void flush_due(struct server *s, int64_t now) {
  while (s->delay_head && s->delay_head->due_ms <= now) {
    struct call *c = s->delay_head;
    delay_remove(s, c);
    grpc_byte_buffer *msg = c->reply;
    c->reply = NULL;
    send_unary(c, msg, GRPC_STATUS_OK, "");
    call_unref(c);
  }
}

static grpc_server *server_create(const struct server_config *cfg) {
  grpc_arg args[6];
  size_t n = 0;
  /* gRPC sets SO_REUSEPORT by default: a second server on the same address would start and
   * silently share the traffic. Refuse, so that a port in use is an error. */
  args[n++] = grpcarg_int(GRPC_ARG_ALLOW_REUSEPORT, 0);
  /* Clients detect a hung server with keepalive PINGs, with or without calls in flight. gRPC's
   * defaults answer a PING sent sooner than 5 minutes after the last data (or any PING without a
   * call) with a strike, and the third strike with GOAWAY too_many_pings. Faster pings than
   * MIN_PING_INTERVAL_MS still count as strikes. */
  args[n++] = grpcarg_int(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  args[n++] = grpcarg_int(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, MIN_PING_INTERVAL_MS);
  if (cfg->max_connection_age_ms >= 0) {
    args[n++] = grpcarg_int(GRPC_ARG_MAX_CONNECTION_AGE_MS, (int)cfg->max_connection_age_ms);
  }
  if (cfg->max_connection_age_grace_ms >= 0) {
    args[n++] = grpcarg_int(GRPC_ARG_MAX_CONNECTION_AGE_GRACE_MS, (int)cfg->max_connection_age_grace_ms);
  }
  grpc_channel_args ch_args = {.num_args = n, .args = args};
  return grpc_server_create(&ch_args, NULL);
}

/* The drain, in three steps:
 * 1. NOTICE: health turns NOT_SERVING and every Health/Watch stream is told, so clients that check
 *    health (ours do) stop picking this server; calls keep being served. gRPC core cancels calls
 *    that arrive after grpc_server_shutdown_and_notify, so this step closes that race.
 * 2. SHUTTING_DOWN: once no call arrived for DRAIN_QUIET_MS since the notice (at once without
 *    watchers; at most DRAIN_NOTICE_MAX_MS), stop
 *    accepting; in-flight calls finish.
 * 3. After SHUTDOWN_GRACE, cancel what is left. */
static void drain_step(struct server *s, int64_t now, int64_t *notice_end, int64_t *cancel_at) {
  if (s->phase == RUNNING) {
    s->notice_start_ms = now;
    log_info("msg=draining watchers=%s grace_ms=%lld", s->watchers ? "yes" : "no",
             (long long)s->cfg->shutdown_grace_ms);
    s->phase = NOTICE;
    *notice_end = now + DRAIN_NOTICE_MAX_MS;
    *cancel_at = now + s->cfg->shutdown_grace_ms;
    watchers_update(s);
    if (!s->watchers) *notice_end = now;
  }
  int quiet = now - s->notice_start_ms >= DRAIN_QUIET_MS && now - s->last_call_ms >= DRAIN_QUIET_MS;
  if (s->phase == NOTICE && (quiet || now >= *notice_end || now >= *cancel_at)) {
    log_info("msg=\"stopped accepting calls\"");
    s->phase = SHUTTING_DOWN;
    grpc_server_shutdown_and_notify(s->server, s->cq, &s->shutdown_tag);
    watchers_update(s);
  }
}

int server_run(const struct server_config *cfg, volatile sig_atomic_t *stop) {
  struct server s = {.cfg = cfg, .phase = RUNNING};
  s.shutdown_tag.handler = on_shutdown;
  s.server = server_create(cfg);
  s.cq = grpc_completion_queue_create_for_next(NULL);
  grpc_server_register_completion_queue(s.server, s.cq, NULL);
  static const char *const paths[] = {"/helloworld.Greeter/SayHello", "/grpc.health.v1.Health/Check",
                                      "/grpc.health.v1.Health/Watch"};
  for (int k = 0; k < 3; k++)
    s.methods[k] = grpc_server_register_method(s.server, paths[k], NULL, GRPC_SRM_PAYLOAD_READ_INITIAL_BYTE_BUFFER, 0);
  grpc_server_credentials *creds = grpc_insecure_server_credentials_create();
  int port = grpc_server_add_http2_port(s.server, cfg->listen_address, creds);
  grpc_server_credentials_release(creds);
  int rc = 0;
  if (port == 0) {
    log_error("msg=\"cannot listen\" address=%s", cfg->listen_address);
    grpc_server_destroy(s.server);
    rc = -1;
    goto out_cq;
  }
  grpc_server_start(s.server);
  for (int i = 0; i < SAYHELLO_SLOTS; i++) post_slot(&s, CALL_SAYHELLO);
  for (int i = 0; i < HEALTH_SLOTS; i++) post_slot(&s, CALL_HEALTH_CHECK);
  for (int i = 0; i < HEALTH_SLOTS; i++) post_slot(&s, CALL_HEALTH_WATCH);
  for (int i = 0; i < GENERIC_SLOTS; i++) post_slot(&s, CALL_GENERIC);
  log_info(
      "msg=listening name=%s address=%s response_delay_ms=%lld max_connection_age_ms=%lld "
      "max_connection_age_grace_ms=%lld",
      cfg->name, cfg->listen_address, (long long)cfg->response_delay_ms, (long long)cfg->max_connection_age_ms,
      (long long)cfg->max_connection_age_grace_ms);

  int64_t notice_end = 0, cancel_at = 0;
  int cancelled = 0;
  while (!s.shutdown_done) {
    int64_t now = clock_now_ms();
    flush_due(&s, now);
    if (*stop) drain_step(&s, now, &notice_end, &cancel_at);
    if (s.phase == SHUTTING_DOWN && !cancelled && now >= cancel_at) {
      log_warn("msg=\"drain grace expired, cancelling remaining calls\"");
      grpc_server_cancel_all_calls(s.server);
      cancelled = 1;
    }
    int64_t wait = s.phase == NOTICE ? 20 : 200;
    if (s.delay_head && s.delay_head->due_ms - now < wait) wait = s.delay_head->due_ms - now;
    if (wait < 0) wait = 0;
    grpc_event ev = grpc_completion_queue_next(s.cq, clock_deadline_in_ms(wait), NULL);
    if (ev.type == GRPC_OP_COMPLETE) ((struct tag *)ev.tag)->handler(ev.tag, ev.success);
  }
  log_info("msg=stopped served=%llu", (unsigned long long)s.served);
  /* Replies still delayed belong to calls that were cancelled (grace expired, client gone): their
   * sends complete with ok=0 and the drain below releases them. */
  flush_due(&s, INT64_MAX);
  grpc_server_destroy(s.server);
out_cq:
  tag_drain_cq(s.cq, 1);
  grpc_completion_queue_destroy(s.cq);
  return rc;
}
