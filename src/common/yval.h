/* Validating a YAML tree (ytree) against a schema, with one error format for every program:
 * "PATH:LINE: message". xdsd's config and the lab's scenarios both check with these: allowed keys
 * (a typo is an error), integers in a range. */
#ifndef COMMON_YVAL_H
#define COMMON_YVAL_H

#include <stddef.h>
#include <stdint.h>

#include "ytree.h"

/* Where errors go: `path` names the document, err[errlen] gets the message. */
struct yval {
  const char *path;
  char *err;
  size_t errlen;
};

/* Writes "PATH:LINE: message" (LINE of `at`, 0 without one) and returns -1. */
int yval_fail(struct yval *v, const struct ytree *at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The same at a line number. */
int yval_fail_line(struct yval *v, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* `map` must be a map whose every key is in the NULL-terminated `allowed` ("unknown key "K" in WHAT"). */
int yval_keys(struct yval *v, const struct ytree *map, const char *what, const char *const *allowed);

/* The integer at `key` of `map`, in [min, max]. Required when `present` is NULL; otherwise *present
 * says whether it was there (and *out is untouched when not). Returns 0 or -1. */
int yval_uint(struct yval *v, const struct ytree *map, const char *key, uint64_t min, uint64_t max, int *present,
              uint64_t *out);

#endif
