/* The documents xdsd's admin endpoint serves, rendered from the loop's state: /status (JSON) and
 * /metrics (Prometheus text). The loop fills a struct status_input and calls status_render; admin.c
 * serves what it gets. */
#ifndef XDS_STATUS_H
#define XDS_STATUS_H

#include <stdint.h>
#include <stdio.h>

#include "ads.h"
#include "config.h"
#include "discovery.h"
#include "kubewatch.h"
#include "snapshot.h"

struct status_input {
  const char *config_path;  /* NULL: no file (Kubernetes alone) */
  const struct config *cfg; /* the config served, NULL before the first */
  uint64_t reloads_ok, reloads_failed;
  const char *last_reload;     /* UTC time of the last reload that saw new content, "" for none */
  const char *error;           /* the last reload's error, NULL when it succeeded */
  int loading;                 /* a parse is under way ... */
  int64_t loading_ms;          /* ... since this long */
  const struct snapshot *snap; /* served, or NULL */
  const struct discovery *dns;
  struct kubewatch *kube; /* NULL without --kubernetes */
  struct ads *ads;
};

/* Writes /status to `status` and /metrics to `metrics`. */
void status_render(const struct status_input *in, FILE *status, FILE *metrics);

#endif
