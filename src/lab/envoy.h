/* Envoy as the lab runs it: the seed's proxy and sidecars, with the config deploy/ ships (envoycfg.h
 * rewrites addresses and ports). Each Envoy binds its pod's address, listener and admin; it runs with
 * --disable-hot-restart, so that several can share the machine (no shared memory, no base id), and
 * with the container's own args from the manifest. Readiness: the admin's /ready says LIVE and every
 * static cluster that resolves names has a host (or, bootstrapped over ADS, a listener has arrived). */
#ifndef LAB_ENVOY_H
#define LAB_ENVOY_H

#include <limits.h>
#include <stdint.h>

#include "envoycfg.h"
#include "proc.h"

struct envoy {
  struct proc proc;
  char name[64];
  char ip[16];
  uint16_t admin_port;
  char cfg_path[PATH_MAX];
  uint64_t last_requests; /* downstream requests at the last sample */
  int per_node;           /* its manifest runs it as a DaemonSet (envoycfg.per_node) */
};

struct envoy_env {
  const char *envoy; /* the binary */
  const char *dir;   /* configs and logs */
  const char *manifest;
  const char *configmap;
  int over_ads; /* bootstrapped from a control plane: ready once a listener arrived */
};

/* Loads the manifest's config, applies `rw` (rw->ip is the pod's address), writes NAME.yaml, starts
 * Envoy with node id `name` where the manifest's args ask for the pod name, and waits until ready.
 * Returns 0, or -1 (logged with the log's path). */
int envoy_start(struct envoy *e, const struct envoy_env *env, const char *name, const struct envoycfg_rewrite *rw);

/* HTTP requests its listeners received since the previous call (gRPC calls). Returns 0 or -1. */
int envoy_requests_delta(struct envoy *e, uint64_t *delta);

/* GETs an admin path (e.g. "/config_dump"); the body goes to out[outlen]. Returns its length or -1. */
long envoy_admin_get(const struct envoy *e, const char *path, char *out, size_t outlen);

/* The build Envoy reports (/server_info "version", without the commit): e.g. "1.40.0/Clean/RELEASE/BoringSSL".
 * Returns 0 or -1. */
int envoy_version(const struct envoy *e, char *out, size_t outlen);

/* Its resident set (from /proc), in KiB, or 0. */
long envoy_rss_kib(const struct envoy *e);

void envoy_stop(struct envoy *e);

/* The Envoy binary: $ENVOY, else ENVOY_HOME/envoy (scripts/envoy-path.sh, installed by
 * scripts/deps.sh; the version is scripts/envoy-path.sh's, given by CMake). Returns 0, or -1 with the path looked at.
 */
int envoy_find(char *out, size_t outlen);

#endif
