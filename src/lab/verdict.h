/* Verdicts: pure functions over a grid of per-second RPC counts (rows: seconds since the scenario
 * started, columns: servers). No I/O, no clock; unit-tested alone (tests/lab/test_verdict.c).
 *
 * Time ranges are half-open second indexes [from, to). Shares are percentages of the RPCs that the
 * whole grid row range counted (every server, not only the selected ones), so "no RPC to the new
 * replicas" and "33% each" mean what a reader of the client's summary line expects. */
#ifndef LAB_VERDICT_H
#define LAB_VERDICT_H

#include <stddef.h>
#include <stdint.h>

struct verdict_grid {
  size_t n_t;            /* seconds */
  size_t n_s;            /* servers */
  const uint64_t *count; /* count[t * n_s + s]: RPCs that server s answered in second t (not owned) */
};

/* RPCs in [from, to) for server s, or for all servers when s < 0. */
uint64_t verdict_total(const struct verdict_grid *g, int s, size_t from, size_t to);

/* Server s's share in percent over [from, to); 0 when nothing was counted. */
double verdict_share(const struct verdict_grid *g, size_t s, size_t from, size_t to);

/* The busiest server over [from, to): stores its index and returns its share (0 and *s = 0 when empty). */
double verdict_top_share(const struct verdict_grid *g, size_t from, size_t to, size_t *s);

/* True when every server in sel[n] has a share within target +- tolerance over [from, to) and at least
 * one RPC was counted. When `worst` is not NULL it gets the largest distance from target seen. */
int verdict_shares_within(const struct verdict_grid *g, const size_t *sel, size_t n, size_t from, size_t to,
                          double target, double tolerance, double *worst);

/* The first second in [from, to) in which server s answered an RPC, or -1 if none did. */
long verdict_first_rpc(const struct verdict_grid *g, size_t s, size_t from, size_t to);

/* The first second t in [from, to - window] such that [t, t + window) is within target +- tolerance
 * for every selected server; -1 if there is none. */
long verdict_time_to_even(const struct verdict_grid *g, const size_t *sel, size_t n, size_t from, size_t to,
                          size_t window, double target, double tolerance);

#endif
