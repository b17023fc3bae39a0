/* An L7 gRPC proxy: HAProxy with HTTP/2 on both sides (`proto h2` on the bind and the servers),
 * per-request round robin, upstream Services discovered through the cluster DNS (`resolvers` +
 * `server-template`, re-resolved every second), a weight per upstream, and its runtime API on a unix
 * socket for live weight changes and request counters. Envoy plays this part in the demo's
 * manifests; Envoy cannot be installed here, HAProxy can. The lab writes the config. */
#ifndef LAB_L7PROXY_H
#define LAB_L7PROXY_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "proc.h"
#include "scenario.h"

#define L7PROXY_SLOTS 10 /* servers per upstream (server-template): the most replicas it can follow */

struct l7proxy {
  struct proc proc;
  char name[SC_NAME_MAX + 16];
  char ip[16];
  uint16_t port;
  struct sc_proxy upstreams; /* the weights in force */
  char cfg_path[PATH_MAX];
  char sock_path[108];    /* sun_path's size */
  uint64_t last_requests; /* the frontend's request counter at the last sample */
};

/* Where the upstream Services are: the cluster DNS and each upstream's port. */
struct l7proxy_env {
  const char *haproxy;
  const char *dir;
  const char *dns_ip;
  uint16_t dns_port;
  const struct scenario *sc;
};

/* Writes the config, starts HAProxy on ip:port and waits until it listens and has resolved at least
 * one upstream server. Returns 0, or -1 (logged). */
int l7proxy_start(struct l7proxy *p, const struct l7proxy_env *env, const char *name, const char *ip, uint16_t port,
                  const struct sc_proxy *upstreams);

/* Changes upstream weights through the runtime API (every slot of each named upstream). Returns 0 or -1. */
int l7proxy_set_weights(struct l7proxy *p, const struct sc_upstream *w, size_t n);

/* Requests the frontend received since the previous call (HTTP/2 requests = RPCs). Returns 0 or -1. */
int l7proxy_requests_delta(struct l7proxy *p, uint64_t *delta);

void l7proxy_stop(struct l7proxy *p);

#endif
