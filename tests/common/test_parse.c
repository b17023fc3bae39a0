#include "parse.h"

#include "../unit.h"

static void test_duration(void) {
  int64_t ms;
  CHECK(parse_duration_ms("0", &ms) == 0 && ms == 0);
  CHECK(parse_duration_ms("10s", &ms) == 0 && ms == 10000);
  CHECK(parse_duration_ms("500ms", &ms) == 0 && ms == 500);
  CHECK(parse_duration_ms("1m", &ms) == 0 && ms == 60000);
  CHECK(parse_duration_ms("1m30s", &ms) == 0 && ms == 90000);
  CHECK(parse_duration_ms("1.5s", &ms) == 0 && ms == 1500);
  CHECK(parse_duration_ms("2h", &ms) == 0 && ms == 7200000);
  CHECK(parse_duration_ms("0s", &ms) == 0 && ms == 0);
  /* Errors: no unit, unknown unit, sign, garbage, empty, overflow. */
  CHECK(parse_duration_ms("10", &ms) == -1);
  CHECK(parse_duration_ms("10x", &ms) == -1);
  CHECK(parse_duration_ms("-1s", &ms) == -1);
  CHECK(parse_duration_ms("s", &ms) == -1);
  CHECK(parse_duration_ms("", &ms) == -1);
  CHECK(parse_duration_ms(NULL, &ms) == -1);
  CHECK(parse_duration_ms("10s ", &ms) == -1);
  CHECK(parse_duration_ms("99999999999999999h", &ms) == -1);
  /* Go syntax only: no exponents, no hex; decimal fractions are exact. */
  CHECK(parse_duration_ms("1e3s", &ms) == -1);
  CHECK(parse_duration_ms("0x10s", &ms) == -1);
  CHECK(parse_duration_ms(".5s", &ms) == 0 && ms == 500);
  CHECK(parse_duration_ms("1.005s", &ms) == 0 && ms == 1005);
  CHECK(parse_duration_ms("0.001s", &ms) == 0 && ms == 1);
  CHECK(parse_duration_ms("1.s", &ms) == 0 && ms == 1000);
  CHECK(parse_duration_ms(".s", &ms) == -1);
  CHECK(parse_duration_ms("1..5s", &ms) == -1);
  CHECK(parse_duration_ms("1h1m1s1ms", &ms) == 0 && ms == 3661001);
  /* Every x.yyy s from 0 to 99.999 s parses to exactly x*1000+yyy ms. */
  int exact = 1;
  for (int i = 0; i < 100000 && exact; i++) {
    char buf[32];
    snprintf(buf, sizeof buf, "%d.%03ds", i / 1000, i % 1000);
    exact = parse_duration_ms(buf, &ms) == 0 && ms == i;
  }
  CHECK(exact);
}

static void test_uint(void) {
  uint64_t v;
  CHECK(parse_uint("10", 1, 100, &v) == 0 && v == 10);
  CHECK(parse_uint("0", 0, 0, &v) == 0 && v == 0);
  CHECK(parse_uint("0", 1, 100, &v) == -1);
  CHECK(parse_uint("101", 1, 100, &v) == -1);
  CHECK(parse_uint("-1", 0, 100, &v) == -1);
  CHECK(parse_uint("1e3", 0, 10000, &v) == -1);
  CHECK(parse_uint("", 0, 100, &v) == -1);
  CHECK(parse_uint("99999999999999999999999", 0, UINT64_MAX, &v) == -1);
}

static void test_hostport(void) {
  char host[64];
  uint16_t port;
  CHECK(parse_hostport("127.0.0.1:50051", host, sizeof host, &port) == 0 && port == 50051);
  CHECK_STR(host, "127.0.0.1");
  CHECK(parse_hostport(":8080", host, sizeof host, &port) == 0 && port == 8080 && host[0] == 0);
  CHECK(parse_hostport("server-v1:50051", host, sizeof host, &port) == 0);
  CHECK_STR(host, "server-v1");
  CHECK(parse_hostport("[::1]:9002", host, sizeof host, &port) == 0 && port == 9002);
  CHECK_STR(host, "::1");
  CHECK(parse_hostport("host", host, sizeof host, &port) == -1);
  CHECK(parse_hostport("host:0", host, sizeof host, &port) == -1);
  CHECK(parse_hostport("host:65536", host, sizeof host, &port) == -1);
  CHECK(parse_hostport("a:b:1", host, sizeof host, &port) == -1);
  CHECK(parse_hostport("bad host:1", host, sizeof host, &port) == -1);
  CHECK(parse_hostport("averyveryveryverylonghostnamethatdoesnotfit.example:1", host, 8, &port) == -1);
}

int main(void) {
  test_duration();
  test_uint();
  test_hostport();
  return unit_result("test_parse");
}
