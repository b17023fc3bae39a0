#include "envoy.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "clock.h"
#include "log.h"
#include "ytree.h"

#define READY_MS 20000
#define ADMIN_TIMEOUT_MS 2000
#define STOP_GRACE_MS 3000

int envoy_find(char *out, size_t outlen) {
  const char *env = getenv("ENVOY");
  if (env && env[0]) {
    snprintf(out, outlen, "%s", env);
  } else {
    const char *home = getenv("ENVOY_HOME");
    const char *cache = getenv("XDG_CACHE_HOME");
    const char *h = getenv("HOME");
    if (home && home[0])
      snprintf(out, outlen, "%s/envoy", home);
    else if (cache && cache[0])
      snprintf(out, outlen, "%s/grpc-lb/envoy-%s/envoy", cache, LAB_ENVOY_VERSION);
    else
      snprintf(out, outlen, "%s/.cache/grpc-lb/envoy-%s/envoy", h ? h : "", LAB_ENVOY_VERSION);
  }
  return access(out, X_OK) == 0 ? 0 : -1;
}

struct body {
  char *out;
  size_t len, cap;
};

static size_t on_body(char *data, size_t size, size_t nmemb, void *arg) {
  struct body *b = arg;
  size_t n = size * nmemb;
  if (b->len + n >= b->cap) return 0; /* too large: curl fails the transfer */
  memcpy(b->out + b->len, data, n);
  b->len += n;
  b->out[b->len] = '\0';
  return n;
}

long envoy_admin_get(const struct envoy *e, const char *path, char *out, size_t outlen) {
  char url[512];
  snprintf(url, sizeof url, "http://%s:%u%s", e->ip, e->admin_port, path);
  CURL *h = curl_easy_init();
  if (!h || outlen == 0) {
    if (h) curl_easy_cleanup(h);
    return -1;
  }
  struct body b = {out, 0, outlen};
  out[0] = '\0';
  long code = 0;
  curl_easy_setopt(h, CURLOPT_URL, url);
  curl_easy_setopt(h, CURLOPT_NOPROXY, "*"); /* a proxy from the environment must never see lab traffic */
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)ADMIN_TIMEOUT_MS);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
  CURLcode rc = curl_easy_perform(h);
  if (rc == CURLE_OK) curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
  curl_easy_cleanup(h);
  return rc == CURLE_OK && code == 200 ? (long)b.len : -1;
}

/* Clusters that have at least one healthy host, from /clusters ("NAME::IP:PORT::health_flags::healthy"),
 * not counting `skip`. */
static int clusters_with_hosts(const struct envoy *e, const char *skip) {
  static char buf[1 << 18];
  if (envoy_admin_get(e, "/clusters", buf, sizeof buf) < 0) return -1;
  char seen[16][128];
  int n = 0;
  for (char *line = buf; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
    char *flags = strstr(line, "::health_flags::healthy");
    char *eol = strchr(line, '\n');
    if (!flags || (eol && flags > eol)) continue;
    size_t k = strcspn(line, ":");
    if (k >= sizeof seen[0] || (skip && strlen(skip) == k && strncmp(line, skip, k) == 0)) continue;
    int dup = 0;
    for (int i = 0; i < n; i++) dup |= strlen(seen[i]) == k && strncmp(seen[i], line, k) == 0;
    if (!dup && n < 16) snprintf(seen[n++], sizeof seen[0], "%.*s", (int)k, line);
  }
  return n;
}

/* Static clusters that resolve names (each must have a host before the proxy is ready), not counting
 * the ADS cluster (the control plane is not an upstream of the data plane), whose name goes to
 * *ads_cluster (NULL without ADS). */
static int resolving_clusters(const struct envoycfg *c, const char **ads_cluster) {
  const struct ytree *gs =
      ytree_get(ytree_get(ytree_get(c->bootstrap, "dynamic_resources"), "ads_config"), "grpc_services");
  *ads_cluster = gs && gs->child ? ytree_str(ytree_get(gs->child, "envoy_grpc"), "cluster_name") : NULL;
  const struct ytree *cs = ytree_get(ytree_get(c->bootstrap, "static_resources"), "clusters");
  int n = 0;
  for (const struct ytree *cl = cs ? cs->child : NULL; cl; cl = cl->next) {
    const char *type = ytree_str(cl, "type"), *name = ytree_str(cl, "name");
    if (*ads_cluster && name && strcmp(name, *ads_cluster) == 0) continue;
    if (type && (strcmp(type, "STRICT_DNS") == 0 || strcmp(type, "LOGICAL_DNS") == 0)) n++;
  }
  return n;
}

static int ready(const struct envoy *e, int want_clusters, const char *ads_cluster, int over_ads) {
  char buf[256];
  if (envoy_admin_get(e, "/ready", buf, sizeof buf) < 0 || strncmp(buf, "LIVE", 4) != 0) return 0;
  if (over_ads) {
    static char ls[8192];
    if (envoy_admin_get(e, "/listeners", ls, sizeof ls) <= 0 || !strstr(ls, "::")) return 0;
    if (want_clusters < 1) want_clusters = 1;
  }
  return clusters_with_hosts(e, ads_cluster) >= want_clusters;
}

static int write_file(const char *path, const char *text, size_t len) {
  FILE *f = fopen(path, "w");
  if (!f) return -1;
  size_t w = fwrite(text, 1, len, f);
  return fclose(f) == 0 && w == len ? 0 : -1;
}

int envoy_start(struct envoy *e, const struct envoy_env *env, const char *name, const struct envoycfg_rewrite *rw) {
  memset(e, 0, sizeof *e);
  snprintf(e->name, sizeof e->name, "%s", name);
  snprintf(e->ip, sizeof e->ip, "%s", rw->ip);
  char log_path[PATH_MAX + 64], err[512];
  if ((size_t)snprintf(e->cfg_path, sizeof e->cfg_path, "%s/%s.yaml", env->dir, name) >= sizeof e->cfg_path ||
      (size_t)snprintf(log_path, sizeof log_path, "%s/%s.log", env->dir, name) >= sizeof log_path)
    return -1;
  struct envoycfg c;
  if (envoycfg_load(env->manifest, env->configmap, &c, err, sizeof err) != 0 ||
      envoycfg_apply(&c, rw, err, sizeof err) != 0) {
    log_error("msg=\"cannot use the Envoy config\" proxy=%s err=\"%s\"", name, err);
    envoycfg_free(&c);
    return -1;
  }
  e->admin_port = envoycfg_admin_port(&c);
  e->per_node = c.per_node;
  const char *ads_cluster;
  int want = resolving_clusters(&c, &ads_cluster);
  size_t len;
  char *text = ytree_emit(c.bootstrap, &len);
  int wrote = text && write_file(e->cfg_path, text, len) == 0;
  free(text);
  char ads_name[128] = "";
  if (ads_cluster) snprintf(ads_name, sizeof ads_name, "%s", ads_cluster);
  char store[ENVOYCFG_MAX_ARGS][128];
  const char *argv[ENVOYCFG_MAX_ARGS + 8];
  size_t n = 0;
  argv[n++] = env->envoy;
  argv[n++] = "-c";
  argv[n++] = e->cfg_path;
  n += envoycfg_args(&c, name, store, argv + n, ENVOYCFG_MAX_ARGS);
  argv[n++] = "--disable-hot-restart";
  argv[n] = NULL;
  envoycfg_free(&c);
  if (!wrote) {
    log_error("msg=\"cannot write the Envoy config\" path=%s err=\"%s\"", e->cfg_path, strerror(errno));
    return -1;
  }
  struct proc_spec spec = {.name = e->name, .argv = argv, .log_path = log_path};
  if (proc_start(&e->proc, &spec) != 0) return -1;
  int64_t deadline = clock_now_ms() + READY_MS;
  while (!ready(e, want, ads_name[0] ? ads_name : NULL, env->over_ads)) {
    if (proc_poll_exit(&e->proc, NULL) != 0 || clock_now_ms() > deadline) {
      static char dump[4096];
      long got = envoy_admin_get(e, "/clusters", dump, sizeof dump);
      log_error("msg=\"Envoy's admin /clusters when it gave up\" proxy=%s clusters=\"%.400s\"", name,
                got < 0 ? "(no answer)" : dump);
      log_error("msg=\"Envoy not ready (admin /ready, a host in each cluster)\" proxy=%s admin=%s:%u log=%s", name,
                e->ip, e->admin_port, log_path);
      return -1;
    }
    usleep(50000);
  }
  log_info("msg=\"envoy ready\" proxy=%s address=%s admin=%u pid=%d", name, e->ip, e->admin_port, (int)e->proc.pid);
  return 0;
}

int envoy_requests_delta(struct envoy *e, uint64_t *delta) {
  static char buf[16384];
  *delta = 0;
  if (envoy_admin_get(e, "/stats?filter=downstream_rq_total$", buf, sizeof buf) < 0) return -1;
  uint64_t total = 0;
  for (char *line = buf; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
    /* http.PREFIX.downstream_rq_total: N, for every HTTP connection manager but the admin's own. */
    if (strncmp(line, "http.", 5) != 0 || strncmp(line, "http.admin.", 11) == 0) continue;
    char *colon = strstr(line, ".downstream_rq_total: ");
    char *eol = strchr(line, '\n');
    if (colon && (!eol || colon < eol)) total += strtoull(colon + strlen(".downstream_rq_total: "), NULL, 10);
  }
  *delta = total >= e->last_requests ? total - e->last_requests : total;
  e->last_requests = total;
  return 0;
}

int envoy_version(const struct envoy *e, char *out, size_t outlen) {
  static char buf[1 << 19]; /* /server_info lists every option: about 120 KB */
  if (envoy_admin_get(e, "/server_info", buf, sizeof buf) < 0) return -1;
  char *v = strstr(buf, "\"version\": \"");
  if (!v) return -1;
  v += strlen("\"version\": \"");
  char *slash = strchr(v, '/'), *end = strchr(v, '"');
  if (!end) return -1;
  if (slash && slash < end) v = slash + 1; /* the commit hash first */
  snprintf(out, outlen, "%.*s", (int)(end - v), v);
  return 0;
}

long envoy_rss_kib(const struct envoy *e) {
  char path[64], line[256];
  snprintf(path, sizeof path, "/proc/%d/status", (int)e->proc.pid);
  FILE *f = e->proc.pid > 0 ? fopen(path, "r") : NULL;
  long kib = 0;
  while (f && fgets(line, sizeof line, f))
    if (sscanf(line, "VmRSS: %ld kB", &kib) == 1) break;
  if (f) fclose(f);
  return kib;
}

void envoy_stop(struct envoy *e) {
  if (e->proc.pid > 0) proc_stop(&e->proc, STOP_GRACE_MS);
}
