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
    "      LOG_LEVEL: info\n"
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
  bad("tolerance: 4", "tolerance: nan", "percentage 0..100"); /* nan would make every share check pass */
  bad("window: 10s", "window: 100s", "window is longer than phase");
  bad("phase: three, target", "phase: three, select: new, target", "select: new needs a phase that scales");
  bad("  - name: client\n", "  - name: Client\n", "lower-case");
  bad("name: demo\n", "name: demo\nextra: 1\n", "t.yaml:2: unknown key \"extra\"");
  bad("  - phase: three\n", "  - phase: five\n", "phase \"five\" defined twice");
  bad("clients:\n  - name: client\n    service: server\n", "clients: []\n", "\"clients\" must be a non-empty list");
  bad("name: demo\n", "name: [demo\n", "t.yaml:");
  /* Values the programs would refuse at run time, refused by the check (issue 16). */
  bad("RESPONSE_DELAY: {default: 1s, fast: 100ms}", "RESPONSE_DELAY: bogus",
      "t.yaml:8: env RESPONSE_DELAY: \"bogus\" is not a duration");
  bad("LOG_LEVEL: info", "FROBNICATE: 1", "env FROBNICATE: not a setting of greeter-server");
  bad("duration: 60s", "duration: 2562047h", "2562047h is longer than 24h");
  bad("tolerance: 4", "tolerance: 0x21", "percentage 0..100");
  bad("tolerance: 4", "tolerance: 1e1", "percentage 0..100");
  bad("    service: server\n", "    service: server\n    env: {CONCURRENCY: \"0\"}\n",
      "env CONCURRENCY: \"0\" is not a number in 1..10000");
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
  for (int i = 0; i < 5; i++) pods[i] = (struct judge_pod){names[i], 0, i < 3 ? 0 : 1, -1, -1, NULL, 0, NULL};
  struct judge_timing tm = {.step_start_ms = {0, 6200}, .end_ms = 20000};
  struct judge_result r;
  judge_expect(&sc, &sc.expects[0], &s, pods, 5, &tm, &r);
  CHECK(r.pass);
  /* The new pods did get RPCs here, so "no RPC" must fail. */
  judge_expect(&sc, &sc.expects[1], &s, pods, 5, &tm, &r);
  CHECK(!r.pass && strstr(r.measured, "server-4 26"));
  /* even: the first clean second after 6.2 s is 8 (below); window 10 s fits in [8, 20). */
  judge_expect(&sc, &sc.expects[2], &s, pods, 5, &tm, &r);
  CHECK(r.pass && r.value > 1.7 && r.value < 1.9);
  /* first_rpc: the servers' own first-received times win over the 1 s samples. */
  struct sc_expect first = sc.expects[1];
  first.check = SC_CHECK_FIRST_RPC;
  first.within_ms = 800;
  judge_expect(&sc, &first, &s, pods, 5, &tm, &r);
  CHECK(!r.pass && strstr(r.measured, "server-4 after 0.85 s (1 s sample)")); /* counted in the line at 7.05 s */
  pods[3].first_rx_ms = 6500;
  pods[4].first_rx_ms = 6900;
  judge_expect(&sc, &first, &s, pods, 5, &tm, &r);
  CHECK(r.pass && strstr(r.measured, "server-4 after 0.30 s, server-5 after 0.70 s") && r.value > 0.69 &&
        r.value < 0.71);
  pods[4].first_rx_ms = 7300;
  judge_expect(&sc, &first, &s, pods, 5, &tm, &r);
  CHECK(!r.pass);
  /* top_share (the clusterip check): seconds 1-5 of phase "three" are 3/3/3, so the busiest pod has
   * a third of the RPCs: min 33 holds, min 40 does not; without samples it never holds. */
  struct sc_expect top = sc.expects[0];
  top.check = SC_CHECK_TOP_SHARE;
  top.min = 33;
  judge_expect(&sc, &top, &s, pods, 5, &tm, &r);
  CHECK(r.pass && r.value > 33.2 && r.value < 33.4 && strstr(r.measured, "got 33.3% of 45 RPCs"));
  top.min = 40;
  judge_expect(&sc, &top, &s, pods, 5, &tm, &r);
  CHECK(!r.pass);
  struct sample_set none;
  sample_init(&none);
  for (int i = 0; i < 5; i++) sample_declare(&none, names[i]);
  top.min = 0;
  judge_expect(&sc, &top, &none, pods, 5, &tm, &r);
  CHECK(!r.pass && strstr(r.measured, "no pod got 0.0% of 0 RPCs"));
  sample_free(&none);
  size_t from, to;
  judge_phase_seconds(&tm, &s, 2, 0, &from, &to);
  CHECK(from == 0 && to == 6);
  /* Step 1 took effect at 6.2 s. The line counted in second 7 arrived at 7.05 s and covers 6.05-7.05 s,
   * 0.15 s of it before the step: the phase's first clean second is 8 (issue 9: with 7, the xds
   * scenario's "v2 only" counted calls made before the swap). */
  judge_phase_seconds(&tm, &s, 2, 1, &from, &to);
  CHECK(from == 8 && to == 20);
  /* A late line (a busy machine: a 2 s window arriving at 8.05 s) makes second 8 unclean too. */
  CHECK(sample_parse_line("summary window_ms=2000 ok=1 failed=0 p50_us=1 p99_us=2 servers=1 server-1=1/100.0%", &l) ==
        0);
  sample_add(&s, 8050, &l);
  judge_phase_seconds(&tm, &s, 2, 1, &from, &to);
  CHECK(from == 9 && to == 20);
  CHECK(sample_clean_from(&s, 0) == 0 && sample_clean_from(&s, 30000) == 30);
  sample_free(&s);
}

static const char l7[] =
    "name: l7\n"
    "title: t\n"
    "demo_claim: c\n"
    "deployments:\n"
    "  - {name: v1, replicas: 2}\n"
    "  - {name: v2, replicas: 2}\n"
    "  - {name: proxy, image: envoy, replicas: 1, config: proxy/proxy.yaml, upstreams: [{service: v1}]}\n"
    "services:\n"
    "  - {name: v1, type: headless, port: 50051, selector: v1}\n"
    "  - {name: v2, type: headless, port: 50051, selector: v2}\n"
    "xds_configs:\n"
    "  a: |\n"
    "    name: x\n"
    "    spec: {}\n"
    "  b: |\n"
    "    name: y\n"
    "    spec: {}\n"
    "clients:\n"
    "  - name: client\n"
    "    sidecar: {config: canary/client.yaml, upstreams: [{service: v1, weight: 99}, {service: v2, weight: 1}]}\n"
    "  - {name: proxyless, xds: server}\n"
    "timeline:\n"
    "  - {phase: start, duration: 5s}\n"
    "  - {phase: half, duration: 5s, set_weights: {client: client, upstreams: [{service: v2, weight: "
    "50}]}}\n"
    "  - {phase: swap, duration: 5s, xds_config: b}\n"
    "  - {phase: crash, duration: 5s, kill: v1}\n"
    "expect:\n"
    "  - {check: group_share, phase: half, deployment: v2, target: 50, tolerance: 2, settle: 1s, min_rpcs: 10, claim: "
    "g}\n"
    "  - {check: stops, phase: crash, deployment: v1, select: gone, within: 2s, claim: s}\n";

static void test_l7_and_xds(void) {
  static struct scenario sc;
  char err[512];
  CHECK(parse(l7, 0, &sc, err, sizeof err) == 0);
  if (err[0]) fprintf(stderr, "%s\n", err);
  CHECK(sc.deployments[2].image == SC_IMAGE_ENVOY && sc.deployments[2].port == 8080);
  CHECK_STR(sc.deployments[2].proxy.config, "proxy/proxy.yaml");
  CHECK_STR(sc.clients[0].sidecar.config, "canary/client.yaml");
  CHECK(sc.deployments[2].proxy.n_upstreams == 1 && sc.deployments[2].proxy.upstreams[0].weight == 100);
  CHECK(sc.clients[0].has_sidecar && sc.clients[0].sidecar.upstreams[1].weight == 1);
  CHECK_STR(sc.clients[1].xds, "server");
  CHECK(sc.n_xds_configs == 2);
  CHECK_STR(sc.xds_configs[1].text, "name: y\nspec: {}\n");
  CHECK(sc.steps[1].action == SC_ACTION_WEIGHTS && sc.steps[1].n_weights == 1);
  CHECK(sc.steps[2].action == SC_ACTION_XDS_CONFIG && sc.steps[3].action == SC_ACTION_KILL);
  CHECK(sc.expects[0].check == SC_CHECK_GROUP_SHARE && sc.expects[0].settle_ms == 1000 && sc.expects[0].min_rpcs == 10);
  CHECK(sc.expects[1].check == SC_CHECK_STOPS && sc.expects[1].select == SC_SELECT_GONE);

  /* Errors that name what is wrong. */
  struct {
    const char *from, *to, *want;
  } cases[] = {
      {"upstreams: [{service: v1}]", "upstreams: [{service: v9}]", "upstream: no service named \"v9\""},
      {"image: envoy", "image: haproxy", "unknown image \"haproxy\" (greeter-server|envoy)"},
      {"{name: v1, replicas: 2}", "{name: v1, replicas: 2, upstreams: [{service: v1}]}",
       "config, upstreams and port are for image: envoy"},
      {"config: proxy/proxy.yaml", "config: ../etc/x.yaml", "must name a manifest under deploy/"},
      {"config: proxy/proxy.yaml, ", "", "\"config\""},
      {"client: client, upstreams", "client: client, live: true, upstreams",
       "live changes go through the control plane"},
      {"xds_config: b", "xds_config: c", "no xds config named \"c\""},
      /* xdsd's validator runs on embedded configs (issue 16). */
      {"    name: y\n    spec: {}\n", "    name: y\n    spec: {listeners: [{name: l, routes: []}]}\n",
       "xds config b is not one xdsd accepts: b:2: listener \"l\" has no routes"},
      {"{service: v2, weight: 50}", "{service: v3, weight: 50}", "\"v3\" is not an upstream of the sidecar"},
      {"client: client, upstreams", "client: proxyless, upstreams", "not a client with a sidecar"},
      {"weight: 99", "weight: 300", "\"weight\" must be an integer in 0..256"},
      {"select: gone", "select: new", "select: new needs a phase that scales"},
      {"{name: proxyless, xds: server}", "{name: proxyless, xds: server, service: v1}",
       "has no service and no sidecar"},
      {"check: stops, phase: crash, deployment: v1, select: gone", "check: failover, phase: start, deployment: v2",
       "t.yaml:29: failover needs a phase whose step has an action"},
      {"check: stops, phase: crash, deployment: v1, select: gone, within: 2s",
       "check: failover, phase: crash, deployment: v2", "missing \"within\""},
  };
  static char text[8192];
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const char *at = strstr(l7, cases[i].from);
    CHECK(at != NULL);
    if (!at) continue;
    snprintf(text, sizeof text, "%.*s%s%s", (int)(at - l7), l7, cases[i].to, at + strlen(cases[i].from));
    CHECK(parse(text, 0, &sc, err, sizeof err) == -1);
    if (!strstr(err, cases[i].want)) {
      fprintf(stderr, "error \"%s\" lacks \"%s\"\n", err, cases[i].want);
      unit_failed++;
    }
  }
}

/* failover (zone failover): v1-1 is killed at 15.15 s (its SIGKILL; the step took effect, DNS changed,
 * at 15.2 s) and v2's pods, idle until then, take over. Timed from the kill, from the servers' logs:
 * an RPC before the kill does not count, nor one after the phase. */
static void test_judge_failover(void) {
  static struct scenario sc;
  char err[512];
  static char text[8192];
  const char *from = "check: stops, phase: crash, deployment: v1, select: gone, within: 2s";
  const char *at = strstr(l7, from);
  REQUIRE(at != NULL);
  snprintf(text, sizeof text, "%.*s%s%s", (int)(at - l7), l7,
           "check: failover, phase: crash, deployment: v2, within: 500ms", at + strlen(from));
  CHECK(parse(text, 0, &sc, err, sizeof err) == 0);
  if (err[0]) fprintf(stderr, "%s\n", err);
  REQUIRE(sc.n_expects == 2 && sc.expects[1].check == SC_CHECK_FAILOVER);
  struct sc_expect e = sc.expects[1];
  CHECK(e.within_ms == 500 && e.select == SC_SELECT_ALL);
  struct sample_set s;
  sample_init(&s);
  const char *names[] = {"v1-1", "v1-2", "v2-1", "v2-2"};
  for (int i = 0; i < 4; i++) sample_declare(&s, names[i]);
  struct sample_line l;
  for (int t = 1; t < 20; t++) {
    const char *line = t <= 15 ? "summary window_ms=1000 ok=10 failed=0 p50_us=1 p99_us=2 servers=2 v1-1=5/50.0% "
                                 "v1-2=5/50.0%"
                               : "summary window_ms=1000 ok=10 failed=0 p50_us=1 p99_us=2 servers=2 v2-1=5/50.0% "
                                 "v2-2=5/50.0%";
    CHECK(sample_parse_line(line, &l) == 0);
    sample_add(&s, t * 1000 + 100, &l);
  }
  int64_t rx_21[] = {1000, 15100, 15260, 15300}; /* a call at 1 s (earlier traffic) and one before the kill */
  int64_t rx_22[] = {15400, 19000};
  struct judge_pod pods[4] = {{"v1-1", 0, 0, 3, -1, NULL, 0, NULL},
                              {"v1-2", 0, 0, -1, -1, NULL, 0, NULL},
                              {"v2-1", 1, 0, -1, 1000, rx_21, 4, NULL},
                              {"v2-2", 1, 0, -1, 15400, rx_22, 2, NULL}};
  struct judge_timing tm = {.step_start_ms = {0, 5000, 9980, 15200}, .action_ms = {0, 4990, 9970, 15150},
                            .end_ms = 20000};
  struct judge_result r;
  judge_expect(&sc, &e, &s, pods, 4, &tm, &r);
  CHECK(r.pass && r.value > 0.249 && r.value < 0.251);
  CHECK(strstr(r.measured, "v2-1 first RPC 0.110 s after the kill, v2-2 first RPC 0.250 s after the kill") != NULL);
  e.within_ms = 200;
  judge_expect(&sc, &e, &s, pods, 4, &tm, &r);
  CHECK(!r.pass);
  /* A pod whose calls all came before the kill, or after the phase, never took over. */
  e.within_ms = 500;
  int64_t rx_late[] = {14000, 20500};
  pods[3].rx_ms = rx_late;
  judge_expect(&sc, &e, &s, pods, 4, &tm, &r);
  CHECK(!r.pass && r.value < 0 && strstr(r.measured, "v2-2 no RPC after the kill"));
  /* Without a server log: the first clean 1 s sample after the kill that counts the pod. The lines of
   * seconds 15 and 16 (windows from 14.1 and 15.1 s) began before 15.15 s; second 17's is the first. */
  pods[2].rx_ms = pods[3].rx_ms = NULL;
  e.within_ms = 3000;
  judge_expect(&sc, &e, &s, pods, 4, &tm, &r);
  CHECK(r.pass && strstr(r.measured, "v2-1 first RPC 2.850 s after the kill (1 s sample)"));
  sample_free(&s);
}

/* Issue 9's lab_xds failure: "v2 only" judged a second whose summary window began before the change
 * reached the clients. The swap at 9.98 s; xdsd loads it 0.1 s later (its debounce), so v1 gets calls
 * until 10.08 s; lines arrive at t + 0.05 s. The old judge took ceil(9.98 + 1 settle) = 11, whose line
 * (10.05-11.05 s) holds those calls. */
static void test_judge_removed_group(void) {
  static struct scenario sc;
  char err[512];
  CHECK(parse(l7, 0, &sc, err, sizeof err) == 0);
  struct sc_expect e = sc.expects[0];
  snprintf(e.phase, sizeof e.phase, "swap");
  snprintf(e.deployment, sizeof e.deployment, "v1");
  e.target = 0;
  e.tolerance = 0;
  e.settle_ms = 1000;
  e.min_rpcs = 100;
  struct sample_set s;
  sample_init(&s);
  const char *names[] = {"v1-1", "v1-2", "v2-1", "v2-2"};
  for (int i = 0; i < 4; i++) sample_declare(&s, names[i]);
  struct sample_line l;
  for (int t = 1; t < 20; t++) {
    const char *line = t <= 10   ? "summary window_ms=1000 ok=100 failed=0 p50_us=1 p99_us=2 servers=4 v1-1=25/25.0% "
                                   "v1-2=25/25.0% v2-1=25/25.0% v2-2=25/25.0%"
                       : t == 11 ? "summary window_ms=1000 ok=100 failed=0 p50_us=1 p99_us=2 servers=4 v1-1=4/4.0% "
                                   "v1-2=3/3.0% v2-1=47/47.0% v2-2=46/46.0%"
                                 : "summary window_ms=1000 ok=100 failed=0 p50_us=1 p99_us=2 servers=2 v2-1=50/50.0% "
                                   "v2-2=50/50.0%";
    CHECK(sample_parse_line(line, &l) == 0);
    sample_add(&s, t * 1000 + 50, &l);
  }
  int64_t rx_v1[] = {9970, 10050, 10080};
  int64_t none[1];
  struct judge_pod pods[4] = {{"v1-1", 0, 0, -1, -1, rx_v1, 3, NULL},
                              {"v1-2", 0, 0, -1, -1, none, 0, NULL},
                              {"v2-1", 1, 0, -1, -1, none, 0, NULL},
                              {"v2-2", 1, 0, -1, -1, none, 0, NULL}};
  struct judge_timing tm = {.step_start_ms = {0, 5000, 9980, 15000}, .end_ms = 20000};
  struct judge_result r;
  /* settle 1 s: judged from second 12, the first whose line began after 10.98 s; v1 is at 0 there. */
  judge_expect(&sc, &e, &s, pods, 4, &tm, &r);
  CHECK(r.pass && r.value == 0 && strstr(r.measured, "of 300 RPCs"));
  /* settle 0: second 11 belongs to the phase, and the calls that reached v1 in it count. */
  e.settle_ms = 0;
  judge_expect(&sc, &e, &s, pods, 4, &tm, &r);
  CHECK(!r.pass);
  e.settle_ms = 1000;
  /* Timed from the servers' logs: the last call reached v1 0.1 s after the swap. */
  e.within_ms = 1000;
  judge_expect(&sc, &e, &s, pods, 4, &tm, &r);
  CHECK(r.pass && strstr(r.measured, "the last RPC reached v1 0.100 s after the change"));
  e.within_ms = 50;
  judge_expect(&sc, &e, &s, pods, 4, &tm, &r);
  CHECK(!r.pass);
  /* Without the servers' logs the time is unknown, which is not a pass. */
  e.within_ms = 1000;
  pods[0].rx_ms = NULL;
  judge_expect(&sc, &e, &s, pods, 4, &tm, &r);
  CHECK(!r.pass && strstr(r.measured, "no server log"));
  /* Nothing after the change at all. */
  pods[0].rx_ms = rx_v1;
  pods[0].n_rx = 1;
  judge_expect(&sc, &e, &s, pods, 4, &tm, &r);
  CHECK(r.pass && strstr(r.measured, "no RPC reached v1 after the change"));
  sample_free(&s);
}

/* client_share: the servers' logs say who sent each RPC; of client 0's RPCs in phase "swap" (from 9.98 s,
 * settle 1 s), v2's pods must get all. Client 1's calls to v1 do not count against it. */
static void test_judge_client_share(void) {
  static struct scenario sc;
  char err[512];
  CHECK(parse(l7, 0, &sc, err, sizeof err) == 0);
  REQUIRE(sc.n_clients >= 1);
  struct sc_expect e = sc.expects[0];
  e.check = SC_CHECK_CLIENT_SHARE;
  snprintf(e.phase, sizeof e.phase, "swap");
  snprintf(e.deployment, sizeof e.deployment, "v2");
  snprintf(e.client, sizeof e.client, "%s", sc.clients[0].name);
  e.target = 100;
  e.tolerance = 0;
  e.settle_ms = 1000;
  e.min_rpcs = 3;
  struct sample_set s;
  sample_init(&s);
  const char *names[] = {"v1-1", "v2-1", "v2-2"};
  for (int i = 0; i < 3; i++) sample_declare(&s, names[i]); /* as the run declares every pod */
  /* v1-1: client 0 before the swap and during the settle time, client 1 (or an unknown sender) later. */
  int64_t rx_v1[] = {5000, 10500, 12000, 13000};
  int16_t by_v1[] = {0, 0, 1, -1};
  int64_t rx_v2[] = {11000, 12000, 14000, 16000};
  int16_t by_v2[] = {0, 0, 0, 1};
  int64_t none[1];
  int16_t nobody[1];
  struct judge_pod pods[3] = {{"v1-1", 0, 0, -1, -1, rx_v1, 4, by_v1},
                              {"v2-1", 1, 0, -1, -1, rx_v2, 4, by_v2},
                              {"v2-2", 1, 0, -1, -1, none, 0, nobody}};
  struct judge_timing tm = {.step_start_ms = {0, 5000, 9980, 15000}, .end_ms = 20000};
  struct judge_result r;
  judge_expect(&sc, &e, &s, pods, 3, &tm, &r);
  CHECK(r.pass && r.value == 100 && strstr(r.measured, "of its 3 RPCs"));
  /* No settle time: client 0's call to v1 at 10.5 s counts: 3 of 4. */
  e.settle_ms = 0;
  judge_expect(&sc, &e, &s, pods, 3, &tm, &r);
  CHECK(!r.pass && r.value == 75);
  e.settle_ms = 1000;
  e.min_rpcs = 4;
  judge_expect(&sc, &e, &s, pods, 3, &tm, &r);
  CHECK(!r.pass && strstr(r.measured, "fewer than 4"));
  /* A log not read is not a pass. */
  e.min_rpcs = 0;
  pods[0].rx_client = NULL;
  judge_expect(&sc, &e, &s, pods, 3, &tm, &r);
  CHECK(!r.pass && strstr(r.measured, "was not read"));
  sample_free(&s);
}

static void test_judge_group_and_stops(void) {
  static struct scenario sc;
  char err[512];
  CHECK(parse(l7, 0, &sc, err, sizeof err) == 0);
  struct sample_set s;
  sample_init(&s);
  const char *names[] = {"v1-1", "v1-2", "v2-1", "v2-2"};
  for (int i = 0; i < 4; i++) sample_declare(&s, names[i]);
  struct sample_line l;
  /* 0-5 s: v1 only; 5-10 s: 50/50 (one transition second); 15-20 s: v1-1 killed at 15.2 s, answers
   * in second 15, failures in second 16. */
  for (int t = 1; t < 20; t++) {
    const char *line =
        t <= 5 ? "summary window_ms=1000 ok=10 failed=0 p50_us=1 p99_us=2 servers=2 v1-1=5/50.0% v1-2=5/50.0%"
        : t == 6
            ? "summary window_ms=1000 ok=10 failed=0 p50_us=1 p99_us=2 servers=3 v1-1=4/40.0% v1-2=4/40.0% v2-1=2/20.0%"
        : t < 16  ? "summary window_ms=1000 ok=100 failed=0 p50_us=1 p99_us=2 servers=4 v1-1=25/25.0% "
                    "v1-2=25/25.0% v2-1=25/25.0% v2-2=25/25.0%"
        : t == 16 ? "summary window_ms=1000 ok=99 failed=1 p50_us=1 p99_us=2 servers=3 v1-2=33/33.3% "
                    "v2-1=33/33.3% v2-2=33/33.3%"
                  : "summary window_ms=1000 ok=99 failed=0 p50_us=1 p99_us=2 servers=3 v1-2=33/33.3% "
                    "v2-1=33/33.3% v2-2=33/33.3%";
    CHECK(sample_parse_line(line, &l) == 0);
    sample_add(&s, t * 1000 + 100, &l);
  }
  struct judge_pod pods[4] = {{"v1-1", 0, 0, 3, -1, NULL, 0, NULL},
                              {"v1-2", 0, 0, -1, -1, NULL, 0, NULL},
                              {"v2-1", 1, 0, -1, -1, NULL, 0, NULL},
                              {"v2-2", 1, 0, -1, -1, NULL, 0, NULL}};
  struct judge_timing tm = {.step_start_ms = {0, 5200, 10000, 15200}, .end_ms = 20000};
  struct judge_result r;
  judge_expect(&sc, &sc.expects[0], &s, pods, 4, &tm, &r);
  CHECK(r.pass && r.value > 49.9 && r.value < 50.1);
  /* Without the settle time the transition second 6 is still left out: its line's window (5.1-6.1 s)
   * began before the step took effect at 5.2 s. */
  sc.expects[0].settle_ms = 0;
  sc.expects[0].tolerance = 0.5;
  judge_expect(&sc, &sc.expects[0], &s, pods, 4, &tm, &r);
  CHECK(r.pass);
  /* Had the step taken effect at 5.05 s, that window would be the phase's, and the share off. */
  tm.step_start_ms[1] = 5050;
  judge_expect(&sc, &sc.expects[0], &s, pods, 4, &tm, &r);
  CHECK(!r.pass);
  tm.step_start_ms[1] = 5200;
  judge_expect(&sc, &sc.expects[1], &s, pods, 4, &tm, &r);
  CHECK(r.pass && strstr(r.measured, "v1-1: answered until 0.8 s") && strstr(r.measured, "1 RPCs failed"));
  sc.expects[1].within_ms = 1000; /* the failure in second 16 ends 1.8 s after the kill */
  judge_expect(&sc, &sc.expects[1], &s, pods, 4, &tm, &r);
  CHECK(!r.pass);
  sample_free(&s);
}

/* Silence is not evidence: "no RPC to the new pods" and "nothing after the kill" must fail when the
 * client got no answer at all at the end (a stalled client). */
static void test_judge_vacuous(void) {
  static struct scenario sc, l7sc;
  char err[512];
  CHECK(parse(good, 1, &sc, err, sizeof err) == 0);
  CHECK(parse(l7, 0, &l7sc, err, sizeof err) == 0);
  struct sample_set s;
  sample_init(&s);
  const char *names[] = {"server-1", "server-2", "server-3", "server-4", "server-5"};
  for (int i = 0; i < 5; i++) sample_declare(&s, names[i]);
  struct sample_line l;
  for (int t = 1; t <= 8; t++) { /* answers until 8 s, then the client stalls */
    CHECK(sample_parse_line("summary window_ms=1000 ok=9 failed=0 p50_us=1 p99_us=2 servers=3 server-1=3/33.3% "
                            "server-2=3/33.3% server-3=3/33.3%",
                            &l) == 0);
    sample_add(&s, t * 1000 + 50, &l);
  }
  CHECK(sample_parse_line("summary window_ms=1000 ok=0 failed=0 p50_us=0 p99_us=0 servers=0", &l) == 0);
  sample_add(&s, 19050, &l);
  struct judge_pod pods[5];
  for (int i = 0; i < 5; i++) pods[i] = (struct judge_pod){names[i], 0, i < 3 ? 0 : 1, -1, -1, NULL, 0, NULL};
  struct judge_timing tm = {.step_start_ms = {0, 6200}, .end_ms = 20000};
  struct judge_result r;
  judge_expect(&sc, &sc.expects[1], &s, pods, 5, &tm, &r); /* no_rpc to the new pods */
  CHECK(!r.pass && strstr(r.measured, "no RPC answered in the phase's last second"));
  /* stops: a kill at 15.2 s after which nobody answers. */
  struct judge_pod l7pods[4] = {{"server-1", 0, 0, 3, -1, NULL, 0, NULL},
                                {"server-2", 0, 0, -1, -1, NULL, 0, NULL},
                                {"server-3", 1, 0, -1, -1, NULL, 0, NULL},
                                {"server-4", 1, 0, -1, -1, NULL, 0, NULL}};
  struct judge_timing tm2 = {.step_start_ms = {0, 5200, 10000, 15200}, .end_ms = 20000};
  judge_expect(&l7sc, &l7sc.expects[1], &s, l7pods, 4, &tm2, &r);
  CHECK(!r.pass && strstr(r.measured, "no RPC answered at all after the kill"));
  sample_free(&s);
}

int main(void) {
  test_judge_failover();
  test_judge_client_share();
  test_judge_vacuous();
  test_l7_and_xds();
  test_judge_group_and_stops();
  test_judge_removed_group();
  test_good();
  test_bad();
  test_judge();
  return unit_result("test_scenario");
}
