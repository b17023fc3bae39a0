#include "progress.h"

#include <stdio.h>
#include <string.h>

#include "verdict.h"

#define PROGRESS_WINDOW_S 3 /* shares over the last complete seconds */

void progress_format(const struct scenario *sc, const struct sample_set *samples, size_t step, int64_t now_ms,
                     int64_t total_ms, char *buf, size_t len) {
  const struct sc_step *st = &sc->steps[step];
  char event[96] = "start";
  if (st->action == SC_ACTION_SCALE)
    snprintf(event, sizeof event, "scaled %s to %d", st->target, st->replicas);
  else if (st->action == SC_ACTION_RESTART)
    snprintf(event, sizeof event, "restarted %s", st->target);
  else if (st->action != SC_ACTION_NONE)
    snprintf(event, sizeof event, "%s %s", scenario_action_name(st->action), st->target);
  int n = snprintf(buf, len, "[%s %3lld/%llds] phase=%s (%s)", sc->name, (long long)(now_ms / 1000),
                   (long long)(total_ms / 1000), st->phase, event);
  size_t off = n < 0 ? 0 : (size_t)n;
  struct verdict_grid g = sample_grid(samples);
  size_t to = (size_t)(now_ms / 1000);
  size_t from = to > PROGRESS_WINDOW_S ? to - PROGRESS_WINDOW_S : 0;
  uint64_t all = verdict_total(&g, -1, from, to);
  if (off < len) {
    n = snprintf(buf + off, len - off, " rpc/s=%llu", (unsigned long long)(to > from ? all / (to - from) : 0));
    off += n < 0 ? 0 : (size_t)n;
  }
  for (size_t i = 0; i < samples->n_servers && off < len; i++) {
    n = snprintf(buf + off, len - off, " %s=%.0f%%", samples->names[i], verdict_share(&g, i, from, to));
    off += n < 0 ? 0 : (size_t)n;
  }
}

void progress_tick(const struct scenario *sc, const struct sample_set *samples, size_t step, int64_t now_ms,
                   int64_t total_ms, int tty) {
  static int64_t last_s = -1;
  int64_t s = now_ms / 1000;
  if (s == last_s || (!tty && s % 5 != 0)) return;
  last_s = s;
  char line[1024];
  progress_format(sc, samples, step, now_ms, total_ms, line, sizeof line);
  if (tty)
    fprintf(stderr, "\r\033[K%s", line);
  else
    fprintf(stderr, "%s\n", line);
  fflush(stderr);
}

void progress_done(int tty) {
  if (tty) fputc('\n', stderr);
}
