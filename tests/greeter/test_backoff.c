#include "backoff.h"

#include "../unit.h"

int main(void) {
  struct backoff b;
  backoff_init(&b, BACKOFF_MIN_MS, BACKOFF_MAX_MS);
  CHECK(backoff_after_round(&b, 1) == 0); /* rounds with a success never pause */
  /* Failing rounds: 100, 200, 400, 800 ms, then 1 s from there on. */
  const int64_t want[] = {100, 200, 400, 800, 1000, 1000, 1000};
  for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) CHECK(backoff_after_round(&b, 0) == want[i]);
  /* One success resets the delay. */
  CHECK(backoff_after_round(&b, 1) == 0);
  CHECK(backoff_after_round(&b, 0) == 100);
  CHECK(backoff_after_round(&b, 0) == 200);
  /* A maximum that is not a power of two times the minimum is reached, not passed. */
  backoff_init(&b, 300, 1000);
  CHECK(backoff_after_round(&b, 0) == 300);
  CHECK(backoff_after_round(&b, 0) == 600);
  CHECK(backoff_after_round(&b, 0) == 1000);
  CHECK(backoff_after_round(&b, 0) == 1000);
  return unit_result("test_backoff");
}
