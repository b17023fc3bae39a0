#include "envoycfg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "file.h"
#include "ytree.h"

#define CARES_RESOLVER "envoy.network.dns_resolver.cares"
#define CARES_TYPE "type.googleapis.com/envoy.extensions.network.dns_resolver.cares.v3.CaresDnsResolverConfig"

static int fail(char *err, size_t errlen, const char *fmt, const char *a, const char *b) {
  snprintf(err, errlen, fmt, a, b);
  return -1;
}

static int str_is(const struct ytree *t, const char *key, const char *want) {
  const char *v = ytree_str(t, key);
  return v && strcmp(v, want) == 0;
}

/* The Envoy container of a pod template that mounts the ConfigMap: its args go to out. */
static int find_args(const struct ytree *doc, const char *configmap, struct envoycfg *out) {
  const struct ytree *spec = ytree_get(ytree_get(ytree_get(doc, "spec"), "template"), "spec");
  const char *vol = NULL;
  for (const struct ytree *v = ytree_get(spec, "volumes") ? ytree_get(spec, "volumes")->child : NULL; v; v = v->next)
    if (str_is(ytree_get(v, "configMap"), "name", configmap)) vol = ytree_str(v, "name");
  if (!vol) return -1;
  static const char *const lists[] = {"initContainers", "containers"};
  for (size_t l = 0; l < 2; l++) {
    const struct ytree *seq = ytree_get(spec, lists[l]);
    for (const struct ytree *c = seq ? seq->child : NULL; c; c = c->next) {
      const struct ytree *cmd = ytree_get(c, "command");
      if (!cmd || !cmd->child || cmd->child->kind != YTREE_SCALAR || strcmp(cmd->child->value, "envoy") != 0) continue;
      int mounts = 0;
      const struct ytree *vm = ytree_get(c, "volumeMounts");
      for (const struct ytree *m = vm ? vm->child : NULL; m; m = m->next) mounts |= str_is(m, "name", vol);
      if (!mounts) continue;
      const struct ytree *args = ytree_get(c, "args");
      out->n_args = 0;
      for (const struct ytree *a = args ? args->child : NULL; a; a = a->next) {
        if (a->kind != YTREE_SCALAR) return -1;
        if (strcmp(a->value, "-c") == 0 || strcmp(a->value, "--config-path") == 0) {
          if (!(a = a->next)) break;
          continue;
        }
        if (out->n_args == ENVOYCFG_MAX_ARGS || strlen(a->value) >= sizeof out->args[0]) return -1;
        snprintf(out->args[out->n_args++], sizeof out->args[0], "%s", a->value);
      }
      return 0;
    }
  }
  return -1;
}

int envoycfg_parse(const char *name, const char *text, size_t len, const char *configmap, struct envoycfg *out,
                   char *err, size_t errlen) {
  memset(out, 0, sizeof *out);
  struct ytree *docs = ytree_parse_all(text, len, err, errlen);
  if (!docs) return -1;
  const char *cfg = NULL;
  int have_args = 0;
  for (const struct ytree *d = docs->child; d; d = d->next) {
    if (str_is(d, "kind", "ConfigMap") && str_is(ytree_get(d, "metadata"), "name", configmap))
      cfg = ytree_str(ytree_get(d, "data"), "config.yaml");
    else if (!have_args && (str_is(d, "kind", "Deployment") || str_is(d, "kind", "DaemonSet")) &&
             find_args(d, configmap, out) == 0) {
      have_args = 1;
      out->per_node = str_is(d, "kind", "DaemonSet");
    }
  }
  int rc = -1;
  if (!cfg)
    fail(err, errlen, "%s: no ConfigMap %s with data \"config.yaml\"", name, configmap);
  else if (!have_args)
    fail(err, errlen, "%s: no Deployment or DaemonSet container runs envoy with ConfigMap %s mounted", name, configmap);
  else if (!(out->bootstrap = ytree_parse(cfg, strlen(cfg), err, errlen)))
    ;
  else
    rc = 0;
  ytree_free(docs);
  return rc;
}

int envoycfg_load(const char *manifest, const char *configmap, struct envoycfg *out, char *err, size_t errlen) {
  char *buf;
  size_t len;
  memset(out, 0, sizeof *out);
  if (file_read_text(manifest, FILE_TEXT_MAX, &buf, &len, err, errlen) != 0) return -1;
  int rc = envoycfg_parse(manifest, buf, len, configmap, out, err, errlen);
  free(buf);
  return rc;
}

/* Sets key in map to a scalar (added when absent). */
static int put(struct ytree *map, const char *key, const char *value) {
  struct ytree *v = ytree_get_mut(map, key);
  if (v) return ytree_set(v, value, 0);
  return ytree_add(map, key, YTREE_SCALAR, value) ? 0 : -1;
}

static int put_port(struct ytree *map, uint16_t port) {
  char p[8];
  snprintf(p, sizeof p, "%u", port);
  return put(map, "port_value", p);
}

static struct ytree *socket_address(struct ytree *t) {
  return ytree_get_mut(ytree_get_mut(t, "address"), "socket_address");
}

/* A name the lab knows: a mapped host, a bare Service name (NAME.DOMAIN), else left alone. */
static int map_host(struct ytree *sa, const struct envoycfg_rewrite *rw) {
  const char *host = ytree_str(sa, "address");
  if (!host) return -1;
  for (size_t i = 0; i < rw->n_hosts; i++)
    if (strcmp(host, rw->hosts[i].name) == 0) {
      uint16_t port = rw->hosts[i].port;
      return put(sa, "address", rw->hosts[i].ip) || (port && put_port(sa, port)) ? -1 : 0;
    }
  if (strchr(host, '.') || strchr(host, ':') || !rw->domain) return 0;
  char fq[300];
  snprintf(fq, sizeof fq, "%s.%s", host, rw->domain);
  return put(sa, "address", fq);
}

/* The cluster DNS as the resolver of a cluster that resolves names (pods use the cluster DNS). */
static int set_resolver(struct ytree *cluster, const struct envoycfg_rewrite *rw) {
  struct ytree *old = ytree_get_mut(cluster, "typed_dns_resolver_config");
  if (old) ytree_remove(cluster, old);
  struct ytree *r = ytree_add(cluster, "typed_dns_resolver_config", YTREE_MAP, NULL);
  struct ytree *tc = r ? ytree_add(r, "typed_config", YTREE_MAP, NULL) : NULL;
  if (!tc || put(r, "name", CARES_RESOLVER) != 0) return -1;
  struct ytree *type = ytree_add(tc, "@type", YTREE_SCALAR, CARES_TYPE);
  struct ytree *list = ytree_add(tc, "resolvers", YTREE_SEQ, NULL);
  struct ytree *one = list ? ytree_add(list, NULL, YTREE_MAP, NULL) : NULL;
  struct ytree *sa = one ? ytree_add(one, "socket_address", YTREE_MAP, NULL) : NULL;
  if (!type || !sa || put(sa, "address", rw->dns_ip) != 0 || put_port(sa, rw->dns_port) != 0) return -1;
  /* The lab's pods have no resolv.conf of their own: search nothing, resolve IPv4 (the pods' family). */
  struct ytree *opts = ytree_add(tc, "dns_resolver_options", YTREE_MAP, NULL);
  if (!opts || put(opts, "no_default_search_domain", "true") != 0) return -1;
  return put(cluster, "dns_lookup_family", "V4_ONLY");
}

/* The canary's edit: one lb_endpoint per Service with a weight > 0. */
static int set_weights(struct ytree *cluster, const struct envoycfg_rewrite *rw) {
  struct ytree *eps = ytree_get_mut(ytree_get_mut(cluster, "load_assignment"), "endpoints");
  if (!eps || !eps->child) return -1;
  struct ytree *lbs = ytree_get_mut(eps->child, "lb_endpoints");
  if (!lbs) return -1;
  ytree_clear(lbs);
  for (size_t i = 0; i < rw->n_weights; i++) {
    if (rw->weights[i].weight <= 0) continue;
    char w[16];
    snprintf(w, sizeof w, "%d", rw->weights[i].weight);
    struct ytree *e = ytree_add(lbs, NULL, YTREE_MAP, NULL);
    struct ytree *ep = e ? ytree_add(e, "endpoint", YTREE_MAP, NULL) : NULL;
    struct ytree *ad = ep ? ytree_add(ep, "address", YTREE_MAP, NULL) : NULL;
    struct ytree *sa = ad ? ytree_add(ad, "socket_address", YTREE_MAP, NULL) : NULL;
    if (!sa || put(e, "load_balancing_weight", w) != 0 || put(sa, "address", rw->weights[i].service) != 0 ||
        put_port(sa, rw->weights[i].port) != 0)
      return -1;
  }
  return 0;
}

static int rewrite_cluster(struct ytree *cl, const struct envoycfg_rewrite *rw, int first) {
  const char *type = ytree_str(cl, "type");
  int resolves = type && (strcmp(type, "STRICT_DNS") == 0 || strcmp(type, "LOGICAL_DNS") == 0);
  if (resolves && set_resolver(cl, rw) != 0) return -1;
  if (first && rw->weights && set_weights(cl, rw) != 0) return -1;
  struct ytree *eps = ytree_get_mut(ytree_get_mut(cl, "load_assignment"), "endpoints");
  for (struct ytree *loc = eps ? eps->child : NULL; loc; loc = loc->next) {
    struct ytree *lbs = ytree_get_mut(loc, "lb_endpoints");
    for (struct ytree *e = lbs ? lbs->child : NULL; e; e = e->next) {
      struct ytree *sa = socket_address(ytree_get_mut(e, "endpoint"));
      if (sa && map_host(sa, rw) != 0) return -1;
    }
  }
  return 0;
}

int envoycfg_apply(struct envoycfg *c, const struct envoycfg_rewrite *rw, char *err, size_t errlen) {
  struct ytree *b = c->bootstrap;
  struct ytree *admin = socket_address(ytree_get_mut(b, "admin"));
  if (!admin) return fail(err, errlen, "%s%s", "the Envoy config has no admin socket_address", "");
  if (put(admin, "address", rw->ip) != 0 || (rw->admin_port && put_port(admin, rw->admin_port) != 0))
    return fail(err, errlen, "%s%s", "out of memory", "");
  struct ytree *sr = ytree_get_mut(b, "static_resources");
  struct ytree *ls = ytree_get_mut(sr, "listeners");
  for (struct ytree *l = ls ? ls->child : NULL; l; l = l->next) {
    struct ytree *sa = socket_address(l);
    if (!sa || put(sa, "address", rw->ip) != 0)
      return fail(err, errlen, "listener %s: no socket_address%s", ytree_str(l, "name"), "");
  }
  struct ytree *cs = ytree_get_mut(sr, "clusters");
  int first = 1;
  for (struct ytree *cl = cs ? cs->child : NULL; cl; cl = cl->next, first = 0)
    if (rewrite_cluster(cl, rw, first) != 0)
      return fail(err, errlen, "cluster %s: cannot rewrite its endpoints%s", ytree_str(cl, "name"), "");
  if (rw->weights && (!cs || !cs->child)) return fail(err, errlen, "%s%s", "weights given but no cluster", "");
  return 0;
}

size_t envoycfg_args(const struct envoycfg *c, const char *pod, char store[][128], const char **argv, size_t max) {
  size_t n = 0;
  for (size_t i = 0; i < c->n_args && n < max; i++, n++) {
    const char *a = c->args[i];
    const char *v = strstr(a, "$(POD_NAME)");
    if (v)
      snprintf(store[n], 128, "%.*s%s%s", (int)(v - a), a, pod, v + strlen("$(POD_NAME)"));
    else
      snprintf(store[n], 128, "%s", a);
    argv[n] = store[n];
  }
  return n;
}

uint16_t envoycfg_admin_port(const struct envoycfg *c) {
  const char *p = ytree_str(socket_address(ytree_get_mut(c->bootstrap, "admin")), "port_value");
  long v = p ? strtol(p, NULL, 10) : 0;
  return v > 0 && v < 65536 ? (uint16_t)v : 0;
}

void envoycfg_free(struct envoycfg *c) {
  ytree_free(c->bootstrap);
  c->bootstrap = NULL;
}
