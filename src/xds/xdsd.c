#include "xdsd.h"

#include <grpc/grpc.h>
#include <malloc.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin.h"
#include "ads.h"
#include "clock.h"
#include "config.h"
#include "discovery.h"
#include "jsonw.h"
#include "log.h"
#include "snapshot.h"
#include "tag.h"
#include "watch.h"

#define TICK_MS 20             /* housekeeping period of the loop */
#define WATCH_DEBOUNCE_MS 100  /* after the last inotify event */
#define WATCH_PERIOD_MS 2000   /* fallback content check */
#define DNS_SETTLE_MS 2000     /* how long a new snapshot waits for first DNS answers */
#define PUBLISH_MS 200         /* admin documents refresh at most this often */
#define PUBLISH_IDLE_MS 1000   /* and at least this often */
#define SHUTDOWN_MS 5000
#define TRIM_MS 5000          /* give freed heap back to the kernel at most this often */
#define PHASE_MAX_MS 1000     /* longest wait in a phase of a cluster change (snapshot_plan) */

/* A config parse off the loop (issue 16: 50,000 entries kept the loop, and every client, waiting
 * for seconds). The loop hands over the new content and goes on serving; the worker parses it; the
 * loop takes the result on a later tick. One parse at a time; content that arrives meanwhile waits. */
struct parser {
  pthread_t thread;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int running, quit, started;
  /* in: set by the loop while !busy; out: set by the worker, then done = 1 */
  int busy, done;
  const char *path;
  char *buf;
  size_t len;
  struct config *cfg;
  char err[1024];
  int rc;
  int64_t began_ms, parse_ms;
};

static void *parser_main(void *arg) {
  struct parser *p = arg;
  pthread_mutex_lock(&p->mu);
  while (!p->quit) {
    if (!p->busy || p->done) {
      pthread_cond_wait(&p->cv, &p->mu);
      continue;
    }
    const char *path = p->path;
    const char *buf = p->buf;
    size_t len = p->len;
    pthread_mutex_unlock(&p->mu);
    struct config *c = NULL;
    char err[1024];
    int64_t t0 = clock_now_ms();
    int rc = config_parse(path, buf, len, &c, err, sizeof err);
    int64_t took = clock_now_ms() - t0;
    pthread_mutex_lock(&p->mu);
    p->cfg = c;
    p->rc = rc;
    p->parse_ms = took;
    snprintf(p->err, sizeof p->err, "%s", rc ? err : "");
    p->done = 1;
  }
  pthread_mutex_unlock(&p->mu);
  return NULL;
}

struct xdsd {
  const struct xdsd_options *opt;
  grpc_completion_queue *cq;
  struct ads *ads;
  struct admin *admin;
  struct watch *watch;
  struct discovery *dns;
  struct config *cfg;   /* the last good config (owned) */
  char *cfg_bytes;      /* its file content (owned) */
  char *bad_bytes;      /* the content that last failed to validate (owned), to report it once */
  char *error;          /* the last reload's error, NULL when it succeeded (owned) */
  char last_reload[32]; /* UTC time of the last reload attempt that saw new content */
  uint64_t reloads_ok, reloads_failed;
  int rebuild_wanted;
  int64_t rebuild_deadline_ms;
  /* A change served in phases (snapshot_plan): the snapshot it leads to (owned; NULL when none is
   * under way), the phase being served and when to move on even if the clients are not through it. */
  struct snapshot *target;
  int phase;
  int64_t phase_deadline_ms;
  int dirty;
  struct parser parser;
  int look_again; /* a change was seen while a parse was under way */
};

static void utc_now(char *buf, size_t len) {
  time_t t = time(NULL);
  struct tm tm;
  gmtime_r(&t, &tm);
  strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void set_error(struct xdsd *x, const char *err) {
  free(x->error);
  x->error = err ? strdup(err) : NULL;
}

/* Forgets the broken content last reported: the next time it appears it is reported again. */
static void forget_bad(struct xdsd *x) {
  free(x->bad_bytes);
  x->bad_bytes = NULL;
}

/* Re-reads the config by path; a changed, valid file replaces the config, a bad one is reported and
 * the last good config stays. Each failure is reported once, for as long as it lasts: the same broken
 * content seen again after something else (a good file, an unreadable one) is reported again. */
static void check_config(struct xdsd *x, int64_t now_ms) {
  char err[1024], ebuf[1024];
  char *buf;
  size_t len;
  if (config_read_file(x->opt->config_path, &buf, &len, err, sizeof err) != 0) {
    if (!x->error || strcmp(x->error, err) != 0) {
      log_sanitize(err, strlen(err), ebuf, sizeof ebuf);
      log_error("msg=\"cannot read config, keeping the last good one\" error=%s", ebuf);
      utc_now(x->last_reload, sizeof x->last_reload);
      x->reloads_failed++;
      set_error(x, err);
      forget_bad(x);
      x->dirty = 1;
    }
    return;
  }
  if (x->cfg_bytes && strcmp(buf, x->cfg_bytes) == 0) {
    free(buf);
    if (!x->error) return;
    /* Back to the content being served (after a broken or unreadable file): nothing to rebuild. */
    set_error(x, NULL);
    forget_bad(x);
    x->dirty = 1;
    log_info("msg=\"config is back to the served content\"");
    return;
  }
  if (x->bad_bytes && strcmp(buf, x->bad_bytes) == 0) {
    free(buf); /* the broken content already reported */
    return;
  }
  /* New content: parsed off the loop (the worker owns buf until it is done). */
  utc_now(x->last_reload, sizeof x->last_reload);
  x->dirty = 1;
  struct parser *p = &x->parser;
  pthread_mutex_lock(&p->mu);
  p->path = x->opt->config_path;
  p->buf = buf;
  p->len = len;
  p->cfg = NULL;
  p->done = 0;
  p->busy = 1;
  p->began_ms = now_ms;
  pthread_cond_signal(&p->cv);
  pthread_mutex_unlock(&p->mu);
}

/* Takes a finished parse: a valid config replaces the served one, a bad one is reported and the last
 * good config stays. */
static void take_parse(struct xdsd *x, int64_t now_ms) {
  struct parser *p = &x->parser;
  pthread_mutex_lock(&p->mu);
  int done = p->busy && p->done;
  pthread_mutex_unlock(&p->mu);
  if (!done) return;
  /* The worker is idle now (done is set): its fields are ours until busy is set again. */
  char *buf = p->buf;
  struct config *c = p->cfg;
  char err[1024], ebuf[1024];
  snprintf(err, sizeof err, "%s", p->err);
  int rc = p->rc;
  pthread_mutex_lock(&p->mu);
  p->busy = 0;
  p->buf = NULL;
  p->cfg = NULL;
  pthread_mutex_unlock(&p->mu);
  x->dirty = 1;
  if (rc != 0) {
    log_sanitize(err, strlen(err), ebuf, sizeof ebuf);
    log_error("msg=\"invalid config, keeping the last good one\" error=%s parse_ms=%lld", ebuf, (long long)p->parse_ms);
    x->reloads_failed++;
    set_error(x, err);
    forget_bad(x);
    x->bad_bytes = buf;
    return;
  }
  config_free(x->cfg);
  free(x->cfg_bytes);
  forget_bad(x);
  x->cfg = c;
  x->cfg_bytes = buf;
  x->reloads_ok++;
  set_error(x, NULL);
  if (discovery_set_names(x->dns, c) != 0) log_error("msg=\"out of memory setting dns names\"");
  x->rebuild_wanted = 1;
  x->rebuild_deadline_ms = now_ms + DNS_SETTLE_MS;
  char nbuf[128];
  log_sanitize(c->name, strlen(c->name), nbuf, sizeof nbuf);
  log_info("msg=\"config loaded\" path=%s name=%s listeners=%zu clusters=%zu parse_ms=%lld", x->opt->config_path, nbuf,
           c->n_listeners, c->n_clusters, (long long)p->parse_ms);
}

static int parsing(struct xdsd *x) {
  pthread_mutex_lock(&x->parser.mu);
  int busy = x->parser.busy;
  pthread_mutex_unlock(&x->parser.mu);
  return busy;
}

static int parser_start(struct parser *p) {
  pthread_mutex_init(&p->mu, NULL);
  pthread_cond_init(&p->cv, NULL);
  p->started = pthread_create(&p->thread, NULL, parser_main, p) == 0;
  return p->started ? 0 : -1;
}

static void parser_stop(struct parser *p) {
  if (!p->started) return;
  pthread_mutex_lock(&p->mu);
  p->quit = 1;
  pthread_cond_signal(&p->cv);
  pthread_mutex_unlock(&p->mu);
  pthread_join(p->thread, NULL); /* a parse under way finishes first (it is bounded: 16 MB at most) */
  config_free(p->cfg);
  free(p->buf);
  pthread_mutex_destroy(&p->mu);
  pthread_cond_destroy(&p->cv);
  p->started = 0;
}

/* Serves `s` (owned by ads from here) with the next version. */
static void serve(struct xdsd *x, struct snapshot *s, int phase) {
  const struct snapshot *cur = ads_snapshot(x->ads);
  s->version = cur ? cur->version + 1 : 1;
  log_info("msg=\"snapshot\" version=%llu phase=%s listeners=%zu routes=%zu clusters=%zu endpoints=%zu streams=%zu",
           (unsigned long long)s->version, snapshot_phase_name(phase), s->tables[SNAP_LDS_API].n,
           s->tables[SNAP_RDS].n, s->tables[SNAP_CDS].n, s->n_endpoints, ads_streams(x->ads));
  ads_set_snapshot(x->ads, s);
  x->dirty = 1;
}

/* Moves the change under way to its next phase once the clients are through the current one (or its
 * time is up): make before break, see snapshot_plan. */
static void advance(struct xdsd *x, int64_t now_ms) {
  if (!x->target) return;
  if (x->phase != SNAPSHOT_PHASE_FINAL) {
    int through = x->phase == SNAPSHOT_PHASE_ADD ? ads_clusters_warm(x->ads) : ads_removal_settled(x->ads, x->target);
    if (!through && now_ms < x->phase_deadline_ms) return;
    if (!through)
      log_info("msg=\"phase timed out, moving on\" phase=%s waited_ms=%d", snapshot_phase_name(x->phase), PHASE_MAX_MS);
  }
  struct snapshot *p;
  int phase = snapshot_plan(ads_snapshot(x->ads), x->target, &p);
  if (phase < 0) {
    log_error("msg=\"out of memory building a snapshot\"");
    return; /* tried again on the next tick */
  }
  x->phase = phase;
  if (phase == SNAPSHOT_PHASE_FINAL) {
    p = x->target;
    x->target = NULL;
  } else {
    x->phase_deadline_ms = now_ms + PHASE_MAX_MS;
  }
  serve(x, p, phase);
}

/* Builds a snapshot from the config and DNS and, when it differs from what is served, starts serving
 * it (in phases when clusters come or go). A new one replaces a change still under way: the next
 * phases are planned from what is served. */
static void rebuild(struct xdsd *x, int64_t now_ms) {
  x->rebuild_wanted = 0;
  if (!x->cfg) return;
  struct snapshot *s;
  int64_t t0 = clock_now_ms();
  if (snapshot_build(x->cfg, discovery_lookup, x->dns, &s) != 0) {
    log_error("msg=\"out of memory building a snapshot\"");
    return;
  }
  int64_t took = clock_now_ms() - t0;
  if (took >= 50) log_info("msg=\"snapshot built\" build_ms=%lld", (long long)took);
  if (x->target && snapshot_same(x->target, s)) { /* already under way */
    snapshot_free(s);
    return;
  }
  snapshot_free(x->target);
  x->target = NULL;
  const struct snapshot *cur = ads_snapshot(x->ads);
  if (cur && snapshot_same(cur, s)) {
    snapshot_free(s);
    x->phase = SNAPSHOT_PHASE_FINAL;
    return;
  }
  /* A phase being served is still waited for (against the new target) before the next is planned. */
  x->target = s;
  advance(x, now_ms);
}

static void publish(struct xdsd *x) {
  char *sbuf = NULL, *mbuf = NULL;
  size_t slen = 0, mlen = 0;
  FILE *f = open_memstream(&sbuf, &slen);
  if (!f) return;
  const struct snapshot *s = ads_snapshot(x->ads);
  fputs("{\"config\":{\"path\":", f);
  jsonw_str(f, x->opt->config_path);
  fputs(",\"name\":", f);
  jsonw_str(f, x->cfg ? x->cfg->name : NULL);
  /* The served config's version: 1 for the first valid file, +1 for every valid change. */
  fprintf(f, ",\"version\":%llu", (unsigned long long)x->reloads_ok);
  fputs(",\"last_reload\":", f);
  jsonw_str(f, x->last_reload[0] ? x->last_reload : NULL);
  fprintf(f, ",\"last_reload_ok\":%s,\"error\":", x->error ? "false" : "true");
  jsonw_str(f, x->error);
  fprintf(f, ",\"reloads_ok\":%llu,\"reloads_failed\":%llu", (unsigned long long)x->reloads_ok,
          (unsigned long long)x->reloads_failed);
  /* A parse under way (a large config takes a while; the old one is served meanwhile). */
  if (parsing(x))
    fprintf(f, ",\"loading\":true,\"loading_ms\":%lld},", (long long)(clock_now_ms() - x->parser.began_ms));
  else
    fputs(",\"loading\":false},", f);
  if (s)
    fprintf(f, "\"snapshot\":{\"version\":\"%llu\",\"listeners\":%zu,\"socket_listeners\":%zu,\"routes\":%zu,"
               "\"clusters\":%zu,\"endpoints\":%zu},",
            (unsigned long long)s->version, s->tables[SNAP_LDS_API].n, s->tables[SNAP_LDS_SOCKET].n,
            s->tables[SNAP_RDS].n, s->tables[SNAP_CDS].n, s->n_endpoints);
  else
    fputs("\"snapshot\":null,", f);
  fputs("\"dns\":", f);
  discovery_status_json(x->dns, f);
  fputs(",\"nodes\":", f);
  size_t listed = ads_status_json(x->ads, f);
  fprintf(f, ",\"nodes_listed\":%zu,\"streams\":%zu}\n", listed, ads_streams(x->ads));
  fclose(f);

  f = open_memstream(&mbuf, &mlen);
  if (!f) {
    free(sbuf);
    return;
  }
  ads_metrics_text(x->ads, f);
  discovery_metrics_text(x->dns, f);
  fprintf(f, "# HELP xdsd_reloads_total Config reloads that saw new content.\n# TYPE xdsd_reloads_total counter\n"
             "xdsd_reloads_total{result=\"ok\"} %llu\nxdsd_reloads_total{result=\"failed\"} %llu\n",
          (unsigned long long)x->reloads_ok, (unsigned long long)x->reloads_failed);
  fprintf(f, "# HELP xdsd_config_error 1 while the file on disk is not the config being served.\n"
             "# TYPE xdsd_config_error gauge\nxdsd_config_error %d\n", x->error ? 1 : 0);
  fprintf(f, "# HELP xdsd_resolved_endpoints Endpoints in the served ClusterLoadAssignments.\n"
             "# TYPE xdsd_resolved_endpoints gauge\nxdsd_resolved_endpoints %zu\n", s ? s->n_endpoints : 0);
  fprintf(f, "# HELP xdsd_snapshot_version Version of the served snapshot.\n"
             "# TYPE xdsd_snapshot_version gauge\nxdsd_snapshot_version %llu\n",
          s ? (unsigned long long)s->version : 0ULL);
  fclose(f);
  admin_publish(x->admin, sbuf, slen, mbuf, mlen);
}

static void teardown(struct xdsd *x) {
  parser_stop(&x->parser);
  admin_stop(x->admin);
  watch_free(x->watch);
  discovery_free(x->dns);
  config_free(x->cfg);
  free(x->cfg_bytes);
  free(x->bad_bytes);
  free(x->error);
  snapshot_free(x->target);
}

int xdsd_run(const struct xdsd_options *o, volatile sig_atomic_t *stop, volatile sig_atomic_t *reload) {
  struct xdsd x;
  memset(&x, 0, sizeof x);
  x.opt = o;
  int rc = discovery_new(o->dns_server, o->dns_refresh_ms, &x.dns);
  if (rc != 0) {
    log_error("msg=\"cannot set up DNS\" flag=--dns-server value=\"%s\"", o->dns_server ? o->dns_server : "");
    return 1;
  }
  if (o->admin && admin_start(o->admin, &x.admin) != 0) {
    log_error("msg=\"cannot listen\" flag=--admin value=\"%s\"", o->admin);
    teardown(&x);
    return 1;
  }
  x.cq = grpc_completion_queue_create_for_next(NULL);
  if (ads_start(o->listen, x.cq, &x.ads) != 0) {
    log_error("msg=\"cannot listen\" flag=--listen value=\"%s\"", o->listen);
    grpc_completion_queue_shutdown(x.cq);
    while (grpc_completion_queue_next(x.cq, gpr_inf_future(GPR_CLOCK_MONOTONIC), NULL).type != GRPC_QUEUE_SHUTDOWN) {
    }
    grpc_completion_queue_destroy(x.cq);
    teardown(&x);
    return 1;
  }
  watch_new(o->config_path, WATCH_DEBOUNCE_MS, WATCH_PERIOD_MS, &x.watch);
  log_info("msg=started listen=%s admin=%s config=%s dns_server=%s dns_refresh_ms=%lld", o->listen,
           o->admin ? o->admin : "-", o->config_path, o->dns_server ? o->dns_server : "system",
           (long long)o->dns_refresh_ms);
  if (parser_start(&x.parser) != 0) {
    log_error("msg=\"cannot start the config parser thread\"");
    teardown(&x);
    return 1;
  }
  check_config(&x, clock_now_ms());
  int64_t next_tick = 0, next_publish = 0, next_trim = 0, last_publish = 0;
  while (!*stop) {
    grpc_event ev = grpc_completion_queue_next(x.cq, clock_deadline_in_ms(TICK_MS), NULL);
    if (ev.type == GRPC_OP_COMPLETE) {
      struct tag *t = ev.tag;
      t->handler(t, ev.success);
      x.dirty = 1;
    }
    int64_t now = clock_now_ms();
    if (now < next_tick) continue;
    next_tick = now + TICK_MS;
    int look = 0;
    if (*reload) {
      *reload = 0;
      look = 1;
    }
    if (x.watch && watch_poll(x.watch, now)) look = 1;
    /* Reload: read and compare on the loop (cheap), parse off it, take the result when it is done. */
    if (look) x.look_again = 1;
    take_parse(&x, now);
    if (x.look_again && !parsing(&x)) {
      x.look_again = 0;
      check_config(&x, now);
    }
    if (discovery_poll(x.dns, now)) x.rebuild_wanted = 1;
    if (x.rebuild_wanted && (discovery_settled(x.dns) || now >= x.rebuild_deadline_ms)) rebuild(&x, now);
    advance(&x, now);
    if (now >= next_trim) {
      /* Thousands of streams connecting leave freed memory in malloc's arenas (gRPC's threads have
       * their own); returning it keeps RSS close to what the open streams really use. */
      malloc_trim(0);
      next_trim = now + TRIM_MS;
    }
    /* Publish soon after a change, and every second anyway (DNS errors, connected times). */
    if (x.admin && now >= next_publish && (x.dirty || now >= last_publish + PUBLISH_IDLE_MS)) {
      publish(&x);
      x.dirty = 0;
      last_publish = now;
      /* /status lists every stream: with thousands of them, render it less often. */
      next_publish = now + PUBLISH_MS + (int64_t)ads_streams(x.ads) / 10;
    }
  }
  log_info("msg=stopping streams=%zu", ads_streams(x.ads));
  ads_shutdown(x.ads);
  int64_t deadline = clock_now_ms() + SHUTDOWN_MS;
  while (!ads_done(x.ads) && clock_now_ms() < deadline) {
    grpc_event ev = grpc_completion_queue_next(x.cq, clock_deadline_in_ms(100), NULL);
    if (ev.type == GRPC_OP_COMPLETE) ((struct tag *)ev.tag)->handler(ev.tag, ev.success);
  }
  if (!ads_done(x.ads)) log_warn("msg=\"streams still open after the shutdown grace\" streams=%zu", ads_streams(x.ads));
  /* Every batch still in flight completes before the queue reports shutdown: keep dispatching them, so
   * that each stream's last completion frees it, and only then free what is left. */
  ads_cq_closing(x.ads);
  grpc_completion_queue_shutdown(x.cq);
  for (;;) {
    grpc_event ev = grpc_completion_queue_next(x.cq, gpr_inf_future(GPR_CLOCK_MONOTONIC), NULL);
    if (ev.type == GRPC_QUEUE_SHUTDOWN) break;
    if (ev.type == GRPC_OP_COMPLETE) ((struct tag *)ev.tag)->handler(ev.tag, ev.success);
  }
  ads_free(x.ads);
  grpc_completion_queue_destroy(x.cq);
  teardown(&x);
  log_info("msg=stopped");
  return 0;
}

int xdsd_check(const char *path, FILE *out, FILE *err) {
  char e[1024];
  char *buf;
  size_t len;
  struct config *c;
  if (config_read_file(path, &buf, &len, e, sizeof e) != 0) {
    fprintf(err, "%s\n", e);
    return 1;
  }
  int rc = config_parse(path, buf, len, &c, e, sizeof e);
  free(buf);
  if (rc != 0) {
    fprintf(err, "%s\n", e);
    return 1;
  }
  struct snapshot *s;
  if (snapshot_build(c, NULL, NULL, &s) != 0) {
    fprintf(err, "%s: out of memory\n", path);
    config_free(c);
    return 1;
  }
  snapshot_print(s, c, out);
  fprintf(out, "%s: ok\n", path);
  snapshot_free(s);
  config_free(c);
  return 0;
}
