/* A growable byte buffer that keeps its contents NUL-terminated (a list page, an event stream's
 * unfinished line, emitted YAML). Zero-initialized is empty. */
#ifndef COMMON_SBUF_H
#define COMMON_SBUF_H

#include <stddef.h>

struct sbuf {
  char *data;
  size_t len, cap;
};

/* Appends `n` bytes of `p`, growing by doubling from `first_cap`. Returns 0, or -1 (the buffer
 * unchanged) when the result would exceed `max` bytes or memory runs out. */
int sbuf_append(struct sbuf *b, const void *p, size_t n, size_t first_cap, size_t max);

/* Drops the first `n` bytes (n <= len). */
void sbuf_consume(struct sbuf *b, size_t n);

void sbuf_free(struct sbuf *b);

#endif
