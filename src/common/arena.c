#include "arena.h"

#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK_BYTES 16384

struct arena_chunk {
  struct arena_chunk *next;
  size_t used, cap;
  alignas(max_align_t) unsigned char data[];
};

void *arena_alloc(struct arena *a, size_t n, size_t size) {
  const size_t align = alignof(max_align_t);
  if (size && n > (SIZE_MAX - align) / size) return NULL;
  size_t bytes = (n * size + align - 1) / align * align;
  if (bytes == 0) bytes = align; /* a distinct, non-NULL pointer for zero objects */
  struct arena_chunk *c = a->head;
  if (!c || c->cap - c->used < bytes) {
    size_t cap = bytes > CHUNK_BYTES ? bytes : CHUNK_BYTES;
    if (cap > SIZE_MAX - sizeof *c) return NULL;
    c = malloc(sizeof *c + cap);
    if (!c) return NULL;
    c->used = 0;
    c->cap = cap;
    c->next = a->head;
    a->head = c;
  }
  void *p = c->data + c->used;
  c->used += bytes;
  memset(p, 0, bytes);
  return p;
}

void arena_free(struct arena *a) {
  for (struct arena_chunk *c = a->head, *next; c; c = next) {
    next = c->next;
    free(c);
  }
  a->head = NULL;
}
