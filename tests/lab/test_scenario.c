#include "scenario.h"

#include <string.h>

#include "judge.h"
#include "../unit.h"

static const char good[] =
    "name: demo\n"
    "title: A demo\n"
    "demo_claim: it works\n"
    "deployments:\n"
    "  - name: server\n"
    "    replicas: 3\n"
    "    env:\n"
    "      RESPONSE_DELAY: {default: 1s, fast: 100ms}\n"
    "      OTHER: plain\n"
    "services:\n"
    "  - {name: server, type: headless, port: 50051, selector: server}\n"
    "clients:\n"
    "  - name: client\n"
    "    service: server\n"
    "timeline:\n"
    "  - phase: three\n"
    "    duration: {default: 30s, fast: 6s}\n"
    "  - phase: five\n"
    "    scale: {deployment: server, replicas: 5}\n"
    "    duration: 60s\n"
    "expect:\n"
    "  - {check: share_each, phase: three, target: 33.3, tolerance: 4, claim: even}\n"
    "  - {check: no_rpc, phase: five, select: new, claim: new ones idle}\n"
    "  - {check: even, phase: five, target: 20, tolerance: 5, window: 10s, claim: converge}\n";

static int parse(const char *text, int fast, struct scenario *sc, char *err, size_t len) {
  return scenario_parse(text, strlen(text), "t.yaml", fast, sc, err, len);
}

static void test_good(void) {
  static struct scenario sc;
  char err[512];
  CHECK(parse(good, 0, &sc, err, sizeof err) == 0);
  CHECK_STR(sc.name, "demo");
  CHECK(sc.n_deployments == 1 && sc.deployments[0].replicas == 3 && sc.deployments[0].n_env == 2);
  CHECK_STR(sc.deployments[0].env[0].value, "1s");
  CHECK(sc.n_steps == 2 && sc.steps[0].duration_ms == 30000 && sc.steps[1].duration_ms == 60000);
  CHECK(sc.steps[1].action == SC_ACTION_SCALE && sc.steps[1].replicas == 5);
  CHECK(sc.n_expects == 3 && sc.expects[1].select == SC_SELECT_NEW && sc.expects[2].window_ms == 10000);
  CHECK_STR(sc.expects[0].deployment, "server"); /* defaults to the first deployment */
  CHECK(scenario_duration_ms(&sc) == 90000);
  /* --fast picks the fast values, and the default where there is none. */
  CHECK(parse(good, 1, &sc, err, sizeof err) == 0);
  CHECK_STR(sc.deployments[0].env[0].value, "100ms");
  CHECK(sc.steps[0].duration_ms == 6000 && sc.steps[1].duration_ms == 60000);
}

/* Replaces the first `from` in `good` with `to` and expects an error containing `want`. */
static void bad(const char *from, const char *to, const char *want) {
  static char text[4096];
  static struct scenario sc;
  char err[512];
  const char *at = strstr(good, from);
  if (!at) {
    fprintf(stderr, "test bug: %s not in the sample\n", from);
    unit_failed++;
    return;
  }
  snprintf(text, sizeof text, "%.*s%s%s", (int)(at - good), good, to, at + strlen(from));
  int rc = parse(text, 0, &sc, err, sizeof err);
  CHECK(rc == -1);
  if (rc == -1 && !strstr(err, want)) {
    fprintf(stderr, "error \"%s\" lacks \"%s\"\n", err, want);
    unit_failed++;
  }
}

static void test_bad(void) {
  bad("title: A demo\n", "", "t.yaml:1: missing \"title\"");
  bad("    replicas: 3\n", "    replicas: three\n", "t.yaml:6: \"replicas\" must be an integer");
  bad("type: headless", "type: nodeport", "unknown service type \"nodeport\"");
  bad("selector: server}", "selector: nope}", "no deployment named \"nope\"");
  bad("    service: server\n", "    service: other\n", "t.yaml:14: no service named \"other\"");
  bad("duration: 60s", "duration: 60", "invalid duration \"60\"");
  bad("duration: {default: 30s, fast: 6s}", "duration: {default: 30s, quick: 6s}", "unknown key \"quick\"");
  bad("phase: three, target", "phase: four, target", "no phase named \"four\"");
  bad("check: share_each", "check: share_most", "unknown check \"share_most\"");
  bad("tolerance: 4", "tolerance: 400", "percentage 0..100");
  bad("window: 10s", "window: 100s", "window is longer than phase");
  bad("phase: three, target", "phase: three, select: new, target", "select: new needs a phase that scales");
  bad("  - name: client\n", "  - name: Client\n", "lower-case");
  bad("name: demo\n", "name: demo\nextra: 1\n", "t.yaml:2: unknown key \"extra\"");
  bad("  - phase: three\n", "  - phase: five\n", "phase \"five\" defined twice");
  bad("clients:\n  - name: client\n    service: server\n", "clients: []\n", "\"clients\" must be a non-empty list");
  bad("name: demo\n", "name: [demo\n", "t.yaml:");
}

static void test_judge(void) {
  static struct scenario sc;
  char err[512];
  CHECK(parse(good, 1, &sc, err, sizeof err) == 0);
  /* Seconds 0..5: three pods even; step 1 (five) took effect at 6.2 s; then 0..9 s later all five even. */
  struct sample_set s;
  sample_init(&s);
  const char *names[] = {"server-1", "server-2", "server-3", "server-4", "server-5"};
  for (int i = 0; i < 5; i++) sample_declare(&s, names[i]);
  struct sample_line l;
  for (int t = 1; t < 20; t++) {
    const char *line = t <= 6 ? "summary window_ms=1000 ok=9 failed=0 p50_us=1 p99_us=2 servers=3 server-1=3/33.3% "
                                "server-2=3/33.3% server-3=3/33.3%"
                              : "summary window_ms=1000 ok=10 failed=0 p50_us=1 p99_us=2 servers=5 server-1=2/20.0% "
                                "server-2=2/20.0% server-3=2/20.0% server-4=2/20.0% server-5=2/20.0%";
    CHECK(sample_parse_line(line, &l) == 0);
    sample_add(&s, t * 1000 + 50, &l);
  }
  struct judge_pod pods[5];
  for (int i = 0; i < 5; i++) pods[i] = (struct judge_pod){names[i], 0, i < 3 ? 0 : 1, -1};
  struct judge_timing tm = {.step_start_ms = {0, 6200}, .end_ms = 20000};
  struct judge_result r;
  judge_expect(&sc, &sc.expects[0], &s, pods, 5, &tm, &r);
  CHECK(r.pass);
  /* The new pods did get RPCs here, so "no RPC" must fail. */
  judge_expect(&sc, &sc.expects[1], &s, pods, 5, &tm, &r);
  CHECK(!r.pass && strstr(r.measured, "server-4 26"));
  /* even: the first whole second after 6.2 s is 7; window 10 s fits in [7, 20). */
  judge_expect(&sc, &sc.expects[2], &s, pods, 5, &tm, &r);
  CHECK(r.pass && r.value >= 0 && r.value < 1.0);
  size_t from, to;
  judge_phase_seconds(&tm, 2, 0, &from, &to);
  CHECK(from == 0 && to == 6);
  judge_phase_seconds(&tm, 2, 1, &from, &to);
  CHECK(from == 7 && to == 20);
  sample_free(&s);
}

int main(void) {
  test_good();
  test_bad();
  test_judge();
  return unit_result("test_scenario");
}
