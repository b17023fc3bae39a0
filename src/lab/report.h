/* Reports: per scenario, OUT/NAME/samples.csv (per-second counts and shares), chart.png (gnuplot:
 * share per server over time, events marked), report.md and report.html; for the whole run,
 * OUT/report.md and OUT/report.html with the verdict table, and the same table on stdout. */
#ifndef LAB_REPORT_H
#define LAB_REPORT_H

#include <stddef.h>
#include <stdio.h>

#include "options.h"
#include "run.h"

/* Writes the scenario's files. Returns 0, or -1 when a file could not be written (the chart is
 * best effort: a missing gnuplot is logged and the reports say so). */
int report_scenario(const struct run *r, const char *gnuplot);

/* Writes OUT/report.md and OUT/report.html over every run (how many expectations held, the comparison,
 * the seed's options beside what was measured for them when `opts` is not NULL, the verdicts), and
 * prints the verdict table to `out`. Returns 0 or -1. */
int report_summary(const struct run *const *runs, size_t n, const struct lab_options *opts, const char *out_dir,
                   int fast, FILE *out);

/* Seconds since the clients started at which a client (not the lab's own probe) asked the cluster
 * DNS for one of the scenario's Service names, read from dnsmasq's query log. Returns how many were
 * stored in t_s[cap]. */
size_t report_dns_queries(const struct run *r, double *t_s, size_t cap);

#endif
