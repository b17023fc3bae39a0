#include "l7proxy.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "dns.h"
#include "log.h"
#include "probe.h"

#define READY_MS 10000
#define RUNTIME_TIMEOUT_MS 2000

static int write_config(const struct l7proxy *p, const struct l7proxy_env *env) {
  FILE *f = fopen(p->cfg_path, "w");
  if (!f) return -1;
  fprintf(f,
          "# L7 gRPC proxy %s, written by the lab.\n"
          "global\n  maxconn 4096\n  stats socket %s mode 600 level admin\n\n"
          "# The cluster DNS; every name is resolved again each second (the proxy's DNS refresh).\n"
          "resolvers cluster\n  nameserver dns %s:%u\n  accepted_payload_size 8192\n"
          "  hold valid 1s\n  hold obsolete 1s\n  hold nx 1s\n  timeout resolve 1s\n  timeout retry 1s\n\n"
          "defaults\n  mode http\n  timeout connect 1s\n  timeout client 1h\n  timeout server 1h\n\n"
          "frontend grpc\n  bind %s:%u proto h2\n  default_backend upstream\n\n"
          "backend upstream\n  balance roundrobin\n",
          p->name, p->sock_path, env->dns_ip, env->dns_port, p->ip, p->port);
  for (size_t i = 0; i < p->upstreams.n_upstreams; i++) {
    const struct sc_upstream *u = &p->upstreams.upstreams[i];
    const struct sc_service *svc = scenario_service(env->sc, u->service);
    fprintf(f,
            "  server-template %s- %d %s.%s:%u proto h2 resolvers cluster init-addr none resolve-prefer ipv4 "
            "weight %d\n",
            u->service, L7PROXY_SLOTS, u->service, DNS_DOMAIN, svc ? svc->port : 50051, u->weight);
  }
  return fclose(f);
}

/* Sends one runtime API command and reads the whole answer into out[outlen]. Returns its length or -1. */
static ssize_t runtime(const struct l7proxy *p, const char *cmd, char *out, size_t outlen) {
  char req[512];
  snprintf(req, sizeof req, "%s\n", cmd);
  return probe_exchange(NULL, 0, p->sock_path, req, out, outlen, RUNTIME_TIMEOUT_MS);
}

/* The value of column `col` in the CSV line (0-based), copied into v[vlen]. */
static int csv_field(const char *line, int col, char *v, size_t vlen) {
  for (int i = 0; i < col; i++) {
    line = strchr(line, ',');
    if (!line) return -1;
    line++;
  }
  size_t n = strcspn(line, ",\n");
  if (n >= vlen) n = vlen - 1;
  memcpy(v, line, n);
  v[n] = '\0';
  return 0;
}

/* The column index of `name` in "show stat"'s header "# pxname,svname,...". */
static int csv_column(const char *header, const char *name) {
  const char *p = header + 2;
  for (int col = 0; p && *p; col++) {
    size_t n = strcspn(p, ",\n");
    if (n == strlen(name) && strncmp(p, name, n) == 0) return col;
    p = strchr(p, ',');
    if (p) p++;
  }
  return -1;
}

/* Counts the backend's servers that have an address (resolved, not in MAINT). */
static int resolved_servers(const struct l7proxy *p) {
  static char buf[65536];
  if (runtime(p, "show stat", buf, sizeof buf) <= 0 || strncmp(buf, "# ", 2) != 0) return -1;
  int status_col = csv_column(buf, "status");
  if (status_col < 0) return -1;
  int n = 0;
  for (char *line = strchr(buf, '\n'); line && line[1]; line = strchr(line + 1, '\n')) {
    char px[64], sv[64], st[64];
    if (csv_field(line + 1, 0, px, sizeof px) || csv_field(line + 1, 1, sv, sizeof sv) ||
        csv_field(line + 1, status_col, st, sizeof st))
      continue;
    if (strcmp(px, "upstream") == 0 && strcmp(sv, "BACKEND") != 0 && strncmp(st, "MAINT", 5) != 0) n++;
  }
  return n;
}

int l7proxy_start(struct l7proxy *p, const struct l7proxy_env *env, const char *name, const char *ip, uint16_t port,
                  const struct sc_proxy *upstreams) {
  memset(p, 0, sizeof *p);
  snprintf(p->name, sizeof p->name, "%s", name);
  snprintf(p->ip, sizeof p->ip, "%s", ip);
  p->port = port;
  p->upstreams = *upstreams;
  char log_path[PATH_MAX + 64];
  if ((size_t)snprintf(p->cfg_path, sizeof p->cfg_path, "%s/%s.cfg", env->dir, name) >= sizeof p->cfg_path ||
      (size_t)snprintf(log_path, sizeof log_path, "%s/%s.log", env->dir, name) >= sizeof log_path)
    return -1;
  /* A unix socket path is short (108 bytes): keep it out of a possibly long --out path. */
  snprintf(p->sock_path, sizeof p->sock_path, "/tmp/grpclb-lab-%d-%s.sock", (int)getpid(), name);
  unlink(p->sock_path);
  if (write_config(p, env) != 0) {
    log_error("msg=\"cannot write proxy config\" path=%s err=\"%s\"", p->cfg_path, strerror(errno));
    return -1;
  }
  const char *argv[] = {env->haproxy, "-W", "-db", "-f", p->cfg_path, NULL};
  struct proc_spec spec = {.name = p->name, .argv = argv, .log_path = log_path};
  if (proc_start(&p->proc, &spec) != 0) return -1;
  int64_t deadline = clock_now_ms() + READY_MS;
  while (!probe_tcp(ip, port) || resolved_servers(p) < 1) {
    if (proc_poll_exit(&p->proc, NULL) != 0 || clock_now_ms() > deadline) {
      log_error("msg=\"proxy not ready (listening, with a resolved upstream)\" proxy=%s address=%s:%u log=%s", name, ip,
                port, log_path);
      return -1;
    }
    usleep(50000);
  }
  log_info("msg=\"proxy ready\" proxy=%s address=%s:%u pid=%d", name, ip, port, (int)p->proc.pid);
  return 0;
}

int l7proxy_set_weights(struct l7proxy *p, const struct sc_upstream *w, size_t n) {
  char cmd[256], out[1024];
  for (size_t i = 0; i < n; i++) {
    for (int slot = 1; slot <= L7PROXY_SLOTS; slot++) {
      snprintf(cmd, sizeof cmd, "set weight upstream/%s-%d %d", w[i].service, slot, w[i].weight);
      if (runtime(p, cmd, out, sizeof out) < 0 || (out[0] && out[0] != '\n')) {
        log_error("msg=\"runtime API refused\" proxy=%s cmd=\"%s\" answer=\"%s\"", p->name, cmd, out);
        return -1;
      }
    }
    for (size_t j = 0; j < p->upstreams.n_upstreams; j++)
      if (strcmp(p->upstreams.upstreams[j].service, w[i].service) == 0) p->upstreams.upstreams[j].weight = w[i].weight;
  }
  log_info("msg=\"weights set through the runtime API\" proxy=%s", p->name);
  return 0;
}

int l7proxy_requests_delta(struct l7proxy *p, uint64_t *delta) {
  static char buf[65536];
  *delta = 0;
  if (runtime(p, "show stat -1 1 -1", buf, sizeof buf) <= 0 || strncmp(buf, "# ", 2) != 0) return -1;
  int col = csv_column(buf, "req_tot");
  if (col < 0) return -1;
  for (char *line = strchr(buf, '\n'); line && line[1]; line = strchr(line + 1, '\n')) {
    char px[64], sv[64], v[32];
    if (csv_field(line + 1, 0, px, sizeof px) || csv_field(line + 1, 1, sv, sizeof sv) ||
        csv_field(line + 1, col, v, sizeof v))
      continue;
    if (strcmp(px, "grpc") != 0 || strcmp(sv, "FRONTEND") != 0) continue;
    uint64_t total = strtoull(v, NULL, 10);
    *delta = total >= p->last_requests ? total - p->last_requests : total;
    p->last_requests = total;
    return 0;
  }
  return -1;
}

void l7proxy_stop(struct l7proxy *p) {
  if (p->proc.pid > 0) proc_stop(&p->proc, 3000);
  if (p->sock_path[0]) unlink(p->sock_path);
}
