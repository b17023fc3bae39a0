/* Samples: what the clients report. Each greeter-client (SUMMARY_INTERVAL=1s, PRINT_REPLIES=0) prints
 * a summary line per window (format in src/greeter/summary.h); the lab stamps each line with the time
 * it arrived and adds its per-server counts to the second it arrived in. The result is a grid of
 * per-second counts per server, which the verdict module judges. No I/O. */
#ifndef LAB_SAMPLE_H
#define LAB_SAMPLE_H

#include <stddef.h>
#include <stdint.h>

#include "verdict.h"

#define SAMPLE_MAX_SERVERS 32
#define SAMPLE_NAME_MAX 64

/* One parsed summary line. */
struct sample_line {
  int64_t window_ms;
  uint64_t ok, failed;
  uint32_t p50_us, p99_us;
  int final;
  size_t n;
  struct {
    char name[SAMPLE_NAME_MAX];
    uint64_t count;
  } servers[SAMPLE_MAX_SERVERS];
};

/* Parses "YYYY/MM/DD HH:MM:SS summary window_ms=... servers=K NAME=COUNT/PCT% ..." (the date prefix
 * is optional). Returns 0, or -1 when the line is not a well-formed summary line. */
int sample_parse_line(const char *line, struct sample_line *out);

/* Per-second aggregates of every client's lines. */
struct sample_second {
  uint64_t ok, failed;
  uint32_t p50_us, p99_us; /* the largest any client reported for this second */
  uint32_t lines;          /* summary lines counted in this second */
  int64_t window_from_ms;  /* the earliest start of their windows (arrival - window_ms), when lines > 0:
                              a line arriving in second t covers about (t - 1, t + 1), not (t - 1, t] */
};

struct sample_set {
  char names[SAMPLE_MAX_SERVERS][SAMPLE_NAME_MAX]; /* servers in order of first appearance */
  size_t n_servers;
  struct sample_second *sec; /* owned; n_sec seconds */
  uint64_t *count;           /* owned; count[t * SAMPLE_MAX_SERVERS + server] */
  size_t n_sec, cap_sec;
  int64_t first_ms[SAMPLE_MAX_SERVERS]; /* arrival time of the first line that counted the server, or -1 */
  uint64_t dropped;                     /* RPCs from servers beyond SAMPLE_MAX_SERVERS */
};

void sample_init(struct sample_set *s);
void sample_free(struct sample_set *s);

/* Adds a line that arrived `t_ms` after the scenario started (final lines are ignored).
 * Returns 0, or -1 on allocation failure. */
int sample_add(struct sample_set *s, int64_t t_ms, const struct sample_line *l);

/* The first second at or after from_ms / 1000 whose lines all cover only time at or after from_ms
 * (seconds without lines count as clean): where a phase that starts at from_ms can be judged. */
size_t sample_clean_from(const struct sample_set *s, int64_t from_ms);

/* Makes sure the set covers seconds [0, n) (empty seconds count nothing). Returns 0 or -1 (no memory). */
int sample_extend(struct sample_set *s, size_t n);

/* The index of a server name, or -1 when it never answered and was not declared. */
int sample_server(const struct sample_set *s, const char *name);

/* Gives a server a column before it answers (so that a pod that never answers still shows as 0).
 * Returns its index, or -1 when SAMPLE_MAX_SERVERS are in use. */
int sample_declare(struct sample_set *s, const char *name);

/* A grid view for the verdict functions, SAMPLE_MAX_SERVERS columns wide (columns past n_servers
 * count nothing); valid while `s` is not changed. */
struct verdict_grid sample_grid(const struct sample_set *s);

#endif
