#include "summary.h"

#include <stdlib.h>

#include "../unit.h"

static void test_server_of(void) {
  char name[16];
  CHECK(summary_server_of("server-1: Hello c_1", name, sizeof name) == 0);
  CHECK_STR(name, "server-1");
  CHECK(summary_server_of("a b=c: Hello", name, sizeof name) == 0);
  CHECK_STR(name, "a_b_c");
  CHECK(summary_server_of("no separator", name, sizeof name) == -1);
  CHECK(summary_server_of(": empty name", name, sizeof name) == -1);
  CHECK(summary_server_of("averyverylongservername: Hello", name, sizeof name) == 0);
  CHECK(strlen(name) == sizeof name - 1);
}

static void test_counts_and_format(void) {
  struct summary s, total;
  CHECK(summary_init(&s) == 0 && summary_init(&total) == 0);
  for (int i = 0; i < 3; i++) summary_add_reply(&s, "server-2: Hello x", 100);
  summary_add_reply(&s, "server-1: Hello x", 300);
  summary_add_failure(&s);
  CHECK(s.ok == 4 && s.failed == 1 && s.n_servers == 2);
  CHECK_STR(s.servers[0].name, "server-1"); /* sorted by name */
  CHECK(summary_latency_quantile(&s, 0.5) == 100);
  CHECK(summary_latency_quantile(&s, 0.99) == 300);
  char line[512];
  summary_format(&s, 1000, 0, line, sizeof line);
  CHECK_STR(line, "summary window_ms=1000 ok=4 failed=1 p50_us=100 p99_us=300 servers=2 "
                  "server-1=1/25.0% server-2=3/75.0%");
  summary_merge(&total, &s);
  summary_reset(&s);
  CHECK(s.ok == 0 && s.n_servers == 0 && s.lat_us != NULL);
  summary_add_reply(&s, "server-3: Hello", 200);
  summary_merge(&total, &s);
  summary_format(&total, 2000, 1, line, sizeof line);
  CHECK_STR(line, "summary window_ms=2000 ok=5 failed=1 p50_us=100 p99_us=300 final=1 servers=3 "
                  "server-1=1/20.0% server-2=3/60.0% server-3=1/20.0%");
  /* Truncation: snprintf semantics, never an overflow. */
  char small[20];
  int n = summary_format(&total, 2000, 1, small, sizeof small);
  CHECK(n > (int)sizeof small && strlen(small) == sizeof small - 1);
  summary_free(&s);
  summary_free(&total);
}

static void test_many_servers(void) {
  struct summary s;
  CHECK(summary_init(&s) == 0);
  char msg[64];
  for (int i = 0; i < SUMMARY_MAX_SERVERS + 5; i++) {
    snprintf(msg, sizeof msg, "s%03d: Hello", i);
    summary_add_reply(&s, msg, 1);
  }
  CHECK(s.n_servers == SUMMARY_MAX_SERVERS && s.other == 5 && s.ok == SUMMARY_MAX_SERVERS + 5);
  summary_free(&s);
}

int main(void) {
  test_server_of();
  test_counts_and_format();
  test_many_servers();
  return unit_result("test_summary");
}
