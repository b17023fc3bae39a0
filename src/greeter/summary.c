#include "summary.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

int summary_init(struct summary *s) {
  memset(s, 0, sizeof *s);
  s->lat_us = malloc(SUMMARY_MAX_LATENCIES * sizeof *s->lat_us);
  return s->lat_us ? 0 : -1;
}

void summary_free(struct summary *s) {
  free(s->lat_us);
  s->lat_us = NULL;
}

void summary_reset(struct summary *s) {
  uint32_t *lat = s->lat_us;
  memset(s, 0, sizeof *s);
  s->lat_us = lat;
}

int summary_server_of(const char *message, char *out, size_t outlen) {
  const char *sep = strstr(message, ": ");
  if (!sep || sep == message || outlen == 0) return -1;
  /* A peer's name: printable, and no ' ' or '=' that would break "NAME=COUNT/PCT%". */
  size_t n = text_printable(message, (size_t)(sep - message), out, outlen);
  for (size_t i = 0; i < n; i++)
    if (out[i] == ' ' || out[i] == '=') out[i] = '_';
  return 0;
}

/* Adds `count` replies from server `name`. */
static void add_count(struct summary *s, const char *name, uint64_t count) {
  /* Keep servers sorted by name: a handful of servers, so a linear insert is the simplest. */
  size_t i = 0;
  for (; i < s->n_servers; i++) {
    int c = strcmp(s->servers[i].name, name);
    if (c == 0) {
      s->servers[i].count += count;
      return;
    }
    if (c > 0) break;
  }
  if (s->n_servers == SUMMARY_MAX_SERVERS) {
    s->other += count;
    return;
  }
  memmove(&s->servers[i + 1], &s->servers[i], (s->n_servers - i) * sizeof s->servers[0]);
  snprintf(s->servers[i].name, sizeof s->servers[i].name, "%s", name);
  s->servers[i].count = count;
  s->n_servers++;
}

void summary_add_reply(struct summary *s, const char *message, uint32_t latency_us) {
  char name[sizeof s->servers[0].name];
  if (summary_server_of(message, name, sizeof name) != 0) strcpy(name, "?");
  s->ok++;
  if (s->n_lat < SUMMARY_MAX_LATENCIES) s->lat_us[s->n_lat++] = latency_us;
  add_count(s, name, 1);
}

void summary_add_failure(struct summary *s) { s->failed++; }

static int cmp_u32(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return (x > y) - (x < y);
}

uint32_t summary_latency_quantile(struct summary *s, double q) {
  if (s->n_lat == 0) return 0;
  qsort(s->lat_us, s->n_lat, sizeof *s->lat_us, cmp_u32);
  size_t idx = (size_t)(q * (double)(s->n_lat - 1) + 0.5);
  if (idx >= s->n_lat) idx = s->n_lat - 1;
  return s->lat_us[idx];
}

int summary_format(struct summary *s, int64_t window_ms, const struct summary_totals *totals, char *buf, size_t len) {
  uint32_t p50 = summary_latency_quantile(s, 0.50);
  uint32_t p99 = summary_latency_quantile(s, 0.99);
  char final[112] = "";
  if (totals)
    snprintf(final, sizeof final, "channels=%llu total_ok=%llu total_failed=%llu final=1 ",
             (unsigned long long)totals->channels, (unsigned long long)totals->ok, (unsigned long long)totals->failed);
  size_t off = 0;
  int n = snprintf(buf, len, "summary window_ms=%lld ok=%llu failed=%llu p50_us=%u p99_us=%u %sservers=%zu",
                   (long long)window_ms, (unsigned long long)s->ok, (unsigned long long)s->failed, p50, p99, final,
                   s->n_servers + (s->other ? 1 : 0));
  if (n < 0) return n;
  off = (size_t)n;
  for (size_t i = 0; i <= s->n_servers; i++) {
    const char *name = i < s->n_servers ? s->servers[i].name : "other";
    uint64_t count = i < s->n_servers ? s->servers[i].count : s->other;
    if (i == s->n_servers && !count) break;
    double pct = s->ok ? 100.0 * (double)count / (double)s->ok : 0.0;
    n = snprintf(off < len ? buf + off : NULL, off < len ? len - off : 0, " %s=%llu/%.1f%%", name,
                 (unsigned long long)count, pct);
    if (n < 0) return n;
    off += (size_t)n;
  }
  return (int)off;
}
