/* Tiny assertion helpers for xdsd's C tests: every check prints "ok: ..." or "FAIL: ..." (and exits 1). */
#ifndef XDS_TEST_XTEST_H
#define XDS_TEST_XTEST_H

#include <stdio.h>
#include <stdlib.h>

#define CHECK(cond, ...)                                                 \
  do {                                                                   \
    if (cond) {                                                          \
      printf("ok: ");                                                    \
      printf(__VA_ARGS__);                                               \
      printf("\n");                                                      \
    } else {                                                             \
      printf("FAIL: %s:%d: (%s) ", __FILE__, __LINE__, #cond);           \
      printf(__VA_ARGS__);                                               \
      printf("\n");                                                      \
      fflush(stdout);                                                    \
      exit(1);                                                           \
    }                                                                    \
    fflush(stdout);                                                      \
  } while (0)

#endif
