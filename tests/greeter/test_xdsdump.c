/* Unit test of src/greeter/xdsdump.c's printer: a ClientConfig as C-core serializes it, with one
 * resource ACKED and one NACKED (its rejected version and the client's reason), printed as the lines
 * tests/xds/e2e_headers.sh reads from a live client; a reason with a newline stays on its line. */
#include <stdlib.h>

#include "../unit.h"
#include "envoy/service/status/v3/csds.pb-c.h"
#include "xdsdump.h"

static char *format(const Envoy__Service__Status__V3__ClientConfig *cc) {
  size_t len = protobuf_c_message_get_packed_size(&cc->base);
  uint8_t *buf = malloc(len ? len : 1);
  protobuf_c_message_pack(&cc->base, buf);
  char *text = NULL;
  size_t tlen = 0;
  FILE *f = open_memstream(&text, &tlen);
  xdsdump_format(buf, len, f);
  fclose(f);
  free(buf);
  return text;
}

static void test_acked_and_nacked(void) {
  Envoy__Config__Core__V3__Node node = ENVOY__CONFIG__CORE__V3__NODE__INIT;
  node.id = "client-1";
  Envoy__Service__Status__V3__ClientConfig__GenericXdsConfig l =
      ENVOY__SERVICE__STATUS__V3__CLIENT_CONFIG__GENERIC_XDS_CONFIG__INIT;
  l.type_url = "type.googleapis.com/envoy.config.listener.v3.Listener";
  l.name = "server";
  l.version_info = "7";
  l.client_status = 3; /* ACKED */
  Envoy__Service__Status__V3__UpdateFailureState fail = ENVOY__SERVICE__STATUS__V3__UPDATE_FAILURE_STATE__INIT;
  fail.version_info = "8";
  fail.details = "errors parsing RDS resource: [field:virtual_hosts error:no valid routes]\nsecond line";
  Envoy__Service__Status__V3__ClientConfig__GenericXdsConfig r =
      ENVOY__SERVICE__STATUS__V3__CLIENT_CONFIG__GENERIC_XDS_CONFIG__INIT;
  r.type_url = "type.googleapis.com/envoy.config.route.v3.RouteConfiguration";
  r.name = "server";
  r.version_info = "7";
  r.client_status = 4; /* NACKED: version 7 still in use, 8 rejected */
  r.error_state = &fail;
  Envoy__Service__Status__V3__ClientConfig__GenericXdsConfig *gs[] = {&l, &r};
  Envoy__Service__Status__V3__ClientConfig cc = ENVOY__SERVICE__STATUS__V3__CLIENT_CONFIG__INIT;
  cc.node = &node;
  cc.n_generic_xds_configs = 2;
  cc.generic_xds_configs = gs;
  char *text = format(&cc);
  CHECK(strstr(text, " xds-config type=Listener name=\"server\" version=\"7\" status=ACKED\n") != NULL);
  CHECK(strstr(text,
               " xds-config type=RouteConfiguration name=\"server\" version=\"7\" status=NACKED "
               "rejected_version=\"8\" error=\"errors parsing RDS resource: [field:virtual_hosts "
               "error:no valid routes]?second line\"\n") != NULL);
  CHECK(strstr(text, " xds-config resources=2 node=\"client-1\"\n") != NULL);
  /* Three lines: every one ends where it should, the reason's newline made printable. */
  size_t lines = 0;
  for (const char *c = text; *c; c++) lines += *c == '\n';
  CHECK(lines == 3);
  if (unit_failed) fputs(text, stderr);
  free(text);
}

static void test_not_a_dump(void) {
  static const uint8_t junk[] = {0xff, 0xff, 0xff};
  char *text = NULL;
  size_t tlen = 0;
  FILE *f = open_memstream(&text, &tlen);
  xdsdump_format(junk, sizeof junk, f);
  fclose(f);
  CHECK(strstr(text, "xds-config error=\"the dump (3 bytes) is not a ClientConfig\"") != NULL);
  free(text);
  /* No xDS channel: an empty dump, zero resources. */
  f = open_memstream(&text, &tlen);
  xdsdump_format(NULL, 0, f);
  fclose(f);
  CHECK(strstr(text, "xds-config resources=0 node=\"\"") != NULL);
  free(text);
}

int main(void) {
  test_acked_and_nacked();
  test_not_a_dump();
  return unit_result("test_xdsdump");
}
