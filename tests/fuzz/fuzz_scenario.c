/* The lab's scenario loader (src/lab/scenario.c, scenario_parse), in both timing modes, and the
 * references the validator promises to have checked. */
#include <string.h>

#include "fuzz.h"
#include "scenario.h"

static struct scenario *sc; /* about 50 KB: not on the stack */

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  sc = malloc(sizeof *sc);
  if (!sc) abort();
  return 0;
}

static void check(const struct scenario *s) {
  FUZZ_ASSERT(s->name[0] && s->n_deployments && s->n_services && s->n_clients && s->n_steps && s->n_expects);
  FUZZ_ASSERT(s->n_deployments <= SC_MAX_DEPLOYMENTS && s->n_services <= SC_MAX_SERVICES &&
              s->n_clients <= SC_MAX_CLIENTS && s->n_steps <= SC_MAX_STEPS && s->n_expects <= SC_MAX_EXPECTS &&
              s->n_xds_configs <= SC_MAX_XDS_CONFIGS);
  for (size_t i = 0; i < s->n_services; i++) FUZZ_ASSERT(scenario_deployment(s, s->services[i].deployment));
  for (size_t i = 0; i < s->n_clients; i++) {
    const struct sc_client *c = &s->clients[i];
    FUZZ_ASSERT(c->n_env <= SC_MAX_ENV);
    if (!c->has_sidecar && !c->xds[0]) FUZZ_ASSERT(scenario_service(s, c->service));
  }
  FUZZ_ASSERT(s->steps[0].action == SC_ACTION_NONE);
  for (size_t i = 0; i < s->n_steps; i++) {
    const struct sc_step *st = &s->steps[i];
    FUZZ_ASSERT(st->duration_ms > 0);
    FUZZ_ASSERT(scenario_phase_index(s, st->phase) == (int)i);
    if (st->action == SC_ACTION_SCALE || st->action == SC_ACTION_KILL) FUZZ_ASSERT(scenario_deployment(s, st->target));
    if (st->action == SC_ACTION_RESTART || st->action == SC_ACTION_WEIGHTS) FUZZ_ASSERT(scenario_client(s, st->target));
    FUZZ_ASSERT(strcmp(scenario_action_name(st->action), "?") != 0);
  }
  FUZZ_ASSERT(scenario_duration_ms(s) > 0);
  for (size_t i = 0; i < s->n_expects; i++) {
    const struct sc_expect *e = &s->expects[i];
    FUZZ_ASSERT(scenario_deployment(s, e->deployment));
    FUZZ_ASSERT(scenario_phase_index(s, e->phase) >= 0);
    FUZZ_ASSERT(strcmp(scenario_check_name(e->check), "?") != 0);
    FUZZ_ASSERT(e->min >= 0 && e->min <= 100 && e->target >= 0 && e->target <= 100);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char err[512];
  /* The fast timings are loaded only from a scenario that loads with the default ones: the modes
   * differ only in which value of a {default, fast} map is used, and both values are always checked
   * to be scalars, so most inputs need one parse. */
  for (int fast = 0; fast <= 1; fast++) {
    if (scenario_parse((const char *)data, size, "fuzz.yaml", fast, sc, err, sizeof err) != 0) {
      FUZZ_ASSERT(strncmp(err, "fuzz.yaml:", 10) == 0);
      break;
    }
    FUZZ_ASSERT(sc->fast == fast);
    check(sc);
  }
  return 0;
}
