#include "verdict.h"

#include <math.h>

static size_t clamp_to(const struct verdict_grid *g, size_t to) { return to > g->n_t ? g->n_t : to; }

uint64_t verdict_total(const struct verdict_grid *g, int s, size_t from, size_t to) {
  uint64_t sum = 0;
  to = clamp_to(g, to);
  for (size_t t = from; t < to; t++) {
    if (s >= 0) {
      sum += g->count[t * g->n_s + (size_t)s];
      continue;
    }
    for (size_t i = 0; i < g->n_s; i++) sum += g->count[t * g->n_s + i];
  }
  return sum;
}

double verdict_share(const struct verdict_grid *g, size_t s, size_t from, size_t to) {
  uint64_t all = verdict_total(g, -1, from, to);
  if (all == 0 || s >= g->n_s) return 0.0;
  return 100.0 * (double)verdict_total(g, (int)s, from, to) / (double)all;
}

double verdict_top_share(const struct verdict_grid *g, size_t from, size_t to, size_t *s) {
  double best = 0.0;
  *s = 0;
  for (size_t i = 0; i < g->n_s; i++) {
    double sh = verdict_share(g, i, from, to);
    if (sh > best) {
      best = sh;
      *s = i;
    }
  }
  return best;
}

int verdict_shares_within(const struct verdict_grid *g, const size_t *sel, size_t n, size_t from, size_t to,
                          double target, double tolerance, double *worst) {
  double w = 0.0;
  int ok = verdict_total(g, -1, from, to) > 0 && n > 0;
  for (size_t i = 0; i < n; i++) {
    double d = fabs(verdict_share(g, sel[i], from, to) - target);
    if (d > w) w = d;
  }
  if (worst) *worst = w;
  /* A small epsilon so that 37.0 with target 33 +- 4 passes despite float rounding. */
  return ok && w <= tolerance + 1e-9;
}

long verdict_first_rpc(const struct verdict_grid *g, size_t s, size_t from, size_t to) {
  to = clamp_to(g, to);
  if (s >= g->n_s) return -1;
  for (size_t t = from; t < to; t++)
    if (g->count[t * g->n_s + s] > 0) return (long)t;
  return -1;
}

long verdict_time_to_even(const struct verdict_grid *g, const size_t *sel, size_t n, size_t from, size_t to,
                          size_t window, double target, double tolerance) {
  to = clamp_to(g, to);
  if (window == 0 || to < window) return -1;
  for (size_t t = from; t + window <= to; t++)
    if (verdict_shares_within(g, sel, n, t, t + window, target, tolerance, NULL)) return (long)t;
  return -1;
}
