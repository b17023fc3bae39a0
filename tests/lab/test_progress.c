/* progress_format and judge_phase_latency: pure, and untested until issue 14. */
#include <string.h>

#include "judge.h"
#include "progress.h"
#include "../unit.h"

static const char yaml[] =
    "name: demo\n"
    "title: t\n"
    "demo_claim: c\n"
    "deployments:\n"
    "  - {name: server, replicas: 2}\n"
    "services:\n"
    "  - {name: server, type: headless, port: 50051, selector: server}\n"
    "clients:\n"
    "  - {name: client, service: server}\n"
    "timeline:\n"
    "  - {phase: two, duration: 5s}\n"
    "  - {phase: three, duration: 5s, scale: {deployment: server, replicas: 3}}\n"
    "expect:\n"
    "  - {check: top_share, phase: two, min: 50, claim: x}\n";

int main(void) {
  static struct scenario sc;
  char err[512];
  CHECK(scenario_parse(yaml, strlen(yaml), "t.yaml", 0, &sc, err, sizeof err) == 0);
  struct sample_set s;
  sample_init(&s);
  struct sample_line l;
  /* Seconds 1-4: 100 RPCs a second, 60/40, p50 1 ms and p99 2..5 ms; 6-9: 120 a second, 3 servers. */
  for (int t = 1; t < 10; t++) {
    char line[256];
    if (t < 5)
      snprintf(line, sizeof line,
               "summary window_ms=1000 ok=100 failed=%d p50_us=1000 p99_us=%d servers=2 "
               "server-1=60/60.0%% server-2=40/40.0%%",
               t == 2, (t + 1) * 1000);
    else
      snprintf(line, sizeof line,
               "summary window_ms=1000 ok=120 failed=0 p50_us=3000 p99_us=9000 servers=3 "
               "server-1=40/33.3%% server-2=40/33.3%% server-3=40/33.3%%");
    CHECK(sample_parse_line(line, &l) == 0);
    sample_add(&s, t * 1000 + 10, &l);
  }
  char buf[512];
  progress_format(&sc, &s, 0, 4500, 10000, buf, sizeof buf);
  /* server-3 is known by then (declared when first seen): shown at 0% over seconds 1-3. */
  CHECK_STR(buf, "[demo   4/10s] phase=two (start) rpc/s=100 server-1=60% server-2=40% server-3=0%");
  progress_format(&sc, &s, 1, 9500, 10000, buf, sizeof buf);
  CHECK_STR(buf, "[demo   9/10s] phase=three (scaled server to 3) rpc/s=120 server-1=33% server-2=33% server-3=33%");
  /* A short buffer is cut, never overrun. */
  char small[16];
  progress_format(&sc, &s, 1, 9500, 10000, small, sizeof small);
  CHECK(strlen(small) == sizeof small - 1);

  /* Phase latency: step 0 is seconds [0, 5), step 1 (from 5.2 s) [7, 10) (second 6's window began
   * at 5.01 s, before the step). */
  struct judge_timing tm = {.step_start_ms = {0, 5200}, .end_ms = 10000};
  uint64_t ok, failed;
  double p50, p99;
  judge_phase_latency(&tm, &s, 2, 0, &ok, &failed, &p50, &p99);
  CHECK(ok == 400 && failed == 1 && p50 == 1.0 && p99 == 4.0); /* median of 2,3,4,5 ms: the upper middle */
  judge_phase_latency(&tm, &s, 2, 1, &ok, &failed, &p50, &p99);
  CHECK(ok == 360 && failed == 0 && p50 == 3.0 && p99 == 9.0);
  /* Nothing answered: -1. */
  struct sample_set empty;
  sample_init(&empty);
  judge_phase_latency(&tm, &empty, 2, 0, &ok, &failed, &p50, &p99);
  CHECK(ok == 0 && p50 == -1 && p99 == -1);
  sample_free(&s);
  return unit_result("test_progress");
}
