/* xdsd's configuration: the demo's YAML schema, parsed and validated into a new object.
 * No I/O besides what the caller hands in (config_parse takes the bytes; config_read_file reads a file,
 * as common/file.c's file_read_text).
 *
 *   name: <string>
 *   spec:
 *     listeners: [{name, address, port, routes: [{name, prefix, clusters: [{name, weight}]}]}]
 *     clusters:  [{name, endpoints: [{address, port}]} | {name, service: NAME.NAMESPACE:PORT}]
 *
 * Additions and rules (docs/xdsd.md): listener `port` may be left out (then no Envoy socket listener is
 * generated, the listener only serves gRPC clients); `address` defaults to 0.0.0.0; no two socket
 * listeners share an address:port; route `prefix` defaults to "/", starts with "/" but not "//" and has
 * at most 2 slashes, or a route has a `path` /SERVICE/METHOD instead; `case_sensitive`; `headers` to
 * match ({name, exact | prefix | suffix | present | range: [lo, hi], invert}); `timeout`; route weights
 * must sum to exactly 100 (a single cluster may
 * leave its weight out); every cluster a route names must be defined; names are unique; a cluster takes
 * its endpoints from `endpoints` or from a Kubernetes Service port (`service`, served with --kubernetes),
 * not both, or from `localities` ([{zone, priority, weight, endpoints}]: zones unique in a cluster,
 * priorities contiguous from 0, weight 1..1000 or left out for the endpoint count);
 * `max_requests` (circuit breaking) is 1..1000000. */
#ifndef XDS_CONFIG_H
#define XDS_CONFIG_H

#include <stddef.h>
#include <stdint.h>

struct config_weighted {
  char *name;      /* cluster name (owned) */
  uint32_t weight; /* 0..100; all weights of a route sum to 100 */
};

/* A header a route matches on (gRFC A28): the request's metadata `name` ... */
enum config_header_kind { HDR_EXACT, HDR_PREFIX, HDR_SUFFIX, HDR_PRESENT, HDR_RANGE, HDR_REGEX };

struct config_header {
  char *name; /* lower case, not a pseudo-header, not grpc-*, not *-bin (owned) */
  enum config_header_kind kind;
  char *value;    /* exact, prefix, suffix, regex (RE2, the whole value) (owned), else NULL */
  int64_t lo, hi; /* range: lo <= value < hi */
  int invert;     /* matches when the rest does not */
  int line;
};

/* The gRPC status codes a route retries on (gRFC A44's retry_on conditions), as bits. */
enum {
  RETRY_CANCELLED = 1 << 0,
  RETRY_DEADLINE_EXCEEDED = 1 << 1,
  RETRY_INTERNAL = 1 << 2,
  RETRY_RESOURCE_EXHAUSTED = 1 << 3,
  RETRY_UNAVAILABLE = 1 << 4,
};

struct config_retry {
  unsigned on;       /* RETRY_* bits; 0: no retry policy */
  uint32_t attempts; /* 2..5, the first attempt included (gRPC caps it at 5) */
  int64_t base_ms, max_ms;
};

/* Fault injection (gRFC A33): a fixed delay and an abort, each for a share of the calls. */
struct config_fault {
  int64_t delay_ms; /* 0: no delay */
  uint32_t delay_percent;
  uint32_t abort_code; /* a gRPC status 1..16; 0: no abort */
  uint32_t abort_percent;
};

struct config_route {
  char *name;                    /* may be "" (owned) */
  char *prefix;                  /* starts with "/" (owned); NULL when `path` is set */
  char *path;                    /* exactly /SERVICE/METHOD (owned), or NULL */
  char *regex;                   /* RE2, the whole path must match (owned), or NULL */
  int case_sensitive;            /* -1: unset (true), 0, 1 */
  struct config_header *headers; /* all must match */
  size_t n_headers;
  int64_t timeout_ms; /* max stream duration, the RPC deadline's cap; 0: none */
  struct config_retry retry;
  struct config_fault fault;
  char *hash_header; /* ring hash on this header's value (owned), or NULL */
  struct config_weighted *clusters;
  size_t n_clusters;
  int line;
};

struct config_listener {
  char *name;    /* LDS name; a gRPC client dials xds:///<name> (owned) */
  char *address; /* socket listener address for Envoy (owned) */
  uint32_t port; /* 0: no socket listener */
  struct config_route *routes;
  size_t n_routes;
  int line;
};

struct config_endpoint {
  char *address; /* IPv4 literal or DNS name (owned) */
  uint32_t port;
  int is_ip; /* address is an IPv4 literal */
  int line;
  /* From Kubernetes (kube.c): a terminating endpoint still serving its calls, and its zone (the
   * locality; owned, NULL for none). A file's endpoints have neither. */
  int draining;
  char *zone;
  /* From a `localities` group (or 0, 0): its priority (0 is tried first; a client moves to the next
   * when none of a priority's endpoints can be reached) and its weight (0: the group's endpoint count). */
  uint32_t priority;
  uint32_t locality_weight;
};

/* Outlier detection (gRFC A50): the success-rate and failure-percentage ejections gRPC implements. */
struct config_outlier {
  int set;
  int64_t interval_ms, base_ejection_ms, max_ejection_ms;
  uint32_t max_ejection_percent;
  int success_rate; /* the algorithm is on */
  uint32_t sr_stdev_factor, sr_enforcement, sr_minimum_hosts, sr_request_volume;
  int failure_percentage;
  uint32_t fp_threshold, fp_enforcement, fp_minimum_hosts, fp_request_volume;
};

struct config_cluster {
  char *name;
  int ring_hash; /* lb: ring_hash (else round robin) */
  struct config_outlier outlier;
  char *service;         /* NAME.NAMESPACE:PORT whose endpoints it takes, or NULL (owned) */
  uint32_t max_requests; /* circuit breaking: calls in flight to the cluster at most; 0: unset (gRPC's 1024) */
  struct config_endpoint *endpoints;
  size_t n_endpoints;
  int line;
};

struct config {
  char *name; /* the document's `name`, may be "" */
  struct config_listener *listeners;
  size_t n_listeners;
  struct config_cluster *clusters;
  size_t n_clusters;
  size_t *cluster_index; /* clusters' indexes in name order (owned), for config_find_cluster */
};

/* Parses and validates `len` bytes of YAML. `path` is used only in messages. On success stores a new
 * config (free with config_free) and returns 0; on failure returns -1 with err[errlen] holding
 * "PATH:LINE: message". */
int config_parse(const char *path, const char *buf, size_t len, struct config **out, char *err, size_t errlen);

/* Reads the whole file into a new NUL-terminated buffer (free with free). Returns 0, or -1 with
 * err[errlen] = "PATH: strerror". */
int config_read_file(const char *path, char **buf, size_t *len, char *err, size_t errlen);

void config_free(struct config *c);

/* Sorts the cluster index of a config put together in code (kube_config_merge) so that
 * config_find_cluster bisects. Names must be unique. Returns 0 or -1 (memory). */
int config_index(struct config *c);

/* Whether `ref` is a Service port reference NAME.NAMESPACE:PORT (NAME and NAMESPACE DNS labels, PORT
 * 1..65535); NULL when it is, else why not. */
const char *config_service_problem(const char *ref);

/* The cluster named `name`, or NULL. */
const struct config_cluster *config_find_cluster(const struct config *c, const char *name);

/* The weight policy, pure: checks that `n` weights sum to exactly 100 and each is <= 100.
 * Returns 0, -1 when the sum is not 100 (stores it in *sum), -2 when n is 0. */
int config_weights_check(const uint32_t *weights, size_t n, uint32_t *sum);

/* Why gRPC clients would ignore a route with this prefix (C-core: it must start with "/", must not start
 * with "//", and has at most 2 slashes), or NULL when the prefix is fine. */
const char *config_prefix_problem(const char *prefix);

/* Why gRPC clients would not match on header `name` (pseudo-headers, grpc-*, *-bin, upper case), or NULL. */
const char *config_header_problem(const char *name);

/* Why gRPC clients would ignore a route with this `path` (it must be /SERVICE/METHOD), or NULL. */
const char *config_path_problem(const char *path);

/* Whether `s` is a valid DNS host name (letters, digits, '-', '.', labels 1..63, total <= 253). */
int config_is_hostname(const char *s);

#endif
