#include "client.h"

#include "xdsdump.h"

#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/support/alloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backoff.h"
#include "clock.h"
#include "grpcarg.h"
#include "helloworld.pb-c.h"
#include "log.h"
#include "pbuf.h"
#include "summary.h"
#include "tag.h"
#include "text.h"

#define ERROR_LINES_PER_S 10 /* error lines printed per second; the rest are counted */

/* One SayHello call in a round. */
struct rpc {
  grpc_call *call;
  grpc_channel *channel; /* channel_per_rpc: the call's own channel, destroyed when it completes; else NULL */
  char *name;            /* "<NAME>_<counter>", owned; sized from NAME by client_run */
  size_t name_cap;
  int64_t start_us;
  grpc_metadata_array initial_md, trailing_md;
  grpc_byte_buffer *request;  /* owned until the batch completes */
  grpc_byte_buffer *response; /* owned; set by RECV_MESSAGE */
  grpc_status_code status;
  grpc_slice details;
};

static const char *status_name(grpc_status_code c) {
  static const char *const names[] = {
      "OK",        "CANCELLED",      "UNKNOWN",           "INVALID_ARGUMENT",   "DEADLINE_EXCEEDED",
      "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
      "ABORTED",   "OUT_OF_RANGE",   "UNIMPLEMENTED",     "INTERNAL",           "UNAVAILABLE",
      "DATA_LOSS", "UNAUTHENTICATED"};
  return (c >= 0 && c <= 16) ? names[c] : "?";
}

static grpc_channel *channel_create(const struct client_config *cfg) {
  /* As the demo does: the policy through the service config. Health checking lets a draining
   * server (NOT_SERVING) be skipped before it stops accepting calls; servers without the health
   * service count as healthy. */
  char service_config[192];
  snprintf(service_config, sizeof service_config, "{\"loadBalancingConfig\":[{\"%s\":{}}]%s}", cfg->lb_policy,
           cfg->health_check ? ",\"healthCheckConfig\":{\"serviceName\":\"\"}" : "");
  grpc_arg args[7];
  size_t n = 0;
  args[n++] = grpcarg_string(GRPC_ARG_SERVICE_CONFIG, service_config);
  if (cfg->channel_per_rpc) {
    /* gRPC shares subchannels (connections) between channels of equal target and args through a
     * global pool: the concurrent calls' channels would all ride one connection, and a new channel
     * would reuse the previous one's while it lasts. A pool of the channel's own gives it its own. */
    args[n++] = grpcarg_int(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  }
  if (cfg->keepalive_time_ms > 0) {
    /* A server that stops answering (SIGSTOP, a hung host) while its TCP connection stays up: a PING
     * unanswered for the timeout closes the connection, its calls fail, and round robin stops
     * picking it until it connects again. Pings go on without calls, and without data in between
     * (gRPC's default stops after 2), so that an idle connection is watched too. */
    args[n++] = grpcarg_int(GRPC_ARG_KEEPALIVE_TIME_MS, (int)cfg->keepalive_time_ms);
    args[n++] = grpcarg_int(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, (int)cfg->keepalive_timeout_ms);
    args[n++] = grpcarg_int(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
    args[n++] = grpcarg_int(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  }
  if (cfg->dns_min_interval_ms >= 0) {
    args[n++] = grpcarg_int(GRPC_ARG_DNS_MIN_TIME_BETWEEN_RESOLUTIONS_MS, (int)cfg->dns_min_interval_ms);
  }
  grpc_channel_args ch_args = {.num_args = n, .args = args};
  grpc_channel_credentials *creds = grpc_insecure_credentials_create();
  grpc_channel *ch = grpc_channel_create(cfg->target, creds, &ch_args);
  grpc_channel_credentials_release(creds);
  return ch;
}

/* METADATA as gRPC takes it: built once (static slices of the config's strings, which live as long as
 * the process), NULL when there is none. */
static grpc_metadata *call_metadata(const struct client_config *cfg) {
  static grpc_metadata md[METADATA_MAX];
  static int built;
  if (!cfg->n_metadata) return NULL;
  if (!built) {
    for (size_t i = 0; i < cfg->n_metadata; i++) {
      md[i].key = grpc_slice_from_static_string(cfg->metadata[i].key);
      md[i].value = grpc_slice_from_static_string(cfg->metadata[i].value);
    }
    built = 1;
  }
  return md;
}

/* Starts call number `counter` on `shared`, or, when that is NULL (channel_per_rpc), on a channel of
 * its own, counted in *channels. */
static void rpc_start(struct rpc *r, grpc_channel *shared, grpc_completion_queue *cq, grpc_slice method,
                      const struct client_config *cfg, uint64_t counter, uint64_t *channels) {
  char *name = r->name;
  size_t name_cap = r->name_cap;
  memset(r, 0, sizeof *r);
  r->name = name;
  r->name_cap = name_cap;
  snprintf(r->name, r->name_cap, "%s_%llu", cfg->name, (unsigned long long)counter);
  Helloworld__HelloRequest req = HELLOWORLD__HELLO_REQUEST__INIT;
  req.name = r->name;
  r->request = pbuf_pack(&req.base);
  grpc_metadata_array_init(&r->initial_md);
  grpc_metadata_array_init(&r->trailing_md);
  r->start_us = clock_now_us(); /* a call's own channel connects within the call's latency */
  grpc_channel *ch = shared;
  if (!ch) {
    if (!(ch = r->channel = channel_create(cfg))) fatal(1, "msg=\"no channel\" target=%s", cfg->target);
    (*channels)++;
  }
  r->call = grpc_channel_create_call(ch, NULL, GRPC_PROPAGATE_DEFAULTS, cq, method, NULL,
                                     clock_deadline_in_ms(cfg->rpc_timeout_ms), NULL);
  grpc_op ops[6];
  memset(ops, 0, sizeof ops);
  ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
  ops[0].flags = cfg->wait_for_ready ? GRPC_INITIAL_METADATA_WAIT_FOR_READY : 0;
  ops[0].data.send_initial_metadata.count = cfg->n_metadata;
  ops[0].data.send_initial_metadata.metadata = call_metadata(cfg);
  ops[1].op = GRPC_OP_SEND_MESSAGE;
  ops[1].data.send_message.send_message = r->request;
  ops[2].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
  ops[3].op = GRPC_OP_RECV_INITIAL_METADATA;
  ops[3].data.recv_initial_metadata.recv_initial_metadata = &r->initial_md;
  ops[4].op = GRPC_OP_RECV_MESSAGE;
  ops[4].data.recv_message.recv_message = &r->response;
  ops[5].op = GRPC_OP_RECV_STATUS_ON_CLIENT;
  ops[5].data.recv_status_on_client.trailing_metadata = &r->trailing_md;
  ops[5].data.recv_status_on_client.status = &r->status;
  ops[5].data.recv_status_on_client.status_details = &r->details;
  grpc_call_error err = grpc_call_start_batch(r->call, ops, 6, r, NULL);
  if (err != GRPC_CALL_OK) fatal(1, "msg=\"start_batch failed\" err=%d", err);
}

/* Prints text from a peer on the current line: as text_printable makes it (one line, valid UTF-8). */
static void print_peer_text(const char *text, size_t len) {
  char *safe = malloc(len + 1); /* text_printable never writes more bytes than it reads */
  if (!safe) fatal(1, "msg=\"out of memory\"");
  text_printable(text, len, safe, len + 1);
  fputs(safe, stdout);
  free(safe);
}

/* Says how many error lines the rate limit left out, if any. */
static void print_errors_left_out(uint64_t n) {
  if (n == 0) return;
  char when[32];
  clock_format_wall(when, sizeof when);
  printf("%s ERROR ... %llu more failed RPCs not printed (at most %d error lines a second)\n", when,
         (unsigned long long)n, ERROR_LINES_PER_S);
}

/* Between rounds: once the second in which errors were left out is over, say how many, rather than
 * wait for the next error line (there may be none for a long time). Reads log_limit's fields. */
static void flush_errors_left_out(struct log_limit *l, int64_t now_ms) {
  if (l->suppressed && now_ms / 1000 != l->second) {
    print_errors_left_out(l->suppressed);
    l->suppressed = 0;
  }
}

/* Prints the outcome of a finished call, counts it, and releases it. Returns 1 when it succeeded. */
static int rpc_finish(struct rpc *r, const struct client_config *cfg, struct summary *sum, struct log_limit *errors) {
  char when[32];
  clock_format_wall(when, sizeof when);
  uint32_t lat = (uint32_t)(clock_now_us() - r->start_us);
  Helloworld__HelloReply *reply = NULL;
  int ok = 0;
  uint64_t left_out;
  if (r->status == GRPC_STATUS_OK &&
      pbuf_unpack(r->response, &helloworld__hello_reply__descriptor, (ProtobufCMessage **)&reply) == 0) {
    if (cfg->print_replies) {
      printf("%s ", when);
      print_peer_text(reply->message, strlen(reply->message));
      putchar('\n');
    }
    summary_add_reply(sum, reply->message, lat);
    protobuf_c_message_free_unpacked(&reply->base, NULL);
    ok = 1;
  } else {
    summary_add_failure(sum);
    if (log_limit_allow(errors, clock_now_ms(), &left_out)) {
      print_errors_left_out(left_out);
      printf("%s ERROR %s: code=%d %s: ", when, r->name, (int)r->status,
             r->status == GRPC_STATUS_OK ? "bad reply" : status_name(r->status));
      print_peer_text((const char *)GRPC_SLICE_START_PTR(r->details), GRPC_SLICE_LENGTH(r->details));
      putchar('\n');
    }
  }
  if (r->response) grpc_byte_buffer_destroy(r->response);
  grpc_byte_buffer_destroy(r->request);
  grpc_slice_unref(r->details);
  grpc_metadata_array_destroy(&r->initial_md);
  grpc_metadata_array_destroy(&r->trailing_md);
  grpc_call_unref(r->call);
  r->call = NULL;
  if (r->channel) { /* after the call: it holds a reference to its channel until it is released */
    grpc_channel_destroy(r->channel);
    r->channel = NULL;
  }
  return ok;
}

static void print_summary(struct summary *sum, int64_t window_ms, const struct summary_totals *totals) {
  char when[32];
  char line[8192];
  clock_format_wall(when, sizeof when);
  summary_format(sum, window_ms, totals, line, sizeof line);
  printf("%s %s\n", when, line);
  fflush(stdout);
}

/* Waits ms between rounds (no call is in flight: the queue stays empty), or until *stop is set. */
/* The xDS config dump, when asked for (SIGUSR1). */
static void dump_if_asked(const struct client_config *cfg) {
  if (!cfg->dump || !*cfg->dump) return;
  *cfg->dump = 0;
  xdsdump_print(stdout);
}

static void pause_for(grpc_completion_queue *cq, int64_t ms, volatile sig_atomic_t *stop) {
  int64_t until = clock_now_ms() + ms;
  for (int64_t now = clock_now_ms(); now < until && !*stop; now = clock_now_ms())
    grpc_completion_queue_next(cq, clock_deadline_in_ms(until - now < 100 ? until - now : 100), NULL);
}

/* What a run holds: its channel (none with channel_per_rpc), queue, calls and counts. */
struct run {
  grpc_channel *ch;
  grpc_completion_queue *cq;
  grpc_slice method;
  struct rpc *rpcs;
  struct summary window;
  struct summary_totals totals;
  struct log_limit errors;
  struct backoff pause;
  uint64_t counter, channels;
  int64_t window_start;
};

static int run_open(struct run *r, const struct client_config *cfg) {
  memset(r, 0, sizeof *r);
  /* One channel for the run, or none here: with channel_per_rpc each call opens its own. */
  if (!cfg->channel_per_rpc) {
    if (!(r->ch = channel_create(cfg))) return -1;
    r->channels = 1;
  }
  r->cq = grpc_completion_queue_create_for_next(NULL);
  r->method = grpc_slice_from_static_string("/helloworld.Greeter/SayHello");
  r->rpcs = calloc(cfg->concurrency, sizeof *r->rpcs);
  if (!r->rpcs || summary_init(&r->window) != 0) fatal(1, "msg=\"out of memory\"");
  /* Each call's name buffer, sized from NAME: "_" and up to 20 digits of the counter, and the NUL. */
  size_t name_cap = strlen(cfg->name) + 22;
  for (uint64_t i = 0; i < cfg->concurrency; i++) {
    r->rpcs[i].name_cap = name_cap;
    if (!(r->rpcs[i].name = malloc(name_cap))) fatal(1, "msg=\"out of memory\"");
  }
  r->errors.burst = ERROR_LINES_PER_S;
  backoff_init(&r->pause, BACKOFF_MIN_MS, BACKOFF_MAX_MS);
  r->window_start = clock_now_ms();
  return 0;
}

/* One round: a call per slot, then wait for every one (each has a deadline). A stop request
 * cancels what is outstanding, so that SIGTERM is honoured at once; those calls count as failed.
 * Returns whether any call succeeded. */
static int run_round(struct run *r, const struct client_config *cfg, volatile sig_atomic_t *stop) {
  for (uint64_t i = 0; i < cfg->concurrency; i++)
    rpc_start(&r->rpcs[i], r->ch, r->cq, r->method, cfg, ++r->counter, &r->channels);
  int cancelled = 0, any_ok = 0;
  for (uint64_t done = 0; done < cfg->concurrency;) {
    grpc_event ev = grpc_completion_queue_next(r->cq, clock_deadline_in_ms(100), NULL);
    if (*stop && !cancelled) {
      for (uint64_t i = 0; i < cfg->concurrency; i++)
        if (r->rpcs[i].call) grpc_call_cancel(r->rpcs[i].call, NULL);
      cancelled = 1;
    }
    if (ev.type != GRPC_OP_COMPLETE) continue;
    struct rpc *c = ev.tag;
    if (!ev.success) c->status = GRPC_STATUS_INTERNAL;
    any_ok |= rpc_finish(c, cfg, &r->window, &r->errors);
    done++;
  }
  flush_errors_left_out(&r->errors, clock_now_ms());
  return any_ok;
}

/* The window's summary line once summary_interval has passed; `last` adds the run's totals. */
static void run_summary(struct run *r, const struct client_config *cfg, int last) {
  int64_t now = clock_now_ms();
  if (!last && (cfg->summary_interval_ms <= 0 || now - r->window_start < cfg->summary_interval_ms)) return;
  r->totals.ok += r->window.ok;
  r->totals.failed += r->window.failed;
  r->totals.channels = r->channels;
  if (last) {
    print_errors_left_out(r->errors.suppressed);
    r->errors.suppressed = 0;
  }
  print_summary(&r->window, now - r->window_start, last ? &r->totals : NULL);
  summary_reset(&r->window);
  r->window_start = now;
}

static void run_close(struct run *r, const struct client_config *cfg) {
  summary_free(&r->window);
  for (uint64_t i = 0; i < cfg->concurrency; i++) free(r->rpcs[i].name);
  free(r->rpcs);
  tag_drain_cq(r->cq, 0); /* the client's tags are plain structs, not struct tag */
  grpc_completion_queue_destroy(r->cq);
  if (r->ch) grpc_channel_destroy(r->ch);
}

int64_t client_run(const struct client_config *cfg, volatile sig_atomic_t *stop) {
  struct run r;
  if (run_open(&r, cfg) != 0) return -1;
  log_info(
      "msg=starting target=%s name=%s lb_policy=%s concurrency=%llu rounds=%llu keepalive_time_ms=%lld "
      "keepalive_timeout_ms=%lld channel_per_rpc=%d",
      cfg->target, cfg->name, cfg->lb_policy, (unsigned long long)cfg->concurrency, (unsigned long long)cfg->rounds,
      (long long)cfg->keepalive_time_ms, (long long)cfg->keepalive_timeout_ms, cfg->channel_per_rpc);
  for (uint64_t round = 0; (cfg->rounds == 0 || round < cfg->rounds) && !*stop; round++) {
    int any_ok = run_round(&r, cfg, stop);
    dump_if_asked(cfg);
    fflush(stdout);
    int64_t pause_ms = backoff_after_round(&r.pause, any_ok);
    if (pause_ms > 0 && (cfg->rounds == 0 || round + 1 < cfg->rounds)) pause_for(r.cq, pause_ms, stop);
    run_summary(&r, cfg, 0);
  }
  /* The final summary covers the time since the last one, plus the run's totals. */
  run_summary(&r, cfg, 1);
  int64_t failed = (int64_t)r.totals.failed;
  run_close(&r, cfg);
  return failed;
}
