#include "cluster.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "probe.h"

#define POD_READY_MS 10000
#define POD_STOP_GRACE_MS 3000
#define CLIENT_STOP_GRACE_MS 3000
#define FIRST_POD_OCTET 10
#define LAST_POD_OCTET 199
#define FIRST_VIP_OCTET 200

/* The port pods of a deployment listen on: a proxy's own, else the port of the first Service that
 * selects them. */
static uint16_t pod_port(const struct scenario *sc, size_t deployment) {
  if (sc->deployments[deployment].image == SC_IMAGE_ENVOY) return sc->deployments[deployment].port;
  for (size_t i = 0; i < sc->n_services; i++)
    if (strcmp(sc->services[i].deployment, sc->deployments[deployment].name) == 0) return sc->services[i].port;
  return 50051;
}

static int pod_alive(const struct pod *p) { return p->gone_step < 0; }

static int next_address(struct cluster *c, char *ip, size_t len) {
  if (c->next_ip == 53) c->next_ip++; /* the cluster DNS */
  if (c->next_ip > LAST_POD_OCTET) {
    log_error("msg=\"out of pod addresses\"");
    return -1;
  }
  snprintf(ip, len, CLUSTER_SUBNET "%u", (unsigned char)c->next_ip++);
  return 0;
}

/* Starts an Envoy on `ip` with the config of `px` (deploy/), rewritten for the lab: the cluster DNS,
 * NAME.lab for Services, the control plane's address for "xds", and px's weights when it has some. */
static int envoy_pod(struct cluster *c, struct envoy *e, const char *name, const char *ip, const struct sc_proxy *px) {
  if (!c->tools->envoy[0]) {
    log_error("msg=\"envoy not found\" hint=\"bash scripts/deps.sh installs Envoy " LAB_ENVOY_VERSION
              ", or set ENVOY\"");
    return -1;
  }
  char manifest[PATH_MAX * 2];
  snprintf(manifest, sizeof manifest, "%s/%s", c->tools->deploy, px->config);
  struct envoycfg_weight w[SC_MAX_UPSTREAMS];
  for (size_t i = 0; i < px->n_upstreams; i++) {
    const struct sc_service *svc = scenario_service(c->sc, px->upstreams[i].service);
    w[i] = (struct envoycfg_weight){px->upstreams[i].service, svc ? svc->port : 50051, px->upstreams[i].weight};
  }
  struct envoycfg_host xds = {"xds", CLUSTER_XDS_IP, c->xds.port};
  struct envoycfg_rewrite rw = {.ip = ip,
                                .dns_ip = CLUSTER_DNS_IP,
                                .dns_port = c->dns_port,
                                .domain = DNS_DOMAIN,
                                .hosts = &xds,
                                .n_hosts = c->xds_up ? 1 : 0,
                                .weights = px->n_upstreams ? w : NULL,
                                .n_weights = px->n_upstreams};
  struct envoy_env env = {c->tools->envoy, c->dir, manifest, "proxyconfig", c->xds_up};
  if (envoy_start(e, &env, name, &rw) != 0) return -1;
  if (!c->envoy_version[0]) envoy_version(e, c->envoy_version, sizeof c->envoy_version);
  return 0;
}

static int pod_start(struct cluster *c, size_t deployment, int step) {
  if (c->n_pods == CLUSTER_MAX_PODS) {
    log_error("msg=\"too many pods\" max=%d", CLUSTER_MAX_PODS);
    return -1;
  }
  const struct sc_deployment *d = &c->sc->deployments[deployment];
  struct pod *p = &c->pods[c->n_pods];
  memset(p, 0, sizeof *p);
  snprintf(p->name, sizeof p->name, "%s-%d", d->name, ++c->next_ordinal[deployment]);
  if (next_address(c, p->ip, sizeof p->ip) != 0) return -1;
  p->deployment = deployment;
  p->born_step = step;
  p->gone_step = -1;
  p->first_rx_ms = -1;
  uint16_t port = pod_port(c->sc, deployment);
  if (d->image == SC_IMAGE_ENVOY) {
    p->is_proxy = 1;
    c->n_pods++;
    return envoy_pod(c, &p->envoy, p->name, p->ip, &d->proxy);
  }
  char name_env[96], listen_env[64], log_path[PATH_MAX + 80];
  snprintf(name_env, sizeof name_env, "NAME=%s", p->name);
  snprintf(listen_env, sizeof listen_env, "LISTEN_ADDRESS=%s:%u", p->ip, port);
  snprintf(log_path, sizeof log_path, "%s/%s.log", c->dir, p->name);
  /* Defaults first; the scenario's env may override them (later entries win in the child). */
  char env_store[SC_MAX_ENV][sizeof d->env[0].key + sizeof d->env[0].value + 2];
  const char *env[SC_MAX_ENV + 4];
  size_t n = 0;
  env[n++] = "SHUTDOWN_GRACE=1s";
  for (size_t i = 0; i < d->n_env; i++) {
    snprintf(env_store[i], sizeof env_store[i], "%s=%s", d->env[i].key, d->env[i].value);
    env[n++] = env_store[i];
  }
  env[n++] = name_env;
  env[n++] = listen_env;
  env[n] = NULL;
  const char *argv[] = {c->tools->greeter_server, NULL};
  struct proc_spec spec = {.name = p->name, .argv = argv, .env = env, .log_path = log_path};
  if (proc_start(&p->proc, &spec) != 0) return -1;
  c->n_pods++;
  int64_t deadline = clock_now_ms() + POD_READY_MS;
  while (!probe_tcp(p->ip, port)) {
    if (proc_poll_exit(&p->proc, NULL) != 0 || clock_now_ms() > deadline) {
      log_error("msg=\"pod did not become ready\" pod=%s address=%s:%u log=%s", p->name, p->ip, port, log_path);
      return -1;
    }
    usleep(20000);
  }
  log_info("msg=\"pod ready\" pod=%s address=%s:%u pid=%d", p->name, p->ip, port, (int)p->proc.pid);
  return 0;
}

/* The addresses of the live pods a Service selects. */
static size_t service_ips(const struct cluster *c, const struct sc_service *svc, const char **ips) {
  size_t n = 0;
  for (size_t i = 0; i < c->n_pods; i++) {
    const struct pod *p = &c->pods[i];
    if (pod_alive(p) && strcmp(c->sc->deployments[p->deployment].name, svc->deployment) == 0) ips[n++] = p->ip;
  }
  return n;
}

/* Rewrites DNS and ClusterIP endpoints from the live pods. */
static int publish_endpoints(struct cluster *c) {
  struct dns_record recs[DNS_MAX_RECORDS];
  size_t n = 0;
  int rc = 0;
  for (size_t s = 0; s < c->sc->n_services; s++) {
    const struct sc_service *svc = &c->sc->services[s];
    const char *ips[CLUSTER_MAX_PODS];
    size_t n_ips = service_ips(c, svc, ips);
    if (svc->type == SC_SERVICE_CLUSTERIP) {
      if (n < DNS_MAX_RECORDS) {
        snprintf(recs[n].name, sizeof recs[n].name, "%s", svc->name);
        snprintf(recs[n++].ip, sizeof recs[0].ip, CLUSTER_SUBNET "%u", (unsigned char)(FIRST_VIP_OCTET + s));
      }
      if (clusterip_set_endpoints(&c->cips[s], ips, n_ips, svc->port) != 0) rc = -1;
      continue;
    }
    for (size_t i = 0; i < n_ips && n < DNS_MAX_RECORDS; i++) {
      snprintf(recs[n].name, sizeof recs[n].name, "%s", svc->name);
      snprintf(recs[n++].ip, sizeof recs[0].ip, "%s", ips[i]);
    }
  }
  /* Wait until DNS serves every Service's new record set before the change counts as made. */
  if (dns_set_records(&c->dns, recs, n, NULL) != 0) return -1;
  for (size_t s = 0; s < c->sc->n_services; s++) {
    int want = 0;
    for (size_t i = 0; i < n; i++) want += strcmp(recs[i].name, c->sc->services[s].name) == 0;
    int64_t deadline = clock_now_ms() + 5000;
    while (dns_query_count(&c->dns, c->sc->services[s].name) != want) {
      if (clock_now_ms() > deadline) {
        log_error("msg=\"DNS does not serve the Service's endpoints\" service=%s want=%d", c->sc->services[s].name,
                  want);
        return -1;
      }
      usleep(20000);
    }
  }
  return rc;
}

int cluster_up(struct cluster *c, const struct scenario *sc, const struct cluster_tools *tools, const char *dir,
               enum clusterip_mode mode, uint16_t dns_port) {
  memset(c, 0, sizeof *c);
  c->sc = sc;
  c->tools = tools;
  c->clusterip_mode = mode;
  c->dns_port = dns_port;
  c->next_ip = FIRST_POD_OCTET;
  snprintf(c->dir, sizeof c->dir, "%s", dir);
  if (dns_start(&c->dns, tools->dnsmasq, dir, CLUSTER_DNS_IP, dns_port) != 0) return -1;
  c->dns_up = 1;
  /* Servers first; proxies resolve them at start, so they come after the servers are in DNS. */
  for (size_t d = 0; d < sc->n_deployments; d++)
    for (int i = 0; sc->deployments[d].image == SC_IMAGE_GREETER_SERVER && i < sc->deployments[d].replicas; i++)
      if (pod_start(c, d, 0) != 0) return -1;
  for (size_t s = 0; s < sc->n_services; s++) {
    const struct sc_service *svc = &sc->services[s];
    if (svc->type != SC_SERVICE_CLUSTERIP) continue;
    char vip[16];
    snprintf(vip, sizeof vip, CLUSTER_SUBNET "%u", (unsigned char)(FIRST_VIP_OCTET + s));
    const char *tool = mode == CLUSTERIP_IPTABLES ? tools->iptables : tools->haproxy;
    const char *ips[CLUSTER_MAX_PODS];
    size_t n_ips = service_ips(c, svc, ips);
    if (clusterip_start(&c->cips[s], mode, tool, svc->name, vip, svc->port, dir, ips, n_ips, svc->port) != 0) return -1;
    c->cip_up[s] = 1;
  }
  if (publish_endpoints(c) != 0) return -1;
  if (sc->n_xds_configs) {
    if (!tools->xdsd[0]) {
      log_error("msg=\"xdsd not found next to lab (or in --bin)\" scenario=%s", sc->name);
      return -1;
    }
    if (controlplane_start(&c->xds, tools->xdsd, dir, CLUSTER_XDS_IP, CLUSTER_DNS_IP, dns_port,
                           sc->xds_configs[0].text) != 0)
      return -1;
    c->xds_up = 1;
  }
  int proxies = 0;
  for (size_t d = 0; d < sc->n_deployments; d++)
    for (int i = 0; sc->deployments[d].image == SC_IMAGE_ENVOY && i < sc->deployments[d].replicas; i++, proxies++)
      if (pod_start(c, d, 0) != 0) return -1;
  return proxies ? publish_endpoints(c) : 0;
}

void cluster_target(const struct cluster *c, const struct sc_service *svc, char *out, size_t outlen) {
  snprintf(out, outlen, "dns://%s:%u/%s.%s:%u", CLUSTER_DNS_IP, c->dns_port, svc->name, DNS_DOMAIN, svc->port);
}

static int client_start(struct cluster *c, size_t idx) {
  const struct sc_client *cl = &c->sc->clients[idx];
  struct cluster_client *cc = &c->clients[idx];
  char target[256], addr_env[300], name_env[96], log_path[PATH_MAX + 80];
  if (cl->has_sidecar) {
    /* The sidecar shares the client pod's address; the client dials it there. Its node id (over ADS)
     * is the pod's name, as the manifest's --service-node $(POD_NAME) makes it. */
    char pod[SC_NAME_MAX + 16];
    snprintf(pod, sizeof pod, "%s-%d", cl->name, cc->restarts + 1);
    if (!cc->ip[0] && next_address(c, cc->ip, sizeof cc->ip) != 0) return -1;
    if (envoy_pod(c, &cc->sidecar, pod, cc->ip, &cc->weights) != 0) return -1;
    /* A static sidecar listens where the lab put it; one bootstrapped over ADS where the control
     * plane's listener says, which the lab's xDS configs make 127.0.0.1:8080 (the seed's localhost). */
    snprintf(target, sizeof target, "%s:8080", c->xds_up ? "127.0.0.1" : cc->ip);
  } else if (cl->xds[0]) {
    snprintf(target, sizeof target, "xds:///%s", cl->xds);
  } else {
    cluster_target(c, scenario_service(c->sc, cl->service), target, sizeof target);
  }
  char bootstrap_env[PATH_MAX + 128] = "GRPC_XDS_BOOTSTRAP_UNUSED=1";
  if (cl->xds[0]) {
    char path[PATH_MAX + 80], node[SC_NAME_MAX + 16];
    if ((size_t)snprintf(path, sizeof path, "%s/bootstrap-%s.json", c->dir, cl->name) >= sizeof path) return -1;
    snprintf(node, sizeof node, "%s-%d", cl->name, cc->restarts + 1);
    if (controlplane_bootstrap(&c->xds, path, node) != 0) return -1;
    snprintf(bootstrap_env, sizeof bootstrap_env, "GRPC_XDS_BOOTSTRAP=%s", path);
  }
  snprintf(addr_env, sizeof addr_env, "SERVER_ADDRESS=%s", target);
  /* The pod name changes on restart, as a recreated pod's does. */
  snprintf(name_env, sizeof name_env, "NAME=%s-%d", cl->name, cc->restarts + 1);
  snprintf(log_path, sizeof log_path, "%s/%s.log", c->dir, cl->name);
  char env_store[SC_MAX_ENV][sizeof cl->env[0].key + sizeof cl->env[0].value + 2];
  const char *env[SC_MAX_ENV + 10];
  size_t n = 0;
  env[n++] = "SUMMARY_INTERVAL=1s";
  env[n++] = "PRINT_REPLIES=0";
  env[n++] = "LB_POLICY=round_robin";
  env[n++] = addr_env;
  env[n++] = name_env;
  env[n++] = bootstrap_env;
  for (size_t i = 0; i < cl->n_env; i++) {
    snprintf(env_store[i], sizeof env_store[i], "%s=%s", cl->env[i].key, cl->env[i].value);
    env[n++] = env_store[i];
  }
  env[n] = NULL;
  const char *argv[] = {c->tools->greeter_client, NULL};
  struct proc_spec spec = {.name = cl->name, .argv = argv, .env = env, .log_path = log_path, .pipe_stdout = 1};
  return proc_start(&cc->proc, &spec);
}

int cluster_start_clients(struct cluster *c) {
  for (size_t i = 0; i < c->sc->n_clients; i++) {
    c->clients[i].weights = c->sc->clients[i].sidecar;
    if (client_start(c, i) != 0) return -1;
  }
  return 0;
}

static void client_stop(struct cluster_client *cc) {
  if (cc->proc.pid > 0) proc_stop(&cc->proc, CLIENT_STOP_GRACE_MS);
  envoy_stop(&cc->sidecar);
}

int cluster_set_weights(struct cluster *c, const char *client, const struct sc_upstream *w, size_t n) {
  for (size_t i = 0; i < c->sc->n_clients; i++) {
    struct cluster_client *cc = &c->clients[i];
    if (strcmp(c->sc->clients[i].name, client) != 0) continue;
    for (size_t k = 0; k < n; k++)
      for (size_t j = 0; j < cc->weights.n_upstreams; j++)
        if (strcmp(cc->weights.upstreams[j].service, w[k].service) == 0) cc->weights.upstreams[j].weight = w[k].weight;
    return cluster_restart_client(c, client);
  }
  return -1;
}

int cluster_xds_config(struct cluster *c, const char *name) {
  for (size_t i = 0; i < c->sc->n_xds_configs; i++)
    if (strcmp(c->sc->xds_configs[i].name, name) == 0) return controlplane_swap(&c->xds, c->sc->xds_configs[i].text);
  return -1;
}

int cluster_kill(struct cluster *c, const char *deployment, int step) {
  for (size_t i = 0; i < c->n_pods; i++) {
    struct pod *p = &c->pods[i];
    if (strcmp(c->sc->deployments[p->deployment].name, deployment) != 0 || !pod_alive(p)) continue;
    log_info("msg=kill pod=%s pid=%d", p->name, (int)(p->is_proxy ? p->envoy.proc.pid : p->proc.pid));
    if (p->is_proxy) {
      proc_signal(&p->envoy.proc, SIGKILL);
      envoy_stop(&p->envoy);
    } else {
      proc_signal(&p->proc, SIGKILL);
      proc_stop(&p->proc, POD_STOP_GRACE_MS);
    }
    p->gone_step = step;
    return publish_endpoints(c);
  }
  return -1;
}

void cluster_each_proxy(struct cluster *c, void (*fn)(void *arg, struct envoy *p), void *arg) {
  for (size_t i = 0; i < c->n_pods; i++)
    if (c->pods[i].is_proxy && c->pods[i].envoy.proc.pid > 0) fn(arg, &c->pods[i].envoy);
  for (size_t i = 0; i < c->sc->n_clients; i++)
    if (c->clients[i].sidecar.proc.pid > 0) fn(arg, &c->clients[i].sidecar);
}

int cluster_scale(struct cluster *c, const char *deployment, int replicas, int step) {
  size_t d = 0;
  while (d < c->sc->n_deployments && strcmp(c->sc->deployments[d].name, deployment) != 0) d++;
  if (d == c->sc->n_deployments) return -1;
  int alive = 0;
  for (size_t i = 0; i < c->n_pods; i++) alive += c->pods[i].deployment == d && pod_alive(&c->pods[i]);
  log_info("msg=scale deployment=%s from=%d to=%d", deployment, alive, replicas);
  for (; alive < replicas; alive++)
    if (pod_start(c, d, step) != 0) return -1;
  /* Scale down: newest pods go first; they leave DNS before they stop, as endpoints do. */
  struct pod *victims[CLUSTER_MAX_PODS];
  size_t n_victims = 0;
  for (size_t i = c->n_pods; i-- > 0 && alive > replicas;) {
    struct pod *p = &c->pods[i];
    if (p->deployment != d || !pod_alive(p)) continue;
    p->gone_step = step;
    victims[n_victims++] = p;
    alive--;
  }
  int rc = publish_endpoints(c);
  for (size_t i = 0; i < n_victims; i++) {
    if (victims[i]->is_proxy)
      envoy_stop(&victims[i]->envoy);
    else
      proc_stop(&victims[i]->proc, POD_STOP_GRACE_MS);
  }
  return rc;
}

int cluster_restart_client(struct cluster *c, const char *client) {
  for (size_t i = 0; i < c->sc->n_clients; i++) {
    if (strcmp(c->sc->clients[i].name, client) != 0) continue;
    client_stop(&c->clients[i]);
    c->clients[i].restarts++;
    return client_start(c, i);
  }
  return -1;
}

void cluster_down(struct cluster *c) {
  for (size_t i = 0; i < c->sc->n_clients; i++) client_stop(&c->clients[i]);
  for (size_t i = 0; i < c->n_pods; i++)
    if (c->pods[i].is_proxy) envoy_stop(&c->pods[i].envoy);
  for (size_t i = 0; i < c->n_pods; i++)
    if (c->pods[i].proc.pid > 0) kill(c->pods[i].proc.pid, SIGTERM);
  for (size_t i = 0; i < c->n_pods; i++)
    if (c->pods[i].proc.pid > 0) proc_stop(&c->pods[i].proc, POD_STOP_GRACE_MS);
  for (size_t s = 0; s < c->sc->n_services; s++)
    if (c->cip_up[s]) {
      clusterip_stop(&c->cips[s]);
      c->cip_up[s] = 0;
    }
  if (c->xds_up) {
    controlplane_stop(&c->xds);
    c->xds_up = 0;
  }
  if (c->dns_up) {
    dns_stop(&c->dns);
    c->dns_up = 0;
  }
}
