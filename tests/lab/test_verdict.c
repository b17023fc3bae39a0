#include "verdict.h"

#include "../unit.h"

/* 3 servers over 6 seconds: even for 3 s, then server 2 alone, then nothing. */
static const uint64_t grid_counts[] = {
    10, 10, 10, /* t=0 */
    11, 10, 9,  /* t=1 */
    10, 10, 10, /* t=2 */
    0,  0,  30, /* t=3 */
    0,  0,  30, /* t=4 */
    0,  0,  0,  /* t=5 */
};
static const struct verdict_grid g = {.n_t = 6, .n_s = 3, .count = grid_counts};

static void test_total_and_share(void) {
  CHECK(verdict_total(&g, -1, 0, 6) == 150);
  CHECK(verdict_total(&g, 0, 0, 3) == 31);
  CHECK(verdict_total(&g, 2, 3, 100) == 60); /* `to` past the end is clamped */
  CHECK(verdict_share(&g, 0, 5, 6) == 0.0);  /* nothing counted: 0, not NaN */
  CHECK(verdict_share(&g, 2, 3, 5) == 100.0);
  double s = verdict_share(&g, 0, 0, 3);
  CHECK(s > 34.4 && s < 34.5); /* 31 of 90 */
  size_t top;
  CHECK(verdict_top_share(&g, 0, 6, &top) > 59.0 && top == 2);
  CHECK(verdict_top_share(&g, 5, 6, &top) == 0.0 && top == 0);
}

static void test_within(void) {
  size_t all[] = {0, 1, 2};
  double worst;
  CHECK(verdict_shares_within(&g, all, 3, 0, 3, 33.3, 4, &worst));
  CHECK(worst > 1.0 && worst < 1.2);
  CHECK(!verdict_shares_within(&g, all, 3, 0, 3, 33.3, 1, NULL));
  CHECK(!verdict_shares_within(&g, all, 3, 0, 6, 33.3, 4, NULL));
  /* An empty range is never "within": no data is not evidence. */
  CHECK(!verdict_shares_within(&g, all, 3, 5, 6, 0, 100, NULL));
  /* The boundary itself passes (37.0 - 33.0 == 4). */
  static const uint64_t edge[] = {37, 33, 30};
  struct verdict_grid e = {.n_t = 1, .n_s = 3, .count = edge};
  size_t first[] = {0};
  CHECK(verdict_shares_within(&e, first, 1, 0, 1, 33, 4, NULL));
}

static void test_first_rpc(void) {
  static const uint64_t c[] = {5, 0, 5, 0, 5, 0, 4, 1};
  struct verdict_grid h = {.n_t = 4, .n_s = 2, .count = c};
  CHECK(verdict_first_rpc(&h, 1, 0, 4) == 3);
  CHECK(verdict_first_rpc(&h, 1, 0, 3) == -1);
  CHECK(verdict_first_rpc(&h, 0, 1, 4) == 1);
  CHECK(verdict_first_rpc(&h, 7, 0, 4) == -1); /* no such server */
}

static void test_time_to_even(void) {
  /* 2 servers: 100/0 for 3 s, then 50/50 from t=3. */
  static const uint64_t c[] = {10, 0, 10, 0, 10, 0, 5, 5, 5, 5, 5, 5, 6, 4};
  struct verdict_grid h = {.n_t = 7, .n_s = 2, .count = c};
  size_t both[] = {0, 1};
  CHECK(verdict_time_to_even(&h, both, 2, 0, 7, 2, 50, 5) == 3);
  CHECK(verdict_time_to_even(&h, both, 2, 0, 7, 4, 50, 5) == 3);
  CHECK(verdict_time_to_even(&h, both, 2, 0, 7, 5, 50, 5) == -1); /* no 5 s window is even */
  CHECK(verdict_time_to_even(&h, both, 2, 0, 7, 1, 50, 0) == 3);
  CHECK(verdict_time_to_even(&h, both, 2, 0, 7, 0, 50, 5) == -1);
  CHECK(verdict_time_to_even(&h, both, 2, 0, 3, 1, 50, 5) == -1);
}

int main(void) {
  test_total_and_share();
  test_within();
  test_first_rpc();
  test_time_to_even();
  return unit_result("test_verdict");
}
