/* A bump allocator for building one message tree that is freed all at once (an xDS resource's
 * protobuf-c sub-messages before it is packed). Zero-initialized is empty. */
#ifndef COMMON_ARENA_H
#define COMMON_ARENA_H

#include <stddef.h>

struct arena_chunk;

struct arena {
  struct arena_chunk *head;
};

/* `n` zeroed objects of `size` bytes, aligned for any type; NULL when memory runs out (or n * size
 * overflows). Valid until arena_free. */
void *arena_alloc(struct arena *a, size_t n, size_t size);

#define ARENA_NEW(a, type, n) ((type *)arena_alloc((a), (n), sizeof(type)))

/* Frees every allocation; the arena is empty again. */
void arena_free(struct arena *a);

#endif
