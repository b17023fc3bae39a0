#include "sbuf.h"

#include <stdint.h>

#include "../unit.h"

static void test_append(void) {
  struct sbuf b = {0};
  CHECK(sbuf_append(&b, "ab", 2, 4, 100) == 0);
  CHECK(b.len == 2 && b.cap == 4);
  CHECK_STR(b.data, "ab");
  /* Grows by doubling from the first capacity, always NUL-terminated. */
  CHECK(sbuf_append(&b, "cdefg", 5, 4, 100) == 0);
  CHECK(b.len == 7 && b.cap == 8);
  CHECK_STR(b.data, "abcdefg");
  CHECK(sbuf_append(&b, "", 0, 4, 100) == 0 && b.len == 7);
  sbuf_free(&b);
  CHECK(b.data == NULL && b.len == 0 && b.cap == 0);
}

static void test_max(void) {
  struct sbuf b = {0};
  /* Exactly max bytes fit; one more is refused and leaves the buffer as it was. */
  CHECK(sbuf_append(&b, "12345", 5, 0, 8) == 0);
  CHECK(sbuf_append(&b, "678", 3, 0, 8) == 0 && b.len == 8);
  CHECK(sbuf_append(&b, "9", 1, 0, 8) == -1);
  CHECK(b.len == 8);
  CHECK_STR(b.data, "12345678");
  /* No overflow in len + n. */
  CHECK(sbuf_append(&b, "x", SIZE_MAX, 0, SIZE_MAX - 1) == -1);
  CHECK(sbuf_append(&b, "x", SIZE_MAX - 4, 0, SIZE_MAX) == -1);
  sbuf_free(&b);
}

static void test_consume(void) {
  struct sbuf b = {0};
  CHECK(sbuf_append(&b, "line1\nrest", 10, 0, 100) == 0);
  sbuf_consume(&b, 6);
  CHECK(b.len == 4);
  CHECK_STR(b.data, "rest");
  sbuf_consume(&b, 99);
  CHECK(b.len == 0);
  CHECK_STR(b.data, "");
  sbuf_free(&b);
  struct sbuf empty = {0};
  sbuf_consume(&empty, 0);
  CHECK(empty.len == 0);
}

int main(void) {
  test_append();
  test_max();
  test_consume();
  return unit_result("test_sbuf");
}
