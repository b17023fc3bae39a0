/* A ClusterIP Service: a virtual IP that balances per TCP connection, as kube-proxy does.
 *   iptables: kube-proxy's own mechanism. A nat OUTPUT rule sends VIP:PORT to a chain of DNAT rules,
 *             rule i taken with probability 1/(n-i) (`-m statistic --mode random`), so each new
 *             connection picks an endpoint uniformly. Needs the lab's network namespace (root).
 *   haproxy:  HAProxy in `mode tcp`, `balance random`, bound on VIP:PORT; endpoint changes rewrite
 *             its config and reload it (master-worker, SIGUSR2), so existing connections stay put.
 * Either way one HTTP/2 connection is pinned to one pod, which is what the clusterip scenario shows. */
#ifndef LAB_CLUSTERIP_H
#define LAB_CLUSTERIP_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "proc.h"

enum clusterip_mode { CLUSTERIP_IPTABLES = 0, CLUSTERIP_HAPROXY };

struct clusterip {
  enum clusterip_mode mode;
  char name[48];
  char vip[16];
  uint16_t port;
  char chain[29];      /* iptables: the Service's chain (iptables limits names to 28) */
  int installed;       /* iptables: the OUTPUT jump rule is in place */
  struct proc haproxy; /* haproxy: the master process */
  int loads;           /* haproxy: (re)loads so far, as its log counts them */
  char dir[PATH_MAX];  /* where configs and logs go */
  const char *tool;    /* iptables or haproxy binary (not owned) */
};

/* Sets up the Service on vip:port with endpoints ips[n] (on pod_port). Returns 0, or -1 (logged). */
int clusterip_start(struct clusterip *c, enum clusterip_mode mode, const char *tool, const char *name, const char *vip,
                    uint16_t port, const char *dir, const char *const *ips, size_t n, uint16_t pod_port);

/* Replaces the endpoints (pod IPs, all on `port`). Returns 0, or -1 (logged). */
int clusterip_set_endpoints(struct clusterip *c, const char *const *ips, size_t n, uint16_t port);

/* Removes the rules or stops HAProxy. */
void clusterip_stop(struct clusterip *c);

const char *clusterip_mode_name(enum clusterip_mode m);

#endif
