#include "env.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "parse.h"

const char *env_str(const char *name, const char *def) {
  const char *v = getenv(name);
  return (v && *v) ? v : def;
}

int64_t env_duration_ms(const char *name, int64_t def) {
  const char *v = env_str(name, NULL);
  if (!v) return def;
  int64_t ms;
  if (parse_duration_ms(v, &ms) != 0)
    fatal(2, "msg=\"invalid duration\" var=%s value=\"%s\" hint=\"use e.g. 500ms, 10s, 1m, or 0\"", name, v);
  return ms;
}

int64_t env_duration_ms_in(const char *name, int64_t def, int64_t min_ms, int64_t max_ms) {
  int64_t ms = env_duration_ms(name, def);
  if (env_str(name, NULL) && (ms < min_ms || ms > max_ms))
    fatal(2, "msg=\"duration out of range\" var=%s value=\"%s\" range_ms=%lld..%lld", name, env_str(name, ""),
          (long long)min_ms, (long long)max_ms);
  return ms;
}

uint64_t env_uint(const char *name, uint64_t def, uint64_t min, uint64_t max) {
  const char *v = env_str(name, NULL);
  if (!v) return def;
  uint64_t n;
  if (parse_uint(v, min, max, &n) != 0)
    fatal(2, "msg=\"invalid number\" var=%s value=\"%s\" range=%llu..%llu", name, v, (unsigned long long)min,
          (unsigned long long)max);
  return n;
}

int env_choice(const char *name, const char *def, const char *const *choices) {
  const char *v = env_str(name, def);
  for (int i = 0; choices[i]; i++)
    if (strcmp(v, choices[i]) == 0) return i;
  char list[256] = "";
  for (int i = 0; choices[i]; i++) {
    strncat(list, i ? "|" : "", sizeof list - strlen(list) - 1);
    strncat(list, choices[i], sizeof list - strlen(list) - 1);
  }
  fatal(2, "msg=\"invalid value\" var=%s value=\"%s\" allowed=%s", name, v, list);
}

const char *env_hostname(void) {
  static char host[256];
  if (!host[0] && gethostname(host, sizeof host - 1) != 0) strcpy(host, "unknown");
  return host;
}
