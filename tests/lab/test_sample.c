#include "sample.h"

#include "../unit.h"

static void test_parse(void) {
  struct sample_line l;
  CHECK(sample_parse_line("2026/11/26 16:49:21 summary window_ms=1004 ok=100 failed=2 p50_us=101623 p99_us=107039 "
                          "servers=3 server-1=30/30.0% server-2=40/40.0% server-3=30/30.0%",
                          &l) == 0);
  CHECK(l.window_ms == 1004 && l.ok == 100 && l.failed == 2 && l.p50_us == 101623 && l.p99_us == 107039);
  CHECK(!l.final && l.n == 3);
  CHECK_STR(l.servers[1].name, "server-2");
  CHECK(l.servers[1].count == 40);
  /* The final line, no date prefix, no servers. */
  CHECK(sample_parse_line("summary window_ms=5 ok=0 failed=0 p50_us=0 p99_us=0 final=1 servers=0", &l) == 0);
  CHECK(l.final && l.n == 0);
  /* Not summary lines. */
  CHECK(sample_parse_line("2026/11/26 16:49:21 server-1: Hello client_1", &l) == -1);
  CHECK(sample_parse_line("2026/11/26 16:49:21 ERROR client_3: code=14 UNAVAILABLE: x", &l) == -1);
  CHECK(sample_parse_line("junk summary window_ms=1 ok=1 failed=0 p50_us=1 p99_us=1 servers=0", &l) == -1);
  CHECK(sample_parse_line("summary window_ms=1 ok=1 failed=0 p50_us=1 servers=0", &l) == -1);
  CHECK(sample_parse_line("summary window_ms=x ok=1 failed=0 p50_us=1 p99_us=1 servers=0", &l) == -1);
  /* The server count must match the entries. */
  CHECK(sample_parse_line("summary window_ms=1 ok=1 failed=0 p50_us=1 p99_us=1 servers=2 a=1/100.0%", &l) == -1);
  CHECK(sample_parse_line("summary window_ms=1 ok=1 failed=0 p50_us=1 p99_us=1 servers=1 a=x/100.0%", &l) == -1);
}

static void test_set(void) {
  struct sample_set s;
  sample_init(&s);
  struct sample_line l;
  CHECK(sample_declare(&s, "late") == 0);
  CHECK(sample_parse_line("summary window_ms=1000 ok=10 failed=0 p50_us=5 p99_us=9 servers=2 a=6/60.0% b=4/40.0%",
                          &l) == 0);
  CHECK(sample_add(&s, 1500, &l) == 0);
  CHECK(sample_add(&s, 1900, &l) == 0); /* two clients in the same second add up */
  CHECK(sample_parse_line("summary window_ms=1000 ok=10 failed=1 p50_us=7 p99_us=8 servers=1 late=10/100.0%", &l) == 0);
  CHECK(sample_add(&s, 3200, &l) == 0);
  CHECK(s.n_sec == 4 && s.n_servers == 3);
  CHECK(sample_server(&s, "a") == 1 && sample_server(&s, "b") == 2 && sample_server(&s, "zz") == -1);
  CHECK(s.sec[1].ok == 20 && s.sec[1].p50_us == 5 && s.sec[3].failed == 1 && s.sec[3].p99_us == 8);
  CHECK(s.first_ms[0] == 3200 && s.first_ms[1] == 1500);
  struct verdict_grid g = sample_grid(&s);
  CHECK(verdict_total(&g, 1, 0, 4) == 12 && verdict_total(&g, 0, 0, 3) == 0 && verdict_total(&g, -1, 0, 4) == 30);
  CHECK(sample_extend(&s, 10) == 0 && s.n_sec == 10);
  g = sample_grid(&s);
  CHECK(verdict_total(&g, -1, 0, 4) == 30);
  /* The final line is not a window. */
  CHECK(sample_parse_line("summary window_ms=5000 ok=99 failed=0 p50_us=1 p99_us=1 final=1 servers=1 a=99/100.0%",
                          &l) == 0);
  CHECK(sample_add(&s, 4000, &l) == 0);
  g = sample_grid(&s);
  CHECK(verdict_total(&g, -1, 0, 10) == 30);
  sample_free(&s);
}

int main(void) {
  test_parse();
  test_set();
  return unit_result("test_sample");
}
