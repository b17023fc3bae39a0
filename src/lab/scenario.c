#include "scenario.h"

#include "metadata.h"

#include "file.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "parse.h"
#include "yval.h"
#include "ytree.h"

/* The loader's state: where errors go and which timing mode applies. */
struct loader {
  struct yval v; /* the document's path and where errors go (common/yval: "PATH:LINE: message") */
  int fast;
};

/* "PATH:LINE: message" at node `at` (common/yval), returning -1. */
#define fail(ld, at, ...) yval_fail(&(ld)->v, (at), __VA_ARGS__)

/* Every key of map `t` must be in the NULL-terminated `allowed`. */
static int only_keys(struct loader *ld, const struct ytree *t, const char *what, const char *const *allowed) {
  return yval_keys(&ld->v, t, what, allowed);
}

/* A scalar, or {default: X, fast: Y} resolved for the mode (fast falls back to default). */
static const struct ytree *resolve(struct loader *ld, const struct ytree *v, const char *key) {
  if (!v || v->kind == YTREE_SCALAR) return v;
  if (v->kind != YTREE_MAP) return NULL;
  static const char *const keys[] = {"default", "fast", NULL};
  if (only_keys(ld, v, key, keys) != 0) return NULL;
  const struct ytree *d = ytree_get(v, "default"), *f = ytree_get(v, "fast");
  if (!d || d->kind != YTREE_SCALAR) {
    fail(ld, v, "%s: a {default, fast} map needs a scalar default", key);
    return NULL;
  }
  if (f && f->kind != YTREE_SCALAR) {
    fail(ld, f, "%s: fast must be a scalar", key);
    return NULL;
  }
  return (ld->fast && f) ? f : d;
}

static int get_text(struct loader *ld, const struct ytree *map, const char *key, int required, char *out,
                    size_t outlen) {
  const struct ytree *v = ytree_get(map, key);
  if (!v) {
    if (required) return fail(ld, map, "missing \"%s\"", key);
    return 0;
  }
  if (v->kind != YTREE_SCALAR) return fail(ld, v, "\"%s\" must be a scalar", key);
  if (strlen(v->value) >= outlen) return fail(ld, v, "\"%s\" is too long (max %zu)", key, outlen - 1);
  snprintf(out, outlen, "%s", v->value);
  return 0;
}

/* Names become pod names, DNS labels and file names: [a-z0-9-], starting with a letter. */
static int get_name(struct loader *ld, const struct ytree *map, const char *key, int required, char *out) {
  if (get_text(ld, map, key, required, out, SC_NAME_MAX) != 0) return -1;
  if (!out[0]) return required ? fail(ld, map, "\"%s\" must not be empty", key) : 0;
  for (const char *p = out; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || (*p == '-' && p != out)))
      return fail(ld, ytree_get(map, key), "\"%s\" must be lower-case letters, digits and '-': %s", key, out);
  if (out[0] < 'a' || out[0] > 'z') return fail(ld, ytree_get(map, key), "\"%s\" must start with a letter", key);
  return 0;
}

#define SC_MAX_DURATION_MS (24LL * 3600 * 1000) /* no duration in a scenario is longer than a day */

static int get_duration(struct loader *ld, const struct ytree *map, const char *key, int required, int64_t *out) {
  const struct ytree *raw = ytree_get(map, key);
  if (!raw) return required ? fail(ld, map, "missing \"%s\"", key) : 0;
  const struct ytree *v = resolve(ld, raw, key);
  if (!v) return ld->v.err[0] ? -1 : fail(ld, raw, "\"%s\" must be a duration or {default, fast}", key);
  if (parse_duration_ms(v->value, out) != 0) return fail(ld, v, "\"%s\": invalid duration \"%s\"", key, v->value);
  if (*out > SC_MAX_DURATION_MS) return fail(ld, v, "\"%s\": %s is longer than 24h", key, v->value);
  return 0;
}

static int get_percent(struct loader *ld, const struct ytree *map, const char *key, int required, double *out) {
  const struct ytree *v = ytree_get(map, key);
  if (!v) return required ? fail(ld, map, "missing \"%s\"", key) : 0;
  if (v->kind != YTREE_SCALAR) return fail(ld, v, "\"%s\" must be a number", key);
  /* Decimal only: strtod would also take 0x21 (33), 1e1 and inf. */
  if (strspn(v->value, "0123456789.") != strlen(v->value))
    return fail(ld, v, "\"%s\" must be a percentage 0..100: \"%s\"", key, v->value);
  char *end;
  errno = 0;
  double d = strtod(v->value, &end);
  if (errno || end == v->value || *end || !(d >= 0 && d <= 100)) /* also refuses nan */
    return fail(ld, v, "\"%s\" must be a percentage 0..100: \"%s\"", key, v->value);
  *out = d;
  return 0;
}

static int get_int(struct loader *ld, const struct ytree *map, const char *key, uint64_t min, uint64_t max,
                   uint64_t *out) {
  return yval_uint(&ld->v, map, key, min, max, NULL, out);
}

/* What greeter-server and greeter-client accept in their environment (README), so that `lab check`
 * refuses a value the program would refuse at run time (issue 16: RESPONSE_DELAY: bogus passed the
 * check and failed as "cannot bring the cluster up"). The lab sets NAME, LISTEN_ADDRESS,
 * SERVER_ADDRESS, SUMMARY_INTERVAL and PRINT_REPLIES itself. */
enum env_type {
  ENV_DURATION,
  ENV_DURATION_POSITIVE,
  ENV_KEEPALIVE,
  ENV_COUNT,
  ENV_BOOL,
  ENV_LB,
  ENV_LEVEL,
  ENV_METADATA
};
struct env_rule {
  const char *name;
  enum env_type type;
  int client; /* 1: greeter-client, 0: greeter-server */
};
static const struct env_rule env_rules[] = {
    {"RESPONSE_DELAY", ENV_DURATION, 0},
    {"MAX_CONNECTION_AGE", ENV_DURATION_POSITIVE, 0},
    {"MAX_CONNECTION_AGE_GRACE", ENV_DURATION, 0},
    {"SHUTDOWN_GRACE", ENV_DURATION, 0},
    {"LOG_LEVEL", ENV_LEVEL, 0},
    {"CONCURRENCY", ENV_COUNT, 1},
    {"RPC_TIMEOUT", ENV_DURATION_POSITIVE, 1},
    {"LB_POLICY", ENV_LB, 1},
    {"DNS_MIN_RESOLUTION_INTERVAL", ENV_DURATION, 1},
    {"HEALTH_CHECK", ENV_BOOL, 1},
    {"WAIT_FOR_READY", ENV_BOOL, 1},
    {"KEEPALIVE_TIME", ENV_KEEPALIVE, 1},
    {"KEEPALIVE_TIMEOUT", ENV_DURATION_POSITIVE, 1},
    {"CHANNEL_PER_RPC", ENV_BOOL, 1},
    {"METADATA", ENV_METADATA, 1},
    {"LOG_LEVEL", ENV_LEVEL, 1},
};
#define ENV_MAX_MS SC_MAX_DURATION_MS

/* Checks one env entry for the given program; 0, or -1 with the error set. */
static int check_env(struct loader *ld, const struct ytree *at, int client, const char *key, const char *value) {
  const struct env_rule *r = NULL;
  for (size_t i = 0; i < sizeof env_rules / sizeof env_rules[0]; i++)
    if (env_rules[i].client == client && strcmp(env_rules[i].name, key) == 0) r = &env_rules[i];
  const char *prog = client ? "greeter-client" : "greeter-server";
  if (!r) return fail(ld, at, "env %s: not a setting of %s that a scenario may set", key, prog);
  int64_t ms;
  uint64_t u;
  switch (r->type) {
    case ENV_DURATION:
    case ENV_DURATION_POSITIVE:
      if (parse_duration_ms(value, &ms) != 0 || ms > ENV_MAX_MS || (r->type == ENV_DURATION_POSITIVE && ms <= 0))
        return fail(ld, at, "env %s: \"%s\" is not a %sduration of at most 24h for %s", key, value,
                    r->type == ENV_DURATION_POSITIVE ? "positive " : "", prog);
      break;
    case ENV_KEEPALIVE: /* 0 turns it off; otherwise at least 1s (the client's rule) */
      if (parse_duration_ms(value, &ms) != 0 || ms > ENV_MAX_MS || (ms != 0 && ms < 1000))
        return fail(ld, at, "env %s: \"%s\" must be 0 (off) or a duration of 1s to 24h", key, value);
      break;
    case ENV_COUNT:
      if (parse_uint(value, 1, 10000, &u) != 0)
        return fail(ld, at, "env %s: \"%s\" is not a number in 1..10000 for %s", key, value, prog);
      break;
    case ENV_BOOL:
      if (strcmp(value, "0") != 0 && strcmp(value, "1") != 0)
        return fail(ld, at, "env %s: \"%s\" must be 0 or 1 for %s", key, value, prog);
      break;
    case ENV_LB:
      if (strcmp(value, "round_robin") != 0 && strcmp(value, "pick_first") != 0)
        return fail(ld, at, "env %s: \"%s\" must be round_robin or pick_first", key, value);
      break;
    case ENV_METADATA: {
      struct metadata_entry md[METADATA_MAX];
      char why[256];
      if (metadata_parse(value, md, METADATA_MAX, why, sizeof why) < 0)
        return fail(ld, at, "env %s: \"%s\": %s", key, value, why);
      break;
    }
    case ENV_LEVEL:
      if (strcmp(value, "debug") != 0 && strcmp(value, "info") != 0 && strcmp(value, "warn") != 0 &&
          strcmp(value, "error") != 0)
        return fail(ld, at, "env %s: \"%s\" must be debug, info, warn or error", key, value);
      break;
  }
  return 0;
}

/* `client`: 1 for a client's env, 0 for a greeter-server Deployment's, -1 for one with no rules. */
static int get_env(struct loader *ld, const struct ytree *map, int client, struct sc_env *env, size_t *n) {
  const struct ytree *e = ytree_get(map, "env");
  if (!e) return 0;
  if (e->kind != YTREE_MAP) return fail(ld, e, "\"env\" must be a map of NAME: value");
  for (const struct ytree *c = e->child; c; c = c->next) {
    if (*n == SC_MAX_ENV) return fail(ld, c, "too many env entries (max %d)", SC_MAX_ENV);
    const struct ytree *v = resolve(ld, c, c->key);
    if (!v) return ld->v.err[0] ? -1 : fail(ld, c, "env %s must be a scalar or {default, fast}", c->key);
    if (strlen(c->key) >= sizeof env->key || strlen(v->value) >= sizeof env->value)
      return fail(ld, c, "env %s is too long", c->key);
    if (client >= 0 && check_env(ld, v, client, c->key, v->value) != 0) return -1;
    snprintf(env[*n].key, sizeof env->key, "%s", c->key);
    snprintf(env[*n].value, sizeof env->value, "%s", v->value);
    (*n)++;
  }
  return 0;
}

static const struct ytree *get_seq(struct loader *ld, const struct ytree *root, const char *key, int required) {
  const struct ytree *s = ytree_get(root, key);
  if (!s) {
    if (required) fail(ld, root, "missing \"%s\"", key);
    return NULL;
  }
  if (s->kind != YTREE_SEQ || !s->child) {
    fail(ld, s, "\"%s\" must be a non-empty list", key);
    return NULL;
  }
  return s;
}

/* upstreams: [{service: NAME, weight: W}] (services are checked once all are loaded). */
static int get_upstreams(struct loader *ld, const struct ytree *map, const char *key, struct sc_proxy *p) {
  const struct ytree *seq = ytree_get(map, key);
  p->n_upstreams = 0;
  if (!seq || seq->kind != YTREE_SEQ || !seq->child)
    return fail(ld, seq ? seq : map, "\"%s\" must be a non-empty list", key);
  static const char *const keys[] = {"service", "weight", NULL};
  for (const struct ytree *u = seq->child; u; u = u->next) {
    if (p->n_upstreams == SC_MAX_UPSTREAMS) return fail(ld, u, "too many upstreams (max %d)", SC_MAX_UPSTREAMS);
    struct sc_upstream *up = &p->upstreams[p->n_upstreams];
    uint64_t w = 100;
    if (only_keys(ld, u, "an upstream", keys) != 0 || get_name(ld, u, "service", 1, up->service) != 0) return -1;
    if (ytree_get(u, "weight") && get_int(ld, u, "weight", 0, 256, &w) != 0) return -1;
    up->weight = (int)w;
    p->n_upstreams++;
  }
  return 0;
}

/* An Envoy's manifest (config: DIR/FILE.yaml under deploy/, no "..") and optional weights. */
static int get_envoy(struct loader *ld, const struct ytree *map, struct sc_proxy *p) {
  if (get_text(ld, map, "config", 1, p->config, sizeof p->config) != 0) return -1;
  size_t n = strlen(p->config);
  if (p->config[0] == '/' || strstr(p->config, "..") || n < 6 || strcmp(p->config + n - 5, ".yaml") != 0)
    return fail(ld, ytree_get(map, "config"), "config \"%s\" must name a manifest under deploy/, as SCENARIO/FILE.yaml",
                p->config);
  return ytree_get(map, "upstreams") ? get_upstreams(ld, map, "upstreams", p) : 0;
}

static int check_upstreams(struct loader *ld, const struct ytree *at, const struct scenario *sc,
                           const struct sc_proxy *p) {
  for (size_t i = 0; i < p->n_upstreams; i++)
    if (!scenario_service(sc, p->upstreams[i].service))
      return fail(ld, at, "upstream: no service named \"%s\"", p->upstreams[i].service);
  return 0;
}

static int load_deployments(struct loader *ld, const struct ytree *root, struct scenario *sc) {
  const struct ytree *seq = get_seq(ld, root, "deployments", 1);
  if (!seq) return -1;
  static const char *const keys[] = {"name", "image", "replicas", "env", "port", "config", "upstreams", NULL};
  for (const struct ytree *c = seq->child; c; c = c->next) {
    if (sc->n_deployments == SC_MAX_DEPLOYMENTS) return fail(ld, c, "too many deployments");
    struct sc_deployment *d = &sc->deployments[sc->n_deployments];
    uint64_t n, port = 8080;
    char image[64] = "greeter-server";
    if (only_keys(ld, c, "a deployment", keys) != 0 || get_name(ld, c, "name", 1, d->name) != 0 ||
        get_text(ld, c, "image", 0, image, sizeof image) != 0 || get_int(ld, c, "replicas", 0, 50, &n) != 0 ||
        get_env(ld, c, 0, d->env, &d->n_env) != 0)
      return -1;
    if (strcmp(image, "greeter-server") == 0) {
      d->image = SC_IMAGE_GREETER_SERVER;
      if (ytree_get(c, "upstreams") || ytree_get(c, "port") || ytree_get(c, "config"))
        return fail(ld, c, "config, upstreams and port are for image: envoy");
    } else if (strcmp(image, "envoy") == 0) {
      d->image = SC_IMAGE_ENVOY;
      if (get_envoy(ld, c, &d->proxy) != 0) return -1;
      if (ytree_get(c, "port") && get_int(ld, c, "port", 1, 65535, &port) != 0) return -1;
    } else {
      return fail(ld, ytree_get(c, "image"), "unknown image \"%s\" (greeter-server|envoy)", image);
    }
    d->port = (uint16_t)port;
    d->replicas = (int)n;
    if (scenario_deployment(sc, d->name)) return fail(ld, c, "deployment \"%s\" defined twice", d->name);
    sc->n_deployments++;
  }
  return 0;
}

static int load_services(struct loader *ld, const struct ytree *root, struct scenario *sc) {
  const struct ytree *seq = get_seq(ld, root, "services", 1);
  if (!seq) return -1;
  static const char *const keys[] = {"name", "type", "port", "selector", NULL};
  for (const struct ytree *c = seq->child; c; c = c->next) {
    if (sc->n_services == SC_MAX_SERVICES) return fail(ld, c, "too many services");
    struct sc_service *s = &sc->services[sc->n_services];
    char type[32];
    uint64_t port;
    if (only_keys(ld, c, "a service", keys) != 0 || get_name(ld, c, "name", 1, s->name) != 0 ||
        get_text(ld, c, "type", 1, type, sizeof type) != 0 || get_int(ld, c, "port", 1, 65535, &port) != 0 ||
        get_name(ld, c, "selector", 1, s->deployment) != 0)
      return -1;
    if (strcmp(type, "headless") == 0)
      s->type = SC_SERVICE_HEADLESS;
    else if (strcmp(type, "clusterip") == 0)
      s->type = SC_SERVICE_CLUSTERIP;
    else
      return fail(ld, ytree_get(c, "type"), "unknown service type \"%s\" (headless|clusterip)", type);
    s->port = (uint16_t)port;
    if (!scenario_deployment(sc, s->deployment))
      return fail(ld, ytree_get(c, "selector"), "no deployment named \"%s\"", s->deployment);
    if (scenario_service(sc, s->name)) return fail(ld, c, "service \"%s\" defined twice", s->name);
    sc->n_services++;
  }
  return 0;
}

static int load_clients(struct loader *ld, const struct ytree *root, struct scenario *sc) {
  const struct ytree *seq = get_seq(ld, root, "clients", 1);
  if (!seq) return -1;
  static const char *const keys[] = {"name", "service", "sidecar", "xds", "env", NULL};
  static const char *const sidecar_keys[] = {"config", "upstreams", NULL};
  for (const struct ytree *c = seq->child; c; c = c->next) {
    if (sc->n_clients == SC_MAX_CLIENTS) return fail(ld, c, "too many clients");
    struct sc_client *cl = &sc->clients[sc->n_clients];
    const struct ytree *sidecar = ytree_get(c, "sidecar");
    const struct ytree *xds = ytree_get(c, "xds");
    if (only_keys(ld, c, "a client", keys) != 0 || get_name(ld, c, "name", 1, cl->name) != 0 ||
        get_name(ld, c, "service", !sidecar && !xds, cl->service) != 0 || get_name(ld, c, "xds", 0, cl->xds) != 0 ||
        get_env(ld, c, 1, cl->env, &cl->n_env) != 0)
      return -1;
    if (xds) {
      if (sidecar || cl->service[0])
        return fail(ld, c,
                    "a proxyless (xds) client has no service and no sidecar (an Envoy sidecar's bootstrap names the "
                    "control plane)");
      if (sc->n_xds_configs == 0) return fail(ld, xds, "an xds client needs xds_configs");
    } else if (sidecar) {
      if (cl->service[0]) return fail(ld, c, "a client with a sidecar dials the sidecar: no \"service\"");
      if (only_keys(ld, sidecar, "sidecar", sidecar_keys) != 0 || get_envoy(ld, sidecar, &cl->sidecar) != 0 ||
          check_upstreams(ld, sidecar, sc, &cl->sidecar) != 0)
        return -1;
      cl->has_sidecar = 1;
    } else if (!scenario_service(sc, cl->service)) {
      return fail(ld, ytree_get(c, "service"), "no service named \"%s\"", cl->service);
    }
    if (scenario_client(sc, cl->name)) return fail(ld, c, "client \"%s\" defined twice", cl->name);
    sc->n_clients++;
  }
  return 0;
}

/* A step's actions: each reads its key `v` of step `c` into `st` (target, replicas, weights). */
static int step_scale(struct loader *ld, const struct ytree *c, const struct ytree *v, const struct scenario *sc,
                      struct sc_step *st) {
  (void)c;
  static const char *const keys[] = {"deployment", "replicas", NULL};
  uint64_t n;
  if (only_keys(ld, v, "scale", keys) != 0 || get_name(ld, v, "deployment", 1, st->target) != 0 ||
      get_int(ld, v, "replicas", 0, 50, &n) != 0)
    return -1;
  if (!scenario_deployment(sc, st->target)) return fail(ld, v, "no deployment named \"%s\"", st->target);
  st->replicas = (int)n;
  return 0;
}

static int step_restart(struct loader *ld, const struct ytree *c, const struct ytree *v, const struct scenario *sc,
                        struct sc_step *st) {
  if (get_name(ld, c, "restart", 1, st->target) != 0) return -1;
  return scenario_client(sc, st->target) ? 0 : fail(ld, v, "no client named \"%s\"", st->target);
}

static int step_kill(struct loader *ld, const struct ytree *c, const struct ytree *v, const struct scenario *sc,
                     struct sc_step *st) {
  if (get_name(ld, c, "kill", 1, st->target) != 0) return -1;
  return scenario_deployment(sc, st->target) ? 0 : fail(ld, v, "no deployment named \"%s\"", st->target);
}

static int step_xds_config(struct loader *ld, const struct ytree *c, const struct ytree *v, const struct scenario *sc,
                           struct sc_step *st) {
  if (get_name(ld, c, "xds_config", 1, st->target) != 0) return -1;
  for (size_t i = 0; i < sc->n_xds_configs; i++)
    if (strcmp(sc->xds_configs[i].name, st->target) == 0) return 0;
  return fail(ld, v, "no xds config named \"%s\"", st->target);
}

static int step_set_weights(struct loader *ld, const struct ytree *c, const struct ytree *v, const struct scenario *sc,
                            struct sc_step *st) {
  (void)c;
  static const char *const keys[] = {"client", "upstreams", NULL};
  struct sc_proxy w;
  memset(&w, 0, sizeof w);
  if (ytree_get(v, "live"))
    return fail(ld, ytree_get(v, "live"),
                "set_weights is the seed's edit of a static Envoy config and a client restart; live changes "
                "go through the control plane (xds_config)");
  if (only_keys(ld, v, "set_weights", keys) != 0 || get_name(ld, v, "client", 1, st->target) != 0 ||
      get_upstreams(ld, v, "upstreams", &w) != 0)
    return -1;
  const struct sc_client *cl = scenario_client(sc, st->target);
  if (!cl || !cl->has_sidecar) return fail(ld, v, "set_weights: \"%s\" is not a client with a sidecar", st->target);
  for (size_t i = 0; i < w.n_upstreams; i++) {
    int known = 0;
    for (size_t j = 0; j < cl->sidecar.n_upstreams; j++)
      known |= strcmp(cl->sidecar.upstreams[j].service, w.upstreams[i].service) == 0;
    if (!known) return fail(ld, v, "set_weights: \"%s\" is not an upstream of the sidecar", w.upstreams[i].service);
  }
  memcpy(st->weights, w.upstreams, sizeof st->weights);
  st->n_weights = w.n_upstreams;
  return 0;
}

static const struct {
  const char *key;
  enum sc_action action;
  int (*load)(struct loader *, const struct ytree *, const struct ytree *, const struct scenario *, struct sc_step *);
} step_actions[] = {
    {"scale", SC_ACTION_SCALE, step_scale},
    {"restart", SC_ACTION_RESTART, step_restart},
    {"set_weights", SC_ACTION_WEIGHTS, step_set_weights},
    {"xds_config", SC_ACTION_XDS_CONFIG, step_xds_config},
    {"kill", SC_ACTION_KILL, step_kill},
};

static int load_timeline(struct loader *ld, const struct ytree *root, struct scenario *sc) {
  const struct ytree *seq = get_seq(ld, root, "timeline", 1);
  if (!seq) return -1;
  static const char *const keys[] = {"phase",       "duration",   "scale", "restart",
                                     "set_weights", "xds_config", "kill",  NULL};
  for (const struct ytree *c = seq->child; c; c = c->next) {
    if (sc->n_steps == SC_MAX_STEPS) return fail(ld, c, "too many timeline steps");
    struct sc_step *st = &sc->steps[sc->n_steps];
    st->line = c->line;
    if (only_keys(ld, c, "a timeline step", keys) != 0 || get_name(ld, c, "phase", 1, st->phase) != 0 ||
        get_duration(ld, c, "duration", 1, &st->duration_ms) != 0)
      return -1;
    if (st->duration_ms <= 0) return fail(ld, ytree_get(c, "duration"), "duration must be > 0");
    for (size_t i = 0; i < sizeof step_actions / sizeof step_actions[0]; i++) {
      const struct ytree *v = ytree_get(c, step_actions[i].key);
      if (!v) continue;
      if (st->action != SC_ACTION_NONE)
        return fail(ld, c, "a step has at most one action (scale, restart, set_weights, xds_config or kill)");
      if (step_actions[i].load(ld, c, v, sc, st) != 0) return -1;
      st->action = step_actions[i].action;
    }
    if (scenario_phase_index(sc, st->phase) >= 0) return fail(ld, c, "phase \"%s\" defined twice", st->phase);
    sc->n_steps++;
  }
  if (sc->steps[0].action != SC_ACTION_NONE) return fail(ld, seq->child, "the first step cannot have an action");
  return 0;
}

/* Each check's parameters, read from its expectation `c` (phase index `idx`). */
typedef int (*check_loader)(struct loader *ld, const struct ytree *c, const struct scenario *sc, int idx,
                            struct sc_expect *e);

static int load_top_share(struct loader *ld, const struct ytree *c, const struct scenario *sc, int idx,
                          struct sc_expect *e) {
  (void)sc, (void)idx;
  return get_percent(ld, c, "min", 1, &e->min);
}

static int load_target(struct loader *ld, const struct ytree *c, const struct scenario *sc, int idx,
                       struct sc_expect *e) {
  (void)sc, (void)idx;
  return get_percent(ld, c, "target", 1, &e->target) != 0 || get_percent(ld, c, "tolerance", 1, &e->tolerance) != 0 ? -1
                                                                                                                    : 0;
}

static int load_nothing(struct loader *ld, const struct ytree *c, const struct scenario *sc, int idx,
                        struct sc_expect *e) {
  (void)ld, (void)c, (void)sc, (void)idx, (void)e;
  return 0;
}

static int load_within(struct loader *ld, const struct ytree *c, const struct scenario *sc, int idx,
                       struct sc_expect *e) {
  (void)sc, (void)idx;
  return get_duration(ld, c, "within", 1, &e->within_ms);
}

static int load_even(struct loader *ld, const struct ytree *c, const struct scenario *sc, int idx,
                     struct sc_expect *e) {
  if (load_target(ld, c, sc, idx, e) != 0 || get_duration(ld, c, "window", 1, &e->window_ms) != 0 ||
      get_duration(ld, c, "within", 0, &e->within_ms) != 0)
    return -1;
  if (e->window_ms < 1000) return fail(ld, ytree_get(c, "window"), "window must be at least 1s");
  if (e->window_ms > sc->steps[idx].duration_ms)
    return fail(ld, ytree_get(c, "window"), "window is longer than phase \"%s\"", e->phase);
  return 0;
}

static int load_group_share(struct loader *ld, const struct ytree *c, const struct scenario *sc, int idx,
                            struct sc_expect *e) {
  uint64_t m = 0;
  if (load_target(ld, c, sc, idx, e) != 0 || get_duration(ld, c, "settle", 0, &e->settle_ms) != 0) return -1;
  if (ytree_get(c, "min_rpcs") && get_int(ld, c, "min_rpcs", 0, UINT64_MAX, &m) != 0) return -1;
  e->min_rpcs = m;
  if (get_duration(ld, c, "within", 0, &e->within_ms) != 0) return -1;
  if (e->settle_ms >= sc->steps[idx].duration_ms)
    return fail(ld, ytree_get(c, "settle"), "settle is not shorter than phase \"%s\"", e->phase);
  return 0;
}

static int load_client_share(struct loader *ld, const struct ytree *c, const struct scenario *sc, int idx,
                             struct sc_expect *e) {
  if (load_group_share(ld, c, sc, idx, e) != 0 || get_name(ld, c, "client", 1, e->client) != 0) return -1;
  if (!scenario_client(sc, e->client)) return fail(ld, ytree_get(c, "client"), "no client named \"%s\"", e->client);
  return 0;
}

/* failover times the takeover from the phase's action, so the phase must have one. */
static int load_failover(struct loader *ld, const struct ytree *c, const struct scenario *sc, int idx,
                         struct sc_expect *e) {
  if (sc->steps[idx].action == SC_ACTION_NONE)
    return fail(ld, ytree_get(c, "phase"), "failover needs a phase whose step has an action (kill, scale, ...)");
  return load_within(ld, c, sc, idx, e);
}

/* The checks an expectation can name, in enum sc_check order; judge.c has their verdicts. */
static const struct {
  const char *name;
  check_loader load;
} checks[SC_CHECK_COUNT] = {
    [SC_CHECK_TOP_SHARE] = {"top_share", load_top_share},
    [SC_CHECK_SHARE_EACH] = {"share_each", load_target},
    [SC_CHECK_NO_RPC] = {"no_rpc", load_nothing},
    [SC_CHECK_FIRST_RPC] = {"first_rpc", load_within},
    [SC_CHECK_EVEN] = {"even", load_even},
    [SC_CHECK_STOPS] = {"stops", load_within},
    [SC_CHECK_GROUP_SHARE] = {"group_share", load_group_share},
    [SC_CHECK_CLIENT_SHARE] = {"client_share", load_client_share},
    [SC_CHECK_FAILOVER] = {"failover", load_failover},
};

const char *scenario_check_name(enum sc_check c) { return c < SC_CHECK_COUNT ? checks[c].name : "?"; }

static int unknown_check(struct loader *ld, const struct ytree *at, const char *check) {
  char names[256] = "";
  for (int i = 0; i < SC_CHECK_COUNT; i++)
    snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", i ? "|" : "", checks[i].name);
  return fail(ld, at, "unknown check \"%s\" (%s)", check, names);
}

static int get_select(struct loader *ld, const struct ytree *c, struct sc_expect *e) {
  char select[16] = "all";
  if (get_text(ld, c, "select", 0, select, sizeof select) != 0) return -1;
  if (strcmp(select, "all") == 0)
    e->select = SC_SELECT_ALL;
  else if (strcmp(select, "new") == 0)
    e->select = SC_SELECT_NEW;
  else if (strcmp(select, "gone") == 0)
    e->select = SC_SELECT_GONE;
  else
    return fail(ld, ytree_get(c, "select"), "select must be all, new or gone: \"%s\"", select);
  return 0;
}

/* The phase a `select` names must make that selection possible. */
static int check_select(struct loader *ld, const struct ytree *c, const struct scenario *sc, int idx,
                        const struct sc_expect *e) {
  const struct sc_step *st = &sc->steps[idx];
  if (e->select == SC_SELECT_NEW && (st->action != SC_ACTION_SCALE || strcmp(st->target, e->deployment) != 0))
    return fail(ld, ytree_get(c, "select"), "select: new needs a phase that scales deployment \"%s\"", e->deployment);
  if (e->select == SC_SELECT_GONE &&
      ((st->action != SC_ACTION_SCALE && st->action != SC_ACTION_KILL) || strcmp(st->target, e->deployment) != 0))
    return fail(ld, ytree_get(c, "select"), "select: gone needs a phase that kills or scales deployment \"%s\"",
                e->deployment);
  return 0;
}

static int load_expects(struct loader *ld, const struct ytree *root, struct scenario *sc) {
  const struct ytree *seq = get_seq(ld, root, "expect", 1);
  if (!seq) return -1;
  static const char *const keys[] = {"check",     "phase",  "deployment", "select", "claim",    "min",    "target",
                                     "tolerance", "within", "window",     "settle", "min_rpcs", "client", NULL};
  for (const struct ytree *c = seq->child; c; c = c->next) {
    if (sc->n_expects == SC_MAX_EXPECTS) return fail(ld, c, "too many expectations");
    struct sc_expect *e = &sc->expects[sc->n_expects];
    char check[32];
    e->line = c->line;
    e->within_ms = -1;
    if (only_keys(ld, c, "an expectation", keys) != 0 || get_text(ld, c, "check", 1, check, sizeof check) != 0 ||
        get_name(ld, c, "phase", 1, e->phase) != 0 || get_name(ld, c, "deployment", 0, e->deployment) != 0 ||
        get_select(ld, c, e) != 0 || get_text(ld, c, "claim", 1, e->claim, sizeof e->claim) != 0)
      return -1;
    int k = -1;
    for (int i = 0; i < SC_CHECK_COUNT; i++)
      if (strcmp(check, checks[i].name) == 0) k = i;
    if (k < 0) return unknown_check(ld, ytree_get(c, "check"), check);
    e->check = (enum sc_check)k;
    if (!e->deployment[0]) snprintf(e->deployment, sizeof e->deployment, "%s", sc->deployments[0].name);
    if (!scenario_deployment(sc, e->deployment))
      return fail(ld, ytree_get(c, "deployment"), "no deployment named \"%s\"", e->deployment);
    int idx = scenario_phase_index(sc, e->phase);
    if (idx < 0) return fail(ld, ytree_get(c, "phase"), "no phase named \"%s\"", e->phase);
    if (check_select(ld, c, sc, idx, e) != 0 || checks[k].load(ld, c, sc, idx, e) != 0) return -1;
    sc->n_expects++;
  }
  return 0;
}

static int load_xds_configs(struct loader *ld, const struct ytree *root, struct scenario *sc) {
  const struct ytree *m = ytree_get(root, "xds_configs");
  if (!m) return 0;
  if (m->kind != YTREE_MAP || !m->child) return fail(ld, m, "\"xds_configs\" must be a map of NAME: config text");
  for (const struct ytree *c = m->child; c; c = c->next) {
    if (sc->n_xds_configs == SC_MAX_XDS_CONFIGS)
      return fail(ld, c, "too many xds configs (max %d)", SC_MAX_XDS_CONFIGS);
    if (c->kind != YTREE_SCALAR) return fail(ld, c, "xds config %s must be the config file's text (use |)", c->key);
    if (strlen(c->key) >= SC_NAME_MAX || strlen(c->value) >= SC_XDS_CONFIG_MAX)
      return fail(ld, c, "xds config %s: name or text too long", c->key);
    /* xdsd's own validator: a config it would refuse fails the check, with its line inside the text. */
    struct config *xc;
    char xerr[512];
    if (config_parse(c->key, c->value, strlen(c->value), &xc, xerr, sizeof xerr) != 0)
      return fail(ld, c, "xds config %s is not one xdsd accepts: %s", c->key, xerr);
    config_free(xc);
    snprintf(sc->xds_configs[sc->n_xds_configs].name, SC_NAME_MAX, "%s", c->key);
    snprintf(sc->xds_configs[sc->n_xds_configs].text, SC_XDS_CONFIG_MAX, "%s", c->value);
    sc->n_xds_configs++;
  }
  return 0;
}

static int check_proxies(struct loader *ld, const struct ytree *root, const struct scenario *sc) {
  for (size_t i = 0; i < sc->n_deployments; i++)
    if (sc->deployments[i].image == SC_IMAGE_ENVOY &&
        check_upstreams(ld, ytree_get(root, "deployments"), sc, &sc->deployments[i].proxy) != 0)
      return -1;
  return 0;
}

static int get_order(struct loader *ld, const struct ytree *root, struct scenario *sc) {
  uint64_t n = 100;
  if (ytree_get(root, "order") && get_int(ld, root, "order", 0, 1000, &n) != 0) return -1;
  sc->order = (int)n;
  return 0;
}

int scenario_parse(const char *buf, size_t len, const char *origin, int fast, struct scenario *sc, char *err,
                   size_t errlen) {
  struct loader ld = {.v = {.path = origin, .err = err, .errlen = errlen}, .fast = fast};
  err[0] = '\0';
  memset(sc, 0, sizeof *sc);
  sc->fast = fast;
  struct ytree *root = ytree_parse_named(origin, buf, len, err, errlen);
  if (!root) return -1;
  static const char *const keys[] = {"name",     "order",       "title",   "demo_claim", "explain", "deployments",
                                     "services", "xds_configs", "clients", "timeline",   "expect",  NULL};
  int rc = -1;
  if (only_keys(&ld, root, "the scenario", keys) != 0 || get_name(&ld, root, "name", 1, sc->name) != 0 ||
      get_text(&ld, root, "title", 1, sc->title, sizeof sc->title) != 0 ||
      get_text(&ld, root, "demo_claim", 1, sc->demo_claim, sizeof sc->demo_claim) != 0 ||
      get_text(&ld, root, "explain", 0, sc->explain, sizeof sc->explain) != 0 || get_order(&ld, root, sc) != 0 ||
      load_deployments(&ld, root, sc) != 0 || load_services(&ld, root, sc) != 0 || check_proxies(&ld, root, sc) != 0 ||
      load_xds_configs(&ld, root, sc) != 0 || load_clients(&ld, root, sc) != 0 || load_timeline(&ld, root, sc) != 0 ||
      load_expects(&ld, root, sc) != 0)
    goto out;
  rc = 0;
out:
  ytree_free(root);
  return rc;
}

int scenario_load(const char *path, int fast, struct scenario *sc, char *err, size_t errlen) {
  char *buf;
  size_t len;
  if (file_read_text(path, FILE_TEXT_MAX, &buf, &len, err, errlen) != 0) return -1;
  int rc = scenario_parse(buf, len, path, fast, sc, err, errlen);
  free(buf);
  return rc;
}

const struct sc_deployment *scenario_deployment(const struct scenario *sc, const char *name) {
  for (size_t i = 0; i < sc->n_deployments; i++)
    if (strcmp(sc->deployments[i].name, name) == 0) return &sc->deployments[i];
  return NULL;
}

const struct sc_service *scenario_service(const struct scenario *sc, const char *name) {
  for (size_t i = 0; i < sc->n_services; i++)
    if (strcmp(sc->services[i].name, name) == 0) return &sc->services[i];
  return NULL;
}

const struct sc_client *scenario_client(const struct scenario *sc, const char *name) {
  for (size_t i = 0; i < sc->n_clients; i++)
    if (strcmp(sc->clients[i].name, name) == 0) return &sc->clients[i];
  return NULL;
}

int scenario_phase_index(const struct scenario *sc, const char *phase) {
  for (size_t i = 0; i < sc->n_steps; i++)
    if (strcmp(sc->steps[i].phase, phase) == 0) return (int)i;
  return -1;
}

int64_t scenario_duration_ms(const struct scenario *sc) {
  int64_t total = 0;
  for (size_t i = 0; i < sc->n_steps; i++) total += sc->steps[i].duration_ms;
  return total;
}

const char *scenario_action_name(enum sc_action a) {
  static const char *const names[] = {"", "scale", "restart", "set_weights", "xds_config", "kill"};
  return (unsigned)a < sizeof names / sizeof names[0] ? names[a] : "?";
}
