#include "text.h"

#include <string.h>

#include "../unit.h"

static void printable(const char *in, size_t outlen, const char *want) {
  char out[256];
  size_t n = text_printable(in, strlen(in), out, outlen);
  CHECK_STR(out, want);
  CHECK(n == strlen(want));
}

static void test_printable(void) {
  printable("server-1: Hello c_1", 256, "server-1: Hello c_1");
  /* A newline cannot start a forged line: "\n2026/.. summary ... fake=999/100.0%". */
  printable("evil\n2026/11/26 16:30:28 summary fake=999/100.0%", 256,
            "evil?2026/11/26 16:30:28 summary fake=999/100.0%");
  printable("a\rb\tc\x1b[2Jd\x7f", 256, "a?b?c?[2Jd?");
  printable("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 256, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
  printable("\xc2\x85next-line", 256, "?next-line"); /* U+0085 NEL is a C1 control */
  printable("bad\xff\xfe", 256, "bad??");            /* not UTF-8 */
  printable("cut\xc3", 256, "cut?");                 /* a sequence cut short */
  printable("\xc0\xaf", 256, "??");                  /* overlong '/' */
  printable("\xed\xa0\x80", 256, "???");             /* a surrogate */
  /* Truncation keeps whole characters: "é" does not fit in the last byte. */
  printable("ab\xc3\xa9", 4, "ab");
  printable("abc", 1, "");
  /* Embedded NULs (a peer's bytes have a length, not a terminator) become '?'. */
  char out[16];
  CHECK(text_printable("a\0b", 3, out, sizeof out) == 3);
  CHECK_STR(out, "a?b");
}

static void test_check_name(void) {
  char why[64];
  CHECK(text_check_name("server-1", why, sizeof why) == 0);
  CHECK(text_check_name("\xd0\xba\xd0\xbb\xd0\xb8\xd0\xb5\xd0\xbd\xd1\x82 \xc3\xa9", why, sizeof why) == 0);
  CHECK(text_check_name("", why, sizeof why) == -1);
  CHECK(text_check_name("evil\nsummary", why, sizeof why) == -1 && strstr(why, "control"));
  CHECK(text_check_name("tab\there", why, sizeof why) == -1);
  CHECK(text_check_name("bad\xff", why, sizeof why) == -1 && strstr(why, "UTF-8"));
  char name[TEXT_NAME_MAX + 2];
  memset(name, 'x', sizeof name);
  name[TEXT_NAME_MAX] = '\0';
  CHECK(text_check_name(name, why, sizeof why) == 0);
  name[TEXT_NAME_MAX] = 'x';
  name[TEXT_NAME_MAX + 1] = '\0';
  CHECK(text_check_name(name, why, sizeof why) == -1 && strstr(why, "longer"));
}

int main(void) {
  test_printable();
  test_check_name();
  return unit_result("test_text");
}
