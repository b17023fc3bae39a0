#include "judge.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "verdict.h"

void judge_phase_seconds(const struct judge_timing *tm, const struct sample_set *s, size_t n_steps, size_t k,
                         size_t *from, size_t *to) {
  int64_t start = tm->step_start_ms[k];
  int64_t end = k + 1 < n_steps ? tm->step_start_ms[k + 1] : tm->end_ms;
  /* A summary line is counted in the second it arrived in, and its window (about 1 s, longer on a busy
   * machine) reaches back into the second before: the first second of the phase is the first whose
   * windows all began after the start. The last one ends by `end`. */
  *from = k == 0 ? 0 : sample_clean_from(s, start);
  *to = end > 0 ? (size_t)(end / 1000) : 0;
  if (*to < *from) *to = *from;
}

/* The last RPC that a selected pod logged as received in [from_ms, to_ms), or -1 when none did;
 * sets *known to 0 when a pod's log was not read. */
static int64_t last_received(const struct judge_pod *const *sel, size_t n, int64_t from_ms, int64_t to_ms, int *known) {
  int64_t last = -1;
  *known = 1;
  for (size_t i = 0; i < n; i++) {
    if (!sel[i]->rx_ms) {
      *known = 0;
      continue;
    }
    for (size_t j = sel[i]->n_rx; j-- > 0;) {
      int64_t t = sel[i]->rx_ms[j];
      if (t >= to_ms) continue;
      if (t >= from_ms && t > last) last = t;
      break;
    }
  }
  return last;
}

/* Appends to out->measured. */
static void say(struct judge_result *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct judge_result *out, const char *fmt, ...) {
  size_t len = strlen(out->measured);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(out->measured + len, sizeof out->measured - len, fmt, ap);
  va_end(ap);
}

/* The sample columns of the pods an expectation selects. */
static size_t select_pods(const struct scenario *sc, const struct sc_expect *e, const struct sample_set *s,
                          const struct judge_pod *pods, size_t n_pods, size_t *cols, const char **names,
                          const struct judge_pod **sel) {
  int k = scenario_phase_index(sc, e->phase);
  size_t n = 0;
  for (size_t i = 0; i < n_pods; i++) {
    const struct judge_pod *p = &pods[i];
    if (strcmp(sc->deployments[p->deployment].name, e->deployment) != 0) continue;
    int alive = p->born_step <= k && (p->gone_step < 0 || p->gone_step > k);
    if (e->select == SC_SELECT_GONE ? p->gone_step != k : (!alive || (e->select == SC_SELECT_NEW && p->born_step != k)))
      continue;
    int col = sample_server(s, p->name);
    if (col < 0) continue; /* every pod is declared when it starts; this is only defensive */
    names[n] = p->name;
    sel[n] = p;
    cols[n++] = (size_t)col;
  }
  return n;
}

/* The selected pods as one column (0) against the rest (1), so the verdict functions judge the group. */
static void group_share(const struct sc_expect *e, const struct sample_set *s, const size_t *cols,
                        const struct judge_pod *const *sel, size_t n, int64_t step_start_ms, int64_t step_end_ms,
                        size_t from, size_t to, struct judge_result *out) {
  struct verdict_grid grid = sample_grid(s);
  const struct verdict_grid *g = &grid;
  uint64_t *gc = calloc(g->n_t * 2 + 2, sizeof *gc);
  if (!gc) {
    say(out, "out of memory");
    return;
  }
  for (size_t t = 0; t < g->n_t; t++)
    for (size_t c = 0; c < g->n_s; c++) {
      int in = 0;
      for (size_t i = 0; i < n; i++) in |= cols[i] == c;
      gc[t * 2 + (in ? 0 : 1)] += g->count[t * g->n_s + c];
    }
  struct verdict_grid gg = {.n_t = g->n_t, .n_s = 2, .count = gc};
  size_t settled = sample_clean_from(s, step_start_ms + e->settle_ms);
  if (settled < from) settled = from;
  if (settled > to) settled = to;
  size_t group = 0;
  double worst;
  int within = verdict_shares_within(&gg, &group, 1, settled, to, e->target, e->tolerance, &worst);
  uint64_t total = verdict_total(&gg, -1, settled, to);
  double share = verdict_share(&gg, 0, settled, to);
  long reached = verdict_time_to_even(&gg, &group, 1, (size_t)(step_start_ms / 1000), to, 1, e->target, e->tolerance);
  out->value = share;
  out->pass = within && total >= e->min_rpcs;
  say(out, "%s %.1f%% of %llu RPCs", e->deployment, share, (unsigned long long)total);
  if (total < e->min_rpcs) say(out, " (fewer than %llu)", (unsigned long long)e->min_rpcs);
  if (reached >= 0 && step_start_ms > 0) {
    double secs = (double)reached - (double)step_start_ms / 1000.0;
    say(out, "; on target in the first clean 1 s sample, <= %.1f s after the change", secs < 0 ? 0 : secs);
  }
  /* How long the group still got calls after the change, from the servers' own logs (ms): for a
   * group that the change takes out (target 0), the time the change took to reach every client. */
  if (e->within_ms >= 0) {
    int known;
    int64_t last = last_received(sel, n, step_start_ms, step_end_ms, &known);
    double secs = last < 0 ? 0 : (double)(last - step_start_ms) / 1000.0;
    if (!known)
      say(out, "; no server log to time the last RPC");
    else if (last < 0)
      say(out, "; no RPC reached %s after the change", e->deployment);
    else
      say(out, "; the last RPC reached %s %.3f s after the change", e->deployment, secs);
    out->pass = out->pass && known && secs * 1000.0 <= (double)e->within_ms;
  }
  free(gc);
}

/* What every verdict gets: the expectation, the samples and the selected pods, the phase's clean
 * seconds [from, to), the RPCs counted in them, and when the phase began and ended. */
struct judge_ctx {
  const struct scenario *sc;
  const struct sc_expect *e;
  const struct sample_set *s;
  struct verdict_grid g;
  size_t from, to, n;
  const size_t *cols;
  const char *const *names;
  const struct judge_pod *const *sel;
  const struct judge_pod *pods; /* every pod */
  size_t n_pods;
  uint64_t total;
  int64_t start_ms, end_ms; /* the phase: its step's start to the next step's (or the run's end) */
  size_t start_s;           /* the second the phase began in (boundary included) */
  int64_t action_ms;        /* when the phase's action began (a kill: its SIGKILL), before start_ms */
};

/* Seconds from the phase's start to the end of second `t` of the run. */
static double after_start_s(const struct judge_ctx *c, long t) {
  return (double)(t + 1) - (double)c->start_ms / 1000.0;
}

static void judge_top_share(const struct judge_ctx *c, struct judge_result *out) {
  size_t top;
  double sh = verdict_top_share(&c->g, c->from, c->to, &top);
  out->value = sh;
  out->pass = c->total > 0 && sh + 1e-9 >= c->e->min;
  say(out, "%s got %.1f%% of %llu RPCs", c->total ? c->s->names[top] : "no pod", sh, (unsigned long long)c->total);
}

static void judge_share_each(const struct judge_ctx *c, struct judge_result *out) {
  double worst;
  out->pass = verdict_shares_within(&c->g, c->cols, c->n, c->from, c->to, c->e->target, c->e->tolerance, &worst);
  out->value = worst;
  for (size_t i = 0; i < c->n; i++)
    say(out, "%s%s %.1f%%", i ? ", " : "", c->names[i], verdict_share(&c->g, c->cols[i], c->from, c->to));
  say(out, " of %llu RPCs", (unsigned long long)c->total);
}

static void judge_no_rpc(const struct judge_ctx *c, struct judge_result *out) {
  /* Every second of the phase, boundary included: a new pod cannot have answered before it existed. */
  uint64_t all = verdict_total(&c->g, -1, c->start_s, c->to), got = 0;
  for (size_t i = 0; i < c->n; i++) {
    uint64_t got_i = verdict_total(&c->g, (int)c->cols[i], c->start_s, c->to);
    got += got_i;
    say(out, "%s%s %llu", i ? ", " : "", c->names[i], (unsigned long long)got_i);
  }
  say(out, " of %llu RPCs over %.0f s", (unsigned long long)all, (double)(c->end_ms - c->start_ms) / 1000.0);
  /* Silence proves nothing: the client must still have been answered at the end of the phase
   * (a client that stalled or failed every call after the scale would pass otherwise). */
  uint64_t tail = c->to > c->start_s ? verdict_total(&c->g, -1, c->to - 1, c->to) : 0;
  if (tail == 0) say(out, "; no RPC answered in the phase's last second");
  out->pass = got == 0 && all > 0 && tail > 0;
  out->value = (double)got;
}

static void judge_first_rpc(const struct judge_ctx *c, struct judge_result *out) {
  out->pass = 1;
  double worst = 0;
  /* The server's own log says when the first RPC arrived (ms); the clients' summary lines only
   * say in which second its reply was counted. */
  for (size_t i = 0; i < c->n; i++) {
    const struct judge_pod *p = c->sel[i];
    int64_t first = p->first_rx_ms >= 0 ? p->first_rx_ms : c->s->first_ms[c->cols[i]];
    if (first < 0) {
      out->pass = 0;
      say(out, "%s%s never", i ? ", " : "", c->names[i]);
      worst = -1;
      continue;
    }
    double secs = (double)(first - c->start_ms) / 1000.0;
    if (secs < 0) secs = 0;
    if (worst >= 0 && secs > worst) worst = secs;
    if (first - c->start_ms > c->e->within_ms) out->pass = 0;
    say(out, "%s%s after %.2f s%s", i ? ", " : "", c->names[i], secs, p->first_rx_ms >= 0 ? "" : " (1 s sample)");
  }
  out->value = worst;
}

static void judge_even(const struct judge_ctx *c, struct judge_result *out) {
  const struct sc_expect *e = c->e;
  size_t from = c->from, to = c->to, window = (size_t)(e->window_ms / 1000);
  /* Shares cannot be even before every selected pod has had its first RPC. */
  size_t start = from;
  for (size_t i = 0; i < c->n; i++) {
    long first = verdict_first_rpc(&c->g, c->cols[i], from, to);
    if (first < 0) start = to;
    if (first >= 0 && (size_t)first > start) start = (size_t)first;
  }
  double worst;
  int final_ok =
      to >= window && verdict_shares_within(&c->g, c->cols, c->n, to - window, to, e->target, e->tolerance, &worst);
  long even = verdict_time_to_even(&c->g, c->cols, c->n, start, to, window, e->target, e->tolerance);
  double secs = even < 0 ? -1 : after_start_s(c, even - 1);
  if (even >= 0 && secs < 0) secs = 0;
  out->value = secs;
  out->pass = final_ok && even >= 0 && (e->within_ms < 0 || secs * 1000.0 <= (double)e->within_ms);
  if (even >= 0)
    say(out, "even %.0f s after the event; ", secs);
  else
    say(out, "never even for %zu s; ", window);
  say(out, "last %zu s:", window);
  for (size_t i = 0; i < c->n; i++)
    say(out, " %s %.1f%%", c->names[i], to >= window ? verdict_share(&c->g, c->cols[i], to - window, to) : 0.0);
}

static void judge_stops(const struct judge_ctx *c, struct judge_result *out) {
  const struct verdict_grid *g = &c->g;
  const struct sample_set *s = c->s;
  /* After the kill: the last second in which a killed pod answered, and the last with failed RPCs. */
  double worst = 0;
  for (size_t i = 0; i < c->n; i++) {
    long last = -1;
    for (size_t t = c->start_s; t < c->to; t++)
      if (g->count[t * g->n_s + c->cols[i]]) last = (long)t;
    double secs = last < 0 ? 0 : after_start_s(c, last);
    if (secs > worst) worst = secs;
    say(out, "%s%s: %s", i ? ", " : "", c->names[i], last < 0 ? "no RPC answered after the kill" : "");
    if (last >= 0) say(out, "answered until %.1f s after the kill", secs);
  }
  long last_fail = -1;
  uint64_t failed = 0;
  for (size_t t = c->start_s; t < c->to && t < s->n_sec; t++) {
    failed += s->sec[t].failed;
    if (s->sec[t].failed) last_fail = (long)t;
  }
  double fsecs = last_fail < 0 ? 0 : after_start_s(c, last_fail);
  if (fsecs > worst) worst = fsecs;
  say(out, "; %llu RPCs failed", (unsigned long long)failed);
  if (last_fail >= 0) say(out, ", the last within %.1f s of the kill", fsecs);
  /* The other pods must have answered after the kill, or "nothing after the kill" is vacuous. */
  uint64_t after = verdict_total(g, -1, c->start_s, c->to);
  if (after == 0) say(out, "; no RPC answered at all after the kill");
  out->value = worst;
  out->pass = after > 0 && worst * 1000.0 <= (double)c->e->within_ms;
}

static void judge_group_share(const struct judge_ctx *c, struct judge_result *out) {
  group_share(c->e, c->s, c->cols, c->sel, c->n, c->start_ms, c->end_ms, c->from, c->to, out);
}

/* Of the RPCs client `e->client` sent in the phase (after settle_ms; the servers' logs say who sent
 * each), the share the deployment's pods received. */
static void judge_client_share(const struct judge_ctx *c, struct judge_result *out) {
  const struct sc_expect *e = c->e;
  const struct scenario *sc = c->sc;
  int ci = -1;
  for (size_t i = 0; i < sc->n_clients; i++)
    if (strcmp(sc->clients[i].name, e->client) == 0) ci = (int)i;
  int64_t from = c->start_ms + e->settle_ms;
  uint64_t in = 0, all = 0;
  for (size_t i = 0; i < c->n_pods; i++) {
    const struct judge_pod *p = &c->pods[i];
    if (sc->deployments[p->deployment].image == SC_IMAGE_ENVOY) continue; /* proxies log no RPCs */
    if (!p->rx_ms || !p->rx_client) {
      say(out, "the log of %s was not read; ", p->name);
      return;
    }
    int mine = strcmp(sc->deployments[p->deployment].name, e->deployment) == 0;
    for (size_t j = 0; j < p->n_rx; j++)
      if (p->rx_client[j] == ci && p->rx_ms[j] >= from && p->rx_ms[j] < c->end_ms) {
        all++;
        in += mine;
      }
  }
  double share = all ? 100.0 * (double)in / (double)all : 0;
  out->value = share;
  out->pass = all >= e->min_rpcs && all > 0 && share >= e->target - e->tolerance && share <= e->target + e->tolerance;
  say(out, "%s: %s got %.1f%% of its %llu RPCs (the servers' logs)", e->client, e->deployment, share,
      (unsigned long long)all);
  if (all < e->min_rpcs) say(out, " (fewer than %llu)", (unsigned long long)e->min_rpcs);
}

/* The pods that take over when the phase's action sends the traffic away from others (a zone killed:
 * the next priority's pods, alive all along): the time from the action (a kill: its SIGKILL, before
 * DNS changed) to each selected pod's first RPC after it, from the servers' logs (ms); without a log,
 * the end of the first clean 1 s sample after it that counts the pod (an upper bound). */
static void judge_failover(const struct judge_ctx *c, struct judge_result *out) {
  const char *action = scenario_action_name(c->sc->steps[scenario_phase_index(c->sc, c->e->phase)].action);
  size_t clean = sample_clean_from(c->s, c->action_ms);
  double worst = 0;
  out->pass = 1;
  for (size_t i = 0; i < c->n; i++) {
    const struct judge_pod *p = c->sel[i];
    int64_t first = -1;
    if (p->rx_ms) {
      for (size_t j = 0; j < p->n_rx && first < 0; j++)
        if (p->rx_ms[j] >= c->action_ms && p->rx_ms[j] < c->end_ms) first = p->rx_ms[j];
    } else {
      long t = verdict_first_rpc(&c->g, c->cols[i], clean, c->to);
      first = t < 0 ? -1 : (int64_t)(t + 1) * 1000;
    }
    say(out, "%s%s ", i ? ", " : "", c->names[i]);
    if (first < 0) {
      out->pass = 0;
      worst = -1;
      say(out, "no RPC after the %s", action);
      continue;
    }
    double secs = (double)(first - c->action_ms) / 1000.0;
    if (worst >= 0 && secs > worst) worst = secs;
    if (first - c->action_ms > c->e->within_ms) out->pass = 0;
    say(out, "first RPC %.3f s after the %s%s", secs, action, p->rx_ms ? "" : " (1 s sample)");
  }
  out->value = worst;
}

/* The verdict of each check, in enum sc_check order (scenario.c has their names and parameters). */
static void (*const judges[SC_CHECK_COUNT])(const struct judge_ctx *, struct judge_result *) = {
    [SC_CHECK_TOP_SHARE] = judge_top_share,
    [SC_CHECK_SHARE_EACH] = judge_share_each,
    [SC_CHECK_NO_RPC] = judge_no_rpc,
    [SC_CHECK_FIRST_RPC] = judge_first_rpc,
    [SC_CHECK_EVEN] = judge_even,
    [SC_CHECK_STOPS] = judge_stops,
    [SC_CHECK_GROUP_SHARE] = judge_group_share,
    [SC_CHECK_CLIENT_SHARE] = judge_client_share,
    [SC_CHECK_FAILOVER] = judge_failover,
};

void judge_expect(const struct scenario *sc, const struct sc_expect *e, const struct sample_set *s,
                  const struct judge_pod *pods, size_t n_pods, const struct judge_timing *tm,
                  struct judge_result *out) {
  memset(out, 0, sizeof *out);
  out->value = -1;
  struct judge_ctx c = {.sc = sc, .e = e, .s = s, .g = sample_grid(s), .pods = pods, .n_pods = n_pods};
  size_t k = (size_t)scenario_phase_index(sc, e->phase);
  judge_phase_seconds(tm, s, sc->n_steps, k, &c.from, &c.to);
  c.start_ms = tm->step_start_ms[k];
  c.end_ms = k + 1 < sc->n_steps ? tm->step_start_ms[k + 1] : tm->end_ms;
  c.start_s = (size_t)(c.start_ms / 1000);
  c.action_ms = tm->action_ms[k];
  size_t cols[SAMPLE_MAX_SERVERS];
  const char *names[SAMPLE_MAX_SERVERS];
  const struct judge_pod *sel[SAMPLE_MAX_SERVERS];
  c.n = select_pods(sc, e, s, pods, n_pods, cols, names, sel);
  c.cols = cols;
  c.names = names;
  c.sel = sel;
  c.total = verdict_total(&c.g, -1, c.from, c.to);
  if (c.n == 0) {
    say(out, "no pod matches");
    return;
  }
  if (e->check < SC_CHECK_COUNT) judges[e->check](&c, out);
}

static int cmp_u32(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return (x > y) - (x < y);
}

void judge_phase_latency(const struct judge_timing *tm, const struct sample_set *samples, size_t n_steps, size_t k,
                         uint64_t *ok, uint64_t *failed, double *p50_ms, double *p99_ms) {
  size_t from, to;
  judge_phase_seconds(tm, samples, n_steps, k, &from, &to);
  uint32_t a[4096], b[4096];
  size_t n = 0;
  *ok = *failed = 0;
  for (size_t t = from; t < to && t < samples->n_sec && n < 4096; t++) {
    const struct sample_second *s = &samples->sec[t];
    *ok += s->ok;
    *failed += s->failed;
    if (!s->ok) continue;
    a[n] = s->p50_us;
    b[n++] = s->p99_us;
  }
  *p50_ms = *p99_ms = -1;
  if (!n) return;
  qsort(a, n, sizeof a[0], cmp_u32);
  qsort(b, n, sizeof b[0], cmp_u32);
  *p50_ms = a[n / 2] / 1000.0;
  *p99_ms = b[n / 2] / 1000.0;
}
