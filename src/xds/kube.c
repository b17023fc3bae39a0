#include "kube.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "regex.h"

static const char *const kind_names[KUBE_NKINDS] = {"services", "endpointslices", "grpcroutes", "httproutes"};

const char *kube_kind_name(enum kube_kind k) { return (unsigned)k < KUBE_NKINDS ? kind_names[k] : "?"; }

const char *kube_kind_group_path(enum kube_kind k) {
  switch (k) {
    case KUBE_SERVICES:
      return "/api/v1";
    case KUBE_SLICES:
      return "/apis/discovery.k8s.io/v1";
    default:
      return "/apis/gateway.networking.k8s.io/v1"; /* GRPCRoute and HTTPRoute: v1 in the standard channel */
  }
}

int kube_kind_optional(enum kube_kind k) { return k == KUBE_GRPCROUTES || k == KUBE_HTTPROUTES; }

/* --- objects ------------------------------------------------------------------------------------- */

struct svc_port {
  char *name; /* "" when unnamed */
  uint32_t port;
};

struct slice_port {
  char *name;
  uint32_t port;
};

struct slice_ep {
  char ip[16];
  int draining;
  char *zone; /* "" for none */
};

/* A route's match as gRPC's route matchers take it: one of prefix, path, regex, and headers. */
struct route_match {
  char *prefix, *path, *regex;
  struct config_header *headers;
  size_t n_headers;
  uint32_t key[5]; /* the Gateway API's precedence criteria, each "more comes first" */
};

struct route_backend {
  char *cluster; /* NAME.NAMESPACE:PORT, or NULL when it is not a Service port (its share fails) */
  uint64_t weight;
};

struct route_rule {
  size_t index;
  int refused;                 /* left out (the object's notes say why) */
  struct route_match *matches; /* the ones a gRPC call can meet */
  size_t n_matches;
  struct route_backend *backends;
  size_t n_backends;
  int64_t timeout_ms;
};

struct route_parent {
  char *service;
  uint32_t port; /* 0: every port */
  char *section; /* a port name, or NULL */
};

struct kube_object {
  enum kube_kind kind;
  char *key; /* NAMESPACE/NAME */
  char *ns;
  char *name;
  /* Service */
  struct svc_port *sports;
  size_t n_sports;
  /* EndpointSlice */
  char *service; /* its kubernetes.io/service-name label, NULL without one */
  struct slice_port *pports;
  size_t n_pports;
  struct slice_ep *eps;
  size_t n_eps;
  /* GRPCRoute, HTTPRoute */
  char *created;                /* metadata.creationTimestamp (RFC 3339, so that strcmp orders them), "" without */
  int mesh;                     /* some parentRef is a Service (in any namespace): its notes are ours to tell */
  struct route_parent *parents; /* the Services of its own namespace it attaches to */
  size_t n_parents;
  struct route_rule *rules;
  size_t n_rules, n_valid_rules;
  char **notes; /* why parts of it are not served as written */
  size_t n_notes;
};

static void free_headers(struct config_header *h, size_t n) {
  for (size_t i = 0; i < n; i++) {
    free(h[i].name);
    free(h[i].value);
  }
  free(h);
}

static void free_route_objects(struct kube_object *o) {
  for (size_t i = 0; i < o->n_parents; i++) {
    free(o->parents[i].service);
    free(o->parents[i].section);
  }
  free(o->parents);
  for (size_t i = 0; i < o->n_rules; i++) {
    struct route_rule *r = &o->rules[i];
    for (size_t m = 0; m < r->n_matches; m++) {
      free(r->matches[m].prefix);
      free(r->matches[m].path);
      free(r->matches[m].regex);
      free_headers(r->matches[m].headers, r->matches[m].n_headers);
    }
    free(r->matches);
    for (size_t b = 0; b < r->n_backends; b++) free(r->backends[b].cluster);
    free(r->backends);
  }
  free(o->rules);
  for (size_t i = 0; i < o->n_notes; i++) free(o->notes[i]);
  free(o->notes);
  free(o->created);
}

void kube_object_free(struct kube_object *o) {
  if (!o) return;
  free_route_objects(o);
  for (size_t i = 0; i < o->n_sports; i++) free(o->sports[i].name);
  for (size_t i = 0; i < o->n_pports; i++) free(o->pports[i].name);
  for (size_t i = 0; i < o->n_eps; i++) free(o->eps[i].zone);
  free(o->sports);
  free(o->pports);
  free(o->eps);
  free(o->service);
  free(o->key);
  free(o->ns);
  free(o->name);
  free(o);
}

const char *kube_object_key(const struct kube_object *o) { return o->key; }

static const cJSON *get(const cJSON *o, const char *k) { return cJSON_GetObjectItemCaseSensitive(o, k); }

static const char *get_str(const cJSON *o, const char *k) {
  const cJSON *v = get(o, k);
  return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* A boolean condition: unset (or null) gives `def`. */
static int get_cond(const cJSON *o, const char *k, int def) {
  const cJSON *v = get(o, k);
  return cJSON_IsBool(v) ? cJSON_IsTrue(v) : def;
}

/* A port number, 1..65535, or 0 when absent or out of range. */
static uint32_t get_port(const cJSON *o, const char *k) {
  const cJSON *v = get(o, k);
  if (!cJSON_IsNumber(v) || v->valuedouble < 1 || v->valuedouble > 65535) return 0;
  return (uint32_t)v->valuedouble;
}

/* RFC 1123 label: a-z, 0-9, '-', 1..63, alphanumeric at both ends (Service names and namespaces). */
static int is_dns_label(const char *s) {
  size_t n = strlen(s);
  if (n == 0 || n > 63 || s[0] == '-' || s[n - 1] == '-') return 0;
  for (size_t i = 0; i < n; i++)
    if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-')) return 0;
  return 1;
}

/* RFC 1123 subdomain (an EndpointSlice's name): labels joined by '.', at most 253. */
static int is_object_name(const char *s) {
  size_t n = strlen(s);
  if (n == 0 || n > 253 || s[0] == '.' || s[n - 1] == '.') return 0;
  for (size_t i = 0; i < n; i++)
    if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '.')) return 0;
  return 1;
}

static int fail(char *err, size_t errlen, const char *what) {
  snprintf(err, errlen, "%s", what);
  return -1;
}

static char *dup_or_empty(const char *s) { return strdup(s ? s : ""); }

static int parse_service(const cJSON *obj, struct kube_object *o, char *err, size_t errlen) {
  const cJSON *ports = get(get(obj, "spec"), "ports");
  size_t n = cJSON_IsArray(ports) ? (size_t)cJSON_GetArraySize(ports) : 0;
  if (n && !(o->sports = calloc(n, sizeof *o->sports))) return fail(err, errlen, "out of memory");
  const cJSON *p;
  cJSON_ArrayForEach(p, ports) {
    const char *proto = get_str(p, "protocol");
    uint32_t port = get_port(p, "port");
    if ((proto && strcmp(proto, "TCP") != 0) || !port) continue; /* gRPC is TCP; protocol defaults to TCP */
    struct svc_port *sp = &o->sports[o->n_sports];
    if (!(sp->name = dup_or_empty(get_str(p, "name")))) return fail(err, errlen, "out of memory");
    sp->port = port;
    o->n_sports++;
  }
  return 0;
}

static int parse_slice(const cJSON *obj, struct kube_object *o, char *err, size_t errlen) {
  const char *svc = get_str(get(get(obj, "metadata"), "labels"), "kubernetes.io/service-name");
  if (svc && !(o->service = strdup(svc))) return fail(err, errlen, "out of memory");
  const char *at = get_str(obj, "addressType");
  if (!at) return fail(err, errlen, "an EndpointSlice without addressType");
  if (strcmp(at, "IPv4") != 0) return 0; /* IPv6 and FQDN slices: xdsd serves IPv4 */
  const cJSON *ports = get(obj, "ports"), *eps = get(obj, "endpoints"), *x;
  size_t np = cJSON_IsArray(ports) ? (size_t)cJSON_GetArraySize(ports) : 0;
  size_t ne = cJSON_IsArray(eps) ? (size_t)cJSON_GetArraySize(eps) : 0;
  if ((np && !(o->pports = calloc(np, sizeof *o->pports))) || (ne && !(o->eps = calloc(ne, sizeof *o->eps))))
    return fail(err, errlen, "out of memory");
  cJSON_ArrayForEach(x, ports) {
    const char *proto = get_str(x, "protocol");
    uint32_t port = get_port(x, "port");
    if ((proto && strcmp(proto, "TCP") != 0) || !port) continue;
    struct slice_port *sp = &o->pports[o->n_pports];
    if (!(sp->name = dup_or_empty(get_str(x, "name")))) return fail(err, errlen, "out of memory");
    sp->port = port;
    o->n_pports++;
  }
  cJSON_ArrayForEach(x, eps) {
    const cJSON *addrs = get(x, "addresses"), *cond = get(x, "conditions");
    const char *ip = cJSON_IsArray(addrs) ? cJSON_GetStringValue(cJSON_GetArrayItem(addrs, 0)) : NULL;
    struct in_addr a;
    if (!ip || inet_pton(AF_INET, ip, &a) != 1) continue;
    /* The API's rules: ready unset means ready; serving unset means as ready; terminating unset, not. */
    int ready = get_cond(cond, "ready", 1);
    int serving = get_cond(cond, "serving", ready), terminating = get_cond(cond, "terminating", 0);
    if (!ready && !(serving && terminating)) continue;
    struct slice_ep *e = &o->eps[o->n_eps];
    inet_ntop(AF_INET, &a, e->ip, sizeof e->ip);
    e->draining = !ready;
    if (!(e->zone = dup_or_empty(get_str(x, "zone")))) return fail(err, errlen, "out of memory");
    o->n_eps++;
  }
  return 0;
}

/* --- Gateway API routes (GAMMA) ------------------------------------------------------------------ */

int64_t kube_duration_ms(const char *s) {
  /* GEP-2257: ^([0-9]{1,5}(h|m|s|ms)){1,4}$ */
  if (!s || !*s) return -1;
  int64_t total = 0;
  int parts = 0;
  while (*s) {
    int digits = 0;
    int64_t n = 0;
    while (*s >= '0' && *s <= '9') {
      if (++digits > 5) return -1;
      n = n * 10 + (*s++ - '0');
    }
    if (!digits || ++parts > 4) return -1;
    if (s[0] == 'm' && s[1] == 's') {
      s += 2;
    } else if (*s == 'h' || *s == 'm' || *s == 's') {
      n *= *s == 'h' ? 3600000 : *s == 'm' ? 60000 : 1000;
      s++;
    } else {
      return -1;
    }
    total += n;
  }
  return total;
}

int kube_weights_percent(const uint64_t *w, size_t n, uint32_t *out) {
  uint64_t total = 0;
  for (size_t i = 0; i < n; i++) total += w[i];
  if (!total) return -1;
  uint32_t given = 0;
  for (size_t i = 0; i < n; i++) {
    out[i] = (uint32_t)(w[i] * 100 / total);
    given += out[i];
  }
  /* The rest, one point each, to the largest remainders in the order (remainder desc, index asc): each
   * round takes the next one after the last taken in that order. The remainders add up to
   * (100 - given) * total and each is below total, so there are enough non-zero ones. */
  uint64_t last_rem = UINT64_MAX;
  size_t last_i = 0;
  int first = 1;
  for (; given < 100; given++) {
    size_t best = n;
    uint64_t best_rem = 0;
    for (size_t i = 0; i < n; i++) {
      uint64_t rem = w[i] * 100 % total;
      int after_last = first || rem < last_rem || (rem == last_rem && i > last_i);
      if (after_last && (best == n || rem > best_rem)) {
        best = i;
        best_rem = rem;
      }
    }
    if (best == n) break;
    out[best]++;
    last_rem = best_rem;
    last_i = best;
    first = 0;
  }
  return 0;
}

/* Whether xdsd's config serves regex matchers (route `regex`, HDR_REGEX): RE2, as gRPC clients want. */
static const int regex_served = 1;

static int push_str(char ***arr, size_t *n, const char *s) {
  char **na = realloc(*arr, (*n + 1) * sizeof *na);
  if (!na) return -1;
  *arr = na;
  if (!(na[*n] = strdup(s))) return -1;
  (*n)++;
  return 0;
}

static const char *route_kind_word(enum kube_kind k) { return k == KUBE_GRPCROUTES ? "grpcroute" : "httproute"; }

/* Appends "KIND NAMESPACE/NAME: MESSAGE" to the object's notes. -1 when out of memory. */
static int note(struct kube_object *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int note(struct kube_object *o, const char *fmt, ...) {
  char msg[1024];
  int n = snprintf(msg, sizeof msg, "%s %s: ", route_kind_word(o->kind), o->key);
  if (n < 0 || (size_t)n >= sizeof msg) n = 0;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg + n, sizeof msg - (size_t)n, fmt, ap);
  va_end(ap);
  return push_str(&o->notes, &o->n_notes, msg);
}

/* RE2 syntax for the literal `in` (what is not a letter, digit or '_' is escaped). */
static void re_quote(const char *in, char *out, size_t outlen) {
  size_t j = 0;
  for (; *in && j + 2 < outlen; in++) {
    if (!isalnum((unsigned char)*in) && *in != '_') out[j++] = '\\';
    out[j++] = *in;
  }
  out[j] = '\0';
}

/* Why RE2 refuses `re`, or NULL. */
static const char *re_problem(const char *re, char *buf, size_t len) {
  if (!re[0]) return "an empty regex";
  return regex_problem(re, buf, len);
}

/* How parsing one match ended. */
enum { M_OK = 0, M_NEVER = 1, M_REFUSED = 2, M_OOM = -1 };

/* headers: [{type: Exact|RegularExpression, name, value}] (GRPCRoute and HTTPRoute alike). Header names
 * are case-insensitive: matched lower case (gRPC metadata keys are); a name given twice counts once (the
 * Gateway API: the first wins). */
static int parse_headers(const cJSON *hs, struct route_match *m, char *why, size_t wl) {
  size_t n = cJSON_IsArray(hs) ? (size_t)cJSON_GetArraySize(hs) : 0;
  if (n && !(m->headers = calloc(n, sizeof *m->headers))) return M_OOM;
  const cJSON *h;
  cJSON_ArrayForEach(h, hs) {
    const char *type = get_str(h, "type"), *name = get_str(h, "name"), *value = get_str(h, "value");
    if (!type) type = "Exact";
    if (!name || !value || strlen(name) > 256) {
      snprintf(why, wl, "a header match without a name and a value");
      return M_REFUSED;
    }
    char lc[260];
    size_t i = 0;
    for (; name[i]; i++) lc[i] = (char)tolower((unsigned char)name[i]);
    lc[i] = '\0';
    int dup = 0;
    for (size_t k = 0; k < m->n_headers; k++) dup |= strcmp(m->headers[k].name, lc) == 0;
    if (dup) continue;
    const char *problem = config_header_problem(lc);
    if (problem) {
      snprintf(why, wl, "header %.64s: %s", lc, problem);
      return M_REFUSED;
    }
    enum config_header_kind kind;
    char rbuf[256];
    if (strcmp(type, "Exact") == 0) {
      kind = HDR_EXACT;
    } else if (strcmp(type, "RegularExpression") == 0 && regex_served) {
      if ((problem = re_problem(value, rbuf, sizeof rbuf))) {
        snprintf(why, wl, "header %.64s: regex %.64s: %s", lc, value, problem);
        return M_REFUSED;
      }
      kind = HDR_REGEX;
    } else {
      snprintf(why, wl, "header %.64s: match type %.32s is not supported", lc, type);
      return M_REFUSED;
    }
    struct config_header *ch = &m->headers[m->n_headers];
    if (!(ch->name = strdup(lc)) || !(ch->value = strdup(value))) {
      free(ch->name);
      return M_OOM;
    }
    ch->kind = kind;
    m->n_headers++;
  }
  return M_OK;
}

static int set_str(char **dst, const char *s) { return (*dst = strdup(s)) ? M_OK : M_OOM; }

/* GRPCRoute: method {type: Exact|RegularExpression, service, method} and headers. Precedence: the
 * characters of the service, then of the method, then the number of header matches. */
static int grpc_match(const cJSON *mt, struct route_match *m, char *why, size_t wl) {
  const cJSON *mm = get(mt, "method");
  const char *type = get_str(mm, "type"), *svc = get_str(mm, "service"), *meth = get_str(mm, "method");
  if (!type) type = "Exact";
  if (svc && !svc[0]) svc = NULL;
  if (meth && !meth[0]) meth = NULL;
  if ((svc && strlen(svc) > 1024) || (meth && strlen(meth) > 1024)) {
    snprintf(why, wl, "a method match longer than 1024 characters");
    return M_REFUSED;
  }
  m->key[0] = svc ? (uint32_t)strlen(svc) : 0;
  m->key[1] = meth ? (uint32_t)strlen(meth) : 0;
  char buf[2200], rbuf[256];
  const char *problem;
  int rc;
  if (!svc && !meth) {
    rc = set_str(&m->prefix, "/");
  } else if (strcmp(type, "Exact") == 0) {
    if (svc && meth) {
      snprintf(buf, sizeof buf, "/%s/%s", svc, meth);
      if ((problem = config_path_problem(buf))) {
        snprintf(why, wl, "method %.64s/%.64s: %s", svc, meth, problem);
        return M_REFUSED;
      }
      rc = set_str(&m->path, buf);
    } else if (svc) {
      snprintf(buf, sizeof buf, "/%s/", svc);
      if ((problem = config_prefix_problem(buf))) {
        snprintf(why, wl, "service %.64s: %s", svc, problem);
        return M_REFUSED;
      }
      rc = set_str(&m->prefix, buf);
    } else if (regex_served) {
      char q[2100];
      re_quote(meth, q, sizeof q);
      snprintf(buf, sizeof buf, "/[^/]+/%s", q);
      rc = set_str(&m->regex, buf);
    } else {
      snprintf(why, wl, "method %.64s without a service: gRPC's prefix and path matchers cannot express it", meth);
      return M_REFUSED;
    }
  } else if (strcmp(type, "RegularExpression") == 0 && regex_served) {
    if ((svc && (problem = re_problem(svc, rbuf, sizeof rbuf))) ||
        (meth && (problem = re_problem(meth, rbuf, sizeof rbuf)))) {
      snprintf(why, wl, "method regex: %s", problem);
      return M_REFUSED;
    }
    snprintf(buf, sizeof buf, "/%s%s%s/%s%s%s", svc ? "(?:" : "", svc ? svc : "[^/]+", svc ? ")" : "",
             meth ? "(?:" : "", meth ? meth : "[^/]+", meth ? ")" : "");
    if ((problem = re_problem(buf, rbuf, sizeof rbuf))) {
      snprintf(why, wl, "method regex: %s", problem);
      return M_REFUSED;
    }
    rc = set_str(&m->regex, buf);
  } else {
    snprintf(why, wl, "method match type %.32s is not supported", type);
    return M_REFUSED;
  }
  if (rc != M_OK) return rc;
  rc = parse_headers(get(mt, "headers"), m, why, wl);
  m->key[2] = (uint32_t)m->n_headers;
  return rc;
}

/* HTTPRoute: path {type: PathPrefix|Exact|RegularExpression, value}, method, headers, queryParams. A
 * gRPC call's path is /SERVICE/METHOD, its method POST and it has no query: a match that asks for
 * anything else never meets a gRPC call (M_NEVER). Precedence: an exact path, then (implementation-
 * specific) a regex, then the longest prefix; a method; the number of header matches; of query params. */
static int http_match(const cJSON *mt, struct route_match *m, char *why, size_t wl) {
  const cJSON *pm = get(mt, "path");
  const char *type = get_str(pm, "type"), *value = get_str(pm, "value");
  if (!type) type = "PathPrefix";
  if (!value) value = "/";
  size_t vl = strlen(value);
  if (vl > 1024) {
    snprintf(why, wl, "a path longer than 1024 characters");
    return M_REFUSED;
  }
  char buf[1100], rbuf[256];
  const char *problem;
  int rc = M_OK;
  if (strcmp(type, "PathPrefix") == 0) {
    /* Element-wise: /foo matches /foo and /foo/bar, not /foobar; a trailing slash is ignored. */
    memcpy(buf, value, vl + 1);
    while (vl > 1 && buf[vl - 1] == '/') buf[--vl] = '\0';
    size_t slashes = 0;
    for (size_t i = 0; i < vl; i++) slashes += buf[i] == '/';
    m->key[1] = (uint32_t)vl;
    if (buf[0] != '/') {
      snprintf(why, wl, "path prefix %.64s does not start with /", value);
      return M_REFUSED;
    }
    if (vl == 1) {
      rc = set_str(&m->prefix, "/");
    } else if (slashes == 1) { /* /SERVICE: every method of it */
      buf[vl] = '/';
      buf[vl + 1] = '\0';
      if ((problem = config_prefix_problem(buf))) {
        snprintf(why, wl, "path prefix %.64s: %s", value, problem);
        return M_REFUSED;
      }
      rc = set_str(&m->prefix, buf);
    } else if (slashes == 2 && !config_path_problem(buf)) { /* /SERVICE/METHOD: that method */
      rc = set_str(&m->path, buf);
    } else {
      snprintf(why, wl, "path prefix %.64s is not /SERVICE or /SERVICE/METHOD", value);
      return M_NEVER;
    }
  } else if (strcmp(type, "Exact") == 0) {
    m->key[0] = 2;
    m->key[1] = (uint32_t)vl;
    if (config_path_problem(value)) {
      snprintf(why, wl, "exact path %.64s is not /SERVICE/METHOD", value);
      return M_NEVER;
    }
    rc = set_str(&m->path, value);
  } else if (strcmp(type, "RegularExpression") == 0 && regex_served) {
    m->key[0] = 1;
    m->key[1] = (uint32_t)vl;
    if ((problem = re_problem(value, rbuf, sizeof rbuf))) {
      snprintf(why, wl, "path regex %.64s: %s", value, problem);
      return M_REFUSED;
    }
    rc = set_str(&m->regex, value);
  } else {
    snprintf(why, wl, "path match type %.32s is not supported", type);
    return M_REFUSED;
  }
  if (rc != M_OK) return rc;
  const char *method = get_str(mt, "method");
  if (method) {
    m->key[2] = 1;
    if (strcmp(method, "POST") != 0) {
      snprintf(why, wl, "method %.16s (gRPC calls are POST)", method);
      return M_NEVER;
    }
  }
  const cJSON *qp = get(mt, "queryParams");
  if (cJSON_IsArray(qp) && cJSON_GetArraySize(qp) > 0) {
    snprintf(why, wl, "query parameters (gRPC calls have none)");
    return M_NEVER;
  }
  rc = parse_headers(get(mt, "headers"), m, why, wl);
  m->key[3] = (uint32_t)m->n_headers;
  return rc;
}

static void free_match(struct route_match *m) {
  free(m->prefix);
  free(m->path);
  free(m->regex);
  free_headers(m->headers, m->n_headers);
  memset(m, 0, sizeof *m);
}

/* The types of a filters list, "A,B", into buf; 0 when there are none. */
static size_t filter_types(const cJSON *fs, char *buf, size_t len) {
  size_t n = 0, used = 0;
  const cJSON *f;
  buf[0] = '\0';
  cJSON_ArrayForEach(f, fs) {
    const char *t = get_str(f, "type");
    int w = snprintf(buf + used, len - used, "%s%.32s", n ? "," : "", t ? t : "?");
    if (w > 0 && used + (size_t)w < len) used += (size_t)w;
    n++;
  }
  return cJSON_IsArray(fs) ? n : 0;
}

/* One rule: its matches, backends and (HTTPRoute) timeouts. Returns 0 (r->refused when it is left out,
 * with a note) or -1 (memory). */
static int parse_rule(struct kube_object *o, const cJSON *rule, size_t idx, struct route_rule *r) {
  r->index = idx;
  char where[160], why[512], types[128];
  const char *rname = get_str(rule, "name");
  if (rname)
    snprintf(where, sizeof where, "rule %zu (%.63s)", idx, rname);
  else
    snprintf(where, sizeof where, "rule %zu", idx);
  /* Filters change requests or responses: xdsd cannot, and the Gateway API says a rule's filters must
   * not be skipped. */
  if (filter_types(get(rule, "filters"), types, sizeof types)) {
    r->refused = 1;
    return note(o, "%s: filters (%s) are not supported: rule left out", where, types);
  }
  const cJSON *brs = get(rule, "backendRefs"), *b;
  size_t nb = cJSON_IsArray(brs) ? (size_t)cJSON_GetArraySize(brs) : 0;
  if (nb && !(r->backends = calloc(nb, sizeof *r->backends))) return -1;
  uint64_t total = 0;
  cJSON_ArrayForEach(b, brs) {
    if (filter_types(get(b, "filters"), types, sizeof types)) {
      r->refused = 1;
      return note(o, "%s: backendRef filters (%s) are not supported: rule left out", where, types);
    }
    const char *group = get_str(b, "group"), *kind = get_str(b, "kind"), *name = get_str(b, "name");
    const char *bns = get_str(b, "namespace");
    if (!group) group = "";
    if (!kind) kind = "Service";
    if (!bns) bns = o->ns;
    uint32_t port = get_port(b, "port");
    const cJSON *w = get(b, "weight");
    uint64_t weight = 1;
    if (cJSON_IsNumber(w))
      weight = w->valuedouble < 0 ? 0 : w->valuedouble > 1000000 ? 1000000 : (uint64_t)w->valuedouble;
    struct route_backend *rb = &r->backends[r->n_backends++];
    rb->weight = weight;
    total += weight;
    if (!group[0] && strcmp(kind, "Service") == 0 && name && is_dns_label(name) && is_dns_label(bns) && port) {
      char c[160];
      snprintf(c, sizeof c, "%s.%s:%u", name, bns, port);
      if (!(rb->cluster = strdup(c))) return -1;
    } else if (
        weight &&
        note(o, "%s: backendRef %.63s%s%.63s %.63s%s is not a Service port: its share of the calls fails (UNAVAILABLE)",
             where, kind, group[0] ? "." : "", group, name ? name : "?", port ? "" : " without a port") != 0) {
      return -1;
    }
  }
  if (!total && note(o, "%s: no backend with a weight above 0: its calls fail (UNAVAILABLE)", where) != 0) return -1;
  if (o->kind == KUBE_HTTPROUTES) {
    const cJSON *t = get(rule, "timeouts");
    const char *req = get_str(t, "request"), *be = get_str(t, "backendRequest");
    int64_t rq = req ? kube_duration_ms(req) : 0, bq = be ? kube_duration_ms(be) : 0;
    if (rq < 0 || bq < 0) {
      r->refused = 1;
      return note(o, "%s: timeouts.%s %.32s is not a Gateway API duration: rule left out", where,
                  rq < 0 ? "request" : "backendRequest", rq < 0 ? req : be);
    }
    /* "0s" turns a timeout off. Without retries one backend request is the whole request: the
     * shorter one set caps the call (gRPC's max_stream_duration). */
    r->timeout_ms = rq;
    if (bq > 0 && (!r->timeout_ms || bq < r->timeout_ms)) r->timeout_ms = bq;
  }
  const cJSON *ms = get(rule, "matches"), *mt;
  size_t nm = cJSON_IsArray(ms) ? (size_t)cJSON_GetArraySize(ms) : 0;
  if (!(r->matches = calloc(nm ? nm : 1, sizeof *r->matches))) return -1;
  if (!nm) { /* no matches: every call */
    r->n_matches = 1;
    return set_str(&r->matches[0].prefix, "/") == M_OK ? 0 : -1;
  }
  size_t mi = 0;
  cJSON_ArrayForEach(mt, ms) {
    struct route_match *m = &r->matches[r->n_matches];
    why[0] = '\0';
    int rc = o->kind == KUBE_GRPCROUTES ? grpc_match(mt, m, why, sizeof why) : http_match(mt, m, why, sizeof why);
    r->n_matches++; /* freed with the rule if it goes wrong */
    if (rc == M_OOM) return -1;
    if (rc == M_REFUSED) {
      r->refused = 1;
      return note(o, "%s: match %zu: %s: rule left out", where, mi, why);
    }
    if (rc == M_NEVER) {
      free_match(m);
      r->n_matches--;
      if (note(o, "%s: match %zu never meets a gRPC call (%s): left out", where, mi, why) != 0) return -1;
    }
    mi++;
  }
  return 0;
}

/* GRPCRoute and HTTPRoute: the Services of its namespace it attaches to (parentRefs with group "" and
 * kind Service) and its rules. A route without such a parent is not ours (a Gateway's): nothing else of
 * it is read. */
static int parse_route(const cJSON *obj, struct kube_object *o, char *err, size_t errlen) {
  const char *created = get_str(get(obj, "metadata"), "creationTimestamp");
  if (!(o->created = strdup(created ? created : ""))) return fail(err, errlen, "out of memory");
  const cJSON *spec = get(obj, "spec"), *prs = get(spec, "parentRefs"), *p;
  size_t np = cJSON_IsArray(prs) ? (size_t)cJSON_GetArraySize(prs) : 0;
  if (np && !(o->parents = calloc(np, sizeof *o->parents))) return fail(err, errlen, "out of memory");
  cJSON_ArrayForEach(p, prs) {
    const char *group = get_str(p, "group"), *kind = get_str(p, "kind"), *name = get_str(p, "name");
    const char *pns = get_str(p, "namespace"), *section = get_str(p, "sectionName");
    if (!group) group = "gateway.networking.k8s.io"; /* the API's defaults: a Gateway */
    if (!kind) kind = "Gateway";
    if (group[0] || strcmp(kind, "Service") != 0 || !name) continue;
    o->mesh = 1;
    if (pns && strcmp(pns, o->ns) != 0) {
      /* GEP-1426: a consumer route, for the calls of its own namespace's clients only. */
      if (note(o,
               "parentRef Service %.63s/%.63s is in another namespace: such a (consumer) route applies only to "
               "namespace %s's own clients, and xdsd serves every client alike: not attached",
               pns, name, o->ns) != 0)
        return fail(err, errlen, "out of memory");
      continue;
    }
    if (!is_dns_label(name)) continue; /* no Service has that name */
    struct route_parent *rp = &o->parents[o->n_parents++];
    rp->port = get_port(p, "port");
    if (!(rp->service = strdup(name)) || (section && !(rp->section = strdup(section))))
      return fail(err, errlen, "out of memory");
  }
  if (!o->mesh) return 0;
  const cJSON *rules = get(spec, "rules"), *r;
  size_t nr = cJSON_IsArray(rules) ? (size_t)cJSON_GetArraySize(rules) : 0;
  if (nr && !(o->rules = calloc(nr, sizeof *o->rules))) return fail(err, errlen, "out of memory");
  cJSON_ArrayForEach(r, rules) {
    struct route_rule *rr = &o->rules[o->n_rules];
    int rc = parse_rule(o, r, o->n_rules, rr);
    o->n_rules++;
    if (rc != 0) return fail(err, errlen, "out of memory");
    if (!rr->refused) o->n_valid_rules++;
  }
  if (o->n_parents && !o->n_valid_rules &&
      note(o, "no rule xdsd can serve: not attached (the Service keeps its other routes, or the default)") != 0)
    return fail(err, errlen, "out of memory");
  return 0;
}

int kube_object_parse(enum kube_kind k, const cJSON *obj, struct kube_object **out, char *err, size_t errlen) {
  *out = NULL;
  const cJSON *md = get(obj, "metadata");
  const char *ns = get_str(md, "namespace"), *name = get_str(md, "name");
  if (!cJSON_IsObject(obj) || !ns || !name || !ns[0] || !name[0])
    return fail(err, errlen, "an object without metadata.namespace and metadata.name");
  /* What the API server itself enforces, checked again: these names become xDS resource names. */
  if (!is_dns_label(ns) || (k == KUBE_SERVICES ? !is_dns_label(name) : !is_object_name(name)))
    return fail(err, errlen, "a namespace or name that is not a DNS label (Services) or subdomain (others)");
  struct kube_object *o = calloc(1, sizeof *o);
  if (!o) return fail(err, errlen, "out of memory");
  o->kind = k;
  size_t kl = strlen(ns) + strlen(name) + 2;
  o->ns = strdup(ns);
  o->name = strdup(name);
  o->key = malloc(kl);
  if (!o->ns || !o->name || !o->key) {
    kube_object_free(o);
    return fail(err, errlen, "out of memory");
  }
  snprintf(o->key, kl, "%s/%s", ns, name);
  int rc = k == KUBE_SERVICES ? parse_service(obj, o, err, errlen)
           : k == KUBE_SLICES ? parse_slice(obj, o, err, errlen)
                              : parse_route(obj, o, err, errlen);
  if (rc != 0) {
    kube_object_free(o);
    return -1;
  }
  *out = o;
  return 0;
}

/* --- watch events ---------------------------------------------------------------------------------- */

static const char *const ev_names[KUBE_EV_NTYPES] = {"ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR"};

const char *kube_event_name(enum kube_event_type t) { return (unsigned)t < KUBE_EV_NTYPES ? ev_names[t] : "?"; }

int kube_event_parse(enum kube_kind k, const char *line, size_t len, struct kube_event *ev, char *err, size_t errlen) {
  memset(ev, 0, sizeof *ev);
  cJSON *j = cJSON_ParseWithLength(line, len);
  const char *type = cJSON_GetStringValue(get(j, "type"));
  const cJSON *obj = get(j, "object");
  int t = -1;
  for (int i = 0; type && i < KUBE_EV_NTYPES; i++)
    if (strcmp(type, ev_names[i]) == 0) t = i;
  if (t < 0 || !cJSON_IsObject(obj)) {
    cJSON_Delete(j);
    return fail(err, errlen, "a watch event that is not {type, object}");
  }
  ev->type = (enum kube_event_type)t;
  const char *rv = get_str(get(obj, "metadata"), "resourceVersion");
  snprintf(ev->rv, sizeof ev->rv, "%s", rv && strlen(rv) < sizeof ev->rv ? rv : "");
  int rc = 0;
  if (t == KUBE_EV_ERROR) {
    const cJSON *code = get(obj, "code");
    ev->code = cJSON_IsNumber(code) && code->valuedouble >= 0 && code->valuedouble < 1000 ? (int)code->valuedouble : 0;
    const char *m = get_str(obj, "message");
    snprintf(ev->message, sizeof ev->message, "%s", m ? m : "");
  } else if (t != KUBE_EV_BOOKMARK && kube_object_parse(k, obj, &ev->obj, err, errlen) != 0) {
    rc = -2;
  }
  cJSON_Delete(j);
  return rc;
}

/* --- the store: per kind, objects sorted by key ---------------------------------------------------- */

struct kube_table {
  struct kube_object **o;
  size_t n, cap;
};

struct kube_store {
  struct kube_table t[KUBE_NKINDS];
};

struct kube_store *kube_store_new(void) {
  return calloc(1, sizeof(struct kube_store));
}

void kube_store_free(struct kube_store *s) {
  if (!s) return;
  for (int k = 0; k < KUBE_NKINDS; k++) {
    for (size_t i = 0; i < s->t[k].n; i++) kube_object_free(s->t[k].o[i]);
    free(s->t[k].o);
  }
  free(s);
}

/* The index of `key` in `t`, or where it would go (and *found = 0). */
static size_t table_find(const struct kube_table *t, const char *key, int *found) {
  size_t lo = 0, hi = t->n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int r = strcmp(key, t->o[mid]->key);
    if (r == 0) {
      *found = 1;
      return mid;
    }
    if (r < 0)
      hi = mid;
    else
      lo = mid + 1;
  }
  *found = 0;
  return lo;
}

int kube_store_put(struct kube_store *s, enum kube_kind k, struct kube_object *o) {
  struct kube_table *t = &s->t[k];
  int found;
  size_t i = table_find(t, o->key, &found);
  if (found) {
    kube_object_free(t->o[i]);
    t->o[i] = o;
    return 0;
  }
  if (t->n == t->cap) {
    size_t cap = t->cap ? t->cap * 2 : 16;
    struct kube_object **no = realloc(t->o, cap * sizeof *no);
    if (!no) {
      kube_object_free(o);
      return -1;
    }
    t->o = no;
    t->cap = cap;
  }
  memmove(&t->o[i + 1], &t->o[i], (t->n - i) * sizeof *t->o);
  t->o[i] = o;
  t->n++;
  return 0;
}

int kube_store_delete(struct kube_store *s, enum kube_kind k, const char *key) {
  struct kube_table *t = &s->t[k];
  int found;
  size_t i = table_find(t, key, &found);
  if (!found) return 0;
  kube_object_free(t->o[i]);
  memmove(&t->o[i], &t->o[i + 1], (t->n - i - 1) * sizeof *t->o);
  t->n--;
  return 1;
}

int kube_store_replace(struct kube_store *s, enum kube_kind k, const char *ns, struct kube_object **objs, size_t n) {
  struct kube_table *t = &s->t[k];
  size_t keep = 0;
  for (size_t i = 0; i < t->n; i++) {
    if (!ns || strcmp(t->o[i]->ns, ns) == 0)
      kube_object_free(t->o[i]);
    else
      t->o[keep++] = t->o[i];
  }
  t->n = keep;
  int rc = 0;
  for (size_t i = 0; i < n; i++)
    if (kube_store_put(s, k, objs[i]) != 0) rc = -1;
  return rc;
}

size_t kube_store_count(const struct kube_store *s, enum kube_kind k) { return s->t[k].n; }

/* --- routes in the view ---------------------------------------------------------------------------- */

static void free_config_route(struct config_route *r) {
  free(r->name);
  free(r->prefix);
  free(r->path);
  free(r->regex);
  free(r->hash_header);
  free_headers(r->headers, r->n_headers);
  for (size_t k = 0; k < r->n_clusters; k++) free(r->clusters[k].name);
  free(r->clusters);
}

static int view_note(struct kube_view *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int view_note(struct kube_view *v, const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return push_str(&v->notes, &v->n_notes, msg);
}

/* Whether parentRef `p` covers port `port` (named `port_name`) of its Service `svc`. */
static int parent_covers(const struct route_parent *p, const char *svc, uint32_t port, const char *port_name) {
  return strcmp(p->service, svc) == 0 && (!p->port || p->port == port) &&
         (!p->section || strcmp(p->section, port_name) == 0);
}

static int route_covers(const struct kube_object *o, const char *svc, uint32_t port, const char *port_name) {
  for (size_t i = 0; i < o->n_parents; i++)
    if (parent_covers(&o->parents[i], svc, port, port_name)) return 1;
  return 0;
}

/* The objects of table `t` in namespace `ns`: [*first, *end). */
static void ns_range(const struct kube_table *t, const char *ns, size_t *first, size_t *end) {
  char prefix[80];
  snprintf(prefix, sizeof prefix, "%s/", ns);
  size_t plen = strlen(prefix);
  int found;
  size_t i = table_find(t, prefix, &found);
  *first = i;
  while (i < t->n && strncmp(t->o[i]->key, prefix, plen) == 0) i++;
  *end = i;
}

/* The Service object NAMESPACE/NAME of the store, or NULL. */
static const struct kube_object *find_object(const struct kube_table *t, const char *ns, const char *name) {
  char key[160];
  snprintf(key, sizeof key, "%s/%s", ns, name);
  int found;
  size_t i = table_find(t, key, &found);
  return found ? t->o[i] : NULL;
}

struct entry {
  const struct kube_object *o;
  const struct route_rule *r;
  const struct route_match *m;
  size_t mi;
};

/* The Gateway API's precedence: the match criteria, then the oldest route, then NAMESPACE/NAME, then the
 * rule's and the match's order. A total order, so the result does not depend on qsort. */
static int entry_cmp(const void *a, const void *b) {
  const struct entry *x = a, *y = b;
  for (int k = 0; k < 5; k++)
    if (x->m->key[k] != y->m->key[k]) return x->m->key[k] > y->m->key[k] ? -1 : 1;
  int c = strcmp(x->o->created, y->o->created);
  if (c) return c;
  if ((c = strcmp(x->o->key, y->o->key))) return c;
  if (x->r->index != y->r->index) return x->r->index < y->r->index ? -1 : 1;
  return x->mi < y->mi ? -1 : x->mi > y->mi;
}

/* A rule's backends as weighted clusters summing to 100: the same cluster named twice is one; a share
 * without a valid backend goes to KUBE_NO_BACKEND; zero shares are left out. */
static int rule_clusters(const struct route_rule *r, struct config_route *dst) {
  size_t n = r->n_backends + 1, u = 0;
  const char **names = calloc(n, sizeof *names);
  uint64_t *w = calloc(n, sizeof *w);
  uint32_t *pct = calloc(n, sizeof *pct);
  int rc = -1;
  if (!names || !w || !pct) goto out;
  for (size_t i = 0; i < r->n_backends; i++) {
    const char *name = r->backends[i].cluster ? r->backends[i].cluster : KUBE_NO_BACKEND;
    size_t k = 0;
    while (k < u && strcmp(names[k], name) != 0) k++;
    if (k == u) names[u++] = name;
    w[k] += r->backends[i].weight;
  }
  if (kube_weights_percent(w, u, pct) != 0) { /* nothing with a weight: every call fails */
    names[0] = KUBE_NO_BACKEND;
    pct[0] = 100;
    u = 1;
  }
  if (!(dst->clusters = calloc(u, sizeof *dst->clusters))) goto out;
  for (size_t k = 0; k < u; k++) {
    if (!pct[k]) continue;
    struct config_weighted *cw = &dst->clusters[dst->n_clusters];
    if (!(cw->name = strdup(names[k]))) goto out;
    cw->weight = pct[k];
    dst->n_clusters++;
  }
  rc = 0;
out:
  free(names);
  free(w);
  free(pct);
  return rc;
}

static int entry_route(struct config_route *dst, const struct entry *e) {
  char name[256];
  snprintf(name, sizeof name, "%s:%s:%zu:%zu", route_kind_word(e->o->kind), e->o->key, e->r->index, e->mi);
  dst->case_sensitive = -1;
  dst->timeout_ms = e->r->timeout_ms;
  if (!(dst->name = strdup(name))) return -1;
  if (e->m->prefix && !(dst->prefix = strdup(e->m->prefix))) return -1;
  if (e->m->path && !(dst->path = strdup(e->m->path))) return -1;
  if (e->m->regex && !(dst->regex = strdup(e->m->regex))) return -1;
  if (e->m->n_headers && !(dst->headers = calloc(e->m->n_headers, sizeof *dst->headers))) return -1;
  for (size_t h = 0; h < e->m->n_headers; h++) {
    struct config_header *d = &dst->headers[dst->n_headers++];
    *d = e->m->headers[h];
    d->name = strdup(e->m->headers[h].name);
    d->value = e->m->headers[h].value ? strdup(e->m->headers[h].value) : NULL;
    if (!d->name || (e->m->headers[h].value && !d->value)) return -1;
  }
  return rule_clusters(e->r, dst);
}

struct route_list {
  const struct kube_object **o;
  size_t n;
};

/* The routes of kind `k` in namespace `ns` that attach to the Service port. */
static int attached(const struct kube_table *t, const char *ns, const char *svc, uint32_t port, const char *pname,
                    struct route_list *out) {
  size_t first, end;
  ns_range(t, ns, &first, &end);
  for (size_t i = first; i < end; i++) {
    const struct kube_object *o = t->o[i];
    if (!o->n_valid_rules || !route_covers(o, svc, port, pname)) continue;
    const struct kube_object **no = realloc(out->o, (out->n + 1) * sizeof *no);
    if (!no) return -1;
    out->o = no;
    out->o[out->n++] = o;
  }
  return 0;
}

/* The routes of backend `b` (NAME.NAMESPACE:PORT): the GRPCRoutes attached to it, or else its HTTPRoutes,
 * their rules' matches in precedence order. */
static int backend_routes(struct kube_view *v, const struct kube_store *s, struct kube_backend *b) {
  char svc[64], ns[64];
  unsigned port;
  if (sscanf(b->name, "%63[^.].%63[^:]:%u", svc, ns, &port) != 3) return 0;
  const struct kube_object *so = find_object(&s->t[KUBE_SERVICES], ns, svc);
  const char *pname = "";
  for (size_t i = 0; so && i < so->n_sports; i++)
    if (so->sports[i].port == port) pname = so->sports[i].name;
  struct route_list g = {0}, h = {0};
  struct entry *es = NULL;
  int rc = -1;
  if (attached(&s->t[KUBE_GRPCROUTES], ns, svc, port, pname, &g) != 0 ||
      attached(&s->t[KUBE_HTTPROUTES], ns, svc, port, pname, &h) != 0)
    goto out;
  for (size_t i = 0; g.n && i < h.n; i++)
    if (view_note(v, "httproute %s: Service port %s also has GRPCRoutes, which win (GEP-1426): not applied there",
                  h.o[i]->key, b->name) != 0)
      goto out;
  const struct route_list *use = g.n ? &g : &h;
  if (!use->n) {
    rc = 0;
    goto out;
  }
  size_t ne = 0, cap = 0;
  for (size_t i = 0; i < use->n; i++)
    for (size_t r = 0; r < use->o[i]->n_rules; r++) cap += use->o[i]->rules[r].n_matches;
  if (!(es = calloc(cap ? cap : 1, sizeof *es))) goto out;
  for (size_t i = 0; i < use->n; i++)
    for (size_t r = 0; r < use->o[i]->n_rules; r++) {
      const struct route_rule *rr = &use->o[i]->rules[r];
      if (rr->refused) continue;
      for (size_t m = 0; m < rr->n_matches; m++) es[ne++] = (struct entry){use->o[i], rr, &rr->matches[m], m};
    }
  if (ne) qsort(es, ne, sizeof *es, entry_cmp);
  if (!(b->routes = calloc(ne ? ne : 1, sizeof *b->routes))) goto out;
  for (size_t i = 0; i < ne; i++)
    if (entry_route(&b->routes[b->n_routes++], &es[i]) != 0) goto out;
  if (!ne) { /* every rule's matches never meet a gRPC call: calls find no route, as none matches */
    struct config_route *r = &b->routes[b->n_routes++];
    r->case_sensitive = -1;
    if (!(r->name = strdup("no-match")) || !(r->prefix = strdup("/")) ||
        !(r->clusters = calloc(1, sizeof *r->clusters)) || !(r->clusters[0].name = strdup(KUBE_NO_BACKEND)))
      goto out;
    r->n_clusters = 1;
    r->clusters[0].weight = 100;
  }
  size_t len = 16;
  for (size_t i = 0; i < use->n; i++) len += strlen(use->o[i]->key) + 1;
  if (!(b->routed_by = malloc(len))) goto out;
  size_t off = (size_t)snprintf(b->routed_by, len, "%s ", route_kind_word(use->o[0]->kind));
  for (size_t i = 0; i < use->n; i++)
    off += (size_t)snprintf(b->routed_by + off, len - off, "%s%s", i ? "," : "", use->o[i]->key);
  v->n_routed++;
  rc = 0;
out:
  free(g.o);
  free(h.o);
  free(es);
  return rc;
}

/* What a route's own notes say, and what only the store can tell: a parent Service (port) that does not
 * exist, a backendRef to a Service port xdsd does not know. */
static int route_notes(struct kube_view *v, const struct kube_store *s, const struct kube_object *o) {
  for (size_t i = 0; i < o->n_notes; i++)
    if (push_str(&v->notes, &v->n_notes, o->notes[i]) != 0) return -1;
  for (size_t i = 0; i < o->n_parents; i++) {
    const struct route_parent *p = &o->parents[i];
    const struct kube_object *so = find_object(&s->t[KUBE_SERVICES], o->ns, p->service);
    int covered = 0;
    for (size_t k = 0; so && k < so->n_sports; k++)
      covered |= parent_covers(p, so->name, so->sports[k].port, so->sports[k].name);
    char port[96] = "";
    if (p->port || p->section)
      snprintf(port, sizeof port, " port %s%.63s", p->port ? "" : "named ", p->section ? p->section : "");
    if (p->port) snprintf(port + strlen(port), sizeof port - strlen(port), "%s%u", p->section ? "/" : "", p->port);
    if (!covered &&
        view_note(v, "%s %s: parentRef Service %s%s: %s: attached to nothing", route_kind_word(o->kind), o->key,
                  p->service, port, so ? "no such TCP port" : "no such Service (or it has no TCP port)") != 0)
      return -1;
  }
  for (size_t r = 0; o->n_parents && r < o->n_rules; r++) {
    const struct route_rule *rr = &o->rules[r];
    for (size_t b = 0; !rr->refused && b < rr->n_backends; b++) {
      const char *c = rr->backends[b].cluster;
      if (c && rr->backends[b].weight && !kube_view_find(v, c) &&
          view_note(v,
                    "%s %s: rule %zu: backendRef %s is not a Service port xdsd knows: its share of the calls fails "
                    "(UNAVAILABLE) until it exists",
                    route_kind_word(o->kind), o->key, rr->index, c) != 0)
        return -1;
    }
  }
  return 0;
}

static int str_cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* The routes of every backend, and the notes, sorted and each once. */
static int view_routes(struct kube_view *v, const struct kube_store *s) {
  const struct kube_table *gt = &s->t[KUBE_GRPCROUTES], *ht = &s->t[KUBE_HTTPROUTES];
  if (!gt->n && !ht->n) return 0;
  for (size_t i = 0; i < v->n_backends; i++)
    if (backend_routes(v, s, &v->backends[i]) != 0) return -1;
  for (const struct kube_table *t = gt;; t = ht) {
    for (size_t i = 0; i < t->n; i++)
      if (t->o[i]->mesh && route_notes(v, s, t->o[i]) != 0) return -1;
    if (t == ht) break;
  }
  if (v->n_notes) qsort(v->notes, v->n_notes, sizeof *v->notes, str_cmp);
  size_t u = 0;
  for (size_t i = 0; i < v->n_notes; i++) {
    if (u && strcmp(v->notes[u - 1], v->notes[i]) == 0) {
      free(v->notes[i]);
      continue;
    }
    v->notes[u++] = v->notes[i];
  }
  v->n_notes = u;
  return 0;
}

/* --- the view ------------------------------------------------------------------------------------ */

void kube_view_free(struct kube_view *v) {
  if (!v) return;
  for (size_t i = 0; i < v->n_backends; i++) {
    free(v->backends[i].name);
    free(v->backends[i].endpoints);
    for (size_t r = 0; r < v->backends[i].n_routes; r++) free_config_route(&v->backends[i].routes[r]);
    free(v->backends[i].routes);
    free(v->backends[i].routed_by);
  }
  for (size_t i = 0; i < v->n_notes; i++) free(v->notes[i]);
  free(v->notes);
  for (size_t i = 0; i < v->n_zones; i++) free(v->zones[i]);
  free(v->zones);
  free(v->backends);
  free(v);
}

/* The view's copy of a zone name (zones are few: a linear search). NULL when out of memory. */
static const char *intern_zone(struct kube_view *v, const char *z, size_t *cap) {
  for (size_t i = 0; i < v->n_zones; i++)
    if (strcmp(v->zones[i], z) == 0) return v->zones[i];
  if (v->n_zones == *cap) {
    size_t nc = *cap ? *cap * 2 : 8;
    char **nz = realloc(v->zones, nc * sizeof *nz);
    if (!nz) return NULL;
    v->zones = nz;
    *cap = nc;
  }
  if (!(v->zones[v->n_zones] = strdup(z))) return NULL;
  return v->zones[v->n_zones++];
}

static int ep_cmp(const void *a, const void *b) {
  const struct kube_endpoint *x = a, *y = b;
  struct in_addr ax, ay;
  inet_pton(AF_INET, x->ip, &ax);
  inet_pton(AF_INET, y->ip, &ay);
  uint32_t hx = ntohl(ax.s_addr), hy = ntohl(ay.s_addr);
  if (hx != hy) return hx < hy ? -1 : 1;
  if (x->port != y->port) return x->port < y->port ? -1 : 1;
  return x->draining - y->draining; /* healthy first: the one kept */
}

/* The slices of Service NAMESPACE/NAME are contiguous in the slice table when sorted by (namespace,
 * service label); the table is sorted by key, so a scan per Service is what this does: the slices of a
 * namespace are contiguous, and within it the ones labelled with the Service are picked out. */
static int add_backend(struct kube_view *v, const struct kube_table *slices, const struct kube_object *svc,
                       const struct svc_port *sp, size_t *zcap) {
  struct kube_backend *b = &v->backends[v->n_backends];
  size_t nl = strlen(svc->name) + strlen(svc->ns) + 16;
  if (!(b->name = malloc(nl))) return -1;
  snprintf(b->name, nl, "%s.%s:%u", svc->name, svc->ns, sp->port);
  v->n_backends++;
  /* The slices of the namespace: from the first key "NS/" on. */
  char prefix[320];
  snprintf(prefix, sizeof prefix, "%s/", svc->ns);
  int found;
  size_t start = table_find(slices, prefix, &found), cap = 0;
  size_t plen = strlen(prefix);
  for (size_t i = start; i < slices->n && strncmp(slices->o[i]->key, prefix, plen) == 0; i++) {
    const struct kube_object *s = slices->o[i];
    if (!s->service || strcmp(s->service, svc->name) != 0) continue;
    for (size_t p = 0; p < s->n_pports; p++) {
      if (strcmp(s->pports[p].name, sp->name) != 0) continue;
      if (b->n_endpoints + s->n_eps > cap) {
        size_t nc = (cap ? cap * 2 : 8) + s->n_eps;
        struct kube_endpoint *ne = realloc(b->endpoints, nc * sizeof *ne);
        if (!ne) return -1;
        b->endpoints = ne;
        cap = nc;
      }
      for (size_t e = 0; e < s->n_eps; e++) {
        struct kube_endpoint *ke = &b->endpoints[b->n_endpoints];
        memcpy(ke->ip, s->eps[e].ip, sizeof ke->ip);
        ke->port = s->pports[p].port;
        ke->draining = s->eps[e].draining;
        if (!(ke->zone = intern_zone(v, s->eps[e].zone, zcap))) return -1;
        b->n_endpoints++;
      }
    }
  }
  /* One endpoint per address:port (gRPC refuses a cluster with duplicates); healthy wins. */
  if (b->n_endpoints) qsort(b->endpoints, b->n_endpoints, sizeof *b->endpoints, ep_cmp);
  size_t u = 0;
  for (size_t i = 0; i < b->n_endpoints; i++) {
    if (u && strcmp(b->endpoints[u - 1].ip, b->endpoints[i].ip) == 0 &&
        b->endpoints[u - 1].port == b->endpoints[i].port)
      continue;
    b->endpoints[u++] = b->endpoints[i];
  }
  b->n_endpoints = u;
  v->n_endpoints += u;
  return 0;
}

static int backend_cmp(const void *a, const void *b) {
  return strcmp(((const struct kube_backend *)a)->name, ((const struct kube_backend *)b)->name);
}

struct kube_view *kube_view_build(const struct kube_store *s) {
  struct kube_view *v = calloc(1, sizeof *v);
  if (!v) return NULL;
  const struct kube_table *svcs = &s->t[KUBE_SERVICES], *slices = &s->t[KUBE_SLICES];
  size_t n = 0, zcap = 0;
  for (size_t i = 0; i < svcs->n; i++) n += svcs->o[i]->n_sports;
  if (n && !(v->backends = calloc(n, sizeof *v->backends))) goto oom;
  for (size_t i = 0; i < svcs->n; i++)
    for (size_t p = 0; p < svcs->o[i]->n_sports; p++)
      if (add_backend(v, slices, svcs->o[i], &svcs->o[i]->sports[p], &zcap) != 0) goto oom;
  if (v->n_backends) qsort(v->backends, v->n_backends, sizeof *v->backends, backend_cmp);
  /* A port number listed twice (the API refuses that; a broken stream need not): one backend per name. */
  size_t u = 0;
  for (size_t i = 0; i < v->n_backends; i++) {
    if (u && strcmp(v->backends[u - 1].name, v->backends[i].name) == 0) {
      v->n_endpoints -= v->backends[i].n_endpoints;
      free(v->backends[i].name);
      free(v->backends[i].endpoints);
      continue;
    }
    v->backends[u++] = v->backends[i];
  }
  v->n_backends = u;
  if (view_routes(v, s) != 0) goto oom;
  return v;
oom:
  kube_view_free(v);
  return NULL;
}

const struct kube_backend *kube_view_find(const struct kube_view *v, const char *name) {
  if (!v) return NULL;
  size_t lo = 0, hi = v->n_backends;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int r = strcmp(name, v->backends[mid].name);
    if (r == 0) return &v->backends[mid];
    if (r < 0)
      hi = mid;
    else
      lo = mid + 1;
  }
  return NULL;
}

/* --- the merged config ----------------------------------------------------------------------------- */

static int copy_endpoints(struct config_cluster *dst, const struct kube_backend *b) {
  if (!b || !b->n_endpoints) return 0;
  if (!(dst->endpoints = calloc(b->n_endpoints, sizeof *dst->endpoints))) return -1;
  for (size_t i = 0; i < b->n_endpoints; i++) {
    struct config_endpoint *e = &dst->endpoints[i];
    dst->n_endpoints++;
    e->address = strdup(b->endpoints[i].ip);
    e->zone = b->endpoints[i].zone[0] ? strdup(b->endpoints[i].zone) : NULL;
    if (!e->address || (b->endpoints[i].zone[0] && !e->zone)) return -1;
    e->port = b->endpoints[i].port;
    e->is_ip = 1;
    e->draining = b->endpoints[i].draining;
  }
  return 0;
}

static int copy_route(struct config_route *dst, const struct config_route *src) {
  dst->line = src->line;
  dst->case_sensitive = src->case_sensitive;
  dst->timeout_ms = src->timeout_ms;
  dst->retry = src->retry;
  dst->fault = src->fault;
  if (!(dst->name = strdup(src->name))) return -1;
  if (src->prefix && !(dst->prefix = strdup(src->prefix))) return -1;
  if (src->path && !(dst->path = strdup(src->path))) return -1;
  if (src->regex && !(dst->regex = strdup(src->regex))) return -1;
  if (src->hash_header && !(dst->hash_header = strdup(src->hash_header))) return -1;
  if (src->n_headers && !(dst->headers = calloc(src->n_headers, sizeof *dst->headers))) return -1;
  for (size_t h = 0; h < src->n_headers; h++) {
    struct config_header *d = &dst->headers[dst->n_headers++];
    *d = src->headers[h];
    d->name = strdup(src->headers[h].name);
    d->value = src->headers[h].value ? strdup(src->headers[h].value) : NULL;
    if (!d->name || (src->headers[h].value && !d->value)) return -1;
  }
  if (src->n_clusters && !(dst->clusters = calloc(src->n_clusters, sizeof *dst->clusters))) return -1;
  for (size_t k = 0; k < src->n_clusters; k++) {
    dst->n_clusters++;
    dst->clusters[k].weight = src->clusters[k].weight;
    if (!(dst->clusters[k].name = strdup(src->clusters[k].name))) return -1;
  }
  return 0;
}

static int copy_listener(struct config_listener *dst, const struct config_listener *src) {
  dst->port = src->port;
  dst->line = src->line;
  if (!(dst->name = strdup(src->name)) || !(dst->address = strdup(src->address))) return -1;
  if (src->n_routes && !(dst->routes = calloc(src->n_routes, sizeof *dst->routes))) return -1;
  for (size_t r = 0; r < src->n_routes; r++) {
    dst->n_routes++;
    if (copy_route(&dst->routes[r], &src->routes[r]) != 0) return -1;
  }
  return 0;
}

static int copy_cluster(struct config_cluster *dst, const struct config_cluster *src, const struct kube_view *v) {
  dst->line = src->line;
  dst->max_requests = src->max_requests;
  dst->ring_hash = src->ring_hash;
  dst->outlier = src->outlier;
  if (!(dst->name = strdup(src->name))) return -1;
  if (src->service) {
    if (!(dst->service = strdup(src->service))) return -1;
    return copy_endpoints(dst, kube_view_find(v, src->service));
  }
  if (src->n_endpoints && !(dst->endpoints = calloc(src->n_endpoints, sizeof *dst->endpoints))) return -1;
  for (size_t e = 0; e < src->n_endpoints; e++) {
    dst->n_endpoints++;
    dst->endpoints[e] = src->endpoints[e];
    dst->endpoints[e].zone = NULL;
    if (!(dst->endpoints[e].address = strdup(src->endpoints[e].address))) return -1;
    if (src->endpoints[e].zone && !(dst->endpoints[e].zone = strdup(src->endpoints[e].zone))) return -1;
  }
  return 0;
}

static int has_listener(const struct config *c, const char *name) {
  for (size_t i = 0; c && i < c->n_listeners; i++)
    if (strcmp(c->listeners[i].name, name) == 0) return 1;
  return 0;
}

/* A listener NAME with one route "/" to cluster NAME, for gRPC clients only (no socket listener). */
static int backend_listener(struct config_listener *l, const char *name) {
  if (!(l->name = strdup(name)) || !(l->address = strdup("0.0.0.0"))) return -1;
  if (!(l->routes = calloc(1, sizeof *l->routes))) return -1;
  l->n_routes = 1;
  struct config_route *r = &l->routes[0];
  if (!(r->name = strdup(name)) || !(r->prefix = strdup("/")) || !(r->clusters = calloc(1, sizeof *r->clusters)))
    return -1;
  r->n_clusters = 1;
  r->case_sensitive = -1;
  r->clusters[0].weight = 100;
  return (r->clusters[0].name = strdup(name)) ? 0 : -1;
}

/* A listener NAME with the routes the Gateway API's routes made for it. */
static int routed_listener(struct config_listener *l, const struct kube_backend *b) {
  if (!(l->name = strdup(b->name)) || !(l->address = strdup("0.0.0.0"))) return -1;
  if (!(l->routes = calloc(b->n_routes, sizeof *l->routes))) return -1;
  for (size_t r = 0; r < b->n_routes; r++) {
    l->n_routes++;
    if (copy_route(&l->routes[r], &b->routes[r]) != 0) return -1;
  }
  return 0;
}

/* Whether cluster `name` is in c->clusters[0..n) (the ones a route added: few, a linear search). */
static int added_cluster(const struct config *c, size_t from, const char *name) {
  for (size_t i = from; i < c->n_clusters; i++)
    if (strcmp(c->clusters[i].name, name) == 0) return 1;
  return 0;
}

/* The clusters the routes name that neither the view nor the file has: a backendRef to a Service port
 * that does not exist (yet), KUBE_NO_BACKEND. They have no endpoints: the calls sent to them fail. */
static int route_clusters(struct config *c, const struct config *file, const struct kube_view *v) {
  size_t from = c->n_clusters;
  for (size_t i = 0; v && i < v->n_backends; i++) {
    const struct kube_backend *b = &v->backends[i];
    if (!b->routed_by || has_listener(file, b->name)) continue;
    for (size_t r = 0; r < b->n_routes; r++)
      for (size_t k = 0; k < b->routes[r].n_clusters; k++) {
        const char *name = b->routes[r].clusters[k].name;
        if (kube_view_find(v, name) || (file && config_find_cluster(file, name)) || added_cluster(c, from, name))
          continue;
        struct config_cluster *cl = &c->clusters[c->n_clusters++];
        if (!(cl->name = strdup(name))) return -1;
        if (!config_service_problem(name) && !(cl->service = strdup(name))) return -1;
      }
  }
  return 0;
}

struct config *kube_config_merge(const struct config *file, const struct kube_view *v, char *err, size_t errlen) {
  struct config *c = calloc(1, sizeof *c);
  if (!c) goto oom;
  size_t fl = file ? file->n_listeners : 0, fc = file ? file->n_clusters : 0, nb = v ? v->n_backends : 0, nr = 0;
  for (size_t i = 0; i < nb; i++)
    for (size_t r = 0; r < v->backends[i].n_routes; r++) nr += v->backends[i].routes[r].n_clusters;
  if (!(c->name = strdup(file ? file->name : "kubernetes"))) goto oom;
  if ((fl + nb && !(c->listeners = calloc(fl + nb, sizeof *c->listeners))) ||
      (fc + nb + nr && !(c->clusters = calloc(fc + nb + nr, sizeof *c->clusters))))
    goto oom;
  for (size_t i = 0; i < fl; i++) {
    c->n_listeners++;
    if (copy_listener(&c->listeners[i], &file->listeners[i]) != 0) goto oom;
  }
  for (size_t i = 0; i < fc; i++) {
    c->n_clusters++;
    if (copy_cluster(&c->clusters[i], &file->clusters[i], v) != 0) goto oom;
  }
  for (size_t i = 0; i < nb; i++) {
    const struct kube_backend *b = &v->backends[i];
    if (!has_listener(file, b->name)) {
      struct config_listener *l = &c->listeners[c->n_listeners++];
      if ((b->routed_by ? routed_listener(l, b) : backend_listener(l, b->name)) != 0) goto oom;
    }
    if (!file || !config_find_cluster(file, b->name)) {
      struct config_cluster *cl = &c->clusters[c->n_clusters++];
      if (!(cl->name = strdup(b->name)) || !(cl->service = strdup(b->name)) || copy_endpoints(cl, b) != 0) goto oom;
    }
  }
  if (route_clusters(c, file, v) != 0 || config_index(c) != 0) goto oom;
  return c;
oom:
  config_free(c);
  snprintf(err, errlen, "out of memory merging the Kubernetes services into the config");
  return NULL;
}
