#include "compare.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "verdict.h"

static const char *env_of(const struct sc_deployment *d, const char *key) {
  for (size_t i = 0; i < d->n_env; i++)
    if (strcmp(d->env[i].key, key) == 0) return d->env[i].value;
  return "";
}

/* The first greeter-server deployment: the servers the clients' RPCs end at. */
static const struct sc_deployment *servers_of(const struct scenario *sc) {
  for (size_t i = 0; i < sc->n_deployments; i++)
    if (sc->deployments[i].image == SC_IMAGE_GREETER_SERVER) return &sc->deployments[i];
  return NULL;
}

static void balanced(const struct run *r, struct compare_row *row) {
  size_t from, to;
  judge_phase_seconds(&r->timing, &r->samples, r->sc->n_steps, 0, &from, &to);
  struct verdict_grid g = sample_grid(&r->samples);
  double hi = 0, lo = 100;
  size_t pods = 0;
  const struct sc_deployment *d = servers_of(r->sc);
  for (size_t i = 0; i < r->cluster.n_pods; i++) {
    const struct pod *p = &r->cluster.pods[i];
    int col = sample_server(&r->samples, p->name);
    if (p->is_proxy || p->born_step != 0 || col < 0 || &r->sc->deployments[p->deployment] != d) continue;
    double s = verdict_share(&g, (size_t)col, from, to);
    hi = s > hi ? s : hi;
    lo = s < lo ? s : lo;
    pods++;
  }
  if (pods) snprintf(row->balanced, sizeof row->balanced, "%.1f%% / %.1f%% (%zu %s pods)", hi, lo, pods, d->name);
}

/* How long the pods a scale step added took to get their first RPC (servers: from their logs, else the
 * 1 s samples; proxies: their request counters' samples), as "yes, after S s" or "no (none in T s)". */
static int scale_discovery(const struct run *r, size_t k, char *out, size_t len) {
  const struct sc_deployment *d = scenario_deployment(r->sc, r->sc->steps[k].target);
  const struct sample_set *set = d && d->image == SC_IMAGE_ENVOY ? &r->proxy_samples : &r->samples;
  double worst = 0;
  int never = 0, n = 0;
  for (size_t i = 0; i < r->cluster.n_pods; i++) {
    const struct pod *p = &r->cluster.pods[i];
    if (p->born_step != (int)k) continue;
    int col = sample_server(set, p->name);
    n++;
    int64_t first = p->first_rx_ms >= 0 ? p->first_rx_ms : col >= 0 ? set->first_ms[col] : -1;
    if (first < 0) {
      never = 1;
      continue;
    }
    double secs = (double)(first - r->timing.step_start_ms[k]) / 1000.0;
    worst = secs > worst ? secs : worst;
  }
  if (!n) return -1;
  int64_t end = k + 1 < r->sc->n_steps ? r->timing.step_start_ms[k + 1] : r->timing.end_ms;
  if (never)
    snprintf(out, len, "no (none in %.0f s)", (double)(end - r->timing.step_start_ms[k]) / 1000.0);
  else
    snprintf(out, len, "yes, after %.2f s", worst);
  return 0;
}

/* New replicas: the first scale of the servers, and of the proxies when the scenario scales them. */
static void discovery(const struct run *r, struct compare_row *row) {
  char servers[48] = "", proxies[48] = "";
  for (size_t k = 1; k < r->sc->n_steps; k++) {
    const struct sc_step *st = &r->sc->steps[k];
    const struct sc_deployment *d = scenario_deployment(r->sc, st->target);
    if (st->action != SC_ACTION_SCALE || !d) continue;
    char *slot = d->image == SC_IMAGE_ENVOY ? proxies : servers;
    if (!slot[0]) scale_discovery(r, k, slot, sizeof servers);
  }
  if (servers[0] && proxies[0])
    snprintf(row->discovery, sizeof row->discovery, "servers: %s; proxies: %s", servers, proxies);
  else if (servers[0] || proxies[0])
    snprintf(row->discovery, sizeof row->discovery, "%s%s", proxies[0] ? "proxies: " : "",
             servers[0] ? servers : proxies);
}

/* Weighted splits: the share checks of a scenario that sets weights (a restart with new weights or an
 * xDS push). Shares measured around a kill (zonefailover's failover) are not weightings. */
static void weights(const struct run *r, struct compare_row *row) {
  double worst = -1;
  int phases = 0, per_client = 0, weighted = 0;
  for (size_t k = 0; k < r->sc->n_steps; k++)
    weighted |= r->sc->steps[k].action == SC_ACTION_WEIGHTS || r->sc->steps[k].action == SC_ACTION_XDS_CONFIG;
  for (size_t i = 0; weighted && i < r->sc->n_expects; i++) {
    const struct sc_expect *e = &r->sc->expects[i];
    if (e->check != SC_CHECK_GROUP_SHARE && e->check != SC_CHECK_CLIENT_SHARE) continue;
    double d = fabs(r->results[i].value - e->target);
    worst = d > worst ? d : worst;
    phases++;
    per_client += e->check == SC_CHECK_CLIENT_SHARE;
  }
  if (phases)
    snprintf(row->weights, sizeof row->weights, "yes: %d weightings%s, worst %.1f points off", phases,
             per_client ? " (per client: header routes)" : "", worst);
  else
    snprintf(row->weights, sizeof row->weights, "not exercised");
}

static void restart(const struct run *r, struct compare_row *row) {
  int restarts = 0, xds = 0;
  for (size_t k = 1; k < r->sc->n_steps; k++) {
    const struct sc_step *st = &r->sc->steps[k];
    restarts += st->action == SC_ACTION_RESTART || st->action == SC_ACTION_WEIGHTS;
    xds += st->action == SC_ACTION_XDS_CONFIG;
  }
  if (restarts)
    snprintf(row->restart, sizeof row->restart, "yes (client restarted)");
  else if (xds)
    snprintf(row->restart, sizeof row->restart, "no (xDS push)");
  else
    snprintf(row->restart, sizeof row->restart, "-");
}

static void hops(const struct run *r, struct compare_row *row) {
  const struct sc_client *cl = &r->sc->clients[0];
  const struct sc_service *svc = cl->service[0] ? scenario_service(r->sc, cl->service) : NULL;
  const struct sc_deployment *d = svc ? scenario_deployment(r->sc, svc->deployment) : NULL;
  int per_node = 0;
  for (size_t i = 0; d && i < r->cluster.n_pods; i++)
    per_node |= &r->sc->deployments[r->cluster.pods[i].deployment] == d && r->cluster.pods[i].envoy.per_node;
  if (cl->has_sidecar)
    snprintf(row->hops, sizeof row->hops, "1 (sidecar, in the client pod: no node hop)");
  else if (per_node)
    snprintf(row->hops, sizeof row->hops, "1 (the node's own proxy, a DaemonSet: no node hop to it)");
  else if (d && d->image == SC_IMAGE_ENVOY)
    snprintf(row->hops, sizeof row->hops, "1 (shared proxy: up to 2 node hops)");
  else if (svc && svc->type == SC_SERVICE_CLUSTERIP)
    snprintf(row->hops, sizeof row->hops, "%s",
             strstr(r->clusterip_desc, "iptables") ? "0 (kernel DNAT)" : "1 (L4 HAProxy as kube-proxy)");
  else
    snprintf(row->hops, sizeof row->hops, "0");
  int sidecars = 0, xds = cl->xds[0] != 0;
  for (size_t i = 0; i < r->sc->n_clients; i++) sidecars += r->sc->clients[i].has_sidecar;
  snprintf(row->processes, sizeof row->processes, "%s",
           sidecars                          ? "2 (client + sidecar)"
           : xds                             ? "1 (+ shared xdsd)"
           : per_node                        ? "1 (+ the node's proxy)"
           : d && d->image == SC_IMAGE_ENVOY ? "1 (+ shared proxies)"
                                             : "1");
}

static void latency(const struct run *r, const struct run *headless, struct compare_row *row) {
  uint64_t ok, failed;
  double p50, p99;
  judge_phase_latency(&r->timing, &r->samples, r->sc->n_steps, 0, &ok, &failed, &p50, &p99);
  if (p50 < 0) return;
  int n = snprintf(row->latency, sizeof row->latency, "%.1f / %.1f ms", p50, p99);
  const struct sc_deployment *a = servers_of(r->sc), *b = headless ? servers_of(headless->sc) : NULL;
  if (!headless || headless == r || !a || !b || strcmp(env_of(a, "RESPONSE_DELAY"), env_of(b, "RESPONSE_DELAY")) != 0)
    return;
  double h50, h99;
  judge_phase_latency(&headless->timing, &headless->samples, headless->sc->n_steps, 0, &ok, &failed, &h50, &h99);
  if (h50 >= 0 && n > 0)
    snprintf(row->latency + n, sizeof row->latency - (size_t)n, " (%+.2f / %+.2f vs headless)", p50 - h50, p99 - h99);
}

static void proxy(const struct run *r, struct compare_row *row) {
  if (!r->cluster.envoy_version[0]) return;
  char ver[32];
  snprintf(ver, sizeof ver, "%.*s", (int)strcspn(r->cluster.envoy_version, "/"), r->cluster.envoy_version);
  snprintf(row->proxy, sizeof row->proxy, "Envoy %s, peak RSS %.1f MB", ver, (double)r->proxy_rss_kib_max / 1024.0);
}

void compare_rows(const struct run *const *runs, size_t n, struct compare_row *out) {
  const struct run *headless = NULL;
  for (size_t i = 0; i < n; i++)
    if (strcmp(runs[i]->sc->name, "headless") == 0 && !runs[i]->error && !runs[i]->interrupted) headless = runs[i];
  for (size_t i = 0; i < n; i++) {
    const struct run *r = runs[i];
    struct compare_row *row = &out[i];
    memset(row, 0, sizeof *row);
    snprintf(row->scenario, sizeof row->scenario, "%s", r->sc->name);
    strcpy(row->balanced, "-");
    strcpy(row->discovery, "not exercised");
    strcpy(row->latency, "-");
    strcpy(row->proxy, "-");
    if (r->error || r->interrupted) {
      strcpy(row->weights, "-");
      strcpy(row->restart, "-");
      strcpy(row->hops, "-");
      strcpy(row->processes, "-");
      continue;
    }
    balanced(r, row);
    discovery(r, row);
    weights(r, row);
    restart(r, row);
    hops(r, row);
    latency(r, headless, row);
    proxy(r, row);
  }
}
