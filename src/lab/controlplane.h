/* The xDS control plane of a scenario: xdsd (src/xds), serving the demo's config schema from a
 * directory laid out as kubelet lays out a ConfigMap volume (config.yaml -> ..data/config.yaml,
 * ..data -> ..N), resolving endpoint names through the cluster DNS every second. A config change is
 * the ConfigMap update itself: a new ..N directory and an atomic rename of the ..data symlink. */
#ifndef LAB_CONTROLPLANE_H
#define LAB_CONTROLPLANE_H

#include <limits.h>
#include <stdint.h>

#include "proc.h"

struct controlplane {
  struct proc proc;
  char ip[16];
  uint16_t port;       /* ADS */
  uint16_t admin_port; /* HTTP /status, /metrics */
  char dir[PATH_MAX];  /* the "ConfigMap volume" */
  int generation;      /* the ..N directory in use */
};

/* Lays out the config directory with `text`, starts xdsd on ip and waits until it listens and serves
 * at least one endpoint. Returns 0, or -1 (logged). */
int controlplane_start(struct controlplane *cp, const char *xdsd, const char *dir, const char *ip, const char *dns_ip,
                       uint16_t dns_port, const char *text);

/* Swaps in a new config as a ConfigMap update does. Returns 0 or -1. */
int controlplane_swap(struct controlplane *cp, const char *text);

/* Writes a gRPC xDS bootstrap for node `node_id` pointing at this control plane. Returns 0 or -1. */
int controlplane_bootstrap(const struct controlplane *cp, const char *path, const char *node_id);

void controlplane_stop(struct controlplane *cp);

#endif
