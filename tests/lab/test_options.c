/* lab/options.yaml (the seed's options and verdicts) parses, names the scenarios that exercise each
 * option, and a broken file fails with PATH:LINE. SOURCE_DIR is the source tree. */
#include "options.h"

#include <string.h>

#include "../unit.h"

static void test_shipped(void) {
  static struct lab_options o;
  char err[512];
  REQUIRE(options_load(SOURCE_DIR "/lab/options.yaml", &o, err, sizeof err) == 0);
  CHECK(o.n >= 6);
  CHECK(strncmp(o.options[0].option, "1. No proxies other than kube-proxy", 35) == 0);
  CHECK_STR(o.options[o.n - 1].seed_verdict,
            "Still lots of development in progress - looks like a promising pick for the future");
  int sidecar = 0;
  for (size_t i = 0; i < o.n; i++)
    for (size_t k = 0; k < o.options[i].n_scenarios; k++)
      sidecar |= strcmp(o.options[i].scenarios[k], "nodeproxy") == 0;
  CHECK(sidecar);
}

static void test_errors(void) {
  static struct lab_options o;
  char err[512];
  struct {
    const char *text, *want;
  } cases[] = {
      {"options: []\n", "x.yaml:1: \"options\" must be a non-empty list"},
      {"options:\n  - {option: a, seed_verdict: b}\n", "x.yaml:2: \"scenarios\" must be a non-empty list"},
      {"options:\n  - {option: a, seed_verdict: b, scenarios: [x], verdict: c}\n", "x.yaml:2: unknown key"},
      {"options:\n  - {option: '', seed_verdict: b, scenarios: [x]}\n", "\"option\" must be text"},
      {"other: 1\n", "unknown key"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    CHECK(options_parse("x.yaml", cases[i].text, strlen(cases[i].text), &o, err, sizeof err) == -1);
    if (!strstr(err, cases[i].want)) {
      fprintf(stderr, "case %zu: error \"%s\" lacks \"%s\"\n", i, err, cases[i].want);
      unit_failed++;
    }
  }
}

int main(void) {
  test_shipped();
  test_errors();
  return unit_result("test_options");
}
