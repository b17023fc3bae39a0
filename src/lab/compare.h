/* The comparison over every scenario of a run (the demo's "Discussion" as numbers): balance, discovery
 * of new replicas, weighted routing, restarts needed, hops, latency, processes per client, the proxy. Derived
 * from each run's scenario and samples; no I/O. */
#ifndef LAB_COMPARE_H
#define LAB_COMPARE_H

#include <stddef.h>

#include "run.h"

struct compare_row {
  char scenario[48];
  char balanced[128];  /* max/min share over the first phase */
  char discovery[128]; /* new replicas discovered, and when */
  char weights[96];    /* weighted routing exercised, and its accuracy */
  char restart[64];    /* a change needs a client restart */
  char hops[96];       /* proxies between client and server */
  char latency[96];    /* p50/p99 of the first phase, and the difference to headless */
  char processes[64];  /* processes per client */
  char proxy[96];      /* the proxy that ran, its version and its peak RSS, or "-" */
};

/* Fills out[n] from runs[n] (runs that did not complete get "-" cells). */
void compare_rows(const struct run *const *runs, size_t n, struct compare_row *out);

#endif
