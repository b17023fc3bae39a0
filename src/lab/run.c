#define _XOPEN_SOURCE 700 /* nftw */
#define _GNU_SOURCE
#include "run.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <unistd.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "clock.h"
#include "log.h"
#include "netns.h"
#include "progress.h"

#define POLL_MS 100
#define DNS_PORT_NETNS 53
#define DNS_PORT_HOST 5353 /* without a namespace (not root): an unprivileged port */

static void run_fail(struct run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void run_fail(struct run *r, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(r->error_msg, sizeof r->error_msg, fmt, ap);
  va_end(ap);
  r->error = 1;
  log_error("msg=\"scenario failed to run\" scenario=%s reason=\"%s\"", r->sc->name, r->error_msg);
}

size_t run_step_at(const struct run *r, int64_t t_ms) {
  size_t k = 0;
  for (size_t i = 1; i < r->sc->n_steps; i++) {
    int64_t start = r->timing.step_start_ms[i];
    if (start > 0 && start <= t_ms) k = i;
  }
  return k;
}

static void add_event(struct run *r, int64_t t_ms, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void add_event(struct run *r, int64_t t_ms, const char *fmt, ...) {
  if (r->n_events == sizeof r->events / sizeof r->events[0]) return;
  struct run_event *ev = &r->events[r->n_events++];
  ev->t_ms = t_ms;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(ev->label, sizeof ev->label, fmt, ap);
  va_end(ap);
  log_info("msg=event scenario=%s t_ms=%lld event=\"%s\"", r->sc->name, (long long)t_ms, ev->label);
}

static int make_dir(const char *path) {
  char buf[PATH_MAX];
  snprintf(buf, sizeof buf, "%s", path);
  for (char *p = buf + 1; *p; p++) {
    if (*p != '/') continue;
    *p = '\0';
    if (mkdir(buf, 0755) != 0 && errno != EEXIST) return -1;
    *p = '/';
  }
  return mkdir(buf, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

int run_claim_out(const char *dir, char *err, size_t errlen) {
  char mark[PATH_MAX + 16];
  if ((size_t)snprintf(mark, sizeof mark, "%s/" RUN_OUT_MARK, dir) >= sizeof mark) {
    snprintf(err, errlen, "the path is too long");
    return -1;
  }
  struct stat st;
  if (stat(dir, &st) == 0) {
    if (!S_ISDIR(st.st_mode)) {
      snprintf(err, errlen, "exists and is not a folder");
      return -1;
    }
    DIR *d = opendir(dir);
    if (!d) {
      snprintf(err, errlen, "cannot read it: %s", strerror(errno));
      return -1;
    }
    int empty = 1;
    for (struct dirent *e; (e = readdir(d));)
      if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) empty = 0;
    closedir(d);
    if (!empty && access(mark, F_OK) != 0) {
      snprintf(err, errlen, "exists, is not empty and was not made by lab (no %s); not touching it", RUN_OUT_MARK);
      return -1;
    }
  } else if (make_dir(dir) != 0) {
    snprintf(err, errlen, "cannot create it: %s", strerror(errno));
    return -1;
  }
  FILE *f = fopen(mark, "w");
  if (!f || fputs("made by lab run: its reports may be replaced by the next run\n", f) < 0 || fclose(f) != 0) {
    snprintf(err, errlen, "cannot write in it: %s", strerror(errno));
    return -1;
  }
  return 0;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  (void)st;
  (void)flag;
  (void)ftw;
  return remove(path);
}

/* A previous run's folder is removed, so nothing stale mixes into this run's report; only a folder
 * the lab wrote (it has lab-commands.log) is. Returns 0, or -1 when the folder is someone else's. */
static int clear_dir(const char *dir) {
  char marker[PATH_MAX + 32];
  struct stat st;
  if (stat(dir, &st) != 0) return 0;
  snprintf(marker, sizeof marker, "%s/lab-commands.log", dir);
  if (access(marker, F_OK) != 0) return -1;
  return nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Context for the line callback: the run and the current time. */
struct line_ctx {
  struct run *r;
  int64_t t_ms;
  FILE *out; /* the client's stdout, kept for the report */
};

static void on_client_line(void *arg, const char *line) {
  struct line_ctx *ctx = arg;
  struct sample_line sl;
  if (ctx->out) fprintf(ctx->out, "%s\n", line);
  if (sample_parse_line(line, &sl) != 0) return;
  if (sample_add(&ctx->r->samples, ctx->t_ms, &sl) != 0) run_fail(ctx->r, "out of memory");
}

/* Waits up to ms for client output and reads it; returns early when a client's pipe has data. */
static void read_clients(struct run *r, int64_t t0, int ms, FILE **outs) {
  struct cluster *c = &r->cluster;
  struct pollfd pfd[SC_MAX_CLIENTS];
  size_t idx[SC_MAX_CLIENTS], n = 0;
  for (size_t i = 0; i < r->sc->n_clients; i++) {
    if (c->clients[i].proc.out_fd < 0) continue;
    pfd[n].fd = c->clients[i].proc.out_fd;
    pfd[n].events = POLLIN;
    idx[n++] = i;
  }
  if (poll(pfd, n, ms) <= 0) return;
  for (size_t j = 0; j < n; j++) {
    if (!(pfd[j].revents & (POLLIN | POLLHUP))) continue;
    struct line_ctx ctx = {.r = r, .t_ms = clock_now_ms() - t0, .out = outs[idx[j]]};
    proc_read_lines(&c->clients[idx[j]].proc, on_client_line, &ctx);
  }
}

/* A client that exits on its own is a failed run: the demo's client never stops. */
static int clients_alive(struct run *r) {
  for (size_t i = 0; i < r->sc->n_clients; i++) {
    int st;
    if (proc_poll_exit(&r->cluster.clients[i].proc, &st) == 1) {
      run_fail(r, "client %s exited (status %d); see %s/%s.log", r->sc->clients[i].name, st, r->dir,
               r->sc->clients[i].name);
      return 0;
    }
  }
  return 1;
}

static int do_step(struct run *r, size_t k) {
  const struct sc_step *st = &r->sc->steps[k];
  r->cluster.step = (int)k;
  switch (st->action) {
    case SC_ACTION_NONE:
      return 0;
    case SC_ACTION_SCALE:
      return cluster_scale(&r->cluster, st->target, st->replicas, (int)k);
    case SC_ACTION_RESTART:
      return cluster_restart_client(&r->cluster, st->target);
    case SC_ACTION_WEIGHTS:
      return cluster_set_weights(&r->cluster, st->target, st->weights, st->n_weights);
    case SC_ACTION_XDS_CONFIG:
      return cluster_xds_config(&r->cluster, st->target);
    case SC_ACTION_KILL:
      return cluster_kill(&r->cluster, st->target, (int)k);
  }
  return -1;
}

/* Context for sampling the proxies' request counters. */
struct proxy_ctx {
  struct run *r;
  int64_t t_ms;
};

static void sample_proxy(void *arg, struct envoy *p) {
  struct proxy_ctx *ctx = arg;
  uint64_t delta;
  long rss = envoy_rss_kib(p);
  if (rss > ctx->r->proxy_rss_kib_max) ctx->r->proxy_rss_kib_max = rss;
  if (envoy_requests_delta(p, &delta) != 0) return;
  struct sample_line l;
  memset(&l, 0, sizeof l);
  l.window_ms = 1000;
  l.ok = delta;
  l.n = 1;
  snprintf(l.servers[0].name, sizeof l.servers[0].name, "%s", p->name);
  l.servers[0].count = delta;
  sample_declare(&ctx->r->proxy_samples, p->name);
  if (sample_add(&ctx->r->proxy_samples, ctx->t_ms, &l) != 0) run_fail(ctx->r, "out of memory");
}

static void declare_pods(struct run *r) {
  for (size_t i = 0; i < r->cluster.n_pods; i++)
    sample_declare(r->cluster.pods[i].is_proxy ? &r->proxy_samples : &r->samples, r->cluster.pods[i].name);
}

/* Plays the timeline; returns when it ends, fails, or is interrupted. */
static void play(struct run *r, const struct run_options *opt, volatile sig_atomic_t *stop, FILE **outs) {
  int64_t total = scenario_duration_ms(r->sc);
  int64_t t0 = clock_now_ms();
  struct timespec wall;
  clock_gettime(CLOCK_REALTIME, &wall);
  r->t0_wall_ms = (int64_t)wall.tv_sec * 1000 + wall.tv_nsec / 1000000;
  if (cluster_start_clients(&r->cluster) != 0) {
    run_fail(r, "cannot start the clients");
    return;
  }
  add_event(r, 0, "start: %s", r->sc->steps[0].phase);
  int64_t due = r->sc->steps[0].duration_ms; /* when the next step is due, since t0 */
  size_t next = 1;
  int64_t next_proxy_sample = 1000;
  for (;;) {
    int64_t now = clock_now_ms() - t0;
    if (*stop) {
      r->interrupted = 1;
      snprintf(r->error_msg, sizeof r->error_msg, "interrupted");
      break;
    }
    if (now >= due) {
      if (next == r->sc->n_steps) break;
      const struct sc_step *st = &r->sc->steps[next];
      r->timing.action_ms[next] = clock_now_ms() - t0;
      if (do_step(r, next) != 0) {
        run_fail(r, "step %zu (%s) failed", next, st->phase);
        break;
      }
      /* The step counts from when its change took effect (pods ready, DNS serving them). */
      int64_t done = clock_now_ms() - t0;
      r->timing.step_start_ms[next] = done;
      declare_pods(r);
      if (st->action == SC_ACTION_SCALE) {
        add_event(r, done, "scale %s to %d", st->target, st->replicas);
      } else if (st->action == SC_ACTION_WEIGHTS) {
        char w[64] = "";
        for (size_t i = 0; i < st->n_weights; i++)
          snprintf(w + strlen(w), sizeof w - strlen(w), "%s%d", i ? "/" : "", st->weights[i].weight);
        add_event(r, done, "weights %s + restart", w);
      } else if (st->action == SC_ACTION_XDS_CONFIG) {
        add_event(r, done, "xds config %s", st->target);
      } else if (st->action == SC_ACTION_KILL) {
        add_event(r, done, "kill a %s pod", st->target);
      } else {
        add_event(r, done, "restart %s", st->target);
      }
      due += st->duration_ms;
      next++;
      continue;
    }
    if (now >= next_proxy_sample) {
      struct proxy_ctx pc = {r, now};
      cluster_each_proxy(&r->cluster, sample_proxy, &pc);
      next_proxy_sample += 1000;
    }
    int64_t wait = due - now < POLL_MS ? due - now : POLL_MS;
    read_clients(r, t0, (int)wait, outs);
    if (r->error || !clients_alive(r)) break;
    int64_t at = clock_now_ms() - t0;
    progress_tick(r->sc, &r->samples, run_step_at(r, at), at, total, opt->progress_tty);
  }
  r->timing.end_ms = clock_now_ms() - t0;
  progress_done(opt->progress_tty);
  if (sample_extend(&r->samples, (size_t)(r->timing.end_ms / 1000) + 1) != 0 ||
      sample_extend(&r->proxy_samples, (size_t)(r->timing.end_ms / 1000) + 1) != 0)
    run_fail(r, "out of memory");
}

struct rx {
  int64_t ms;
  int16_t client;
};

static int cmp_rx(const void *a, const void *b) {
  int64_t x = ((const struct rx *)a)->ms, y = ((const struct rx *)b)->ms;
  return (x > y) - (x < y);
}

/* The scenario client that sent a logged RPC: "from=NAME-N" names client NAME (its N-th start). */
static int16_t rx_sender(const struct scenario *sc, const char *line) {
  const char *f = strstr(line, " from=");
  if (!f) return -1;
  f += 6;
  size_t n = strcspn(f, " \n");
  while (n && f[n - 1] >= '0' && f[n - 1] <= '9') n--;
  if (n < 2 || f[n - 1] != '-') return -1;
  n--;
  for (size_t i = 0; i < sc->n_clients; i++)
    if (strlen(sc->clients[i].name) == n && strncmp(sc->clients[i].name, f, n) == 0) return (int16_t)i;
  return -1;
}

/* Reads when each server received its RPCs from its log ("<UTC time> greeter-server info
 * msg=received ..."), in ms since the clients started: the first one, and all of them in order. */
static void read_received(struct run *r) {
  for (size_t i = 0; i < r->cluster.n_pods; i++) {
    struct pod *p = &r->cluster.pods[i];
    if (p->is_proxy) continue;
    char path[PATH_MAX + 80], line[1024];
    snprintf(path, sizeof path, "%s/%s.log", r->dir, p->name);
    FILE *f = fopen(path, "r");
    if (!f) continue;
    size_t cap = 0, n = 0;
    struct rx *rx = NULL;
    free(p->rx_ms);
    free(p->rx_client);
    p->rx_ms = NULL;
    p->rx_client = NULL;
    p->n_rx = 0;
    int ok = 1;
    while (ok && fgets(line, sizeof line, f)) {
      if (!strstr(line, " msg=received ")) continue;
      struct tm tm;
      memset(&tm, 0, sizeof tm);
      const char *rest = strptime(line, "%Y-%m-%dT%H:%M:%S", &tm);
      if (!rest || *rest != '.') continue;
      int64_t ms = (int64_t)timegm(&tm) * 1000 + atoi(rest + 1) - r->t0_wall_ms;
      if (n == cap) {
        size_t ncap = cap ? cap * 2 : 1024;
        struct rx *nr = realloc(rx, ncap * sizeof *nr);
        if (!nr) {
          ok = 0;
          break;
        }
        rx = nr;
        cap = ncap;
      }
      rx[n++] = (struct rx){ms, rx_sender(r->sc, rest)};
    }
    fclose(f);
    /* Sorted by time, then apart: the times for the judge's scans, the senders beside them. The
     * arrays exist (of one entry at least) also when nothing was received: "read, nothing received"
     * is not "not read". */
    if (ok) {
      qsort(rx, n, sizeof *rx, cmp_rx);
      p->rx_ms = malloc((n ? n : 1) * sizeof *p->rx_ms);
      p->rx_client = malloc((n ? n : 1) * sizeof *p->rx_client);
      ok = p->rx_ms && p->rx_client;
    }
    if (!ok) {
      free(rx);
      free(p->rx_ms);
      free(p->rx_client);
      p->rx_ms = NULL;
      p->rx_client = NULL;
      run_fail(r, "out of memory reading %s", path);
      continue;
    }
    for (size_t j = 0; j < n; j++) {
      p->rx_ms[j] = rx[j].ms;
      p->rx_client[j] = rx[j].client;
    }
    free(rx);
    p->n_rx = n;
    p->first_rx_ms = n ? p->rx_ms[0] : -1;
  }
}

static void judge_all(struct run *r) {
  struct judge_pod pods[CLUSTER_MAX_PODS];
  read_received(r);
  for (size_t i = 0; i < r->cluster.n_pods; i++) {
    const struct pod *p = &r->cluster.pods[i];
    pods[i] = (struct judge_pod){.name = p->name,
                                 .deployment = p->deployment,
                                 .born_step = p->born_step,
                                 .gone_step = p->gone_step,
                                 .first_rx_ms = p->first_rx_ms,
                                 .rx_ms = p->rx_ms,
                                 .rx_client = p->rx_client,
                                 .n_rx = p->n_rx};
  }
  r->passed = 1;
  for (size_t i = 0; i < r->sc->n_expects; i++) {
    const struct sc_expect *e = &r->sc->expects[i];
    /* Expectations about proxy pods judge the proxies' request counts; all others the servers'. */
    const struct sc_deployment *d = scenario_deployment(r->sc, e->deployment);
    const struct sample_set *s = d && d->image == SC_IMAGE_ENVOY ? &r->proxy_samples : &r->samples;
    judge_expect(r->sc, e, s, pods, r->cluster.n_pods, &r->timing, &r->results[i]);
    r->passed &= r->results[i].pass;
  }
}

int run_scenario(struct run *r, const struct scenario *sc, const struct run_options *opt, volatile sig_atomic_t *stop) {
  memset(r, 0, sizeof *r);
  r->sc = sc;
  sample_init(&r->samples);
  sample_init(&r->proxy_samples);
  if ((size_t)snprintf(r->dir, sizeof r->dir, "%s/%s", opt->out_dir, sc->name) >= sizeof r->dir - 64) {
    run_fail(r, "--out path is too long");
    return -1;
  }
  if (clear_dir(r->dir) != 0) {
    run_fail(r, "%s exists and was not written by lab (no lab-commands.log); not touching it", r->dir);
    return -1;
  }
  if (make_dir(r->dir) != 0) {
    run_fail(r, "cannot create %s: %s", r->dir, strerror(errno));
    return -1;
  }
  r->dir_ours = 1;
  char log_path[PATH_MAX + 32];
  if ((size_t)snprintf(log_path, sizeof log_path, "%s/lab-commands.log", r->dir) >= sizeof log_path) return -1;
  /* Also the mark that this folder is the lab's (clear_dir). */
  FILE *mark = fopen(log_path, "a");
  if (mark) fclose(mark);
  int has_clusterip = 0;
  for (size_t i = 0; i < sc->n_services; i++) has_clusterip |= sc->services[i].type == SC_SERVICE_CLUSTERIP;
  enum clusterip_mode mode = CLUSTERIP_IPTABLES;
  if (opt->clusterip == RUN_CLUSTERIP_HAPROXY || (opt->clusterip == RUN_CLUSTERIP_AUTO && !opt->netns))
    mode = CLUSTERIP_HAPROXY;
  if (mode == CLUSTERIP_IPTABLES && !opt->netns && has_clusterip) {
    run_fail(r, "--clusterip=iptables needs a network namespace (run as root, without --no-netns)");
    return -1;
  }
  if (has_clusterip) snprintf(r->clusterip_desc, sizeof r->clusterip_desc, "%s", clusterip_mode_name(mode));

  /* 1. The node: a private network namespace when we can have one. */
  if (opt->netns && netns_create_and_enter(r->netns, sizeof r->netns, log_path) != 0) {
    r->netns[0] = '\0';
    run_fail(r, "cannot create a network namespace");
    return -1;
  }
  /* 2. The cluster: DNS, pods, Services. */
  FILE *outs[SC_MAX_CLIENTS] = {0};
  if (cluster_up(&r->cluster, sc, &opt->tools, r->dir, mode, opt->netns ? DNS_PORT_NETNS : DNS_PORT_HOST) != 0) {
    run_fail(r, "cannot bring the cluster up; see the logs in %s", r->dir);
  } else {
    declare_pods(r);
    for (size_t i = 0; i < sc->n_clients; i++) {
      char path[PATH_MAX + 64];
      snprintf(path, sizeof path, "%s/%s.out", r->dir, sc->clients[i].name);
      outs[i] = fopen(path, "we"); /* close-on-exec: later children must not inherit it */
    }
    /* 3. The timeline, sampled. */
    play(r, opt, stop, outs);
  }
  /* 4. Teardown, whatever happened: every process by PID, then the namespace. */
  cluster_down(&r->cluster);
  for (size_t i = 0; i < sc->n_clients; i++)
    if (outs[i]) fclose(outs[i]);
  if (r->netns[0]) netns_leave_and_delete(r->netns, log_path);
  if (r->error || r->interrupted) return -1;
  /* 5. The verdicts. */
  judge_all(r);
  return 0;
}

void run_free(struct run *r) {
  for (size_t i = 0; i < r->cluster.n_pods; i++) {
    free(r->cluster.pods[i].rx_ms);
    r->cluster.pods[i].rx_ms = NULL;
    free(r->cluster.pods[i].rx_client);
    r->cluster.pods[i].rx_client = NULL;
  }
  sample_free(&r->samples);
  sample_free(&r->proxy_samples);
}
