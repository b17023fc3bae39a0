/* xdsd's admin HTTP endpoint (src/xds/admin.c): any bytes as what a client sends on one connection,
 * parsed by libmicrohttpd and answered by admin.c's handler, as xdsd serves GET /status, /metrics and
 * /healthz. The daemon is started once, socketless (admin_start_socketless), and driven from this
 * thread (admin_run) rather than by a thread of its own as in xdsd: the HTTP handling is the same, and
 * the same input always gets the same reply. Each input is written into one end of a socketpair whose
 * other end is handed to the daemon (admin_add_connection); once the daemon has read and answered what
 * it will, the client half-closes and the reply is read until the daemon closes. No network.
 *
 * The reply is split into responses (status line, headers, Content-Length body) and checked: each is
 * HTTP/1.x with a status code and a Content-Length, a 200 carries exactly one of the published
 * documents (or no body, for HEAD), a 404 or 405 carries admin.c's text, nothing follows a response
 * with "Connection: close"; the documents are replaced during every exchange (admin_publish's
 * ownership). libmicrohttpd is Debian's uninstrumented library, so what it answered (status codes,
 * its error pages, number of responses, Connection: close) is fed back to the fuzzer as extra
 * counters, a coarse signal of the paths taken in there. */
#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <signal.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "admin.h"
#include "fuzz.h"

/* As xdsd renders them (xdsd.c publish(); docs/xdsd.md, "Admin"). */
static const char status_json[] =
    "{\"config\":{\"path\":\"/config/config.yaml\",\"name\":\"xds-demo\",\"version\":2,\"last_reload\":"
    "\"2026-11-26T16:40:09Z\",\"last_reload_ok\":true,\"error\":null,\"reloads_ok\":2,\"reloads_failed\":0,"
    "\"loading\":false},\"snapshot\":{\"version\":\"3\",\"listeners\":1,\"socket_listeners\":1,\"routes\":1,"
    "\"clusters\":2,\"endpoints\":5},\"dns\":{\"server-v1\":{\"addresses\":[\"10.0.0.1\",\"10.0.0.2\"],"
    "\"answered\":true,\"error\":null}},\"nodes\":[{\"stream\":1,\"id\":\"client-1\",\"cluster\":\"test\","
    "\"user_agent\":\"gRPC C-core linux C-core 29.0.0\",\"peer\":\"ipv4:10.0.0.9:40112\",\"connected_secs\":12.5,"
    "\"types\":{\"lds\":{\"subscribed\":[\"server\"],\"version_sent\":\"3\",\"nonce_sent\":\"9\","
    "\"version_acked\":\"3\",\"last_nack\":null,\"nacked\":false}}}],\"nodes_listed\":1,\"streams\":1}\n";
static const char metrics_text[] =
    "# HELP xdsd_streams Open ADS streams.\n# TYPE xdsd_streams gauge\nxdsd_streams 1\n"
    "# HELP xdsd_requests_total DiscoveryRequests received.\n# TYPE xdsd_requests_total counter\n"
    "xdsd_requests_total 14\n"
    "# HELP xdsd_nacks_total NACKs received.\n# TYPE xdsd_nacks_total counter\n"
    "xdsd_nacks_total{type=\"lds\"} 0\nxdsd_nacks_total{type=\"eds\"} 1\n"
    "# HELP xdsd_push_latency_seconds From a snapshot change to the ACK of the response it caused.\n"
    "# TYPE xdsd_push_latency_seconds histogram\n"
    "xdsd_push_latency_seconds_bucket{le=\"0.01\"} 3\nxdsd_push_latency_seconds_bucket{le=\"+Inf\"} 4\n"
    "xdsd_push_latency_seconds_sum 0.052\nxdsd_push_latency_seconds_count 4\n"
    "# HELP xdsd_reloads_total Config reloads that saw new content.\n# TYPE xdsd_reloads_total counter\n"
    "xdsd_reloads_total{result=\"ok\"} 2\nxdsd_reloads_total{result=\"failed\"} 0\n"
    "# HELP xdsd_snapshot_version Version of the served snapshot.\n"
    "# TYPE xdsd_snapshot_version gauge\nxdsd_snapshot_version 3\n";

#define DEADLINE_MS 5000 /* for one exchange; libFuzzer's -timeout is 10 s */
#define IDLE_ROUNDS 3    /* admin_run rounds in which nothing moved: the daemon is done with the input */
#define REPLY_MAX (1 << 20)

/* libmicrohttpd is not instrumented: these counters (libFuzzer's extra counters, read after every input
 * like the coverage of our code) tell the fuzzer which answers it gave: the status codes [100, 600), the
 * HTTP minor version [600, 602), the number of responses [610, 643), whether the last one closed the
 * connection [650, 652), libmicrohttpd's doubled header [660] and which of its error pages it sent (a
 * hash of the text) [700, 956). */
static uint8_t signal_counters[956] __attribute__((section("__libfuzzer_extra_counters")));

static struct admin *admin;
static char *reply;      /* REPLY_MAX bytes */
static size_t reply_len; /* the last exchange's, REPLY_MAX or more when cut */

static void publish(void) {
  char *s = malloc(sizeof status_json), *m = malloc(sizeof metrics_text);
  FUZZ_ASSERT(s && m);
  memcpy(s, status_json, sizeof status_json);
  memcpy(m, metrics_text, sizeof metrics_text);
  admin_publish(admin, s, sizeof status_json - 1, m, sizeof metrics_text - 1);
}

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Bytes written on `fd` that the daemon has not read yet. */
static int unread(int fd) {
  int n = 0;
  FUZZ_ASSERT(ioctl(fd, SIOCOUTQ, &n) == 0);
  return n;
}

/* Sends `req` on a new connection as a client that then waits for every answer: the daemon runs
 * (admin_run) while the harness writes and reads, and once nothing moved for IDLE_ROUNDS rounds (all
 * read, all answered, or the daemon stopped reading) the client half-closes and the reply is read until
 * the daemon closes. One thread, no timing: the same input gets the same reply. Returns the reply's
 * length (the first REPLY_MAX bytes are kept). */
static size_t exchange(const uint8_t *req, size_t size) {
  int sv[2];
  FUZZ_ASSERT(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
  FUZZ_ASSERT(admin_add_connection(admin, sv[1]) == 0);
  int fd = sv[0];
  FUZZ_ASSERT(fcntl(fd, F_SETFL, O_NONBLOCK) == 0);
  size_t sent = 0, got = 0;
  int writing = 1, idle = 0, queued = 0;
  long long deadline = now_ms() + DEADLINE_MS;
  for (int round = 0;; round++) {
    int moved = 0;
    if (writing && sent < size) {
      ssize_t w = send(fd, req + sent, size - sent, MSG_NOSIGNAL);
      if (w > 0) sent += (size_t)w, moved = 1;
      if (w < 0 && errno != EAGAIN) {
        FUZZ_ASSERT(errno == EPIPE || errno == ECONNRESET); /* the daemon closed first */
        writing = 0;
      }
    }
    if (round == 1) publish(); /* the documents replaced during an exchange: admin_publish's ownership */
    FUZZ_ASSERT(admin_run(admin) == 0);
    for (;;) {
      char buf[16384];
      ssize_t r = recv(fd, buf, sizeof buf, 0);
      if (r == 0) goto closed;
      if (r < 0) {
        if (errno == EAGAIN) break;
        FUZZ_ASSERT(errno == ECONNRESET);
        goto closed;
      }
      if (got < REPLY_MAX) memcpy(reply + got, buf, (size_t)r < REPLY_MAX - got ? (size_t)r : REPLY_MAX - got);
      got += (size_t)r;
      moved = 1;
    }
    if (writing) {
      int q = unread(fd);
      if (q != queued) queued = q, moved = 1;
      idle = moved ? 0 : idle + 1;
      if (idle == IDLE_ROUNDS) {
        FUZZ_ASSERT(shutdown(fd, SHUT_WR) == 0);
        writing = 0;
      }
    }
    if (now_ms() > deadline) {
      fprintf(stderr, "fuzz_admin: no end of reply within %d ms (%zu of %zu bytes sent, %zu received)\n", DEADLINE_MS,
              sent, size, got);
      FUZZ_ASSERT(!"the daemon closes a half-closed connection");
    }
  }
closed:
  close(fd);
  reply_len = got;
  return got;
}

/* FUZZ_ASSERT, and when it fails the reply first (on stderr, as the reproducer's output). */
#define REPLY_ASSERT(cond)                                                     \
  do {                                                                         \
    if (!(cond))                                                               \
      fprintf(stderr, "fuzz_admin: the reply (%zu bytes):\n%.*s\n", reply_len, \
              (int)(reply_len < REPLY_MAX ? reply_len : REPLY_MAX), reply);    \
    FUZZ_ASSERT(cond);                                                         \
  } while (0)

static int starts(const char *p, const char *end, const char *s) {
  size_t n = strlen(s);
  return (size_t)(end - p) >= n && memcmp(p, s, n) == 0;
}

/* The value of header `name` in [p, end) (a response's header lines), NULL when absent. */
static const char *header(const char *p, const char *end, const char *name, size_t *len) {
  size_t n = strlen(name);
  while (p < end) {
    const char *eol = memchr(p, '\n', (size_t)(end - p));
    if (!eol) eol = end;
    if ((size_t)(eol - p) > n && strncasecmp(p, name, n) == 0 && p[n] == ':') {
      const char *v = p + n + 1;
      while (v < eol && *v == ' ') v++;
      *len = (size_t)(eol - v) - (eol > v && eol[-1] == '\r');
      return v;
    }
    p = eol + 1;
  }
  return NULL;
}

/* The end of the header lines in [p, end) (its "\r\n\r\n" + 2), NULL when there is none. */
static const char *blank_line(const char *p, const char *end) {
  for (const char *q = p; q + 4 <= end; q++)
    if (memcmp(q, "\r\n\r\n", 4) == 0) return q + 2;
  return NULL;
}

static int equals(const char *v, size_t len, const char *s) { return len == strlen(s) && memcmp(v, s, len) == 0; }

/* The body a response of admin.c's handler must carry, by code and Content-Type; NULL: not ours. */
static const char *expected_body(int code, const char *type, size_t type_len) {
  if (code == 404) return "not found\n";
  if (code == 405) return "GET only\n";
  if (code != 200) return NULL;
  if (equals(type, type_len, "application/json")) return status_json;
  if (equals(type, type_len, "text/plain; version=0.0.4")) return metrics_text;
  if (equals(type, type_len, "text/plain")) return "ok\n";
  return "";
}

/* Checks the responses in the reply of `len` bytes and returns how many there are. When it was longer
 * than what is kept (REPLY_MAX), the last one may be cut: only the complete ones are checked. */
static unsigned check_reply(size_t len, int *closes) {
  int cut = len > REPLY_MAX;
  const char *p = reply, *end = reply + (cut ? REPLY_MAX : len);
  unsigned responses = 0;
  *closes = 0;
  while (p < end) {
    if (cut && end - p < 13) break;
    REPLY_ASSERT(starts(p, end, "HTTP/1.0 ") || starts(p, end, "HTTP/1.1 "));
    REPLY_ASSERT(end - p >= 13 && p[9] >= '1' && p[9] <= '5' && p[10] >= '0' && p[10] <= '9' && p[11] >= '0' &&
                 p[11] <= '9' && p[12] == ' ');
    int code = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
    const char *head_end = blank_line(p, end);
    if (cut && !head_end) break;
    REPLY_ASSERT(head_end != NULL); /* a response is never cut inside its header */
    const char *body = head_end + 2;
    signal_counters[code]++; /* 100..599 */
    signal_counters[600 + (p[7] - '0')]++;
    if (code < 200) { /* 100 Continue (to "Expect: 100-continue"): no Content-Length, no body */
      responses++;
      p = body;
      continue;
    }
    size_t cl_len = 0, type_len = 0, conn_len = 0;
    const char *cl = header(p, head_end, "Content-Length", &cl_len);
    const char *type = header(p, head_end, "Content-Type", &type_len);
    const char *conn = header(p, head_end, "Connection", &conn_len);
    REPLY_ASSERT(cl != NULL && cl_len > 0 && cl_len <= 9);
    size_t length = 0;
    for (size_t i = 0; i < cl_len; i++) {
      REPLY_ASSERT(cl[i] >= '0' && cl[i] <= '9');
      length = length * 10 + (size_t)(cl[i] - '0');
    }
    const char *want = expected_body(code, type ? type : "", type ? type_len : 0);
    if (want) {
      REPLY_ASSERT(code != 200 || type != NULL);
      REPLY_ASSERT(length == strlen(want));
    }
    /* The answer to a HEAD has the Content-Length of its GET and no body: then what follows is the
     * next response or the end (no body here starts with "HTTP/1."). */
    if (length > 0 && body < end && !starts(body, end, "HTTP/1.")) {
      if (cut && (size_t)(end - body) < length) break;
      REPLY_ASSERT((size_t)(end - body) >= length);
      if (want) REPLY_ASSERT(memcmp(body, want, length) == 0);
      if (!want) { /* one of libmicrohttpd's own error pages: which one, by a hash of its text */
        uint32_t h = 2166136261u;
        for (size_t i = 0; i < length; i++) h = (h ^ (uint8_t)body[i]) * 16777619u;
        signal_counters[700 + h % 256]++;
      }
      body += length;
    }
    if (conn && equals(conn, conn_len, "close")) *closes = 1;
    /* libmicrohttpd 0.9.75 (Debian 12) sends the header of some of its own error responses twice, the
     * first time without the body: for a bad Content-Length, before the handler is called
     * (regressions/admin/mhd-bad-content-length-header-twice). Such a header is skipped. */
    const char *eol = memchr(p, '\r', (size_t)(head_end - p));
    if (*closes && !want && length > 0 && body == head_end + 2 && eol && starts(body, end, "HTTP/1.") &&
        (size_t)(end - body) > (size_t)(eol - p) && memcmp(body, p, (size_t)(eol - p + 2)) == 0) {
      signal_counters[660]++;
      *closes = 0;
      p = body;
      continue;
    }
    responses++;
    p = body;
    if (*closes) break;
  }
  REPLY_ASSERT(p == end || cut); /* nothing after a "Connection: close" response */
  return responses;
}

/* The plumbing works: a well-formed request gets its document. */
static void self_test(void) {
  static const struct {
    const char *req, *status_line, *body;
  } cases[] = {
      {"GET /status HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 200 ", status_json},
      {"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 200 ", metrics_text},
      {"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 200 ", "ok\n"},
      {"GET /nope HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 404 ", "not found\n"},
      {"POST /status HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", "HTTP/1.1 405 ", "GET only\n"},
      {"HEAD /status HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 200 ", ""},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    size_t len = exchange((const uint8_t *)cases[i].req, strlen(cases[i].req));
    int closes;
    FUZZ_ASSERT(check_reply(len, &closes) == 1);
    const char *end = reply + len, *body = blank_line(reply, end);
    FUZZ_ASSERT(starts(reply, end, cases[i].status_line) && body != NULL);
    body += 2;
    FUZZ_ASSERT((size_t)(end - body) == strlen(cases[i].body) && memcmp(body, cases[i].body, end - body) == 0);
  }
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  signal(SIGPIPE, SIG_IGN);
  reply = malloc(REPLY_MAX);
  FUZZ_ASSERT(reply != NULL);
  FUZZ_ASSERT(admin_start_socketless(&admin) == 0);
  publish();
  self_test();
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  size_t len = exchange(data, size);
  int closes;
  unsigned n = check_reply(len, &closes);
  signal_counters[610 + (n < 32 ? n : 32)]++;
  signal_counters[650 + closes]++;
  return 0;
}
