/* The Envoy configs the lab runs are the ones deploy/ ships: this module reads a manifest's ConfigMap
 * (data["config.yaml"]) and the Envoy container's args, and rewrites what differs between a cluster
 * and the lab: addresses and ports (the pod's address for the listeners and the admin, the cluster
 * DNS for the clusters that resolve names, NAME.lab for a bare Service name), and, for the canary,
 * the endpoint weights the user edits. Pure: trees in, trees out, no I/O but reading the manifest. */
#ifndef LAB_ENVOYCFG_H
#define LAB_ENVOYCFG_H

#include <stddef.h>
#include <stdint.h>

struct ytree;

#define ENVOYCFG_MAX_ARGS 16
#define ENVOYCFG_MAX_HOSTS 8

/* The Envoy of one manifest: its bootstrap (owned tree) and its container's args (after "envoy",
 * without "-c FILE"), with "$(POD_NAME)" left for envoycfg_args to fill. */
struct envoycfg {
  struct ytree *bootstrap;
  char args[ENVOYCFG_MAX_ARGS][128];
  size_t n_args;
  int per_node; /* the container is a DaemonSet's: one Envoy per node, shared by that node's pods */
};

/* A host name the lab maps elsewhere (e.g. the control plane's Service "xds" to xdsd's address). */
struct envoycfg_host {
  const char *name;
  const char *ip;
  uint16_t port;
};

/* An endpoint weight as the canary's user writes it: lb_endpoints become one entry per Service with a
 * weight > 0 (Envoy refuses 0), in this order. */
struct envoycfg_weight {
  const char *service;
  uint16_t port;
  int weight;
};

struct envoycfg_rewrite {
  const char *ip;      /* the pod's address: listeners and admin bind here */
  uint16_t admin_port; /* 0: keep the config's */
  const char *dns_ip;  /* the cluster DNS, for STRICT_DNS and LOGICAL_DNS clusters */
  uint16_t dns_port;
  const char *domain; /* a bare name NAME becomes NAME.DOMAIN */
  const struct envoycfg_host *hosts;
  size_t n_hosts;
  const struct envoycfg_weight *weights; /* NULL: the endpoints as shipped */
  size_t n_weights;
};

/* Reads `manifest` (a multi-document Kubernetes YAML), finds the ConfigMap named `configmap` and the
 * container (of a Deployment or a DaemonSet) that mounts it and runs envoy. Returns 0, or -1 with err = "PATH: what is
 * missing". */
int envoycfg_load(const char *manifest, const char *configmap, struct envoycfg *out, char *err, size_t errlen);
/* The same, from text already read (for tests and the fuzzer). */
int envoycfg_parse(const char *name, const char *text, size_t len, const char *configmap, struct envoycfg *out,
                   char *err, size_t errlen);

/* Applies `rw` to the bootstrap. Returns 0, or -1 with err (a shape the lab cannot rewrite). */
int envoycfg_apply(struct envoycfg *c, const struct envoycfg_rewrite *rw, char *err, size_t errlen);

/* The args with "$(POD_NAME)" replaced by `pod`: argv[0..n) point into store. Returns n. */
size_t envoycfg_args(const struct envoycfg *c, const char *pod, char store[][128], const char **argv, size_t max);

/* The admin port of the bootstrap (0 when it has none). */
uint16_t envoycfg_admin_port(const struct envoycfg *c);

void envoycfg_free(struct envoycfg *c);

#endif
