#include "xdsdump.h"

#include <grpc/grpc.h>
#include <grpc/slice.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "envoy/service/status/v3/csds.pb-c.h"
#include "text.h"

static const char *status_name(int s) {
  static const char *const names[] = {"UNKNOWN", "REQUESTED",      "DOES_NOT_EXIST", "ACKED",
                                      "NACKED",  "RECEIVED_ERROR", "TIMEOUT"};
  return s >= 0 && s < 7 ? names[s] : "?";
}

/* A peer-given string as one printable field value (text_printable: no control characters). */
static void field(FILE *out, const char *key, const char *v) {
  size_t n = v ? strlen(v) : 0;
  char *safe = malloc(n + 1);
  if (!safe) return;
  text_printable(v ? v : "", n, safe, n + 1);
  fprintf(out, " %s=\"%s\"", key, safe);
  free(safe);
}

void xdsdump_print(FILE *out) {
  grpc_slice s = grpc_dump_xds_configs();
  xdsdump_format(GRPC_SLICE_START_PTR(s), GRPC_SLICE_LENGTH(s), out);
  grpc_slice_unref(s);
}

void xdsdump_format(const uint8_t *buf, size_t len, FILE *out) {
  Envoy__Service__Status__V3__ClientConfig *cc = envoy__service__status__v3__client_config__unpack(NULL, len, buf);
  char ts[32];
  time_t t = time(NULL);
  struct tm tm;
  localtime_r(&t, &tm);
  strftime(ts, sizeof ts, "%Y/%m/%d %H:%M:%S", &tm);
  if (!cc) {
    fprintf(out, "%s xds-config error=\"the dump (%zu bytes) is not a ClientConfig\"\n", ts, len);
    return;
  }
  for (size_t i = 0; i < cc->n_generic_xds_configs; i++) {
    const Envoy__Service__Status__V3__ClientConfig__GenericXdsConfig *g = cc->generic_xds_configs[i];
    const char *type = g->type_url ? strrchr(g->type_url, '.') : NULL;
    fprintf(out, "%s xds-config type=%s", ts, type ? type + 1 : "?");
    field(out, "name", g->name);
    field(out, "version", g->version_info);
    fprintf(out, " status=%s", status_name(g->client_status));
    if (g->error_state) {
      field(out, "rejected_version", g->error_state->version_info);
      field(out, "error", g->error_state->details);
    }
    fputc('\n', out);
  }
  fprintf(out, "%s xds-config resources=%zu", ts, cc->n_generic_xds_configs);
  field(out, "node", cc->node && cc->node->id ? cc->node->id : "");
  fputc('\n', out);
  envoy__service__status__v3__client_config__free_unpacked(cc, NULL);
  fflush(out);
}
