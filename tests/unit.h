/* A minimal unit-test harness: CHECK records a failure with file:line and goes on;
 * main returns unit_failures() != 0. Each test file is its own executable run by ctest. */
#ifndef TESTS_UNIT_H
#define TESTS_UNIT_H

#include <stdio.h>
#include <string.h>

static int unit_failed;

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      unit_failed++;                                                           \
    }                                                                          \
  } while (0)

/* REQUIRE: as CHECK, but returns from the (void) test function, for what the rest depends on. */
#define REQUIRE(cond)                                                            \
  do {                                                                           \
    if (!(cond)) {                                                               \
      fprintf(stderr, "%s:%d: REQUIRE failed: %s\n", __FILE__, __LINE__, #cond); \
      unit_failed++;                                                             \
      return;                                                                    \
    }                                                                            \
  } while (0)

#define CHECK_STR(a, b)                                                                                      \
  do {                                                                                                       \
    const char *a_ = (a), *b_ = (b);                                                                         \
    if (!a_ || !b_ || strcmp(a_, b_) != 0) {                                                                 \
      fprintf(stderr, "%s:%d: CHECK_STR failed: \"%s\" != \"%s\"\n", __FILE__, __LINE__, a_ ? a_ : "(null)", \
              b_ ? b_ : "(null)");                                                                           \
      unit_failed++;                                                                                         \
    }                                                                                                        \
  } while (0)

static inline int unit_result(const char *name) {
  if (unit_failed)
    fprintf(stderr, "%s: %d check(s) failed\n", name, unit_failed);
  else
    printf("%s: all checks passed\n", name);
  return unit_failed ? 1 : 0;
}

#endif
