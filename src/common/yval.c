#include "yval.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "parse.h"

static int vfail(struct yval *v, int line, const char *fmt, va_list ap) {
  char msg[512];
  vsnprintf(msg, sizeof msg, fmt, ap);
  snprintf(v->err, v->errlen, "%s:%d: %s", v->path, line, msg);
  return -1;
}

int yval_fail(struct yval *v, const struct ytree *at, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vfail(v, at ? at->line : 0, fmt, ap);
  va_end(ap);
  return -1;
}

int yval_fail_line(struct yval *v, int line, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vfail(v, line, fmt, ap);
  va_end(ap);
  return -1;
}

int yval_keys(struct yval *v, const struct ytree *map, const char *what, const char *const *allowed) {
  if (!map || map->kind != YTREE_MAP) return yval_fail(v, map, "%s must be a map", what);
  for (const struct ytree *c = map->child; c; c = c->next) {
    int ok = 0;
    for (const char *const *a = allowed; *a; a++) ok |= strcmp(*a, c->key) == 0;
    if (!ok) return yval_fail(v, c, "unknown key \"%s\" in %s", c->key, what);
  }
  return 0;
}

int yval_uint(struct yval *v, const struct ytree *map, const char *key, uint64_t min, uint64_t max, int *present,
              uint64_t *out) {
  const struct ytree *t = ytree_get(map, key);
  if (!t) {
    if (!present) return yval_fail(v, map, "missing \"%s\"", key);
    *present = 0;
    return 0;
  }
  uint64_t n;
  if (t->kind != YTREE_SCALAR || parse_uint(t->value, min, max, &n) != 0)
    return yval_fail(v, t, "\"%s\" must be an integer in %llu..%llu, not \"%s\"", key, (unsigned long long)min,
                     (unsigned long long)max, t->kind == YTREE_SCALAR ? t->value : "(not a scalar)");
  *out = n;
  if (present) *present = 1;
  return 0;
}
