/* A lab scenario: the cluster to simulate (deployments, services, clients), the timeline of events
 * and the expectations, loaded from one YAML file under lab/scenarios/ and validated. No I/O beyond
 * reading the file.
 *
 * Durations and environment values are either a scalar ("10s") or a map {default: 10s, fast: 2s};
 * scenario_load resolves them for the chosen mode, so the rest of the lab sees plain values. */
#ifndef LAB_SCENARIO_H
#define LAB_SCENARIO_H

#include <stddef.h>
#include <stdint.h>

#define SC_MAX_ENV 16
#define SC_MAX_DEPLOYMENTS 8
#define SC_MAX_SERVICES 8
#define SC_MAX_CLIENTS 8
#define SC_MAX_STEPS 16
#define SC_MAX_EXPECTS 16
#define SC_NAME_MAX 48
#define SC_MAX_UPSTREAMS 4
#define SC_MAX_XDS_CONFIGS 6
#define SC_XDS_CONFIG_MAX 4096

struct sc_env {
  char key[64];
  char value[256];
};

/* What a deployment's pods run: the greeter server, or Envoy as the seed's L7 gRPC proxy. */
enum sc_image { SC_IMAGE_GREETER_SERVER = 0, SC_IMAGE_ENVOY };

/* An endpoint weight of an Envoy's cluster, as the canary's user edits it: a Service the proxy
 * resolves through the cluster DNS, with a weight (0..256; 0 leaves it out) that Envoy gives to every
 * host the name resolves to. */
struct sc_upstream {
  char service[SC_NAME_MAX];
  int weight;
};

#define SC_PATH_MAX 128

/* An Envoy (a proxy deployment or a client's sidecar): the manifest under deploy/ whose ConfigMap
 * "proxyconfig" holds its config (and whose Deployment its args), and, when the scenario edits them,
 * the endpoint weights (n_upstreams == 0: the config as shipped). */
struct sc_proxy {
  char config[SC_PATH_MAX]; /* e.g. "proxy/proxy.yaml", relative to deploy/ */
  struct sc_upstream upstreams[SC_MAX_UPSTREAMS];
  size_t n_upstreams;
};

struct sc_deployment {
  char name[SC_NAME_MAX];
  enum sc_image image;
  int replicas;
  uint16_t port;         /* ENVOY: the port its listener has in the config (default 8080) */
  struct sc_proxy proxy; /* ENVOY */
  struct sc_env env[SC_MAX_ENV];
  size_t n_env;
};

enum sc_service_type { SC_SERVICE_HEADLESS = 0, SC_SERVICE_CLUSTERIP };

struct sc_service {
  char name[SC_NAME_MAX];
  enum sc_service_type type;
  uint16_t port;
  char deployment[SC_NAME_MAX]; /* the selector: pods of this deployment */
};

struct sc_client {
  char name[SC_NAME_MAX];
  char service[SC_NAME_MAX]; /* dials this service through the cluster DNS ("" with a sidecar or xds) */
  char xds[SC_NAME_MAX];     /* proxyless: dials xds:///XDS, configured by the control plane */
  int has_sidecar;           /* an Envoy next to the client (on the pod's address); the client dials it */
  struct sc_proxy sidecar;
  struct sc_env env[SC_MAX_ENV];
  size_t n_env;
};

enum sc_action {
  SC_ACTION_NONE = 0,
  SC_ACTION_SCALE,
  SC_ACTION_RESTART,
  SC_ACTION_WEIGHTS,
  SC_ACTION_XDS_CONFIG,
  SC_ACTION_KILL
};

/* One step of the timeline: an optional action, then a phase that lasts `duration_ms`. */
struct sc_step {
  char phase[SC_NAME_MAX];
  enum sc_action action;
  char target[SC_NAME_MAX];                     /* SCALE, KILL: a deployment; RESTART, WEIGHTS: a client; XDS_CONFIG: a
                                                   control-plane config name */
  int replicas;                                 /* SCALE */
  struct sc_upstream weights[SC_MAX_UPSTREAMS]; /* WEIGHTS: new weights of a client's sidecar upstreams */
  size_t n_weights;
  int64_t duration_ms;
  int line;
};

enum sc_check {
  SC_CHECK_TOP_SHARE = 0, /* the busiest pod's share over the phase >= min */
  SC_CHECK_SHARE_EACH,    /* every selected pod's share over the phase within target +- tolerance */
  SC_CHECK_NO_RPC,        /* the selected pods get no RPC during the phase */
  SC_CHECK_FIRST_RPC,     /* every selected pod gets its first RPC within `within_ms` of the phase start */
  SC_CHECK_EVEN,          /* shares converge: the last `window_ms` of the phase within target +- tolerance;
                             the time until even (first such window) is measured */
  SC_CHECK_STOPS,         /* the pods the phase's kill removed get no RPC (answered or failed) after
                             `within_ms` */
  SC_CHECK_GROUP_SHARE,   /* the deployment's pods together get target +- tolerance over the phase (after
                             `settle_ms`), over at least `min_rpcs` RPCs; the time until a 1 s window first
                             shows it is measured */
  SC_CHECK_CLIENT_SHARE,  /* of one client's RPCs (the servers' logs say who sent each), the deployment's pods
                             get target +- tolerance over the phase (after `settle_ms`), over >= `min_rpcs` */
  SC_CHECK_FAILOVER,      /* the selected pods take over when the phase's action sends traffic away from others
                             (a zone killed): each gets its first RPC after the action (a kill: its SIGKILL)
                             within `within_ms` of it */
  SC_CHECK_COUNT
};

/* The name a scenario file uses for a check ("top_share", ...). */
const char *scenario_check_name(enum sc_check c);

enum sc_select { SC_SELECT_ALL = 0, SC_SELECT_NEW, SC_SELECT_GONE };

struct sc_expect {
  enum sc_check check;
  char phase[SC_NAME_MAX];
  char deployment[SC_NAME_MAX];  /* pods of this deployment (default: the first deployment) */
  enum sc_select select;         /* all pods of the deployment during the phase, or the ones the phase's
                                    scale step added */
  char claim[256];               /* the expectation in words, for the verdict table */
  double min, target, tolerance; /* percent */
  int64_t within_ms;             /* FIRST_RPC, STOPS, FAILOVER; optional (-1) for EVEN and GROUP_SHARE (the last RPC
                                    the group's servers logged after the change, at most this late) */
  int64_t window_ms;             /* EVEN */
  int64_t settle_ms;             /* GROUP_SHARE: left out at the start of the phase */
  uint64_t min_rpcs;             /* GROUP_SHARE, CLIENT_SHARE */
  char client[SC_NAME_MAX];      /* CLIENT_SHARE: whose RPCs */
  int line;
};

struct scenario {
  char name[SC_NAME_MAX];
  int order; /* where `lab run all` puts it (the demo's order); default 100 */
  char title[128];
  char demo_claim[512]; /* what the demo says happens */
  char explain[2048];   /* why, for the report */
  struct sc_deployment deployments[SC_MAX_DEPLOYMENTS];
  size_t n_deployments;
  struct sc_service services[SC_MAX_SERVICES];
  size_t n_services;
  struct sc_client clients[SC_MAX_CLIENTS];
  size_t n_clients;
  struct sc_step steps[SC_MAX_STEPS];
  size_t n_steps;
  /* The xDS control plane (xdsd), when clients are proxyless: named configs in the demo's schema,
   * the first one served at start, others swapped in by timeline steps as a ConfigMap update does. */
  struct {
    char name[SC_NAME_MAX];
    char text[SC_XDS_CONFIG_MAX];
  } xds_configs[SC_MAX_XDS_CONFIGS];
  size_t n_xds_configs;
  struct sc_expect expects[SC_MAX_EXPECTS];
  size_t n_expects;
  int fast; /* timings resolved for --fast */
};

/* Loads and validates `path` with the timings of the chosen mode (fast != 0: the compressed ones).
 * Returns 0, or -1 with "PATH:LINE: what is wrong" in err[errlen] (unreadable file, YAML error,
 * unknown or missing key, bad value, a reference to an undefined deployment, service, client or phase). */
int scenario_load(const char *path, int fast, struct scenario *sc, char *err, size_t errlen);

/* Parses a scenario from memory; `origin` names it in errors. Same returns as scenario_load. */
int scenario_parse(const char *buf, size_t len, const char *origin, int fast, struct scenario *sc, char *err,
                   size_t errlen);

/* Lookups by name; NULL when absent. */
const struct sc_deployment *scenario_deployment(const struct scenario *sc, const char *name);
const struct sc_service *scenario_service(const struct scenario *sc, const char *name);
const struct sc_client *scenario_client(const struct scenario *sc, const char *name);
/* Index of the step that starts `phase`, or -1. */
int scenario_phase_index(const struct scenario *sc, const char *phase);
/* Sum of all step durations. */
int64_t scenario_duration_ms(const struct scenario *sc);

const char *scenario_action_name(enum sc_action a);

#endif
