/* xds-loadgen: many ADS streams in one process, each behaving like a proxyless gRPC client (named
 * LDS, RDS, CDS, EDS subscriptions, ACKing every response), spread over several HTTP/2 connections.
 * It measures, for repeated config changes it makes itself (rename of the config file), the time from
 * the change to each stream's ACK of the new EDS version, and samples xdsd's RSS and CPU from /proc.
 *
 * Usage: xds-loadgen --server ADDR (--config PATH | --trigger CMD) --xdsd-pid PID --clients N [--channels K]
 *                    [--changes M] [--listener NAME] [--clusters A,B]
 * --trigger CMD: each change is `CMD N` run by the shell (an EndpointSlice written to the API server, a
 * DNS answer changed) instead of a config rename; the latency is counted from just before it runs
 * (upper bound) and from its return (lower bound: the write is answered by then). --listener and
 * --clusters name what each stream subscribes to (default server, and server-v1,server-v2).
 * Prints key=value lines (see bench/xds/run.sh). Exit 0 on success, 1 when a phase times out. */
#include <getopt.h>
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "clock.h"
#include "envoy/service/discovery/v3/discovery.pb-c.h"
#include "log.h"
#include "pbuf.h"

#define P "type.googleapis.com/"
static const char *const types[4] = {P "envoy.config.listener.v3.Listener",
                                     P "envoy.config.route.v3.RouteConfiguration", P "envoy.config.cluster.v3.Cluster",
                                     P "envoy.config.endpoint.v3.ClusterLoadAssignment"};
static char *lds_names[] = {"server"}, *rds_names[] = {"server"}, *clusters[8] = {"server-v1", "server-v2"};
static char **const names[4] = {lds_names, rds_names, clusters, clusters};
static size_t n_names[4] = {1, 1, 2, 2};
enum { T_LDS, T_RDS, T_CDS, T_EDS };
#define QCAP 8

struct lstream;
struct optag {
  void (*fn)(struct lstream *s, int ok);
  struct lstream *s;
};

struct lstream {
  struct optag send_tag, recv_tag, status_tag;
  grpc_call *call;
  grpc_byte_buffer *recv_buf, *sending;
  grpc_byte_buffer *q[QCAP];
  int qh, qn;
  grpc_metadata_array md, trailing;
  grpc_status_code status;
  grpc_slice details;
  uint64_t eds_version; /* last EDS version received */
  int ack_pending_eds;  /* the queued/in-flight ACK is for that EDS response */
  int64_t eds_ack_us;   /* when the ACK of eds_version was handed to the transport */
  int dead;
};

static int64_t n_dead;
/* Streams whose ACK of a new EDS version was handed to the transport since the count was last reset:
 * counted as it happens, so that waiting for all of them costs nothing per event (a scan of every
 * stream after each event made the generator, not the server, the bottleneck at 10,000 streams). */
static int n_acked;

static grpc_byte_buffer *request(int t, const char *version, const char *nonce, int with_node, const char *id) {
  Envoy__Config__Core__V3__Locality loc = ENVOY__CONFIG__CORE__V3__LOCALITY__INIT;
  Envoy__Config__Core__V3__Node node = ENVOY__CONFIG__CORE__V3__NODE__INIT;
  node.id = (char *)id;
  node.cluster = "bench";
  node.locality = &loc;
  node.user_agent_name = "xds-loadgen";
  Envoy__Service__Discovery__V3__DiscoveryRequest r = ENVOY__SERVICE__DISCOVERY__V3__DISCOVERY_REQUEST__INIT;
  r.type_url = (char *)types[t];
  r.version_info = (char *)version;
  r.response_nonce = (char *)nonce;
  r.resource_names = names[t];
  r.n_resource_names = n_names[t];
  if (with_node) r.node = &node;
  return pbuf_pack(&r.base);
}

static void pump(struct lstream *s) {
  if (s->sending || s->qn == 0 || s->dead) return;
  s->sending = s->q[s->qh];
  s->qh = (s->qh + 1) % QCAP;
  s->qn--;
  grpc_op op;
  memset(&op, 0, sizeof op);
  op.op = GRPC_OP_SEND_MESSAGE;
  op.data.send_message.send_message = s->sending;
  grpc_call_start_batch(s->call, &op, 1, &s->send_tag, NULL);
}

static void enqueue(struct lstream *s, grpc_byte_buffer *bb) {
  if (s->qn == QCAP) { /* cannot happen with one response per type in flight; drop rather than overflow */
    grpc_byte_buffer_destroy(bb);
    return;
  }
  s->q[(s->qh + s->qn) % QCAP] = bb;
  s->qn++;
  pump(s);
}

static void start_recv(struct lstream *s) {
  grpc_op op;
  memset(&op, 0, sizeof op);
  op.op = GRPC_OP_RECV_MESSAGE;
  op.data.recv_message.recv_message = &s->recv_buf;
  grpc_call_start_batch(s->call, &op, 1, &s->recv_tag, NULL);
}

static void on_send(struct lstream *s, int ok) {
  grpc_byte_buffer_destroy(s->sending);
  s->sending = NULL;
  if (ok && s->ack_pending_eds && s->qn == 0) {
    if (s->eds_ack_us == 0) n_acked++;
    s->eds_ack_us = clock_now_us();
    s->ack_pending_eds = 0;
  }
  if (ok) pump(s);
}

static void on_recv(struct lstream *s, int ok) {
  if (!ok || !s->recv_buf) {
    if (!s->dead) n_dead++;
    s->dead = 1;
    return;
  }
  Envoy__Service__Discovery__V3__DiscoveryResponse *r = NULL;
  if (pbuf_unpack(s->recv_buf, &envoy__service__discovery__v3__discovery_response__descriptor,
                  (ProtobufCMessage **)&r) == 0) {
    int t = -1;
    for (int i = 0; i < 4; i++)
      if (strcmp(r->type_url, types[i]) == 0) t = i;
    if (t >= 0) {
      if (t == T_EDS) {
        s->eds_version = strtoull(r->version_info, NULL, 10);
        s->ack_pending_eds = 1;
      }
      enqueue(s, request(t, r->version_info, r->nonce, 0, ""));
    }
    protobuf_c_message_free_unpacked(&r->base, NULL);
  }
  grpc_byte_buffer_destroy(s->recv_buf);
  s->recv_buf = NULL;
  start_recv(s);
}

static void on_status(struct lstream *s, int ok) {
  (void)ok;
  if (!s->dead) n_dead++;
  s->dead = 1;
}

/* xdsd's resident set (kB) and CPU time (ms) from /proc. */
static void proc_sample(int pid, long *rss_kb, long *cpu_ms) {
  char path[64], line[512];
  *rss_kb = *cpu_ms = -1;
  snprintf(path, sizeof path, "/proc/%d/status", pid);
  FILE *f = fopen(path, "r");
  while (f && fgets(line, sizeof line, f))
    if (sscanf(line, "VmRSS: %ld kB", rss_kb) == 1) break;
  if (f) fclose(f);
  snprintf(path, sizeof path, "/proc/%d/stat", pid);
  f = fopen(path, "r");
  if (f && fgets(line, sizeof line, f)) {
    char *p = strrchr(line, ')');
    unsigned long ut, st;
    if (p && sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) == 2)
      *cpu_ms = (long)((ut + st) * 1000 / sysconf(_SC_CLK_TCK));
  }
  if (f) fclose(f);
}

static void write_config(const char *path, int variant) {
  char tmp[1024];
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  FILE *f = fopen(tmp, "w");
  if (!f) fatal(1, "msg=\"cannot write config\" path=%s", tmp);
  fprintf(f,
          "name: bench\nspec:\n  listeners:\n  - name: server\n    port: 8080\n    routes:\n    - clusters:\n"
          "      - {name: server-v1, weight: 50}\n      - {name: server-v2, weight: 50}\n"
          "  clusters:\n  - name: server-v1\n    endpoints:\n    - {address: 127.0.5.%d, port: 50051}\n"
          "    - {address: 127.0.5.11, port: 50051}\n"
          "  - name: server-v2\n    endpoints:\n    - {address: 127.0.5.21, port: 50051}\n",
          100 + variant % 100);
  fclose(f);
  if (rename(tmp, path) != 0) fatal(1, "msg=\"cannot rename config\" path=%s", path);
}

static void drain(grpc_completion_queue *cq, int ms) {
  grpc_event ev = grpc_completion_queue_next(cq, clock_deadline_in_ms(ms), NULL);
  if (ev.type == GRPC_OP_COMPLETE) {
    struct optag *t = ev.tag;
    t->fn(t->s, ev.success);
  }
}

/* The generator's own CPU time (all its threads), to tell whether it kept up. */
static int64_t self_cpu_ms(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (int64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000 + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000;
}

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
  log_init("xds-loadgen");
  const char *server = NULL, *config = NULL, *trigger = NULL;
  int pid = 0, n = 1000, k = 0, changes = 5;
  static const struct option o[] = {{"server", 1, NULL, 's'},   {"config", 1, NULL, 'c'},   {"xdsd-pid", 1, NULL, 'p'},
                                    {"clients", 1, NULL, 'n'},  {"channels", 1, NULL, 'k'}, {"changes", 1, NULL, 'm'},
                                    {"listener", 1, NULL, 'L'}, {"clusters", 1, NULL, 'C'}, {"trigger", 1, NULL, 'T'},
                                    {NULL, 0, NULL, 0}};
  int ch;
  while ((ch = getopt_long(argc, argv, "", o, NULL)) != -1) {
    switch (ch) {
      case 's':
        server = optarg;
        break;
      case 'c':
        config = optarg;
        break;
      case 'p':
        pid = atoi(optarg);
        break;
      case 'n':
        n = atoi(optarg);
        break;
      case 'k':
        k = atoi(optarg);
        break;
      case 'm':
        changes = atoi(optarg);
        break;
      case 'L':
        lds_names[0] = rds_names[0] = optarg;
        break;
      case 'C': {
        size_t nc = 0;
        for (char *save = NULL, *t = strtok_r(optarg, ",", &save); t && nc < 8; t = strtok_r(NULL, ",", &save))
          clusters[nc++] = t;
        n_names[T_CDS] = n_names[T_EDS] = nc;
        break;
      }
      case 'T':
        trigger = optarg;
        break;
      default:
        fatal(2, "msg=\"usage: --server ADDR --config PATH --xdsd-pid PID --clients N [--channels K] [--changes M]\"");
    }
  }
  if (!server || (!config && !trigger) || pid <= 0 || n <= 0 || n_names[T_CDS] == 0)
    fatal(2, "msg=\"--server, --config or --trigger, --xdsd-pid and --clients are required\"");
  if (k <= 0) k = n / 100 + 1;
  grpc_init();
  grpc_completion_queue *cq = grpc_completion_queue_create_for_next(NULL);
  grpc_channel **chans = calloc(k, sizeof *chans);
  grpc_arg arg = {.type = GRPC_ARG_INTEGER, .key = GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, .value.integer = 1};
  grpc_channel_args args = {.num_args = 1, .args = &arg};
  for (int i = 0; i < k; i++) {
    grpc_channel_credentials *cr = grpc_insecure_credentials_create();
    chans[i] = grpc_channel_create(server, cr, &args); /* own subchannel pool: one connection each */
    grpc_channel_credentials_release(cr);
  }
  long rss0, cpu0, rss1, cpu1;
  proc_sample(pid, &rss0, &cpu0);
  if (!trigger) write_config(config, 0);
  drain(cq, 500);

  struct lstream *ss = calloc(n, sizeof *ss);
  int64_t t_start = clock_now_ms();
  for (int i = 0; i < n; i++) {
    struct lstream *s = &ss[i];
    s->send_tag = (struct optag){on_send, s};
    s->recv_tag = (struct optag){on_recv, s};
    s->status_tag = (struct optag){on_status, s};
    grpc_metadata_array_init(&s->md);
    grpc_metadata_array_init(&s->trailing);
    s->call = grpc_channel_create_call(
        chans[i % k], NULL, GRPC_PROPAGATE_DEFAULTS, cq,
        grpc_slice_from_static_string(
            "/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources"),
        NULL, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
    grpc_op ops[3];
    memset(ops, 0, sizeof ops);
    ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
    ops[0].flags = GRPC_INITIAL_METADATA_WAIT_FOR_READY;
    ops[1].op = GRPC_OP_RECV_INITIAL_METADATA;
    ops[1].data.recv_initial_metadata.recv_initial_metadata = &s->md;
    ops[2].op = GRPC_OP_RECV_STATUS_ON_CLIENT;
    ops[2].data.recv_status_on_client.trailing_metadata = &s->trailing;
    ops[2].data.recv_status_on_client.status = &s->status;
    ops[2].data.recv_status_on_client.status_details = &s->details;
    grpc_call_start_batch(s->call, ops, 3, &s->status_tag, NULL);
    start_recv(s);
    char id[32];
    snprintf(id, sizeof id, "loadgen-%d", i);
    for (int t = 0; t < 4; t++) enqueue(s, request(t, "", "", t == 0, id));
    if (i % 100 == 99) drain(cq, 0);
  }
  /* Wait until every stream has its first EDS ACKed. */
  int64_t deadline = clock_now_ms() + 180000;
  int synced = 0;
  while (clock_now_ms() < deadline) {
    drain(cq, 50);
    if (n_acked >= n) break;
  }
  for (int i = 0; i < n; i++) synced += ss[i].eds_version > 0 && ss[i].eds_ack_us > 0;
  int64_t t_synced = clock_now_ms();
  printf("clients=%d channels=%d synced=%d connect_ms=%" PRId64 " dead=%" PRId64 "\n", n, k, synced, t_synced - t_start,
         n_dead);
  if (synced != n) return 1;
  /* Idle for 6 s, then sample memory: the per-client cost of a connected, idle client. */
  int64_t idle_end = clock_now_ms() + 6000; /* xdsd returns freed heap every 5 s */
  while (clock_now_ms() < idle_end) drain(cq, 50);
  proc_sample(pid, &rss1, &cpu1);
  printf("xdsd_rss_kb_before=%ld xdsd_rss_kb_connected=%ld rss_bytes_per_client=%.0f xdsd_cpu_ms_connect=%ld\n", rss0,
         rss1, (rss1 - rss0) * 1024.0 / n, cpu1 - cpu0);

  int64_t *lat = calloc((size_t)n * changes, sizeof *lat), *lat_after = calloc((size_t)n * changes, sizeof *lat);
  size_t nl = 0;
  int rc = 0;
  for (int c = 1; c <= changes; c++) {
    uint64_t before = ss[0].eds_version;
    for (int i = 0; i < n; i++) ss[i].eds_ack_us = 0;
    n_acked = 0;
    long r0, c0, r1, c1;
    proc_sample(pid, &r0, &c0);
    int64_t self0 = self_cpu_ms();
    int64_t t0 = clock_now_us(), t_trig = 0;
    if (trigger) {
      char cmd[2048];
      snprintf(cmd, sizeof cmd, "%s %d", trigger, c);
      if (system(cmd) != 0) fatal(1, "msg=\"trigger failed\" cmd=\"%s\"", cmd);
      t_trig = clock_now_us() - t0;
    } else {
      write_config(config, c);
    }
    int done = 0;
    deadline = clock_now_ms() + 60000;
    while (clock_now_ms() < deadline) {
      drain(cq, 20);
      if (n_acked >= n) break;
    }
    proc_sample(pid, &r1, &c1);
    int64_t self_ms = self_cpu_ms() - self0;
    for (int i = 0; i < n; i++) done += ss[i].eds_version > before && ss[i].eds_ack_us > 0;
    int64_t first = INT64_MAX, last = 0;
    for (int i = 0; i < n; i++) {
      if (!(ss[i].eds_version > before && ss[i].eds_ack_us > 0)) continue;
      int64_t d = ss[i].eds_ack_us - t0;
      lat_after[nl] = d - t_trig;
      lat[nl++] = d;
      if (d < first) first = d;
      if (d > last) last = d;
    }
    printf("change=%d acked=%d/%d first_ms=%.1f last_ms=%.1f trigger_ms=%.1f xdsd_cpu_ms=%ld loadgen_cpu_ms=%" PRId64
           "\n",
           c, done, n, first / 1000.0, last / 1000.0, t_trig / 1000.0, c1 - c0, self_ms);
    fflush(stdout);
    if (done != n) rc = 1;
    idle_end = clock_now_ms() + 500;
    while (clock_now_ms() < idle_end) drain(cq, 50);
  }
  qsort(lat, nl, sizeof *lat, cmp_i64);
  qsort(lat_after, nl, sizeof *lat_after, cmp_i64);
  if (nl && trigger)
    printf("after_trigger p50_ms=%.1f p99_ms=%.1f max_ms=%.1f\n", lat_after[nl / 2] / 1000.0,
           lat_after[(nl * 99) / 100] / 1000.0, lat_after[nl - 1] / 1000.0);
  if (nl)
    printf("summary clients=%d changes=%d p50_ms=%.1f p99_ms=%.1f max_ms=%.1f rss_bytes_per_client=%.0f\n", n, changes,
           lat[nl / 2] / 1000.0, lat[(nl * 99) / 100] / 1000.0, lat[nl - 1] / 1000.0, (rss1 - rss0) * 1024.0 / n);
  fflush(stdout);
  /* The process exits without tearing down 10,000 calls one by one. */
  _exit(rc);
}
