#include "adsc.h"

#include <grpc/grpc_security.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "pbuf.h"

enum { TAG_SEND = 1, TAG_RECV, TAG_STATUS, TAG_MD };

struct adsc {
  grpc_channel *ch;
  grpc_completion_queue *cq;
  grpc_call *call;
  char *node_id, *user_agent;
  int node_every_time, node_sent;
  int recv_pending, status_done;
  grpc_byte_buffer *recv_buf;
  grpc_metadata_array initial_md, trailing_md;
  grpc_status_code status;
  grpc_slice details;
};

/* Runs the queue until `want` completes or the deadline passes; returns its success, or -1 on timeout. */
static int wait_tag(struct adsc *c, intptr_t want, int ms) {
  gpr_timespec deadline = clock_deadline_in_ms(ms);
  for (;;) {
    grpc_event ev = grpc_completion_queue_next(c->cq, deadline, NULL);
    if (ev.type == GRPC_QUEUE_TIMEOUT) return -1;
    if (ev.type != GRPC_OP_COMPLETE) return -1;
    intptr_t t = (intptr_t)ev.tag;
    if (t == TAG_RECV) c->recv_pending = 0;
    if (t == TAG_STATUS) c->status_done = 1;
    if (t == want) return ev.success ? 1 : 0;
  }
}

struct adsc *adsc_open(const char *addr, const char *method, const char *node_id, const char *user_agent,
                       int node_every_time) {
  struct adsc *c = calloc(1, sizeof *c);
  c->node_id = strdup(node_id);
  c->user_agent = strdup(user_agent);
  c->node_every_time = node_every_time;
  grpc_channel_credentials *creds = grpc_insecure_credentials_create();
  c->ch = grpc_channel_create(addr, creds, NULL);
  grpc_channel_credentials_release(creds);
  c->cq = grpc_completion_queue_create_for_next(NULL);
  c->call = grpc_channel_create_call(c->ch, NULL, GRPC_PROPAGATE_DEFAULTS, c->cq, grpc_slice_from_static_string(method),
                                     NULL, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
  grpc_metadata_array_init(&c->initial_md);
  grpc_metadata_array_init(&c->trailing_md);
  grpc_op ops[3];
  memset(ops, 0, sizeof ops);
  ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
  ops[0].flags = GRPC_INITIAL_METADATA_WAIT_FOR_READY;
  grpc_call_start_batch(c->call, ops, 1, (void *)(intptr_t)TAG_MD, NULL);
  /* gRPC core delivers neither messages nor a trailers-only status until initial metadata is asked
   * for, so that goes with the status receive, started once for the whole call. */
  memset(ops, 0, sizeof ops);
  ops[0].op = GRPC_OP_RECV_INITIAL_METADATA;
  ops[0].data.recv_initial_metadata.recv_initial_metadata = &c->initial_md;
  ops[1].op = GRPC_OP_RECV_STATUS_ON_CLIENT;
  ops[1].data.recv_status_on_client.trailing_metadata = &c->trailing_md;
  ops[1].data.recv_status_on_client.status = &c->status;
  ops[1].data.recv_status_on_client.status_details = &c->details;
  grpc_call_start_batch(c->call, ops, 2, (void *)(intptr_t)TAG_STATUS, NULL);
  return c;
}

int adsc_send(struct adsc *c, const char *type_url, const char *const *names, size_t n, const char *version,
              const char *nonce, const char *error) {
  Envoy__Config__Core__V3__Locality loc = ENVOY__CONFIG__CORE__V3__LOCALITY__INIT;
  loc.zone = "z1";
  Envoy__Config__Core__V3__Node node = ENVOY__CONFIG__CORE__V3__NODE__INIT;
  node.id = c->node_id;
  node.cluster = "test";
  node.locality = &loc;
  node.user_agent_name = c->user_agent;
  Google__Rpc__Status st = GOOGLE__RPC__STATUS__INIT;
  st.code = 3;
  st.message = (char *)error;
  Envoy__Service__Discovery__V3__DiscoveryRequest req = ENVOY__SERVICE__DISCOVERY__V3__DISCOVERY_REQUEST__INIT;
  req.type_url = (char *)type_url;
  req.version_info = (char *)(version ? version : "");
  req.response_nonce = (char *)(nonce ? nonce : "");
  req.resource_names = (char **)names;
  req.n_resource_names = n;
  if (error) req.error_detail = &st;
  if (!c->node_sent || c->node_every_time) req.node = &node;
  c->node_sent = 1;
  grpc_byte_buffer *bb = pbuf_pack(&req.base);
  grpc_op op;
  memset(&op, 0, sizeof op);
  op.op = GRPC_OP_SEND_MESSAGE;
  op.data.send_message.send_message = bb;
  int rc = -1;
  if (grpc_call_start_batch(c->call, &op, 1, (void *)(intptr_t)TAG_SEND, NULL) == GRPC_CALL_OK &&
      wait_tag(c, TAG_SEND, 5000) == 1)
    rc = 0;
  grpc_byte_buffer_destroy(bb);
  return rc;
}

adsc_response *adsc_recv(struct adsc *c, int ms) {
  /* A receive may have completed while adsc_send waited for its send: that message comes first (a
   * new receive would overwrite recv_buf). */
  if (!c->recv_pending && !c->recv_buf) {
    if (c->status_done) return NULL;
    grpc_op ops[2];
    memset(ops, 0, sizeof ops);
    size_t n = 0;
    ops[n].op = GRPC_OP_RECV_MESSAGE;
    ops[n++].data.recv_message.recv_message = &c->recv_buf;
    if (grpc_call_start_batch(c->call, ops, n, (void *)(intptr_t)TAG_RECV, NULL) != GRPC_CALL_OK) return NULL;
    c->recv_pending = 1;
  }
  if (c->recv_pending && wait_tag(c, TAG_RECV, ms) != 1) return NULL;
  if (!c->recv_buf) return NULL;
  adsc_response *r = NULL;
  pbuf_unpack(c->recv_buf, &envoy__service__discovery__v3__discovery_response__descriptor, (ProtobufCMessage **)&r);
  grpc_byte_buffer_destroy(c->recv_buf);
  c->recv_buf = NULL;
  return r;
}

void adsc_free_response(adsc_response *r) {
  if (r) protobuf_c_message_free_unpacked(&r->base, NULL);
}

int adsc_status(struct adsc *c, int ms) {
  int64_t end = clock_now_ms() + ms;
  while (!c->status_done) {
    int64_t left = end - clock_now_ms();
    if (left <= 0 || wait_tag(c, TAG_STATUS, (int)left) < 0) break;
  }
  return c->status_done ? (int)c->status : -1;
}

void adsc_close(struct adsc *c) {
  grpc_call_cancel(c->call, NULL);
  /* gRPC core completes RECV_STATUS_ON_CLIENT only once every message that arrived has been
   * received, even on a cancelled call: keep receiving (and dropping) until the status is in. */
  int64_t end = clock_now_ms() + 5000;
  while ((c->recv_pending || !c->status_done) && clock_now_ms() < end) {
    if (!c->recv_pending && !c->status_done) {
      if (c->recv_buf) grpc_byte_buffer_destroy(c->recv_buf);
      c->recv_buf = NULL;
      grpc_op op;
      memset(&op, 0, sizeof op);
      op.op = GRPC_OP_RECV_MESSAGE;
      op.data.recv_message.recv_message = &c->recv_buf;
      if (grpc_call_start_batch(c->call, &op, 1, (void *)(intptr_t)TAG_RECV, NULL) != GRPC_CALL_OK) break;
      c->recv_pending = 1;
    }
    if (wait_tag(c, c->recv_pending ? TAG_RECV : TAG_STATUS, 1000) < 0) break;
  }
  if (c->recv_buf) grpc_byte_buffer_destroy(c->recv_buf);
  grpc_call_unref(c->call);
  grpc_channel_destroy(c->ch);
  grpc_completion_queue_shutdown(c->cq);
  for (;;) {
    grpc_event ev = grpc_completion_queue_next(c->cq, clock_deadline_in_ms(3000), NULL);
    if (ev.type == GRPC_QUEUE_SHUTDOWN) break;
    if (ev.type == GRPC_QUEUE_TIMEOUT)
      fprintf(stderr, "adsc_close: a batch is still pending (recv_pending=%d status_done=%d)\n", c->recv_pending,
              c->status_done);
  }
  grpc_completion_queue_destroy(c->cq);
  grpc_metadata_array_destroy(&c->initial_md);
  grpc_metadata_array_destroy(&c->trailing_md);
  grpc_slice_unref(c->details);
  free(c->node_id);
  free(c->user_agent);
  free(c);
}
