#include "controlplane.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "probe.h"

#define READY_MS 10000

/* GET `path` from the admin port; the body (after the headers) goes to out[outlen]. Returns 0 or -1. */
static int admin_get(const struct controlplane *cp, const char *path, char *out, size_t outlen) {
  char req[256];
  snprintf(req, sizeof req, "GET %s HTTP/1.0\r\nHost: %s\r\n\r\n", path, cp->ip);
  if (probe_exchange(cp->ip, cp->admin_port, NULL, req, out, outlen, 2000) < 0) return -1;
  char *body = strstr(out, "\r\n\r\n");
  if (!body) return -1;
  memmove(out, body + 4, strlen(body + 4) + 1);
  return 0;
}

/* The number of endpoints the current snapshot serves (from /status), or -1. */
static int served_endpoints(const struct controlplane *cp) {
  static char buf[65536];
  if (admin_get(cp, "/status", buf, sizeof buf) != 0) return -1;
  const char *p = strstr(buf, "\"endpoints\":");
  return p ? atoi(p + strlen("\"endpoints\":")) : -1;
}

static int write_generation(struct controlplane *cp, int gen, const char *text) {
  char d[PATH_MAX + 32], f[PATH_MAX + 64];
  snprintf(d, sizeof d, "%s/..%d", cp->dir, gen);
  snprintf(f, sizeof f, "%s/config.yaml", d);
  if (mkdir(d, 0755) != 0 && errno != EEXIST) return -1;
  FILE *fp = fopen(f, "w");
  if (!fp) return -1;
  fputs(text, fp);
  return fclose(fp);
}

int controlplane_start(struct controlplane *cp, const char *xdsd, const char *dir, const char *ip, const char *dns_ip,
                       uint16_t dns_port, const char *text) {
  memset(cp, 0, sizeof *cp);
  snprintf(cp->ip, sizeof cp->ip, "%s", ip);
  cp->port = 9002;
  cp->admin_port = 9003;
  cp->generation = 1;
  char data[PATH_MAX + 16], cfg[PATH_MAX + 16], log_path[PATH_MAX + 16];
  if ((size_t)snprintf(cp->dir, sizeof cp->dir, "%s/xds-config", dir) >= sizeof cp->dir - 32) return -1;
  snprintf(data, sizeof data, "%s/..data", cp->dir);
  snprintf(cfg, sizeof cfg, "%s/config.yaml", cp->dir);
  snprintf(log_path, sizeof log_path, "%s/xdsd.log", dir);
  if ((mkdir(cp->dir, 0755) != 0 && errno != EEXIST) || write_generation(cp, 1, text) != 0 ||
      symlink("..1", data) != 0 || symlink("..data/config.yaml", cfg) != 0) {
    log_error("msg=\"cannot lay out the config directory\" dir=%s err=\"%s\"", cp->dir, strerror(errno));
    return -1;
  }
  char listen[32], admin[32], dns[32];
  snprintf(listen, sizeof listen, "%s:%u", ip, cp->port);
  snprintf(admin, sizeof admin, "%s:%u", ip, cp->admin_port);
  snprintf(dns, sizeof dns, "%s:%u", dns_ip, dns_port);
  const char *argv[] = {xdsd,  "--config",     cfg, "--listen",      listen, "--admin",
                        admin, "--dns-server", dns, "--dns-refresh", "1s",   NULL};
  struct proc_spec spec = {.name = "xdsd", .argv = argv, .log_path = log_path};
  if (proc_start(&cp->proc, &spec) != 0) return -1;
  int64_t deadline = clock_now_ms() + READY_MS;
  while (served_endpoints(cp) < 1) {
    if (proc_poll_exit(&cp->proc, NULL) != 0 || clock_now_ms() > deadline) {
      log_error("msg=\"xdsd not ready (serving endpoints)\" address=%s log=%s", listen, log_path);
      controlplane_stop(cp); /* the caller only stops a control plane that came up */
      return -1;
    }
    usleep(50000);
  }
  log_info("msg=\"control plane ready\" xdsd=%s admin=%s pid=%d", listen, admin, (int)cp->proc.pid);
  return 0;
}

int controlplane_swap(struct controlplane *cp, const char *text) {
  int gen = cp->generation + 1;
  char tmp[PATH_MAX + 16], data[PATH_MAX + 16], target[32], old[PATH_MAX + 32], old_cfg[PATH_MAX + 64];
  snprintf(tmp, sizeof tmp, "%s/..data_tmp", cp->dir);
  snprintf(data, sizeof data, "%s/..data", cp->dir);
  snprintf(target, sizeof target, "..%d", gen);
  if (write_generation(cp, gen, text) != 0 || symlink(target, tmp) != 0 || rename(tmp, data) != 0) {
    log_error("msg=\"config swap failed\" dir=%s err=\"%s\"", cp->dir, strerror(errno));
    return -1;
  }
  /* kubelet then removes the old directory. */
  snprintf(old, sizeof old, "%s/..%d", cp->dir, cp->generation);
  snprintf(old_cfg, sizeof old_cfg, "%s/config.yaml", old);
  unlink(old_cfg);
  rmdir(old);
  cp->generation = gen;
  log_info("msg=\"config swapped\" dir=%s generation=%d", cp->dir, gen);
  return 0;
}

int controlplane_bootstrap(const struct controlplane *cp, const char *path, const char *node_id) {
  FILE *f = fopen(path, "w");
  if (!f) return -1;
  fprintf(f,
          "{\"xds_servers\":[{\"server_uri\":\"%s:%u\",\"channel_creds\":[{\"type\":\"insecure\"}],"
          "\"server_features\":[\"xds_v3\"]}],\n "
          "\"node\":{\"id\":\"%s\",\"cluster\":\"lab\",\"locality\":{\"zone\":\"z1\"}}}\n",
          cp->ip, cp->port, node_id);
  return fclose(f);
}

void controlplane_stop(struct controlplane *cp) {
  if (cp->proc.pid > 0) proc_stop(&cp->proc, 3000);
}
