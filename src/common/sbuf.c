#include "sbuf.h"

#include <stdlib.h>
#include <string.h>

int sbuf_append(struct sbuf *b, const void *p, size_t n, size_t first_cap, size_t max) {
  if (n > max || b->len > max - n) return -1; /* len + n > max, without overflow */
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : (first_cap ? first_cap : 64);
    while (cap < b->len + n + 1) cap *= 2;
    char *d = realloc(b->data, cap);
    if (!d) return -1;
    b->data = d;
    b->cap = cap;
  }
  memcpy(b->data + b->len, p, n);
  b->len += n;
  b->data[b->len] = '\0';
  return 0;
}

void sbuf_consume(struct sbuf *b, size_t n) {
  if (!b->data) return; /* empty, never grown: memmove may not take NULL even for 0 bytes */
  if (n > b->len) n = b->len;
  memmove(b->data, b->data + n, b->len - n);
  b->len -= n;
  b->data[b->len] = '\0';
}

void sbuf_free(struct sbuf *b) {
  free(b->data);
  b->data = NULL;
  b->len = b->cap = 0;
}
