#include "sample.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Reads "key=<unsigned>" at *p, advancing past it and one following space. */
static int read_field(const char **p, const char *key, uint64_t *out) {
  size_t klen = strlen(key);
  if (strncmp(*p, key, klen) != 0 || (*p)[klen] != '=') return -1;
  const char *v = *p + klen + 1;
  char *end;
  if (*v < '0' || *v > '9') return -1;
  unsigned long long n = strtoull(v, &end, 10);
  if (*end != ' ' && *end != '\0') return -1;
  *out = n;
  *p = *end == ' ' ? end + 1 : end;
  return 0;
}

int sample_parse_line(const char *line, struct sample_line *out) {
  memset(out, 0, sizeof *out);
  const char *p = strstr(line, "summary ");
  if (!p) return -1;
  /* Only a "YYYY/MM/DD HH:MM:SS " prefix may precede the word. */
  if (p != line && (p - line != 20 || line[4] != '/' || line[13] != ':')) return -1;
  p += strlen("summary ");
  uint64_t window, p50, p99, nserv;
  if (read_field(&p, "window_ms", &window) != 0 || read_field(&p, "ok", &out->ok) != 0 ||
      read_field(&p, "failed", &out->failed) != 0 || read_field(&p, "p50_us", &p50) != 0 ||
      read_field(&p, "p99_us", &p99) != 0)
    return -1;
  uint64_t fin;
  if (read_field(&p, "final", &fin) == 0) out->final = fin != 0;
  if (read_field(&p, "servers", &nserv) != 0) return -1;
  out->window_ms = (int64_t)window;
  out->p50_us = (uint32_t)p50;
  out->p99_us = (uint32_t)p99;
  /* " NAME=COUNT/PCT%" repeated; names hold no spaces or '='. */
  while (*p) {
    while (*p == ' ') p++;
    if (!*p) break;
    const char *eq = strchr(p, '=');
    const char *sp = strchr(p, ' ');
    if (!eq || (sp && sp < eq) || eq == p) return -1;
    const char *name = p;
    size_t nlen = (size_t)(eq - p);
    char *end;
    unsigned long long count = strtoull(eq + 1, &end, 10);
    if (end == eq + 1 || *end != '/') return -1;
    p = strchr(end, ' ');
    if (!p) p = end + strlen(end);
    if (out->n == SAMPLE_MAX_SERVERS) continue;
    if (nlen >= SAMPLE_NAME_MAX) nlen = SAMPLE_NAME_MAX - 1;
    memcpy(out->servers[out->n].name, name, nlen);
    out->servers[out->n].name[nlen] = '\0';
    out->servers[out->n].count = count;
    out->n++;
  }
  return out->n == nserv || nserv > SAMPLE_MAX_SERVERS ? 0 : -1;
}

void sample_init(struct sample_set *s) {
  memset(s, 0, sizeof *s);
  for (size_t i = 0; i < SAMPLE_MAX_SERVERS; i++) s->first_ms[i] = -1;
}

void sample_free(struct sample_set *s) {
  free(s->sec);
  free(s->count);
  sample_init(s);
}

int sample_extend(struct sample_set *s, size_t n) {
  if (n <= s->n_sec) return 0;
  if (n > s->cap_sec) {
    size_t cap = s->cap_sec ? s->cap_sec : 64;
    while (cap < n) cap *= 2;
    struct sample_second *ns = realloc(s->sec, cap * sizeof *ns);
    if (!ns) return -1;
    s->sec = ns;
    uint64_t *nc = realloc(s->count, cap * SAMPLE_MAX_SERVERS * sizeof *nc);
    if (!nc) return -1;
    s->count = nc;
    s->cap_sec = cap;
  }
  memset(&s->sec[s->n_sec], 0, (n - s->n_sec) * sizeof *s->sec);
  memset(&s->count[s->n_sec * SAMPLE_MAX_SERVERS], 0, (n - s->n_sec) * SAMPLE_MAX_SERVERS * sizeof *s->count);
  s->n_sec = n;
  return 0;
}

int sample_server(const struct sample_set *s, const char *name) {
  for (size_t i = 0; i < s->n_servers; i++)
    if (strcmp(s->names[i], name) == 0) return (int)i;
  return -1;
}

int sample_declare(struct sample_set *s, const char *name) {
  int k = sample_server(s, name);
  if (k >= 0) return k;
  if (s->n_servers == SAMPLE_MAX_SERVERS) return -1;
  k = (int)s->n_servers++;
  snprintf(s->names[k], SAMPLE_NAME_MAX, "%s", name);
  return k;
}

int sample_add(struct sample_set *s, int64_t t_ms, const struct sample_line *l) {
  if (l->final) return 0;
  size_t t = t_ms < 0 ? 0 : (size_t)(t_ms / 1000);
  if (sample_extend(s, t + 1) != 0) return -1;
  struct sample_second *sec = &s->sec[t];
  sec->ok += l->ok;
  sec->failed += l->failed;
  if (l->p50_us > sec->p50_us) sec->p50_us = l->p50_us;
  if (l->p99_us > sec->p99_us) sec->p99_us = l->p99_us;
  int64_t from = t_ms - l->window_ms;
  if (!sec->lines || from < sec->window_from_ms) sec->window_from_ms = from;
  sec->lines++;
  for (size_t i = 0; i < l->n; i++) {
    int k = sample_declare(s, l->servers[i].name);
    if (k < 0) {
      s->dropped += l->servers[i].count;
      continue;
    }
    if (s->first_ms[k] < 0 && l->servers[i].count > 0) s->first_ms[k] = t_ms;
    s->count[t * SAMPLE_MAX_SERVERS + (size_t)k] += l->servers[i].count;
  }
  return 0;
}

size_t sample_clean_from(const struct sample_set *s, int64_t from_ms) {
  size_t t = from_ms <= 0 ? 0 : (size_t)(from_ms / 1000);
  while (t < s->n_sec && s->sec[t].lines && s->sec[t].window_from_ms < from_ms) t++;
  return t;
}

struct verdict_grid sample_grid(const struct sample_set *s) {
  struct verdict_grid g = {.n_t = s->n_sec, .n_s = SAMPLE_MAX_SERVERS, .count = s->count};
  return g;
}
