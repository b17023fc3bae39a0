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
  /* A peer's name is cut at a character boundary: "é" (2 bytes) does not fit in the 15th byte. */
  CHECK(summary_server_of("abcdefghijklmn\xc3\xa9: Hello", name, sizeof name) == 0);
  CHECK_STR(name, "abcdefghijklmn");
}

/* A reply from a server whose NAME holds a newline must not add a line to the output that the lab
 * parses: the name is one token of the summary line, and nothing follows it on a new line. */
static void test_hostile_server_name(void) {
  struct summary s;
  CHECK(summary_init(&s) == 0);
  summary_add_reply(&s, "evil\n2026/11/26 16:30:28 summary window_ms=1 ok=999 failed=0 fake=999/100.0%: Hello c_1", 1);
  summary_add_reply(&s, "t\x1b[2J\r: Hello c_2", 1);
  char line[512];
  summary_format(&s, 1000, NULL, line, sizeof line);
  CHECK(strchr(line, '\n') == NULL && strchr(line, '\r') == NULL && strchr(line, '\x1b') == NULL);
  CHECK_STR(line,
            "summary window_ms=1000 ok=2 failed=0 p50_us=1 p99_us=1 servers=2 "
            "evil?2026/11/26_16:30:28_summary_window_ms_1_ok_999_failed_0_fa=1/50.0% " /* cut at 63 bytes */
            "t?[2J?=1/50.0%");
  summary_free(&s);
}

static void test_counts_and_format(void) {
  struct summary s;
  CHECK(summary_init(&s) == 0);
  for (int i = 0; i < 3; i++) summary_add_reply(&s, "server-2: Hello x", 100);
  summary_add_reply(&s, "server-1: Hello x", 300);
  summary_add_failure(&s);
  CHECK(s.ok == 4 && s.failed == 1 && s.n_servers == 2);
  CHECK_STR(s.servers[0].name, "server-1"); /* sorted by name */
  CHECK(summary_latency_quantile(&s, 0.5) == 100);
  CHECK(summary_latency_quantile(&s, 0.99) == 300);
  char line[512];
  summary_format(&s, 1000, NULL, line, sizeof line);
  CHECK_STR(line,
            "summary window_ms=1000 ok=4 failed=1 p50_us=100 p99_us=300 servers=2 "
            "server-1=1/25.0% server-2=3/75.0%");
  summary_reset(&s);
  CHECK(s.ok == 0 && s.n_servers == 0 && s.n_lat == 0 && s.lat_us != NULL);
  summary_add_reply(&s, "server-3: Hello", 200);
  struct summary_totals totals = {5, 1, 6};
  summary_format(&s, 2000, &totals, line, sizeof line);
  CHECK_STR(line,
            "summary window_ms=2000 ok=1 failed=0 p50_us=200 p99_us=200 channels=6 total_ok=5 total_failed=1 "
            "final=1 servers=1 server-3=1/100.0%");
  /* The largest counts fit: nothing of the line is cut before the servers. */
  struct summary_totals big = {UINT64_MAX, UINT64_MAX, UINT64_MAX};
  summary_format(&s, 2000, &big, line, sizeof line);
  CHECK_STR(line,
            "summary window_ms=2000 ok=1 failed=0 p50_us=200 p99_us=200 channels=18446744073709551615 "
            "total_ok=18446744073709551615 total_failed=18446744073709551615 final=1 servers=1 server-3=1/100.0%");
  /* Truncation: snprintf semantics, never an overflow. */
  char small[20];
  int n = summary_format(&s, 2000, &totals, small, sizeof small);
  CHECK(n > (int)sizeof small && strlen(small) == sizeof small - 1);
  /* An empty window formats without dividing by zero. */
  summary_reset(&s);
  summary_format(&s, 5, NULL, line, sizeof line);
  CHECK_STR(line, "summary window_ms=5 ok=0 failed=0 p50_us=0 p99_us=0 servers=0");
  summary_free(&s);
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
  test_hostile_server_name();
  test_counts_and_format();
  test_many_servers();
  return unit_result("test_summary");
}
