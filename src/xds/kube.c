#include "kube.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *kube_kind_name(enum kube_kind k) { return k == KUBE_SERVICES ? "services" : "endpointslices"; }

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
};

void kube_object_free(struct kube_object *o) {
  if (!o) return;
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

int kube_object_parse(enum kube_kind k, const cJSON *obj, struct kube_object **out, char *err, size_t errlen) {
  *out = NULL;
  const cJSON *md = get(obj, "metadata");
  const char *ns = get_str(md, "namespace"), *name = get_str(md, "name");
  if (!cJSON_IsObject(obj) || !ns || !name || !ns[0] || !name[0])
    return fail(err, errlen, "an object without metadata.namespace and metadata.name");
  /* What the API server itself enforces, checked again: these names become xDS resource names. */
  if (!is_dns_label(ns) || (k == KUBE_SERVICES ? !is_dns_label(name) : !is_object_name(name)))
    return fail(err, errlen, "a namespace or name that is not a DNS label (Services) or subdomain (slices)");
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
  int rc = k == KUBE_SERVICES ? parse_service(obj, o, err, errlen) : parse_slice(obj, o, err, errlen);
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

/* --- the view ------------------------------------------------------------------------------------ */

void kube_view_free(struct kube_view *v) {
  if (!v) return;
  for (size_t i = 0; i < v->n_backends; i++) {
    free(v->backends[i].name);
    free(v->backends[i].endpoints);
  }
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
  if (!(dst->name = strdup(src->name))) return -1;
  if (src->prefix && !(dst->prefix = strdup(src->prefix))) return -1;
  if (src->path && !(dst->path = strdup(src->path))) return -1;
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

struct config *kube_config_merge(const struct config *file, const struct kube_view *v, char *err, size_t errlen) {
  struct config *c = calloc(1, sizeof *c);
  if (!c) goto oom;
  size_t fl = file ? file->n_listeners : 0, fc = file ? file->n_clusters : 0, nb = v ? v->n_backends : 0;
  if (!(c->name = strdup(file ? file->name : "kubernetes"))) goto oom;
  if ((fl + nb && !(c->listeners = calloc(fl + nb, sizeof *c->listeners))) ||
      (fc + nb && !(c->clusters = calloc(fc + nb, sizeof *c->clusters))))
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
      if (backend_listener(&c->listeners[c->n_listeners++], b->name) != 0) goto oom;
    }
    if (!file || !config_find_cluster(file, b->name)) {
      struct config_cluster *cl = &c->clusters[c->n_clusters++];
      if (!(cl->name = strdup(b->name)) || !(cl->service = strdup(b->name)) || copy_endpoints(cl, b) != 0) goto oom;
    }
  }
  if (config_index(c) != 0) goto oom;
  return c;
oom:
  config_free(c);
  snprintf(err, errlen, "out of memory merging the Kubernetes services into the config");
  return NULL;
}
