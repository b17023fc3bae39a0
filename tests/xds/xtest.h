/* The assertion of the C test programs that run against a live xdsd (and of xdsd's unit tests):
 * REQUIRE prints "ok: ..." or "FAIL: ..." and then exits 1, as a step that failed makes the next
 * meaningless. tests/unit.h's CHECK is the other kind: it records a failure and goes on. */
#ifndef XDS_TEST_XTEST_H
#define XDS_TEST_XTEST_H

#include <stdio.h>
#include <stdlib.h>

#define REQUIRE(cond, ...)                                     \
  do {                                                         \
    if (cond) {                                                \
      printf("ok: ");                                          \
      printf(__VA_ARGS__);                                     \
      printf("\n");                                            \
    } else {                                                   \
      printf("FAIL: %s:%d: (%s) ", __FILE__, __LINE__, #cond); \
      printf(__VA_ARGS__);                                     \
      printf("\n");                                            \
      fflush(stdout);                                          \
      exit(1);                                                 \
    }                                                          \
    fflush(stdout);                                            \
  } while (0)

#endif
