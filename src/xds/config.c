#define _GNU_SOURCE /* qsort_r */
#include "config.h"

#include "file.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"
#include "regex.h"
#include "yval.h"
#include "ytree.h"

/* Parse state: where messages go. The first error wins. */
struct cparse {
  struct yval v; /* the document's path and where errors go (common/yval: "PATH:LINE: message") */
};

#define perr(p, line, ...) yval_fail_line(&(p)->v, (line), __VA_ARGS__)

/* Every key of map `t` must be in the NULL-terminated `allowed`, so that a typo is an error. */
static int check_keys(struct cparse *p, const struct ytree *t, const char *what, const char *const *allowed) {
  return yval_keys(&p->v, t, what, allowed);
}

static int want_map(struct cparse *p, const struct ytree *t, const char *what) {
  if (t->kind != YTREE_MAP) return perr(p, t->line, "%s must be a mapping", what);
  return 0;
}

/* An optional sequence: NULL or absent gives 0 items; anything but a sequence is an error. */
static int want_seq(struct cparse *p, const struct ytree *t, const char *what) {
  if (t && t->kind != YTREE_SEQ) return perr(p, t->line, "%s must be a list", what);
  return 0;
}

/* A required (or optional, when def != NULL) scalar string, copied into *out. */
static int get_str(struct cparse *p, const struct ytree *map, const char *key, const char *def, char **out) {
  const struct ytree *v = ytree_get(map, key);
  if (!v) {
    if (!def) return perr(p, map->line, "missing \"%s\"", key);
    *out = strdup(def);
  } else {
    if (v->kind != YTREE_SCALAR) return perr(p, v->line, "\"%s\" must be a string", key);
    *out = strdup(v->value);
  }
  if (!*out) return perr(p, map->line, "out of memory");
  return 0;
}

/* An unsigned number in [min, max]; `present` says whether it was there (optional when present != NULL). */
static int get_uint(struct cparse *p, const struct ytree *map, const char *key, uint64_t min, uint64_t max,
                    uint32_t *out, int *present) {
  uint64_t n = 0;
  int here = 0;
  if (yval_uint(&p->v, map, key, min, max, present ? &here : NULL, &n) != 0) return -1;
  if (present) *present = here;
  if (!present || here) *out = (uint32_t)n;
  return 0;
}

int config_is_hostname(const char *s) {
  size_t len = strlen(s), label = 0;
  int digits_only = 1; /* the current label */
  if (len == 0 || len > 253) return 0;
  for (size_t i = 0; i <= len; i++) {
    char ch = s[i];
    if (ch == '.' || ch == '\0') {
      /* Labels are 1..63 characters and neither start nor end with '-'. */
      if (label == 0 || s[i - 1] == '-') return 0;
      if (ch == '\0') break;
      label = 0;
      digits_only = 1;
      continue;
    }
    int ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '_';
    if (!ok || ++label > 63 || (label == 1 && ch == '-')) return 0;
    if (ch < '0' || ch > '9') digits_only = 0;
  }
  /* A last label of digits only makes an address, not a name: 999.1.1.1 and 127.1 are not names. */
  return !digits_only;
}

int config_weights_check(const uint32_t *weights, size_t n, uint32_t *sum) {
  if (n == 0) return -2;
  uint64_t s = 0;
  for (size_t i = 0; i < n; i++) s += weights[i];
  if (sum) *sum = s > UINT32_MAX ? UINT32_MAX : (uint32_t)s;
  return s == 100 ? 0 : -1;
}

const char *config_prefix_problem(const char *prefix) {
  if (prefix[0] != '/') return "must start with \"/\"";
  if (prefix[1] == '/') return "must not start with \"//\" (gRPC clients ignore such a route)";
  size_t slashes = 0;
  for (const char *c = prefix; *c; c++) slashes += *c == '/';
  if (slashes > 2) return "has more than 2 slashes (gRPC clients ignore such a route; paths are /service/method)";
  return NULL;
}

const char *config_header_problem(const char *name) {
  size_t n = strlen(name);
  if (n == 0) return "is empty";
  if (name[0] == ':') return "is a pseudo-header, which gRPC clients do not match on";
  if (strncmp(name, "grpc-", 5) == 0) return "starts with grpc-: gRPC's own headers are not matched on";
  if (n >= 4 && strcmp(name + n - 4, "-bin") == 0) return "ends in -bin: gRPC clients never match binary headers";
  for (size_t i = 0; i < n; i++) {
    char c = name[i];
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.'))
      return "must be lower case letters, digits, '-', '_' or '.' (metadata keys are lower case)";
  }
  return NULL;
}

const char *config_path_problem(const char *path) {
  const char *slash = path[0] == '/' ? strchr(path + 1, '/') : NULL;
  if (!slash || slash == path + 1 || !slash[1] || strchr(slash + 1, '/'))
    return "must be /SERVICE/METHOD (gRPC clients ignore a route with any other path)";
  return NULL;
}

/* A boolean written true or false. */
static int get_bool(struct cparse *p, const struct ytree *map, const char *key, int *out) {
  const struct ytree *v = ytree_get(map, key);
  if (!v) return 0;
  if (v->kind == YTREE_SCALAR && !v->quoted && strcmp(v->value, "true") == 0)
    *out = 1;
  else if (v->kind == YTREE_SCALAR && !v->quoted && strcmp(v->value, "false") == 0)
    *out = 0;
  else
    return perr(p, v->line, "\"%s\" must be true or false", key);
  return 0;
}

/* A signed integer (a header range bound). */
static int get_int64(struct cparse *p, const struct ytree *v, int64_t *out) {
  char *end = NULL;
  errno = 0;
  long long n = v && v->kind == YTREE_SCALAR ? strtoll(v->value, &end, 10) : 0;
  if (!v || v->kind != YTREE_SCALAR || !v->value[0] || *end || errno)
    return perr(p, v ? v->line : 0, "a range bound must be an integer");
  *out = n;
  return 0;
}

/* A regex as gRPC clients and Envoy compile it: RE2, not empty. */
static int check_regex(struct cparse *p, int line, const char *re, const char *what) {
  char buf[256];
  if (!re[0]) return perr(p, line, "an empty %s matches only the empty string", what);
  const char *why = regex_problem(re, buf, sizeof buf);
  return why ? perr(p, line, "%s \"%s\" is not RE2 syntax: %s", what, re, why) : 0;
}

static int parse_header(struct cparse *p, const struct ytree *t, struct config_header *h) {
  static const char *const keys[] = {"name", "exact", "prefix", "suffix", "present", "range", "regex", "invert", NULL};
  static const char *const kinds[] = {"exact", "prefix", "suffix", "present", "range", "regex"};
  h->line = t->line;
  if (want_map(p, t, "a header match") || check_keys(p, t, "a header match", keys) ||
      get_str(p, t, "name", NULL, &h->name))
    return -1;
  const char *why = config_header_problem(h->name);
  if (why) return perr(p, t->line, "header \"%s\" %s", h->name, why);
  int found = -1;
  for (int k = 0; k < 6; k++)
    if (ytree_get(t, kinds[k])) {
      if (found >= 0)
        return perr(p, t->line, "header \"%s\": one of exact, prefix, suffix, present, range, regex", h->name);
      found = k;
    }
  if (found < 0) return perr(p, t->line, "header \"%s\" needs exact, prefix, suffix, present, range or regex", h->name);
  h->kind = (enum config_header_kind)found;
  if (get_bool(p, t, "invert", &h->invert)) return -1;
  const struct ytree *v = ytree_get(t, kinds[found]);
  if (h->kind == HDR_PRESENT) {
    int present = 0;
    if (get_bool(p, t, "present", &present)) return -1;
    if (!present) return perr(p, v->line, "header \"%s\": present: false is written invert: true", h->name);
    return 0;
  }
  if (h->kind == HDR_RANGE) {
    if (v->kind != YTREE_SEQ || ytree_len(v) != 2) return perr(p, v->line, "header \"%s\": range is [lo, hi]", h->name);
    if (get_int64(p, v->child, &h->lo) || get_int64(p, v->child->next, &h->hi)) return -1;
    if (h->lo >= h->hi) return perr(p, v->line, "header \"%s\": range [lo, hi] needs lo < hi (hi excluded)", h->name);
    return 0;
  }
  if (get_str(p, t, kinds[found], NULL, &h->value)) return -1;
  if (h->kind == HDR_REGEX) return check_regex(p, v->line, h->value, "header regex");
  if (h->kind != HDR_EXACT && !h->value[0])
    return perr(p, v->line, "header \"%s\": an empty %s matches everything (use present)", h->name, kinds[found]);
  return 0;
}

/* A duration above 0 under `key` of map `t`, or `def` when it is left out. At most protobuf's
 * Duration range (10,000 years): clients NACK a Duration beyond it. */
#define DURATION_MAX_MS (315576000000LL * 1000)
static int get_duration(struct cparse *p, const struct ytree *t, const char *key, int64_t def, int64_t *out) {
  const struct ytree *v = ytree_get(t, key);
  *out = def;
  if (!v) return 0;
  if (v->kind != YTREE_SCALAR || parse_duration_ms(v->value, out) != 0 || *out <= 0 || *out > DURATION_MAX_MS)
    return perr(p, v->line, "\"%s\" must be a duration above 0, such as 2s or 500ms (at most 87660000h)", key);
  return 0;
}

/* prefix, path or regex, case_sensitive, headers, timeout. */
static int parse_match(struct cparse *p, const struct ytree *t, struct config_route *r) {
  const struct ytree *pv = ytree_get(t, "prefix"), *pa = ytree_get(t, "path"), *re = ytree_get(t, "regex");
  if ((pv != NULL) + (pa != NULL) + (re != NULL) > 1)
    return perr(p, t->line, "a route matches one of a prefix, a path or a regex");
  if (re) {
    if (get_str(p, t, "regex", NULL, &r->regex) || check_regex(p, re->line, r->regex, "route regex")) return -1;
  } else if (pa) {
    if (get_str(p, t, "path", NULL, &r->path)) return -1;
    const char *why = config_path_problem(r->path);
    if (why) return perr(p, pa->line, "route path \"%s\" %s", r->path, why);
  } else {
    if (get_str(p, t, "prefix", "/", &r->prefix)) return -1;
    const char *why = config_prefix_problem(r->prefix);
    if (why) return perr(p, pv ? pv->line : t->line, "route prefix \"%s\" %s", r->prefix, why);
  }
  r->case_sensitive = -1;
  if (get_bool(p, t, "case_sensitive", &r->case_sensitive)) return -1;
  const struct ytree *hs = ytree_get(t, "headers");
  if (want_seq(p, hs, "route headers")) return -1;
  size_t n = ytree_len(hs);
  if (n && !(r->headers = calloc(n, sizeof *r->headers))) return perr(p, t->line, "out of memory");
  for (const struct ytree *h = hs ? hs->child : NULL; h; h = h->next)
    if (parse_header(p, h, &r->headers[r->n_headers++])) return -1;
  return get_duration(p, t, "timeout", 0, &r->timeout_ms);
}

/* retry: {on: [codes], attempts: 2..5, backoff: {base, max}} (gRFC A44). */
static int parse_retry(struct cparse *p, const struct ytree *t, struct config_retry *rt) {
  static const char *const keys[] = {"on", "attempts", "backoff", NULL};
  static const char *const bkeys[] = {"base", "max", NULL};
  static const char *const codes[] = {"cancelled", "deadline-exceeded", "internal", "resource-exhausted",
                                      "unavailable"};
  if (want_map(p, t, "retry") || check_keys(p, t, "retry", keys)) return -1;
  const struct ytree *on = ytree_get(t, "on");
  if (!on || on->kind != YTREE_SEQ || ytree_len(on) == 0)
    return perr(p, t->line,
                "retry needs \"on\": a list of cancelled, deadline-exceeded, internal, "
                "resource-exhausted, unavailable");
  for (const struct ytree *c = on->child; c; c = c->next) {
    unsigned bit = 0;
    for (unsigned k = 0; k < 5; k++)
      if (c->kind == YTREE_SCALAR && strcmp(c->value, codes[k]) == 0) bit = 1u << k;
    if (!bit)
      return perr(p, c->line,
                  "retry on \"%s\": gRPC clients retry on cancelled, deadline-exceeded, internal, "
                  "resource-exhausted or unavailable",
                  c->kind == YTREE_SCALAR ? c->value : "?");
    if (rt->on & bit) return perr(p, c->line, "retry on \"%s\" twice", c->value);
    rt->on |= bit;
  }
  int given = 0;
  rt->attempts = 2;
  if (get_uint(p, t, "attempts", 2, 5, &rt->attempts, &given)) return -1;
  const struct ytree *b = ytree_get(t, "backoff");
  if (b && (want_map(p, b, "retry backoff") || check_keys(p, b, "retry backoff", bkeys))) return -1;
  /* gRPC's defaults: 25 ms, and Envoy's max of 10 times the base. */
  if (get_duration(p, b, "base", 25, &rt->base_ms) || get_duration(p, b, "max", rt->base_ms * 10, &rt->max_ms))
    return -1;
  if (rt->max_ms < rt->base_ms) return perr(p, b ? b->line : t->line, "retry backoff: max must be at least base");
  return 0;
}

/* A gRPC status code by its name (as in `grpc-status` docs, lower case) or number, 1..16. */
static int get_status(struct cparse *p, const struct ytree *t, const char *key, uint32_t *out) {
  static const char *const names[] = {
      "ok",        "cancelled",      "unknown",           "invalid-argument",   "deadline-exceeded",
      "not-found", "already-exists", "permission-denied", "resource-exhausted", "failed-precondition",
      "aborted",   "out-of-range",   "unimplemented",     "internal",           "unavailable",
      "data-loss", "unauthenticated"};
  const struct ytree *v = ytree_get(t, key);
  if (!v) return perr(p, t->line, "missing \"%s\"", key);
  for (uint32_t k = 1; k < 17; k++)
    if (v->kind == YTREE_SCALAR && strcmp(v->value, names[k]) == 0) {
      *out = k;
      return 0;
    }
  uint64_t n;
  if (v->kind != YTREE_SCALAR || parse_uint(v->value, 1, 16, &n) != 0)
    return perr(p, v->line, "\"%s\" is a gRPC status: a name such as unavailable, or 1..16", key);
  *out = (uint32_t)n;
  return 0;
}

/* fault: {delay: {fixed, percent}, abort: {code, percent}} (gRFC A33); percent defaults to 100. */
static int parse_fault(struct cparse *p, const struct ytree *t, struct config_fault *f) {
  static const char *const keys[] = {"delay", "abort", NULL};
  static const char *const dkeys[] = {"fixed", "percent", NULL};
  static const char *const akeys[] = {"code", "percent", NULL};
  if (want_map(p, t, "fault") || check_keys(p, t, "fault", keys)) return -1;
  const struct ytree *d = ytree_get(t, "delay"), *a = ytree_get(t, "abort");
  if (!d && !a) return perr(p, t->line, "fault needs a delay, an abort or both");
  int given = 0;
  if (d) {
    f->delay_percent = 100;
    if (want_map(p, d, "fault delay") || check_keys(p, d, "fault delay", dkeys) ||
        get_uint(p, d, "percent", 0, 100, &f->delay_percent, &given))
      return -1;
    if (!ytree_get(d, "fixed")) return perr(p, d->line, "fault delay needs \"fixed\", a duration");
    if (get_duration(p, d, "fixed", 0, &f->delay_ms)) return -1;
  }
  if (a) {
    f->abort_percent = 100;
    if (want_map(p, a, "fault abort") || check_keys(p, a, "fault abort", akeys) ||
        get_uint(p, a, "percent", 0, 100, &f->abort_percent, &given) || get_status(p, a, "code", &f->abort_code))
      return -1;
  }
  return 0;
}

static int parse_route(struct cparse *p, const struct ytree *t, struct config_route *r) {
  static const char *const keys[] = {"name",    "prefix", "path",  "regex",       "case_sensitive", "headers",
                                     "timeout", "retry",  "fault", "hash_header", "clusters",       NULL};
  r->line = t->line;
  if (want_map(p, t, "a route") || check_keys(p, t, "a route", keys)) return -1;
  if (get_str(p, t, "name", "", &r->name) || parse_match(p, t, r)) return -1;
  const struct ytree *rt = ytree_get(t, "retry"), *ft = ytree_get(t, "fault"), *hh = ytree_get(t, "hash_header");
  if ((rt && parse_retry(p, rt, &r->retry)) || (ft && parse_fault(p, ft, &r->fault))) return -1;
  if (hh) {
    if (get_str(p, t, "hash_header", NULL, &r->hash_header)) return -1;
    const char *why = config_header_problem(r->hash_header);
    if (why) return perr(p, hh->line, "hash_header \"%s\" %s", r->hash_header, why);
  }
  const struct ytree *cl = ytree_get(t, "clusters");
  if (want_seq(p, cl, "route clusters")) return -1;
  size_t n = ytree_len(cl);
  if (n == 0) return perr(p, t->line, "route \"%s\" has no clusters", r->name);
  /* Counts are set only once their arrays exist: config_free walks them. */
  r->clusters = calloc(n, sizeof *r->clusters);
  uint32_t *w = calloc(n, sizeof *w);
  if (!r->clusters || !w) {
    free(w);
    return perr(p, t->line, "out of memory");
  }
  r->n_clusters = n;
  size_t i = 0;
  int rc = 0;
  for (const struct ytree *c = cl->child; c && rc == 0; c = c->next, i++) {
    static const char *const ckeys[] = {"name", "weight", NULL};
    int present = 0;
    if (want_map(p, c, "a route cluster") || check_keys(p, c, "a route cluster", ckeys) ||
        get_str(p, c, "name", NULL, &r->clusters[i].name) ||
        get_uint(p, c, "weight", 0, 100, &r->clusters[i].weight, &present)) {
      rc = -1;
      break;
    }
    if (!present) {
      if (r->n_clusters != 1) {
        rc = perr(p, c->line, "cluster \"%s\" needs a weight (the route has several clusters)", r->clusters[i].name);
        break;
      }
      r->clusters[i].weight = 100;
    }
    for (size_t j = 0; j < i; j++)
      if (strcmp(r->clusters[j].name, r->clusters[i].name) == 0)
        rc = perr(p, c->line, "cluster \"%s\" appears twice in route \"%s\"", r->clusters[i].name, r->name);
    w[i] = r->clusters[i].weight;
  }
  uint32_t sum = 0;
  if (rc == 0 && config_weights_check(w, r->n_clusters, &sum) != 0)
    rc = perr(p, t->line, "the weights of route \"%s\" sum to %u; they must sum to exactly 100", r->name, sum);
  free(w);
  return rc;
}

static int parse_listener(struct cparse *p, const struct ytree *t, struct config_listener *l) {
  static const char *const keys[] = {"name", "address", "port", "routes", NULL};
  l->line = t->line;
  if (want_map(p, t, "a listener") || check_keys(p, t, "a listener", keys)) return -1;
  int present;
  if (get_str(p, t, "name", NULL, &l->name) || get_str(p, t, "address", "0.0.0.0", &l->address) ||
      get_uint(p, t, "port", 1, 65535, &l->port, &present))
    return -1;
  if (l->name[0] == '\0') return perr(p, t->line, "listener name must not be empty");
  if (!present) l->port = 0;
  struct in_addr a;
  if (inet_pton(AF_INET, l->address, &a) != 1)
    return perr(p, t->line, "listener address \"%s\" must be an IPv4 address", l->address);
  const struct ytree *rt = ytree_get(t, "routes");
  if (want_seq(p, rt, "listener routes")) return -1;
  size_t n = ytree_len(rt);
  if (n == 0) return perr(p, t->line, "listener \"%s\" has no routes", l->name);
  if (!(l->routes = calloc(n, sizeof *l->routes))) return perr(p, t->line, "out of memory");
  l->n_routes = n;
  size_t i = 0;
  for (const struct ytree *c = rt->child; c; c = c->next, i++)
    if (parse_route(p, c, &l->routes[i])) return -1;
  return 0;
}

/* A DNS label as Kubernetes names are (RFC 1123: lower-case letters, digits, '-', 1..63, no '-' at
 * either end), `len` bytes of `s`. */
static int is_label(const char *s, size_t len) {
  if (len == 0 || len > 63 || s[0] == '-' || s[len - 1] == '-') return 0;
  for (size_t i = 0; i < len; i++)
    if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-')) return 0;
  return 1;
}

const char *config_service_problem(const char *ref) {
  const char *dot = strchr(ref, '.'), *colon = strrchr(ref, ':');
  if (!dot || !colon || colon < dot) return "use NAME.NAMESPACE:PORT, as a client dials xds:///NAME.NAMESPACE:PORT";
  if (!is_label(ref, (size_t)(dot - ref))) return "the Service name is not a DNS label (a-z, 0-9, '-', 1-63)";
  if (!is_label(dot + 1, (size_t)(colon - dot - 1))) return "the namespace is not a DNS label (a-z, 0-9, '-', 1-63)";
  uint64_t port;
  if (parse_uint(colon + 1, 1, 65535, &port) != 0) return "the port is not a number in 1..65535";
  return NULL;
}

/* The endpoints of sequence `ep`, appended to the cluster's (room for them is there), in the given
 * zone (owned copies; NULL for none), priority and locality weight. */
static int parse_endpoints(struct cparse *p, const struct ytree *ep, struct config_cluster *cl, const char *zone,
                           uint32_t priority, uint32_t weight) {
  for (const struct ytree *c = ep ? ep->child : NULL; c; c = c->next) {
    static const char *const ekeys[] = {"address", "port", NULL};
    struct config_endpoint *e = &cl->endpoints[cl->n_endpoints++];
    e->line = c->line;
    e->priority = priority;
    e->locality_weight = weight;
    if (zone && !(e->zone = strdup(zone))) return perr(p, c->line, "out of memory");
    if (want_map(p, c, "an endpoint") || check_keys(p, c, "an endpoint", ekeys) ||
        get_str(p, c, "address", NULL, &e->address) || get_uint(p, c, "port", 1, 65535, &e->port, NULL))
      return -1;
    struct in_addr a;
    e->is_ip = inet_pton(AF_INET, e->address, &a) == 1;
    if (!e->is_ip && !config_is_hostname(e->address))
      return perr(p, c->line, "endpoint address \"%s\" is neither an IPv4 address nor a DNS name", e->address);
  }
  return 0;
}

/* `localities`: groups of endpoints, each with a zone (unique in the cluster), a priority (together
 * contiguous from 0: gRPC clients treat a gap as the end) and an optional weight. */
static int parse_localities(struct cparse *p, const struct ytree *loc, struct config_cluster *cl) {
  static const char *const keys[] = {"zone", "priority", "weight", "endpoints", NULL};
  if (want_seq(p, loc, "cluster localities")) return -1;
  size_t n = 0, groups = ytree_len(loc);
  if (groups == 0) return perr(p, loc->line, "cluster \"%s\": localities is empty", cl->name);
  for (const struct ytree *g = loc->child; g; g = g->next) {
    const struct ytree *ep = ytree_get(g, "endpoints");
    n += ep ? ytree_len(ep) : 0;
  }
  if (n && !(cl->endpoints = calloc(n, sizeof *cl->endpoints))) return perr(p, loc->line, "out of memory");
  uint32_t max_priority = 0;
  uint8_t used[64] = {0};
  for (const struct ytree *g = loc->child; g; g = g->next) {
    char *zone = NULL;
    uint32_t priority = 0, weight = 0;
    int given;
    int rc = want_map(p, g, "a locality") || check_keys(p, g, "a locality", keys) ||
                     get_str(p, g, "zone", NULL, &zone) || get_uint(p, g, "priority", 0, 63, &priority, &given) ||
                     get_uint(p, g, "weight", 1, 1000, &weight, &given)
                 ? -1
                 : 0;
    if (rc == 0 && !zone[0]) rc = perr(p, g->line, "a locality's zone must not be empty");
    for (size_t i = 0; rc == 0 && i < cl->n_endpoints; i++)
      if (strcmp(cl->endpoints[i].zone, zone) == 0)
        rc = perr(p, g->line, "cluster \"%s\": zone \"%s\" twice (one locality per zone)", cl->name, zone);
    const struct ytree *ep = ytree_get(g, "endpoints");
    if (rc == 0 && want_seq(p, ep, "a locality's endpoints")) rc = -1;
    if (rc == 0 && ytree_len(ep) == 0) rc = perr(p, g->line, "locality \"%s\" has no endpoints", zone);
    if (rc == 0) rc = parse_endpoints(p, ep, cl, zone, priority, weight);
    free(zone);
    if (rc) return -1;
    used[priority] = 1;
    if (priority > max_priority) max_priority = priority;
  }
  for (uint32_t i = 0; i <= max_priority; i++)
    if (!used[i])
      return perr(p, loc->line, "cluster \"%s\": priorities must be contiguous from 0 (none has priority %u)", cl->name,
                  i);
  return 0;
}

/* outlier_detection: {interval, base_ejection_time, max_ejection_time, max_ejection_percent,
 * success_rate: {stdev_factor, enforcement_percent, minimum_hosts, request_volume},
 * failure_percentage: {threshold, enforcement_percent, minimum_hosts, request_volume}} (gRFC A50: what
 * gRPC implements; each algorithm is on when its map is given). Defaults are Envoy's and gRPC's. */
static int parse_outlier(struct cparse *p, const struct ytree *t, struct config_outlier *o) {
  static const char *const keys[] = {"interval",
                                     "base_ejection_time",
                                     "max_ejection_time",
                                     "max_ejection_percent",
                                     "success_rate",
                                     "failure_percentage",
                                     NULL};
  static const char *const srkeys[] = {"stdev_factor", "enforcement_percent", "minimum_hosts", "request_volume", NULL};
  static const char *const fpkeys[] = {"threshold", "enforcement_percent", "minimum_hosts", "request_volume", NULL};
  int given = 0;
  if (want_map(p, t, "outlier_detection") || check_keys(p, t, "outlier_detection", keys)) return -1;
  o->set = 1;
  o->max_ejection_percent = 10;
  if (get_duration(p, t, "interval", 10000, &o->interval_ms) ||
      get_duration(p, t, "base_ejection_time", 30000, &o->base_ejection_ms) ||
      get_duration(p, t, "max_ejection_time", o->base_ejection_ms > 300000 ? o->base_ejection_ms : 300000,
                   &o->max_ejection_ms) ||
      get_uint(p, t, "max_ejection_percent", 0, 100, &o->max_ejection_percent, &given))
    return -1;
  const struct ytree *sr = ytree_get(t, "success_rate"), *fp = ytree_get(t, "failure_percentage");
  if (!sr && !fp) return perr(p, t->line, "outlier_detection needs success_rate, failure_percentage or both");
  if (sr) {
    o->success_rate = 1;
    o->sr_stdev_factor = 1900, o->sr_enforcement = 100, o->sr_minimum_hosts = 5, o->sr_request_volume = 100;
    if (want_map(p, sr, "success_rate") || check_keys(p, sr, "success_rate", srkeys) ||
        get_uint(p, sr, "stdev_factor", 1, 1000000, &o->sr_stdev_factor, &given) ||
        get_uint(p, sr, "enforcement_percent", 1, 100, &o->sr_enforcement, &given) ||
        get_uint(p, sr, "minimum_hosts", 1, 1000000, &o->sr_minimum_hosts, &given) ||
        get_uint(p, sr, "request_volume", 1, 1000000, &o->sr_request_volume, &given))
      return -1;
  }
  if (fp) {
    o->failure_percentage = 1;
    o->fp_threshold = 85, o->fp_enforcement = 100, o->fp_minimum_hosts = 5, o->fp_request_volume = 50;
    if (want_map(p, fp, "failure_percentage") || check_keys(p, fp, "failure_percentage", fpkeys) ||
        get_uint(p, fp, "threshold", 0, 100, &o->fp_threshold, &given) ||
        get_uint(p, fp, "enforcement_percent", 1, 100, &o->fp_enforcement, &given) ||
        get_uint(p, fp, "minimum_hosts", 1, 1000000, &o->fp_minimum_hosts, &given) ||
        get_uint(p, fp, "request_volume", 1, 1000000, &o->fp_request_volume, &given))
      return -1;
  }
  return 0;
}

static int parse_cluster(struct cparse *p, const struct ytree *t, struct config_cluster *cl) {
  static const char *const keys[] = {"name", "endpoints",    "localities",        "service",
                                     "lb",   "max_requests", "outlier_detection", NULL};
  cl->line = t->line;
  if (want_map(p, t, "a cluster") || check_keys(p, t, "a cluster", keys)) return -1;
  if (get_str(p, t, "name", NULL, &cl->name)) return -1;
  int present = 0;
  if (get_uint(p, t, "max_requests", 1, 1000000, &cl->max_requests, &present)) return -1;
  const struct ytree *lb = ytree_get(t, "lb"), *od = ytree_get(t, "outlier_detection");
  if (lb) {
    if (lb->kind == YTREE_SCALAR && strcmp(lb->value, "ring_hash") == 0)
      cl->ring_hash = 1;
    else if (!(lb->kind == YTREE_SCALAR && strcmp(lb->value, "round_robin") == 0))
      return perr(p, lb->line, "cluster \"%s\": lb is round_robin or ring_hash", cl->name);
  }
  if (od && parse_outlier(p, od, &cl->outlier)) return -1;
  if (cl->name[0] == '\0') return perr(p, t->line, "cluster name must not be empty");
  const struct ytree *ep = ytree_get(t, "endpoints"), *svc = ytree_get(t, "service"), *loc = ytree_get(t, "localities");
  if ((ep != NULL) + (svc != NULL) + (loc != NULL) > 1)
    return perr(p, t->line,
                "cluster \"%s\": its endpoints come from one of \"endpoints\", \"localities\" or \"service\"",
                cl->name);
  if (svc) {
    if (get_str(p, t, "service", NULL, &cl->service)) return -1;
    const char *why = config_service_problem(cl->service);
    if (why) return perr(p, svc->line, "service \"%s\": %s", cl->service, why);
    return 0;
  }
  if (loc) return parse_localities(p, loc, cl);
  if (want_seq(p, ep, "cluster endpoints")) return -1;
  size_t n = ytree_len(ep);
  if (n && !(cl->endpoints = calloc(n, sizeof *cl->endpoints))) return perr(p, ep->line, "out of memory");
  return parse_endpoints(p, ep, cl, NULL, 0, 0);
}

static int by_listener_name(const void *a, const void *b, void *ctx) {
  const struct config *c = ctx;
  size_t i = *(const size_t *)a, j = *(const size_t *)b;
  int r = strcmp(c->listeners[i].name, c->listeners[j].name);
  return r ? r : (i > j) - (i < j);
}

static int by_listener_socket(const void *a, const void *b, void *ctx) {
  const struct config *c = ctx;
  size_t i = *(const size_t *)a, j = *(const size_t *)b;
  const struct config_listener *x = &c->listeners[i], *y = &c->listeners[j];
  if (x->port != y->port) return (x->port > y->port) - (x->port < y->port);
  int r = strcmp(x->address, y->address);
  return r ? r : (i > j) - (i < j);
}

static int by_cluster_name(const void *a, const void *b, void *ctx) {
  const struct config *c = ctx;
  size_t i = *(const size_t *)a, j = *(const size_t *)b;
  int r = strcmp(c->clusters[i].name, c->clusters[j].name);
  return r ? r : (i > j) - (i < j);
}

/* Sorts idx[0..n) with `cmp`, then finds the entry that repeats an earlier one (`same`) and comes first
 * in the file: stores it in *dup and the one it repeats in *orig. Returns 0 when none repeats. */
static int first_repeat(size_t *idx, size_t n, int (*cmp)(const void *, const void *, void *),
                        int (*same)(const struct config *, size_t, size_t), const struct config *c, size_t *dup,
                        size_t *orig) {
  for (size_t i = 0; i < n; i++) idx[i] = i;
  qsort_r(idx, n, sizeof *idx, cmp, (void *)c);
  int found = 0;
  for (size_t k = 1; k < n; k++) {
    /* In a run of equal entries (sorted by index), the second is the first repeat. */
    if (!same(c, idx[k - 1], idx[k]) || (k >= 2 && same(c, idx[k - 2], idx[k]))) continue;
    if (!found || idx[k] < *dup) {
      *dup = idx[k];
      *orig = idx[k - 1];
      found = 1;
    }
  }
  return found;
}

static int same_listener_name(const struct config *c, size_t i, size_t j) {
  return strcmp(c->listeners[i].name, c->listeners[j].name) == 0;
}

static int same_listener_socket(const struct config *c, size_t i, size_t j) {
  const struct config_listener *x = &c->listeners[i], *y = &c->listeners[j];
  return x->port && x->port == y->port && strcmp(x->address, y->address) == 0;
}

static int same_cluster_name(const struct config *c, size_t i, size_t j) {
  return strcmp(c->clusters[i].name, c->clusters[j].name) == 0;
}

/* Cross-checks: unique names, unique socket addresses, and every cluster a route names exists. Builds
 * c->cluster_index on the way. */
static int validate(struct cparse *p, struct config *c) {
  size_t n = c->n_listeners > c->n_clusters ? c->n_listeners : c->n_clusters;
  size_t *idx = calloc(n ? n : 1, sizeof *idx);
  if (!idx) return perr(p, 0, "out of memory");
  size_t dn = 0, on = 0, ds = 0, os = 0;
  int name_dup = first_repeat(idx, c->n_listeners, by_listener_name, same_listener_name, c, &dn, &on);
  int sock_dup = first_repeat(idx, c->n_listeners, by_listener_socket, same_listener_socket, c, &ds, &os);
  free(idx);
  /* The one earlier in the file is reported; a name clash before an address clash on one listener. */
  if (name_dup && (!sock_dup || dn <= ds))
    return perr(p, c->listeners[dn].line, "listener \"%s\" is defined twice (first on line %d)", c->listeners[dn].name,
                c->listeners[on].line);
  if (sock_dup) /* Envoy refuses a second listener on an address:port already in use by another. */
    return perr(p, c->listeners[ds].line, "listener \"%s\" uses %s:%u, as listener \"%s\" does (line %d)",
                c->listeners[ds].name, c->listeners[ds].address, c->listeners[ds].port, c->listeners[os].name,
                c->listeners[os].line);
  c->cluster_index = calloc(c->n_clusters ? c->n_clusters : 1, sizeof *c->cluster_index);
  if (!c->cluster_index) return perr(p, 0, "out of memory");
  size_t dc, oc;
  if (first_repeat(c->cluster_index, c->n_clusters, by_cluster_name, same_cluster_name, c, &dc, &oc))
    return perr(p, c->clusters[dc].line, "cluster \"%s\" is defined twice (first on line %d)", c->clusters[dc].name,
                c->clusters[oc].line);
  for (size_t i = 0; i < c->n_listeners; i++)
    for (size_t r = 0; r < c->listeners[i].n_routes; r++) {
      const struct config_route *rt = &c->listeners[i].routes[r];
      for (size_t k = 0; k < rt->n_clusters; k++) {
        const struct config_cluster *cl = config_find_cluster(c, rt->clusters[k].name);
        if (!cl)
          return perr(p, rt->line, "route \"%s\" names cluster \"%s\", which is not defined in spec.clusters", rt->name,
                      rt->clusters[k].name);
        /* A hash policy means nothing to a round-robin cluster: clients would ignore it silently. */
        if (rt->hash_header && !cl->ring_hash)
          return perr(p, rt->line, "route \"%s\" hashes on \"%s\" but its cluster \"%s\" is not lb: ring_hash",
                      rt->name, rt->hash_header, cl->name);
      }
    }
  return 0;
}

int config_index(struct config *c) {
  free(c->cluster_index);
  c->cluster_index = calloc(c->n_clusters ? c->n_clusters : 1, sizeof *c->cluster_index);
  if (!c->cluster_index) return -1;
  size_t dc, oc;
  first_repeat(c->cluster_index, c->n_clusters, by_cluster_name, same_cluster_name, c, &dc, &oc);
  return 0;
}

const struct config_cluster *config_find_cluster(const struct config *c, const char *name) {
  if (!c->cluster_index) { /* not validated (yet) */
    for (size_t i = 0; i < c->n_clusters; i++)
      if (strcmp(c->clusters[i].name, name) == 0) return &c->clusters[i];
    return NULL;
  }
  size_t lo = 0, hi = c->n_clusters;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    const struct config_cluster *m = &c->clusters[c->cluster_index[mid]];
    int r = strcmp(name, m->name);
    if (r == 0) return m;
    if (r < 0)
      hi = mid;
    else
      lo = mid + 1;
  }
  return NULL;
}

int config_parse(const char *path, const char *buf, size_t len, struct config **out, char *err, size_t errlen) {
  struct cparse p = {.v = {.path = path, .err = err, .errlen = errlen}};
  *out = NULL;
  struct ytree *root = ytree_parse_named(path, buf, len, err, errlen);
  if (!root) return -1;
  struct config *c = calloc(1, sizeof *c);
  int rc = -1;
  if (!c) {
    perr(&p, 0, "out of memory");
    goto out;
  }
  static const char *const top[] = {"name", "spec", NULL};
  static const char *const spec_keys[] = {"listeners", "clusters", NULL};
  if (want_map(&p, root, "the document") || check_keys(&p, root, "the document", top) ||
      get_str(&p, root, "name", "", &c->name))
    goto out;
  const struct ytree *spec = ytree_get(root, "spec");
  if (!spec) {
    perr(&p, root->line, "missing \"spec\"");
    goto out;
  }
  if (want_map(&p, spec, "spec") || check_keys(&p, spec, "spec", spec_keys)) goto out;
  const struct ytree *ls = ytree_get(spec, "listeners"), *cs = ytree_get(spec, "clusters");
  if (want_seq(&p, ls, "spec.listeners") || want_seq(&p, cs, "spec.clusters")) goto out;
  size_t nl = ytree_len(ls), nc = ytree_len(cs);
  if ((nl && !(c->listeners = calloc(nl, sizeof *c->listeners))) ||
      (nc && !(c->clusters = calloc(nc, sizeof *c->clusters)))) {
    perr(&p, spec->line, "out of memory");
    goto out;
  }
  c->n_listeners = nl; /* only now: config_free walks them */
  c->n_clusters = nc;
  size_t i = 0;
  for (const struct ytree *t = ls ? ls->child : NULL; t; t = t->next, i++)
    if (parse_listener(&p, t, &c->listeners[i])) goto out;
  i = 0;
  for (const struct ytree *t = cs ? cs->child : NULL; t; t = t->next, i++)
    if (parse_cluster(&p, t, &c->clusters[i])) goto out;
  if (validate(&p, c)) goto out;
  *out = c;
  c = NULL;
  rc = 0;
out:
  config_free(c);
  ytree_free(root);
  return rc;
}

int config_read_file(const char *path, char **buf, size_t *len, char *err, size_t errlen) {
  return file_read_text(path, FILE_TEXT_MAX, buf, len, err, errlen);
}

void config_free(struct config *c) {
  if (!c) return;
  for (size_t i = 0; i < c->n_listeners; i++) {
    struct config_listener *l = &c->listeners[i];
    for (size_t r = 0; r < l->n_routes; r++) {
      for (size_t k = 0; k < l->routes[r].n_clusters; k++) free(l->routes[r].clusters[k].name);
      free(l->routes[r].clusters);
      free(l->routes[r].name);
      free(l->routes[r].prefix);
      free(l->routes[r].path);
      free(l->routes[r].regex);
      free(l->routes[r].hash_header);
      for (size_t h = 0; h < l->routes[r].n_headers; h++) {
        free(l->routes[r].headers[h].name);
        free(l->routes[r].headers[h].value);
      }
      free(l->routes[r].headers);
    }
    free(l->routes);
    free(l->name);
    free(l->address);
  }
  for (size_t i = 0; i < c->n_clusters; i++) {
    for (size_t e = 0; e < c->clusters[i].n_endpoints; e++) {
      free(c->clusters[i].endpoints[e].address);
      free(c->clusters[i].endpoints[e].zone);
    }
    free(c->clusters[i].endpoints);
    free(c->clusters[i].name);
    free(c->clusters[i].service);
  }
  free(c->listeners);
  free(c->clusters);
  free(c->cluster_index);
  free(c->name);
  free(c);
}
