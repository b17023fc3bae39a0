#include "arena.h"

#include <stdalign.h>
#include <stdint.h>

#include "../unit.h"

static void test_alloc(void) {
  struct arena a = {0};
  char *c = ARENA_NEW(&a, char, 1);
  double *d = ARENA_NEW(&a, double, 3);
  REQUIRE(c && d);
  /* Aligned for any type, zeroed, and distinct. */
  CHECK((uintptr_t)c % alignof(max_align_t) == 0);
  CHECK((uintptr_t)d % alignof(max_align_t) == 0);
  CHECK(d[0] == 0 && d[1] == 0 && d[2] == 0);
  CHECK((char *)d >= c + 1);
  c[0] = 'x';
  d[2] = 1.5;
  /* Zero objects still get a pointer of their own. */
  void *z1 = arena_alloc(&a, 0, 8), *z2 = arena_alloc(&a, 0, 8);
  CHECK(z1 && z2 && z1 != z2);
  /* Bigger than a chunk: a chunk of its own, and the earlier objects stay. */
  unsigned char *big = ARENA_NEW(&a, unsigned char, 100000);
  REQUIRE(big);
  CHECK(big[0] == 0 && big[99999] == 0);
  big[99999] = 7;
  /* Many small ones across several chunks. */
  int ok = 1;
  for (int i = 0; i < 10000; i++) {
    int *p = ARENA_NEW(&a, int, 4);
    if (!p || p[3] != 0) ok = 0;
    if (p) p[3] = i;
  }
  CHECK(ok);
  CHECK(c[0] == 'x' && d[2] == 1.5 && big[99999] == 7);
  arena_free(&a);
  CHECK(a.head == NULL);
  arena_free(&a); /* twice is fine */
}

static void test_overflow(void) {
  struct arena a = {0};
  CHECK(arena_alloc(&a, SIZE_MAX / 2, 4) == NULL);
  CHECK(arena_alloc(&a, 1, SIZE_MAX - 4) == NULL);
  CHECK(a.head == NULL);
  CHECK(ARENA_NEW(&a, int, 1) != NULL);
  arena_free(&a);
}

int main(void) {
  test_alloc();
  test_overflow();
  return unit_result("test_arena");
}
