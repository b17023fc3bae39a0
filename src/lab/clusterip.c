#include "clusterip.h"

#define _GNU_SOURCE /* fmemopen */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "probe.h"

#define CMD_TIMEOUT_MS 10000
#define READY_MS 5000

const char *clusterip_mode_name(enum clusterip_mode m) {
  return m == CLUSTERIP_IPTABLES ? "iptables (kube-proxy DNAT, statistic random)"
                                 : "haproxy (mode tcp, balance random)";
}

static int iptables(struct clusterip *c, const char *const *args) {
  const char *argv[32];
  size_t n = 0;
  argv[n++] = c->tool;
  argv[n++] = "-w";
  argv[n++] = "-t";
  argv[n++] = "nat";
  for (size_t i = 0; args[i] && n < 31; i++) argv[n++] = args[i];
  argv[n] = NULL;
  char log_path[PATH_MAX + 16];
  snprintf(log_path, sizeof log_path, "%s/iptables.log", c->dir);
  int rc = proc_run(NULL, argv, log_path, CMD_TIMEOUT_MS);
  if (rc != 0) log_error("msg=\"iptables failed\" chain=%s status=%d log=%s", c->chain, rc, log_path);
  return rc == 0 ? 0 : -1;
}

/* Counts the lines of HAProxy's log that contain `what`. */
static int log_count(const struct clusterip *c, const char *what) {
  char path[PATH_MAX + 64], line[1024];
  if ((size_t)snprintf(path, sizeof path, "%s/haproxy-%s.log", c->dir, c->name) >= sizeof path) return 0;
  FILE *f = fopen(path, "r");
  if (!f) return 0;
  int n = 0;
  while (fgets(line, sizeof line, f)) n += strstr(line, what) != NULL;
  fclose(f);
  return n;
}

/* Waits until the master has logged `loads` successful (re)loads. */
static int wait_loaded(struct clusterip *c, int loads) {
  int64_t deadline = clock_now_ms() + READY_MS;
  while (log_count(c, "Loading success") < loads) {
    if (proc_poll_exit(&c->haproxy, NULL) != 0 || clock_now_ms() > deadline) {
      log_error("msg=\"haproxy did not (re)load\" service=%s loads=%d", c->name, loads);
      return -1;
    }
    usleep(20000);
  }
  return 0;
}

/* Writes the config; returns 0 when written, 1 when it is unchanged, -1 on error. */
static int haproxy_write_config(struct clusterip *c, const char *const *ips, size_t n, uint16_t port) {
  char path[PATH_MAX + 64], tmp[PATH_MAX + 80];
  if ((size_t)snprintf(path, sizeof path, "%s/haproxy-%s.cfg", c->dir, c->name) >= sizeof path ||
      (size_t)snprintf(tmp, sizeof tmp, "%s.tmp", path) >= sizeof tmp)
    return -1;
  char text[8192];
  size_t len = 0;
  FILE *f = fmemopen(text, sizeof text, "w");
  if (!f) return -1;
  fprintf(f,
          "# ClusterIP Service %s, written by the lab: L4, one backend per TCP connection.\n"
          "global\n  maxconn 4096\n\n"
          "defaults\n  mode tcp\n  timeout connect 1s\n  timeout client 1h\n  timeout server 1h\n\n"
          "frontend %s\n  bind %s:%u\n  default_backend pods\n\n"
          "backend pods\n  balance random\n",
          c->name, c->name, c->vip, c->port);
  for (size_t i = 0; i < n; i++) fprintf(f, "  server pod%zu %s:%u\n", i, ips[i], port);
  len = (size_t)ftell(f);
  if (fclose(f) != 0 || len >= sizeof text - 1) return -1;
  char old[sizeof text];
  FILE *o = fopen(path, "r");
  if (o) {
    size_t olen = fread(old, 1, sizeof old, o);
    fclose(o);
    if (olen == len && memcmp(old, text, len) == 0) return 1;
  }
  f = fopen(tmp, "w");
  if (!f) return -1;
  fwrite(text, 1, len, f);
  if (fclose(f) != 0) return -1;
  return rename(tmp, path);
}

int clusterip_start(struct clusterip *c, enum clusterip_mode mode, const char *tool, const char *name, const char *vip,
                    uint16_t port, const char *dir, const char *const *ips, size_t n, uint16_t pod_port) {
  memset(c, 0, sizeof *c);
  c->mode = mode;
  c->tool = tool;
  c->port = port;
  snprintf(c->name, sizeof c->name, "%s", name);
  snprintf(c->vip, sizeof c->vip, "%s", vip);
  snprintf(c->dir, sizeof c->dir, "%s", dir);
  snprintf(c->chain, sizeof c->chain, "LAB-SVC-%.20s", name);
  char port_s[8], dst[32];
  snprintf(port_s, sizeof port_s, "%u", port);
  snprintf(dst, sizeof dst, "%s/32", vip);
  if (mode == CLUSTERIP_IPTABLES) {
    const char *mk[] = {"-N", c->chain, NULL};
    const char *jump[] = {"-A", "OUTPUT", "-d", dst, "-p", "tcp", "--dport", port_s, "-j", c->chain, NULL};
    if (iptables(c, mk) != 0) return -1;
    if (iptables(c, jump) != 0) {
      const char *rm[] = {"-X", c->chain, NULL};
      iptables(c, rm);
      return -1;
    }
    c->installed = 1;
    if (clusterip_set_endpoints(c, ips, n, pod_port) != 0) {
      clusterip_stop(c); /* removes the chain and the jump: nothing half-made is left */
      return -1;
    }
    log_info("msg=\"clusterip ready\" service=%s vip=%s:%u mode=iptables chain=%s", name, vip, port, c->chain);
    return 0;
  }
  /* HAProxy starts with the pods it has; a later change is a reload. */
  if (haproxy_write_config(c, ips, n, pod_port) < 0) {
    log_error("msg=\"cannot write haproxy config\" dir=%s err=\"%s\"", dir, strerror(errno));
    return -1;
  }
  char cfg[PATH_MAX + 64], log_path[PATH_MAX + 64];
  if ((size_t)snprintf(cfg, sizeof cfg, "%s/haproxy-%s.cfg", dir, name) >= sizeof cfg ||
      (size_t)snprintf(log_path, sizeof log_path, "%s/haproxy-%s.log", dir, name) >= sizeof log_path)
    return -1;
  const char *argv[] = {tool, "-W", "-db", "-f", cfg, NULL};
  struct proc_spec spec = {.name = "haproxy-clusterip", .argv = argv, .log_path = log_path};
  if (proc_start(&c->haproxy, &spec) != 0) return -1;
  int64_t deadline = clock_now_ms() + READY_MS;
  c->loads = 1;
  while (!probe_tcp(vip, port) || log_count(c, "Loading success") < 1) {
    if (proc_poll_exit(&c->haproxy, NULL) != 0 || clock_now_ms() > deadline) {
      log_error("msg=\"haproxy did not listen\" vip=%s:%u log=%s", vip, port, log_path);
      clusterip_stop(c);
      return -1;
    }
    usleep(20000);
  }
  log_info("msg=\"clusterip ready\" service=%s vip=%s:%u mode=haproxy pid=%d", name, vip, port, (int)c->haproxy.pid);
  return 0;
}

int clusterip_set_endpoints(struct clusterip *c, const char *const *ips, size_t n, uint16_t port) {
  if (c->mode == CLUSTERIP_HAPROXY) {
    /* SIGUSR2 before the master is up would be lost: wait for the previous load, then this one. */
    int w = haproxy_write_config(c, ips, n, port);
    if (w != 0) return w < 0 ? -1 : 0;
    if (wait_loaded(c, c->loads) != 0 || proc_signal(&c->haproxy, SIGUSR2) != 0) return -1;
    return wait_loaded(c, ++c->loads);
  }
  /* kube-proxy's scheme: rule i of n matches with probability 1/(n-i); the last one always. */
  const char *flush[] = {"-F", c->chain, NULL};
  if (iptables(c, flush) != 0) return -1;
  for (size_t i = 0; i < n; i++) {
    char prob[32], to[32];
    snprintf(prob, sizeof prob, "%.5f", 1.0 / (double)(n - i));
    snprintf(to, sizeof to, "%s:%u", ips[i], port);
    const char *last[] = {"-A", c->chain, "-p", "tcp", "-j", "DNAT", "--to-destination", to, NULL};
    const char *rule[] = {"-A",     c->chain,        "-p", "tcp", "-m",   "statistic",        "--mode",
                          "random", "--probability", prob, "-j",  "DNAT", "--to-destination", to,
                          NULL};
    if (iptables(c, i + 1 == n ? last : rule) != 0) return -1;
  }
  log_info("msg=\"clusterip endpoints\" service=%s n=%zu", c->name, n);
  return 0;
}

void clusterip_stop(struct clusterip *c) {
  if (c->mode == CLUSTERIP_HAPROXY) {
    if (c->haproxy.pid > 0) proc_stop(&c->haproxy, 3000);
    return;
  }
  if (!c->installed) return;
  char port_s[8], dst[32];
  snprintf(port_s, sizeof port_s, "%u", c->port);
  snprintf(dst, sizeof dst, "%s/32", c->vip);
  const char *unjump[] = {"-D", "OUTPUT", "-d", dst, "-p", "tcp", "--dport", port_s, "-j", c->chain, NULL};
  const char *flush[] = {"-F", c->chain, NULL};
  const char *rm[] = {"-X", c->chain, NULL};
  iptables(c, unjump);
  iptables(c, flush);
  iptables(c, rm);
  c->installed = 0;
}
