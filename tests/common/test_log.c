#include "log.h"

#include "../unit.h"

int main(void) {
  char out[16];
  log_sanitize("client-1_42", 11, out, sizeof out);
  CHECK_STR(out, "client-1_42");
  log_sanitize("a b=c\"d\ne\x7f", 10, out, sizeof out);
  CHECK_STR(out, "a_b_c_d_e_");
  log_sanitize("0123456789abcdefghij", 20, out, sizeof out);
  CHECK_STR(out, "0123456789abcde"); /* truncated to outlen-1 */
  log_sanitize("abc", 1, out, sizeof out);
  CHECK_STR(out, "a"); /* only inlen bytes */
  CHECK(log_enabled(LOG_LEVEL_ERROR));
  /* The budget: 3 lines a second, the rest counted and reported with the next line let through. */
  struct log_limit lim = {.burst = 3};
  uint64_t sup = 99;
  int allowed = 0;
  for (int i = 0; i < 10; i++) allowed += log_limit_allow(&lim, 5000 + i, &sup);
  CHECK(allowed == 3 && sup == 0 && lim.suppressed == 7);
  CHECK(log_limit_allow(&lim, 6000, &sup) && sup == 7 && lim.suppressed == 0);
  CHECK(log_limit_allow(&lim, 6999, &sup) && sup == 0);
  /* Left out with no later line: the tick says it once the second is over, and only then. */
  struct log_limit quiet = {.burst = 1};
  CHECK(log_limit_allow(&quiet, 9000, &sup) && !log_limit_allow(&quiet, 9001, &sup) && !log_limit_allow(&quiet, 9002, &sup));
  CHECK(!log_limit_due(&quiet, 9999, &sup));
  CHECK(log_limit_due(&quiet, 10000, &sup) && sup == 2);
  CHECK(!log_limit_due(&quiet, 10001, &sup));
  log_set_level(LOG_LEVEL_WARN);
  CHECK(!log_enabled(LOG_LEVEL_INFO) && log_enabled(LOG_LEVEL_WARN));
  return unit_result("test_log");
}
