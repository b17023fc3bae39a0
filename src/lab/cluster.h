/* The simulated cluster of one scenario run: pods are processes, each on its own 127.0.3.x address;
 * Services are DNS records in the cluster DNS (headless: the pods' addresses; ClusterIP: a virtual IP
 * balanced per connection, see clusterip.h); clients dial a Service by name through the cluster DNS.
 * Scaling starts or stops pods and then updates DNS and ClusterIP endpoints, as the endpoints
 * controller does. */
#ifndef LAB_CLUSTER_H
#define LAB_CLUSTER_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "clusterip.h"
#include "controlplane.h"
#include "dns.h"
#include "envoy.h"
#include "proc.h"
#include "scenario.h"

#define CLUSTER_MAX_PODS 64
#define CLUSTER_SUBNET "127.0.3."
#define CLUSTER_DNS_IP CLUSTER_SUBNET "53"
#define CLUSTER_XDS_IP CLUSTER_SUBNET "9" /* the control plane */

struct pod {
  char name[SC_NAME_MAX + 8]; /* DEPLOYMENT-N; also the greeter server's NAME */
  char ip[16];
  size_t deployment;   /* index in the scenario */
  int born_step;       /* the timeline step that created it (0: at start) */
  int gone_step;       /* the step that removed it, or -1 */
  int is_proxy;        /* an Envoy pod (envoy), else a greeter server (proc) */
  int64_t first_rx_ms; /* when it received its first RPC, from its log, in ms since the clients
                          started (-1: none, or not read yet) */
  int64_t *rx_ms;      /* every RPC it logged as received, ascending, same clock (owned; NULL
                          until the log is read); freed by run_free */
  int16_t *rx_client;  /* for each, the index of the scenario client that sent it (its NAME, "CLIENT-N",
                          in the log's from=), -1 for another (owned; allocated with rx_ms) */
  size_t n_rx;
  struct proc proc;
  struct envoy envoy;
};

struct cluster_client {
  struct proc proc;
  int restarts;
  char ip[16];             /* with a sidecar: the pod's address, which the sidecar listens on */
  struct sc_proxy weights; /* with a sidecar: the weights its static config has */
  struct envoy sidecar;
};

/* Paths of the programs the lab runs. */
struct cluster_tools {
  char greeter_server[PATH_MAX];
  char greeter_client[PATH_MAX];
  char dnsmasq[PATH_MAX];
  char iptables[PATH_MAX];
  char haproxy[PATH_MAX]; /* the ClusterIP without a namespace */
  char envoy[PATH_MAX];   /* "" when absent: no proxy scenarios */
  char deploy[PATH_MAX];  /* deploy/: the manifests whose Envoy configs the lab runs */
  char gnuplot[PATH_MAX]; /* "" when absent: no charts */
  char xdsd[PATH_MAX];    /* "" when absent: no xDS scenarios */
};

struct cluster {
  const struct scenario *sc; /* not owned */
  const struct cluster_tools *tools;
  char dir[PATH_MAX]; /* logs and generated files of this run */
  enum clusterip_mode clusterip_mode;
  uint16_t dns_port;
  struct dns dns;
  int dns_up;
  struct pod pods[CLUSTER_MAX_PODS];
  size_t n_pods;
  int next_ip; /* last octet of the next pod address */
  int next_ordinal[SC_MAX_DEPLOYMENTS];
  struct clusterip cips[SC_MAX_SERVICES];
  int cip_up[SC_MAX_SERVICES];
  struct cluster_client clients[SC_MAX_CLIENTS];
  struct controlplane xds; /* when the scenario has xds_configs */
  int xds_up;
  int step;               /* the timeline step being run */
  char envoy_version[96]; /* "1.40.0/Clean/RELEASE/BoringSSL" from the first Envoy's /server_info, or "" */
};

/* Starts DNS, the initial pods (waiting until each listens), the Services, then no clients.
 * Returns 0, or -1 (logged; call cluster_down). */
int cluster_up(struct cluster *c, const struct scenario *sc, const struct cluster_tools *tools, const char *dir,
               enum clusterip_mode mode, uint16_t dns_port);

/* Starts every client (stdout piped for the samples). Returns 0 or -1. */
int cluster_start_clients(struct cluster *c);

/* Sets a deployment's replica count during timeline step `step`: new pods start and become ready,
 * then DNS and ClusterIPs change; removed pods leave DNS first, then stop. Returns 0 or -1. */
int cluster_scale(struct cluster *c, const char *deployment, int replicas, int step);

/* Stops a client (and its sidecar) and starts it again (the demo's "delete the client pod").
 * Returns 0 or -1. */
int cluster_restart_client(struct cluster *c, const char *client);

/* Changes a client's sidecar weights the seed's way: a new static config, then the client pod
 * restarted. Returns 0 or -1. */
int cluster_set_weights(struct cluster *c, const char *client, const struct sc_upstream *w, size_t n);

/* Swaps the control plane's config for the named one (a ConfigMap update). Returns 0 or -1. */
int cluster_xds_config(struct cluster *c, const char *name);

/* Kills the oldest live pod of a deployment (SIGKILL, a crash), then removes it from DNS, as the
 * endpoints controller does once the pod is gone. Returns 0 or -1. */
int cluster_kill(struct cluster *c, const char *deployment, int step);

/* Calls fn for every running Envoy (proxy pods and sidecars). */
void cluster_each_proxy(struct cluster *c, void (*fn)(void *arg, struct envoy *p), void *arg);

/* Stops clients, then pods, Services and DNS, by PID. Safe to call at any point after cluster_up. */
void cluster_down(struct cluster *c);

/* The cluster DNS target a client of `service` uses, e.g. dns://127.0.3.53:53/server.lab:50051. */
void cluster_target(const struct cluster *c, const struct sc_service *svc, char *out, size_t outlen);

#endif
