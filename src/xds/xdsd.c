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
#include "kube.h"
#include "kubewatch.h"
#include "log.h"
#include "listing.h"
#include "snapshot.h"
#include "status.h"
#include "tag.h"
#include "watch.h"

#define TICK_MS 20            /* housekeeping period of the loop */
#define JOB_POLL_MS 1         /* how often the loop looks whether the worker is done, while it works */
#define WATCH_DEBOUNCE_MS 100 /* after the last inotify event */
#define WATCH_PERIOD_MS 2000  /* fallback content check */
#define DNS_SETTLE_MS 2000    /* how long a new snapshot waits for first DNS answers */
#define PUBLISH_MS 200        /* admin documents refresh at most this often */
#define PUBLISH_IDLE_MS 1000  /* and at least this often */
#define SHUTDOWN_MS 5000
#define TRIM_MS 5000      /* give freed heap back to the kernel at most this often */
#define PHASE_MAX_MS 1000 /* longest wait in a phase of a cluster change (snapshot_plan) */

/* The slow work off the loop (issue 16: a 50,000-entry config kept the loop, and every client,
 * waiting for seconds): parsing a config, and building a snapshot from it. The loop hands a job over
 * and goes on serving; the worker does it; the loop takes the result on a later tick. One job at a
 * time: a parse and a build never overlap, so the config a build reads is not freed under it. */
enum job_kind { JOB_PARSE, JOB_BUILD };

struct parser {
  pthread_t thread;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int running, quit, started;
  /* in: set by the loop while !busy; out: set by the worker, then done = 1 */
  int busy, done;
  enum job_kind kind;
  const char *path; /* parse: in */
  char *buf;
  size_t len;
  struct config *cfg; /* parse: out */
  char err[1024];
  int rc;
  const struct config *build_cfg; /* build: in (the loop's config, unchanged while the job runs; NULL
                                     when xdsd serves Kubernetes alone) */
  struct dns_frozen *frozen;      /* build: in (owned by the job) */
  struct kube_view *kube;         /* build: in (owned by the job), NULL without --kubernetes */
  struct snapshot *snap;          /* build: out */
  int64_t began_ms, parse_ms, build_ms;
};

/* Hands the worker a job whose inputs the caller has just set, with p->mu held. */
static void job_post_locked(struct parser *p, enum job_kind kind, int64_t now_ms) {
  p->kind = kind;
  p->done = 0;
  p->busy = 1;
  p->began_ms = now_ms;
  pthread_cond_signal(&p->cv);
}

/* True when the worker has finished a job of `kind` that is not taken yet; its outputs are then the
 * loop's until the next job_post_locked. */
static int job_finished(struct parser *p, enum job_kind kind) {
  pthread_mutex_lock(&p->mu);
  int done = p->busy && p->done && p->kind == kind;
  pthread_mutex_unlock(&p->mu);
  return done;
}

/* The snapshot of a config, its DNS answers and, with --kubernetes, the Services it merges in. */
static int build_snapshot(const struct config *cfg, struct dns_frozen *dns, const struct kube_view *kube,
                          struct snapshot **out) {
  if (!kube) return snapshot_build(cfg, dns_frozen_lookup, dns, out);
  char err[256];
  struct config *merged = kube_config_merge(cfg, kube, err, sizeof err);
  if (!merged) return -1;
  int rc = snapshot_build(merged, dns_frozen_lookup, dns, out);
  config_free(merged);
  return rc;
}

static void *parser_main(void *arg) {
  struct parser *p = arg;
  pthread_mutex_lock(&p->mu);
  while (!p->quit) {
    if (!p->busy || p->done) {
      pthread_cond_wait(&p->cv, &p->mu);
      continue;
    }
    if (p->kind == JOB_BUILD) {
      const struct config *cfg = p->build_cfg;
      struct dns_frozen *dns = p->frozen;
      struct kube_view *kube = p->kube;
      pthread_mutex_unlock(&p->mu);
      struct snapshot *snap = NULL;
      int64_t t0 = clock_now_ms();
      int rc = build_snapshot(cfg, dns, kube, &snap);
      int64_t took = clock_now_ms() - t0;
      pthread_mutex_lock(&p->mu);
      p->snap = rc == 0 ? snap : NULL;
      p->rc = rc;
      p->build_ms = took;
      p->done = 1;
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

/* The reload phase's state: the config being served and what became of the last look at the file. */
struct reload {
  struct config *cfg;   /* the last good config (owned) */
  char *cfg_bytes;      /* its file content (owned) */
  char *bad_bytes;      /* the content that last failed to validate (owned), to report it once */
  char *error;          /* the last reload's error, NULL when it succeeded (owned) */
  char last_reload[32]; /* UTC time of the last reload attempt that saw new content */
  uint64_t reloads_ok, reloads_failed;
  struct parser parser;
  int look_again; /* the file may have changed: look once no parse is under way */
};

/* The rollout phase's state: a snapshot to build, and a change served in phases (snapshot_plan): the
 * snapshot it leads to (owned; NULL when none is under way), the phase being served and when to move
 * on even if the clients are not through it. */
struct rollout {
  int rebuild_wanted;
  int64_t rebuild_deadline_ms;
  struct snapshot *target;
  int phase;
  int64_t phase_deadline_ms;
};

struct xdsd {
  const struct xdsd_options *opt;
  grpc_completion_queue *cq;
  struct ads *ads;
  struct admin *admin;
  struct watch *watch;
  struct discovery *dns;
  struct kubewatch *kube;   /* NULL without --kubernetes */
  uint64_t kube_generation; /* of the store the last build was asked for */
  struct reload rl;
  struct rollout ro;
  int dirty; /* something /status or /metrics shows changed */
  int64_t next_tick, next_publish, next_trim, last_publish;
};

static void utc_now(char *buf, size_t len) {
  time_t t = time(NULL);
  struct tm tm;
  gmtime_r(&t, &tm);
  strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void set_error(struct xdsd *x, const char *err) {
  free(x->rl.error);
  x->rl.error = err ? strdup(err) : NULL;
}

/* Forgets the broken content last reported: the next time it appears it is reported again. */
static void forget_bad(struct xdsd *x) {
  free(x->rl.bad_bytes);
  x->rl.bad_bytes = NULL;
}

/* Re-reads the config by path; a changed, valid file replaces the config, a bad one is reported and
 * the last good config stays. Each failure is reported once, for as long as it lasts: the same broken
 * content seen again after something else (a good file, an unreadable one) is reported again. */
static void check_config(struct xdsd *x, int64_t now_ms) {
  char err[1024], ebuf[1024];
  char *buf;
  size_t len;
  if (config_read_file(x->opt->config_path, &buf, &len, err, sizeof err) != 0) {
    if (!x->rl.error || strcmp(x->rl.error, err) != 0) {
      log_sanitize(err, strlen(err), ebuf, sizeof ebuf);
      log_error("msg=\"cannot read config, keeping the last good one\" error=%s", ebuf);
      utc_now(x->rl.last_reload, sizeof x->rl.last_reload);
      x->rl.reloads_failed++;
      set_error(x, err);
      forget_bad(x);
      x->dirty = 1;
    }
    return;
  }
  if (x->rl.cfg_bytes && strcmp(buf, x->rl.cfg_bytes) == 0) {
    free(buf);
    if (!x->rl.error) return;
    /* Back to the content being served (after a broken or unreadable file): nothing to rebuild. */
    set_error(x, NULL);
    forget_bad(x);
    x->dirty = 1;
    log_info("msg=\"config is back to the served content\"");
    return;
  }
  if (x->rl.bad_bytes && strcmp(buf, x->rl.bad_bytes) == 0) {
    free(buf); /* the broken content already reported */
    return;
  }
  /* New content: parsed off the loop (the worker owns buf until it is done). */
  utc_now(x->rl.last_reload, sizeof x->rl.last_reload);
  x->dirty = 1;
  struct parser *p = &x->rl.parser;
  pthread_mutex_lock(&p->mu);
  p->path = x->opt->config_path;
  p->buf = buf;
  p->len = len;
  p->cfg = NULL;
  job_post_locked(p, JOB_PARSE, now_ms);
  pthread_mutex_unlock(&p->mu);
}

/* Takes a finished parse: a valid config replaces the served one, a bad one is reported and the last
 * good config stays. */
static void take_parse(struct xdsd *x, int64_t now_ms) {
  struct parser *p = &x->rl.parser;
  if (!job_finished(p, JOB_PARSE)) return;
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
  if (rc == 0 && !x->kube) {
    for (size_t i = 0; i < c->n_clusters; i++)
      if (c->clusters[i].service) {
        snprintf(err, sizeof err,
                 "%s:%d: cluster \"%s\" takes its endpoints from Kubernetes (service %s): start xdsd "
                 "with --kubernetes",
                 x->opt->config_path, c->clusters[i].line, c->clusters[i].name, c->clusters[i].service);
        config_free(c);
        c = NULL;
        rc = -1;
        break;
      }
  }
  if (rc != 0) {
    log_sanitize(err, strlen(err), ebuf, sizeof ebuf);
    log_error("msg=\"invalid config, keeping the last good one\" error=%s parse_ms=%lld", ebuf, (long long)p->parse_ms);
    x->rl.reloads_failed++;
    set_error(x, err);
    forget_bad(x);
    x->rl.bad_bytes = buf;
    return;
  }
  config_free(x->rl.cfg);
  free(x->rl.cfg_bytes);
  forget_bad(x);
  x->rl.cfg = c;
  x->rl.cfg_bytes = buf;
  x->rl.reloads_ok++;
  set_error(x, NULL);
  if (discovery_set_names(x->dns, c) != 0) log_error("msg=\"out of memory setting dns names\"");
  x->ro.rebuild_wanted = 1;
  x->ro.rebuild_deadline_ms = now_ms + DNS_SETTLE_MS;
  char nbuf[128];
  log_sanitize(c->name, strlen(c->name), nbuf, sizeof nbuf);
  log_info("msg=\"config loaded\" path=%s name=%s listeners=%zu clusters=%zu parse_ms=%lld", x->opt->config_path, nbuf,
           c->n_listeners, c->n_clusters, (long long)p->parse_ms);
}

/* Whether the worker has a job (running, or done and not taken yet); of which kind. */
static int worker_busy(struct xdsd *x, enum job_kind *kind) {
  pthread_mutex_lock(&x->rl.parser.mu);
  int busy = x->rl.parser.busy;
  if (kind) *kind = x->rl.parser.kind;
  pthread_mutex_unlock(&x->rl.parser.mu);
  return busy;
}

static int parsing(struct xdsd *x) {
  enum job_kind k;
  return worker_busy(x, &k) && k == JOB_PARSE;
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
  pthread_join(p->thread, NULL); /* a job under way finishes first (bounded: a 16 MB config at most) */
  config_free(p->cfg);
  free(p->buf);
  snapshot_free(p->snap);
  dns_frozen_free(p->frozen);
  kube_view_free(p->kube);
  pthread_mutex_destroy(&p->mu);
  pthread_cond_destroy(&p->cv);
  p->started = 0;
}

/* Serves `s` (owned by ads from here) with the next version. */
static void serve(struct xdsd *x, struct snapshot *s, int phase) {
  const struct snapshot *cur = ads_snapshot(x->ads);
  s->version = cur ? cur->version + 1 : 1;
  log_info("msg=\"snapshot\" version=%llu phase=%s listeners=%zu routes=%zu clusters=%zu endpoints=%zu streams=%zu",
           (unsigned long long)s->version, snapshot_phase_name(phase), s->tables[SNAP_LDS_API].n, s->tables[SNAP_RDS].n,
           s->tables[SNAP_CDS].n, s->n_endpoints, ads_streams(x->ads));
  ads_set_snapshot(x->ads, s);
  x->dirty = 1;
}

/* Moves the change under way to its next phase once the clients are through the current one (or its
 * time is up): make before break, see snapshot_plan. */
static void advance(struct xdsd *x, int64_t now_ms) {
  if (!x->ro.target) return;
  if (x->ro.phase != SNAPSHOT_PHASE_FINAL) {
    int through =
        x->ro.phase == SNAPSHOT_PHASE_ADD ? ads_clusters_warm(x->ads) : ads_removal_settled(x->ads, x->ro.target);
    if (!through && now_ms < x->ro.phase_deadline_ms) return;
    if (!through)
      log_info("msg=\"phase timed out, moving on\" phase=%s waited_ms=%d", snapshot_phase_name(x->ro.phase),
               PHASE_MAX_MS);
  }
  struct snapshot *p;
  int phase = snapshot_plan(ads_snapshot(x->ads), x->ro.target, &p);
  if (phase < 0) {
    log_error("msg=\"out of memory building a snapshot\"");
    return; /* tried again on the next tick */
  }
  x->ro.phase = phase;
  if (phase == SNAPSHOT_PHASE_FINAL) {
    p = x->ro.target;
    x->ro.target = NULL;
  } else {
    x->ro.phase_deadline_ms = now_ms + PHASE_MAX_MS;
  }
  serve(x, p, phase);
}

/* Starts building a snapshot from the config and DNS, on the worker (a frozen copy of the answers). */
static void start_build(struct xdsd *x, int64_t now_ms) {
  x->ro.rebuild_wanted = 0;
  if (!x->rl.cfg && !x->kube) return;
  struct dns_frozen *dns = discovery_freeze(x->dns);
  if (!dns) {
    log_error("msg=\"out of memory building a snapshot\"");
    x->ro.rebuild_wanted = 1; /* tried again on the next tick */
    return;
  }
  struct kube_view *kube = NULL;
  if (x->kube) {
    x->kube_generation = kubewatch_generation(x->kube); /* before the freeze: a later change builds again */
    if (!(kube = kubewatch_freeze(x->kube))) {
      dns_frozen_free(dns);
      log_error("msg=\"out of memory building a snapshot\"");
      x->ro.rebuild_wanted = 1;
      return;
    }
  }
  struct parser *p = &x->rl.parser;
  pthread_mutex_lock(&p->mu);
  p->build_cfg = x->rl.cfg;
  p->frozen = dns;
  p->kube = kube;
  p->snap = NULL;
  job_post_locked(p, JOB_BUILD, now_ms);
  pthread_mutex_unlock(&p->mu);
}

/* Takes a finished build and, when it differs from what is served, starts serving it (in phases when
 * clusters come or go). A new one replaces a change still under way: the next phases are planned from
 * what is served. */
static void take_build(struct xdsd *x, int64_t now_ms) {
  struct parser *p = &x->rl.parser;
  if (!job_finished(p, JOB_BUILD)) return;
  struct snapshot *s = p->snap;
  int rc = p->rc;
  int64_t took = p->build_ms;
  pthread_mutex_lock(&p->mu);
  p->busy = 0;
  p->snap = NULL;
  dns_frozen_free(p->frozen);
  p->frozen = NULL;
  kube_view_free(p->kube);
  p->kube = NULL;
  pthread_mutex_unlock(&p->mu);
  if (rc != 0) {
    log_error("msg=\"out of memory building a snapshot\"");
    x->ro.rebuild_wanted = 1;
    return;
  }
  if (took >= 50) log_info("msg=\"snapshot built\" build_ms=%lld", (long long)took);
  if (x->ro.target && snapshot_same(x->ro.target, s)) { /* already under way */
    snapshot_free(s);
    return;
  }
  snapshot_free(x->ro.target);
  x->ro.target = NULL;
  const struct snapshot *cur = ads_snapshot(x->ads);
  if (cur && snapshot_same(cur, s)) {
    snapshot_free(s);
    x->ro.phase = SNAPSHOT_PHASE_FINAL;
    return;
  }
  /* A phase being served is still waited for (against the new target) before the next is planned. */
  x->ro.target = s;
  advance(x, now_ms);
}

static void publish(struct xdsd *x) {
  char *sbuf = NULL, *mbuf = NULL;
  size_t slen = 0, mlen = 0;
  FILE *sf = open_memstream(&sbuf, &slen), *mf = open_memstream(&mbuf, &mlen);
  if (!sf || !mf) {
    if (sf) fclose(sf);
    if (mf) fclose(mf);
    free(sbuf);
    free(mbuf);
    return;
  }
  int loading = parsing(x);
  struct status_input in = {.config_path = x->opt->config_path,
                            .cfg = x->rl.cfg,
                            .reloads_ok = x->rl.reloads_ok,
                            .reloads_failed = x->rl.reloads_failed,
                            .last_reload = x->rl.last_reload,
                            .error = x->rl.error,
                            .loading = loading,
                            .loading_ms = loading ? clock_now_ms() - x->rl.parser.began_ms : 0,
                            .snap = ads_snapshot(x->ads),
                            .dns = x->dns,
                            .kube = x->kube,
                            .ads = x->ads};
  status_render(&in, sf, mf);
  fclose(sf);
  fclose(mf);
  admin_publish(x->admin, sbuf, slen, mbuf, mlen);
}

static void teardown(struct xdsd *x) {
  parser_stop(&x->rl.parser);
  kubewatch_stop(x->kube);
  admin_stop(x->admin);
  watch_free(x->watch);
  discovery_free(x->dns);
  config_free(x->rl.cfg);
  free(x->rl.cfg_bytes);
  free(x->rl.bad_bytes);
  free(x->rl.error);
  snapshot_free(x->ro.target);
}

/* Whether the worker has finished a job the loop has not taken yet. */
static int worker_done(struct xdsd *x) {
  pthread_mutex_lock(&x->rl.parser.mu);
  int done = x->rl.parser.busy && x->rl.parser.done;
  pthread_mutex_unlock(&x->rl.parser.mu);
  return done;
}

/* The loop's phases, in the order of one turn (as libuv's uv_run reads: timers, I/O, ...).
 * dispatch: one completion-queue event (ADS streams) or a wait of at most `wait_ms`. */
static void phase_dispatch(struct xdsd *x, int wait_ms) {
  grpc_event ev = grpc_completion_queue_next(x->cq, clock_deadline_in_ms(wait_ms), NULL);
  if (ev.type != GRPC_OP_COMPLETE) return;
  struct tag *t = ev.tag;
  t->handler(t, ev.success);
  x->dirty = 1;
}

/* reload: SIGHUP or the watch says look; read and compare on the loop (cheap), parse off it, take the
 * result when it is done. */
static void phase_reload(struct xdsd *x, int64_t now, volatile sig_atomic_t *reload) {
  if (*reload) {
    *reload = 0;
    x->rl.look_again = 1;
  }
  if (x->watch && watch_poll(x->watch, now)) x->rl.look_again = 1;
  take_parse(x, now);
  if (x->rl.look_again && x->opt->config_path && !worker_busy(x, NULL)) {
    x->rl.look_again = 0;
    check_config(x, now);
  }
}

/* discovery: DNS answers that changed, and a Kubernetes store that changed, ask for a rebuild. */
static void phase_discovery(struct xdsd *x, int64_t now) {
  if (discovery_poll(x->dns, now)) x->ro.rebuild_wanted = 1;
  if (x->kube && kubewatch_generation(x->kube) != x->kube_generation) {
    x->ro.rebuild_wanted = 1;
    x->dirty = 1;
  }
}

/* Whether every discovery source has answered once (or its settle time is up). */
static int discovery_ready(struct xdsd *x, int64_t now) {
  if (now >= x->ro.rebuild_deadline_ms) return 1;
  return discovery_settled(x->dns) && (!x->kube || kubewatch_settled(x->kube));
}

/* rollout: build the snapshot once DNS has answered (or its settle time is up), and move a change
 * served in phases on when the clients are through the current one. */
static void phase_rollout(struct xdsd *x, int64_t now) {
  take_build(x, now);
  /* A reload waiting for the worker goes first (builds could otherwise follow each other forever while
   * DNS keeps changing). */
  if (x->ro.rebuild_wanted && discovery_ready(x, now) && !worker_busy(x, NULL) && !x->rl.look_again)
    start_build(x, now);
  advance(x, now);
}

/* upkeep: say how many client-caused log lines a past second left out; and, every TRIM_MS, give back
 * freed memory: thousands of streams connecting leave it in malloc's arenas (gRPC's threads have their
 * own); returning it keeps RSS close to what the open streams really use. */
static void phase_upkeep(struct xdsd *x, int64_t now) {
  ads_tick(x->ads, now);
  if (now < x->next_trim) return;
  malloc_trim(0);
  x->next_trim = now + TRIM_MS;
}

/* publish: /status and /metrics, soon after a change and every second anyway (DNS errors, connected
 * times); with thousands of streams, less often. */
static void phase_publish(struct xdsd *x, int64_t now) {
  if (!x->admin || now < x->next_publish || (!x->dirty && now < x->last_publish + PUBLISH_IDLE_MS)) return;
  publish(x);
  x->dirty = 0;
  x->last_publish = now;
  x->next_publish = now + PUBLISH_MS + (int64_t)ads_streams(x->ads) / 10;
}

/* Connects to the API server (kubeconfig or service account) and starts the watches. */
static int start_kube(struct xdsd *x) {
  const struct xdsd_options *o = x->opt;
  struct kube_conn conn;
  char err[1024], ebuf[1024];
  int rc = o->kubeconfig ? kube_conn_from_kubeconfig(o->kubeconfig, &conn, err, sizeof err)
                         : kube_conn_in_cluster(&conn, err, sizeof err);
  if (rc != 0) {
    log_sanitize(err, strlen(err), ebuf, sizeof ebuf);
    log_error("msg=\"cannot connect to Kubernetes\" flag=%s error=%s", o->kubeconfig ? "--kubeconfig" : "--kubernetes",
              ebuf);
    return -1;
  }
  log_info("msg=\"kubernetes\" server=%s origin=\"%s\"", conn.server, conn.origin);
  struct kubewatch_options ko = {.namespaces = o->namespaces,
                                 .n_namespaces = o->n_namespaces,
                                 .watch_timeout_s = o->kube_watch_timeout_s,
                                 .idle_ms = o->kube_idle_ms};
  if (kubewatch_start(&conn, &ko, &x->kube) != 0) {
    kube_conn_clear(&conn);
    log_error("msg=\"cannot start the Kubernetes watch threads\"");
    return -1;
  }
  return 0;
}

/* DNS, the admin endpoint, the Kubernetes watch, the ADS server and the config's watch and parser.
 * Returns 0, or 1 (logged, everything started so far stopped). */
static int start_all(struct xdsd *x) {
  const struct xdsd_options *o = x->opt;
  if (discovery_new(o->dns_server, o->dns_refresh_ms, &x->dns) != 0) {
    log_error("msg=\"cannot set up DNS\" flag=--dns-server value=\"%s\"", o->dns_server ? o->dns_server : "");
    return 1;
  }
  if (o->admin && admin_start(o->admin, &x->admin) != 0) {
    log_error("msg=\"cannot listen\" flag=--admin value=\"%s\"", o->admin);
    teardown(x);
    return 1;
  }
  if (o->kubernetes && start_kube(x) != 0) {
    teardown(x);
    return 1;
  }
  x->cq = grpc_completion_queue_create_for_next(NULL);
  if (ads_start(o->listen, x->cq, &x->ads) != 0) {
    log_error("msg=\"cannot listen\" flag=--listen value=\"%s\"", o->listen);
    tag_drain_cq(x->cq, 0);
    grpc_completion_queue_destroy(x->cq);
    teardown(x);
    return 1;
  }
  if (o->record_dir) ads_record_requests(x->ads, o->record_dir); /* before the loop handles any request */
  if (o->config_path) watch_new(o->config_path, WATCH_DEBOUNCE_MS, WATCH_PERIOD_MS, &x->watch);
  log_info("msg=started listen=%s admin=%s config=%s dns_server=%s dns_refresh_ms=%lld kubernetes=%s", o->listen,
           o->admin ? o->admin : "-", o->config_path ? o->config_path : "-", o->dns_server ? o->dns_server : "system",
           (long long)o->dns_refresh_ms, o->kubernetes ? (o->kubeconfig ? o->kubeconfig : "in-cluster") : "off");
  if (parser_start(&x->rl.parser) != 0) {
    log_error("msg=\"cannot start the config parser thread\"");
    teardown(x);
    return 1;
  }
  return 0;
}

/* Streams are cancelled and given SHUTDOWN_MS to end; then every batch still in flight completes
 * before the queue reports shutdown: keep dispatching them, so that each stream's last completion
 * frees it, and only then free what is left. */
static void stop_all(struct xdsd *x) {
  log_info("msg=stopping streams=%zu", ads_streams(x->ads));
  ads_shutdown(x->ads);
  int64_t deadline = clock_now_ms() + SHUTDOWN_MS;
  while (!ads_done(x->ads) && clock_now_ms() < deadline) {
    grpc_event ev = grpc_completion_queue_next(x->cq, clock_deadline_in_ms(100), NULL);
    if (ev.type == GRPC_OP_COMPLETE) ((struct tag *)ev.tag)->handler(ev.tag, ev.success);
  }
  if (!ads_done(x->ads))
    log_warn("msg=\"streams still open after the shutdown grace\" streams=%zu", ads_streams(x->ads));
  ads_cq_closing(x->ads);
  tag_drain_cq(x->cq, 1);
  ads_free(x->ads);
  grpc_completion_queue_destroy(x->cq);
  teardown(x);
  log_info("msg=stopped");
}

int xdsd_run(const struct xdsd_options *o, volatile sig_atomic_t *stop, volatile sig_atomic_t *reload) {
  struct xdsd x;
  memset(&x, 0, sizeof x);
  x.opt = o;
  if (start_all(&x) != 0) return 1;
  if (o->config_path) check_config(&x, clock_now_ms());
  if (x.kube) { /* the first build waits for the first lists (or their failure), at most DNS_SETTLE_MS */
    x.ro.rebuild_wanted = 1;
    x.ro.rebuild_deadline_ms = clock_now_ms() + DNS_SETTLE_MS;
  }
  /* A turn runs the phases every TICK_MS, and as soon as the worker is done with a job: a config
   * change then reaches the clients when its parse and its build are done, not one or two ticks later
   * (about 35 ms at 1,000 clients before, BENCHMARKS.md). While a job runs the loop waits JOB_POLL_MS
   * at most: gRPC core's C API has no alarm the worker could set to wake the queue. */
  while (!*stop) {
    int job = worker_busy(&x, NULL);
    phase_dispatch(&x, job ? JOB_POLL_MS : TICK_MS);
    int64_t now = clock_now_ms();
    if (now < x.next_tick && !(job && worker_done(&x))) continue;
    x.next_tick = now + TICK_MS;
    phase_reload(&x, now, reload);
    phase_discovery(&x, now);
    phase_rollout(&x, now);
    phase_upkeep(&x, now);
    phase_publish(&x, now);
  }
  stop_all(&x);
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
  listing_print(s, c, out);
  fprintf(out, "%s: ok\n", path);
  snapshot_free(s);
  config_free(c);
  return 0;
}
