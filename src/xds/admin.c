#include "admin.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "parse.h"

struct admin {
  struct MHD_Daemon *daemon;
  pthread_mutex_t mu;
  char *status; /* guarded by mu */
  size_t status_len;
  char *metrics; /* guarded by mu */
  size_t metrics_len;
};

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned code, const char *type, const char *body,
                             size_t len) {
  struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
  if (!r) return MHD_NO;
  MHD_add_response_header(r, "Content-Type", type);
  enum MHD_Result rc = MHD_queue_response(conn, code, r);
  MHD_destroy_response(r);
  return rc;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                              const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls) {
  (void)version;
  (void)upload_data;
  (void)upload_data_size;
  (void)con_cls;
  struct admin *a = cls;
  if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
    return reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain", "GET only\n", 9);
  if (strcmp(url, "/healthz") == 0) return reply(conn, MHD_HTTP_OK, "text/plain", "ok\n", 3);
  int is_status = strcmp(url, "/status") == 0, is_metrics = strcmp(url, "/metrics") == 0;
  if (!is_status && !is_metrics) return reply(conn, MHD_HTTP_NOT_FOUND, "text/plain", "not found\n", 10);
  pthread_mutex_lock(&a->mu);
  enum MHD_Result rc;
  if (is_status)
    rc = reply(conn, MHD_HTTP_OK, "application/json", a->status ? a->status : "{}", a->status ? a->status_len : 2);
  else
    rc = reply(conn, MHD_HTTP_OK, "text/plain; version=0.0.4", a->metrics ? a->metrics : "",
               a->metrics ? a->metrics_len : 0);
  pthread_mutex_unlock(&a->mu);
  return rc;
}

/* Both ways to start share the daemon's options and handler, so that the socketless one (the fuzzer's) runs
 * the very HTTP handling (libmicrohttpd's parsing, handle()) the listening one does: only the event loop
 * differs. Without `sin` there is no MHD_OPTION_SOCK_ADDR (its slot ends the array). */
static int start(unsigned flags, uint16_t port, struct sockaddr_in *sin, struct admin **out) {
  struct admin *a = calloc(1, sizeof *a);
  if (!a) return -1;
  pthread_mutex_init(&a->mu, NULL);
  struct MHD_OptionItem opts[] = {
      {MHD_OPTION_CONNECTION_TIMEOUT, 10, NULL},
      {sin ? MHD_OPTION_SOCK_ADDR : MHD_OPTION_END, 0, sin},
      {MHD_OPTION_END, 0, NULL},
  };
  a->daemon = MHD_start_daemon(flags, port, NULL, NULL, handle, a, MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
  if (!a->daemon) {
    pthread_mutex_destroy(&a->mu);
    free(a);
    return -1;
  }
  *out = a;
  return 0;
}

int admin_start(const char *addr, struct admin **out) {
  char host[64];
  uint16_t port;
  struct sockaddr_in sin;
  memset(&sin, 0, sizeof sin);
  sin.sin_family = AF_INET;
  if (parse_hostport(addr, host, sizeof host, &port) != 0) return -1;
  if (host[0] == '\0') strcpy(host, "0.0.0.0");
  if (inet_pton(AF_INET, host, &sin.sin_addr) != 1) return -1;
  sin.sin_port = htons(port);
  /* poll(), not select(): select() refuses descriptors >= FD_SETSIZE (1024), and xdsd holding a
   * thousand client connections would stop answering /healthz (issue 13's benchmark saw it). */
  return start(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_USE_ERROR_LOG, port, &sin, out);
}

/* No MHD_USE_ERROR_LOG: on a socketpair libmicrohttpd would log its failing TCP_NODELAY and TCP_CORK on every
 * connection. */
int admin_start_socketless(struct admin **out) { return start(MHD_USE_NO_LISTEN_SOCKET, 0, NULL, out); }

int admin_add_connection(struct admin *a, int fd) {
  struct sockaddr_storage peer;
  socklen_t len = sizeof peer;
  memset(&peer, 0, sizeof peer);
  if (getpeername(fd, (struct sockaddr *)&peer, &len) != 0) {
    close(fd);
    return -1;
  }
  return MHD_add_connection(a->daemon, fd, (struct sockaddr *)&peer, len) == MHD_YES ? 0 : -1;
}

int admin_run(struct admin *a) { return MHD_run(a->daemon) == MHD_YES ? 0 : -1; }

void admin_publish(struct admin *a, char *status_json, size_t status_len, char *metrics, size_t metrics_len) {
  pthread_mutex_lock(&a->mu);
  if (status_json) {
    free(a->status);
    a->status = status_json;
    a->status_len = status_len;
  }
  if (metrics) {
    free(a->metrics);
    a->metrics = metrics;
    a->metrics_len = metrics_len;
  }
  pthread_mutex_unlock(&a->mu);
}

void admin_stop(struct admin *a) {
  if (!a) return;
  MHD_stop_daemon(a->daemon);
  pthread_mutex_destroy(&a->mu);
  free(a->status);
  free(a->metrics);
  free(a);
}
