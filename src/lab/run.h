/* Running one scenario: bring the cluster up, start the clients, play the timeline while sampling the
 * clients' summary lines, tear everything down, then judge. The phases read in order in run_scenario. */
#ifndef LAB_RUN_H
#define LAB_RUN_H

#include <limits.h>
#include <signal.h>
#include <stdint.h>

#include "cluster.h"
#include "judge.h"
#include "sample.h"
#include "scenario.h"

enum run_clusterip { RUN_CLUSTERIP_AUTO = 0, RUN_CLUSTERIP_IPTABLES, RUN_CLUSTERIP_HAPROXY };

struct run_options {
  char out_dir[PATH_MAX]; /* the report root; a scenario writes to OUT/NAME/ */
  struct cluster_tools tools;
  enum run_clusterip clusterip;
  int netns;        /* 1: run inside a fresh network namespace; 0: on the host loopback */
  int progress_tty; /* stderr is a terminal: redraw the progress line in place */
};

struct run_event {
  int64_t t_ms; /* since the clients started */
  char label[96];
};

struct run {
  const struct scenario *sc; /* not owned */
  char dir[PATH_MAX];        /* OUT/NAME */
  char netns[64];            /* the namespace used, or "" */
  char clusterip_desc[96];   /* which ClusterIP implementation ran ("" when none) */
  struct cluster cluster;
  struct sample_set samples;       /* RPCs per server, from the clients */
  struct sample_set proxy_samples; /* requests per L7 proxy (pods and sidecars), from their counters */
  long proxy_rss_kib_max;          /* the largest resident set of one Envoy, sampled every second */
  struct judge_timing timing;
  int64_t t0_wall_ms; /* wall-clock time (ms since the epoch) when the clients started */
  struct run_event events[SC_MAX_STEPS + 4];
  size_t n_events;
  struct judge_result results[SC_MAX_EXPECTS];
  int passed; /* every expectation held */
  int error;  /* the run could not be completed (no verdict) */
  char error_msg[256];
  int interrupted; /* stopped by a signal */
  int dir_ours;    /* `dir` was made (or cleared) by this run: reports may go there */
};

/* The mark a --out folder made by lab holds; a folder without it is never written to. */
#define RUN_OUT_MARK ".lab-out"

/* Makes `dir` the report root: creates it (with parents), or accepts it when it is empty or holds the
 * mark of an earlier run; then writes the mark. Returns 0, or -1 with err saying why not. */
int run_claim_out(const char *dir, char *err, size_t errlen);

/* Runs `sc`. `stop` is set by the signal handler; the run then tears down and reports what it has.
 * Returns 0 when it ran to the end (see r->passed), -1 on an error or interruption (r->error_msg).
 * Call run_free afterwards. */
int run_scenario(struct run *r, const struct scenario *sc, const struct run_options *opt, volatile sig_atomic_t *stop);

void run_free(struct run *r);

/* The current phase at `t_ms`: the index of the last step started by then. */
size_t run_step_at(const struct run *r, int64_t t_ms);

#endif
