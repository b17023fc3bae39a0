#include "server.h"

#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/support/alloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "health.pb-c.h"
#include "helloworld.pb-c.h"
#include "log.h"
#include "pbuf.h"
#include "tag.h"

#define SAYHELLO_SLOTS 128 /* pending request slots, so that new calls never wait for one */
#define HEALTH_SLOTS 4
#define GENERIC_SLOTS 4

enum call_kind { CALL_SAYHELLO, CALL_HEALTH, CALL_GENERIC };

struct server;

/* One server-side call, from the request slot to the final batch. */
struct call {
  struct tag tag;
  struct server *srv;
  enum call_kind kind;
  int stage; /* 0: waiting for a call, 1: reply batch in flight */
  grpc_call *call;
  grpc_call_details details;  /* generic calls only */
  gpr_timespec deadline;      /* registered calls */
  grpc_metadata_array request_md;
  grpc_byte_buffer *payload;  /* request message (owned; destroyed in call_free) */
  grpc_byte_buffer *reply;    /* reply message (owned) */
  int cancelled;              /* RECV_CLOSE_ON_SERVER result */
  int64_t due_ms;             /* when a delayed reply is due (monotonic) */
  struct call *next;          /* delayed-reply FIFO */
};

struct server {
  const struct server_config *cfg;
  grpc_server *server;
  grpc_completion_queue *cq;
  void *m_sayhello, *m_health;
  int accepting;              /* 0 once shutdown started: do not post new slots */
  int shutdown_done;
  struct tag shutdown_tag;
  /* Delayed replies, in due order: the delay is the same for every call, so a FIFO suffices. */
  struct call *delay_head, *delay_tail;
  uint64_t served;
};

static void call_on_event(struct tag *t, bool ok);

static void call_free(struct call *c) {
  if (c->call) grpc_call_unref(c->call);
  if (c->kind == CALL_GENERIC) grpc_call_details_destroy(&c->details);
  grpc_metadata_array_destroy(&c->request_md);
  if (c->payload) grpc_byte_buffer_destroy(c->payload);
  if (c->reply) grpc_byte_buffer_destroy(c->reply);
  free(c);
}

/* Posts one request slot of the given kind. */
static void post_slot(struct server *s, enum call_kind kind) {
  struct call *c = calloc(1, sizeof *c);
  if (!c) fatal(1, "msg=\"out of memory\"");
  c->tag.handler = call_on_event;
  c->srv = s;
  c->kind = kind;
  grpc_metadata_array_init(&c->request_md);
  grpc_call_error err;
  if (kind == CALL_GENERIC) {
    grpc_call_details_init(&c->details);
    err = grpc_server_request_call(s->server, &c->call, &c->details, &c->request_md, s->cq, s->cq, c);
  } else {
    err = grpc_server_request_registered_call(s->server, kind == CALL_SAYHELLO ? s->m_sayhello : s->m_health,
                                              &c->call, &c->deadline, &c->request_md, &c->payload, s->cq,
                                              s->cq, c);
  }
  if (err != GRPC_CALL_OK) {
    log_error("msg=\"request_call failed\" err=%d", err);
    call_free(c);
  }
}

/* Sends the final batch: initial metadata, the reply (if any), the status, and waits for close. */
static void send_reply(struct call *c, grpc_status_code code, const char *message) {
  grpc_op ops[4];
  memset(ops, 0, sizeof ops);
  size_t n = 0;
  grpc_slice details = grpc_slice_from_static_string(message);
  ops[n++].op = GRPC_OP_SEND_INITIAL_METADATA;
  if (c->reply) {
    ops[n].op = GRPC_OP_SEND_MESSAGE;
    ops[n++].data.send_message.send_message = c->reply;
  }
  ops[n].op = GRPC_OP_SEND_STATUS_FROM_SERVER;
  ops[n].data.send_status_from_server.status = code;
  ops[n++].data.send_status_from_server.status_details = &details;
  ops[n].op = GRPC_OP_RECV_CLOSE_ON_SERVER;
  ops[n++].data.recv_close_on_server.cancelled = &c->cancelled;
  c->stage = 1;
  grpc_call_error err = grpc_call_start_batch(c->call, ops, n, c, NULL);
  if (err != GRPC_CALL_OK) {
    log_error("msg=\"start_batch failed\" err=%d", err);
    call_free(c);
  }
}

/* Builds the SayHello reply "<NAME>: Hello <name>" and logs who asked. */
static void prepare_sayhello(struct call *c) {
  struct server *s = c->srv;
  Helloworld__HelloRequest *req = NULL;
  if (pbuf_unpack(c->payload, &helloworld__hello_request__descriptor, (ProtobufCMessage **)&req) != 0) {
    log_warn("msg=\"bad request payload\" rpc=SayHello");
    send_reply(c, GRPC_STATUS_INVALID_ARGUMENT, "cannot decode HelloRequest");
    return;
  }
  size_t len = strlen(s->cfg->name) + strlen(req->name) + 16;
  char *text = malloc(len);
  if (!text) fatal(1, "msg=\"out of memory\"");
  snprintf(text, len, "%s: Hello %s", s->cfg->name, req->name);
  Helloworld__HelloReply reply = HELLOWORLD__HELLO_REPLY__INIT;
  reply.message = text;
  c->reply = pbuf_pack(&reply.base);
  free(text);

  /* The request name is "<client>_<counter>": log both, as the demo's "Received: <name>". */
  const char *us = strrchr(req->name, '_');
  log_info("msg=received rpc=SayHello name=%s from=%.*s counter=%s", req->name,
           us ? (int)(us - req->name) : (int)strlen(req->name), req->name, us ? us + 1 : "-");
  protobuf_c_message_free_unpacked(&req->base, NULL);
  s->served++;

  if (s->cfg->response_delay_ms > 0) {
    c->due_ms = clock_now_ms() + s->cfg->response_delay_ms;
    c->next = NULL;
    if (s->delay_tail)
      s->delay_tail->next = c;
    else
      s->delay_head = c;
    s->delay_tail = c;
  } else {
    send_reply(c, GRPC_STATUS_OK, "");
  }
}

static void prepare_health(struct call *c) {
  Grpc__Health__V1__HealthCheckResponse resp = GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__INIT;
  /* While draining, say so: a probe must stop sending traffic here. */
  resp.status = c->srv->accepting ? GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING
                                  : GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__NOT_SERVING;
  c->reply = pbuf_pack(&resp.base);
  send_reply(c, GRPC_STATUS_OK, "");
}

static void call_on_event(struct tag *t, bool ok) {
  struct call *c = (struct call *)t;
  struct server *s = c->srv;
  if (c->stage == 1) { /* the reply batch finished */
    call_free(c);
    return;
  }
  if (!ok) { /* a slot returned by shutdown */
    call_free(c);
    return;
  }
  if (s->accepting) post_slot(s, c->kind);
  switch (c->kind) {
    case CALL_SAYHELLO:
      prepare_sayhello(c);
      break;
    case CALL_HEALTH:
      prepare_health(c);
      break;
    case CALL_GENERIC: {
      char *method = grpc_slice_to_c_string(c->details.method);
      log_warn("msg=\"unknown method\" method=%s", method);
      gpr_free(method);
      send_reply(c, GRPC_STATUS_UNIMPLEMENTED, "unknown method");
      break;
    }
  }
}

static void on_shutdown(struct tag *t, bool ok) {
  (void)ok;
  struct server *s = (struct server *)((char *)t - offsetof(struct server, shutdown_tag));
  s->shutdown_done = 1;
}

/* Sends every delayed reply that is due. */
static void flush_due(struct server *s, int64_t now) {
  while (s->delay_head && s->delay_head->due_ms <= now) {
    struct call *c = s->delay_head;
    s->delay_head = c->next;
    if (!s->delay_head) s->delay_tail = NULL;
    send_reply(c, GRPC_STATUS_OK, "");
  }
}

static grpc_server *server_create(const struct server_config *cfg) {
  grpc_arg args[2];
  size_t n = 0;
  if (cfg->max_connection_age_ms >= 0) {
    args[n].type = GRPC_ARG_INTEGER;
    args[n].key = GRPC_ARG_MAX_CONNECTION_AGE_MS;
    args[n++].value.integer = (int)cfg->max_connection_age_ms;
  }
  if (cfg->max_connection_age_grace_ms >= 0) {
    args[n].type = GRPC_ARG_INTEGER;
    args[n].key = GRPC_ARG_MAX_CONNECTION_AGE_GRACE_MS;
    args[n++].value.integer = (int)cfg->max_connection_age_grace_ms;
  }
  grpc_channel_args ch_args = {.num_args = n, .args = args};
  return grpc_server_create(&ch_args, NULL);
}

int server_run(const struct server_config *cfg, volatile sig_atomic_t *stop) {
  struct server s = {.cfg = cfg, .accepting = 1};
  s.shutdown_tag.handler = on_shutdown;
  s.server = server_create(cfg);
  s.cq = grpc_completion_queue_create_for_next(NULL);
  grpc_server_register_completion_queue(s.server, s.cq, NULL);
  s.m_sayhello = grpc_server_register_method(s.server, "/helloworld.Greeter/SayHello", NULL,
                                             GRPC_SRM_PAYLOAD_READ_INITIAL_BYTE_BUFFER, 0);
  s.m_health = grpc_server_register_method(s.server, "/grpc.health.v1.Health/Check", NULL,
                                           GRPC_SRM_PAYLOAD_READ_INITIAL_BYTE_BUFFER, 0);
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
  for (int i = 0; i < HEALTH_SLOTS; i++) post_slot(&s, CALL_HEALTH);
  for (int i = 0; i < GENERIC_SLOTS; i++) post_slot(&s, CALL_GENERIC);
  log_info("msg=listening name=%s address=%s response_delay_ms=%lld max_connection_age_ms=%lld "
           "max_connection_age_grace_ms=%lld",
           cfg->name, cfg->listen_address, (long long)cfg->response_delay_ms,
           (long long)cfg->max_connection_age_ms, (long long)cfg->max_connection_age_grace_ms);

  int64_t cancel_at = -1;
  int cancelled = 0;
  while (!s.shutdown_done) {
    int64_t now = clock_now_ms();
    flush_due(&s, now);
    if (*stop && s.accepting) {
      /* Graceful drain: stop accepting, let in-flight calls finish, cancel only after the grace. */
      log_info("msg=draining in_flight_delayed=%s grace_ms=%lld", s.delay_head ? "yes" : "no",
               (long long)cfg->shutdown_grace_ms);
      s.accepting = 0;
      grpc_server_shutdown_and_notify(s.server, s.cq, &s.shutdown_tag);
      cancel_at = now + cfg->shutdown_grace_ms;
    }
    if (cancel_at >= 0 && !cancelled && now >= cancel_at) {
      log_warn("msg=\"drain grace expired, cancelling remaining calls\"");
      grpc_server_cancel_all_calls(s.server);
      cancelled = 1;
    }
    int64_t wait = 200;
    if (s.delay_head && s.delay_head->due_ms - now < wait) wait = s.delay_head->due_ms - now;
    if (wait < 0) wait = 0;
    grpc_event ev = grpc_completion_queue_next(s.cq, clock_deadline_in_ms(wait), NULL);
    if (ev.type == GRPC_OP_COMPLETE) ((struct tag *)ev.tag)->handler(ev.tag, ev.success);
  }
  log_info("msg=stopped served=%llu", (unsigned long long)s.served);
  grpc_server_destroy(s.server);
out_cq:
  grpc_completion_queue_shutdown(s.cq);
  for (;;) {
    grpc_event ev = grpc_completion_queue_next(s.cq, gpr_inf_future(GPR_CLOCK_MONOTONIC), NULL);
    if (ev.type == GRPC_QUEUE_SHUTDOWN) break;
    if (ev.type == GRPC_OP_COMPLETE) ((struct tag *)ev.tag)->handler(ev.tag, ev.success);
  }
  grpc_completion_queue_destroy(s.cq);
  return rc;
}
