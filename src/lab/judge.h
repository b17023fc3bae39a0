/* Judging a run: applies each expectation of a scenario to what was sampled, with the verdict
 * functions, and words the measured value. No I/O. */
#ifndef LAB_JUDGE_H
#define LAB_JUDGE_H

#include <stddef.h>
#include <stdint.h>

#include "sample.h"
#include "scenario.h"

/* A pod as the judge needs it. */
struct judge_pod {
  const char *name;
  size_t deployment;    /* index in the scenario */
  int born_step;        /* the step that created it */
  int gone_step;        /* the step that removed it, or -1 */
  int64_t first_rx_ms;  /* when the server logged its first received RPC (ms since the clients started),
                           or -1 when unknown: then the first summary line counting it is used */
  const int64_t *rx_ms; /* every RPC the server logged as received, ascending (ms since the clients
                           started; not owned); NULL when its log was not read */
  size_t n_rx;
  const int16_t *rx_client; /* for each of rx_ms, the scenario client that sent it, -1 when not one of
                               them (not owned; NULL when unknown) */
};

/* When things happened, in ms since the clients started. */
struct judge_timing {
  int64_t step_start_ms[SC_MAX_STEPS]; /* when each step's action had taken effect */
  int64_t action_ms[SC_MAX_STEPS];     /* when each step's action began (a kill: its SIGKILL, before DNS
                                          changed); 0 for the first step */
  int64_t end_ms;                      /* when sampling stopped */
};

struct judge_result {
  int pass;
  char measured[512];
  double value; /* the headline number (percent or seconds; -1 when not measured) */
};

/* Judges expectation `e`. The sample set is not changed. */
void judge_expect(const struct scenario *sc, const struct sc_expect *e, const struct sample_set *s,
                  const struct judge_pod *pods, size_t n_pods, const struct judge_timing *tm, struct judge_result *out);

/* The seconds [from, to) that belong to step `k`: seconds whose summary lines cover time before the
 * step took effect (sample_clean_from) are left out, and so is the second in which the next began. */
void judge_phase_seconds(const struct judge_timing *tm, const struct sample_set *s, size_t n_steps, size_t k,
                         size_t *from, size_t *to);

/* Step k's RPCs ok and failed, and the median over its seconds of each second's p50 and p99 (ms; -1
 * when no second had an answer), over judge_phase_seconds. */
void judge_phase_latency(const struct judge_timing *tm, const struct sample_set *samples, size_t n_steps, size_t k,
                         uint64_t *ok, uint64_t *failed, double *p50_ms, double *p99_ms);

#endif
