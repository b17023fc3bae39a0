#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "env.h"
#include "log.h"
#include "text.h"

void config_refuse_empty(const char *const *vars) {
  for (; *vars; vars++) {
    const char *v = getenv(*vars);
    if (v && !*v) fatal(2, "msg=\"empty value\" var=%s value=\"\" hint=\"unset it for the default\"", *vars);
  }
}

const char *config_name(void) {
  const char *name = env_str("NAME", env_hostname());
  char why[64];
  if (text_check_name(name, why, sizeof why) != 0) {
    char shown[128]; /* the value as the log line can show it: on one line, and cut */
    text_printable(name, strlen(name), shown, sizeof shown);
    fatal(2, "msg=\"invalid name\" var=NAME value=\"%s\" reason=\"%s\"", shown, why);
  }
  return name;
}
