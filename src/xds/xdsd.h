/* xdsd's loop: the config (watched and reloaded), DNS discovery, snapshots, the ADS server and the
 * admin endpoint, tied together on one completion queue. main.c only parses flags. */
#ifndef XDS_XDSD_H
#define XDS_XDSD_H

#include <signal.h>
#include <stdint.h>
#include <stdio.h>

struct xdsd_options {
  const char *config_path; /* --config, or NULL (with --kubernetes only: no file) */
  const char *listen;      /* --listen, host:port for ADS */
  const char *admin;       /* --admin, IPv4:port for HTTP, or NULL for none */
  const char *dns_server;  /* --dns-server host:port, or NULL for the system resolver */
  int64_t dns_refresh_ms;  /* --dns-refresh */
  const char *record_dir;  /* --record-requests: every decoded DiscoveryRequest appended, per stream, to
                              DIR/stream-N.bin in the discovery fuzzer's format (tests/fuzz), or NULL */
  /* --kubernetes: Services and EndpointSlices from the API server (kubewatch.h), found through
   * --kubeconfig FILE, or the pod's service account when that is NULL. */
  int kubernetes;
  const char *kubeconfig;
  const char *const *namespaces; /* --namespaces a,b; NULL: every namespace */
  size_t n_namespaces;
  int64_t kube_watch_timeout_s; /* --kube-watch-timeout */
  int64_t kube_idle_ms;         /* --kube-idle-timeout */
};

/* Serves until *stop is set; *reload (SIGHUP) forces a config check. Returns 0 on a clean stop,
 * 1 when the ADS or admin address cannot be bound or the Kubernetes connection cannot be set up (a
 * bad kubeconfig, no service account). */
int xdsd_run(const struct xdsd_options *o, volatile sig_atomic_t *stop, volatile sig_atomic_t *reload);

/* --check: validates `path`, prints the resources it would serve to `out` and returns 0; prints the
 * error ("PATH:LINE: message") to `err` and returns 1 on a bad file. */
int xdsd_check(const char *path, FILE *out, FILE *err);

#endif
