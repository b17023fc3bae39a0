#include "metadata.h"

#include <stdio.h>
#include <string.h>

static int bad(char *why, size_t whylen, const char *fmt, const char *arg) {
  snprintf(why, whylen, fmt, arg);
  return -1;
}

static const char *key_problem(const char *k) {
  static const char *const reserved[] = {"content-type", "te", "user-agent", "host", NULL};
  size_t n = strlen(k);
  if (n == 0) return "an empty key";
  for (size_t i = 0; i < n; i++) {
    char c = k[i];
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.'))
      return "keys are lower case letters, digits, '-', '_' or '.'";
  }
  if (strncmp(k, "grpc-", 5) == 0) return "grpc-* keys are gRPC's own";
  if (n >= 4 && strcmp(k + n - 4, "-bin") == 0) return "binary (-bin) keys are not sent as text";
  for (int i = 0; reserved[i]; i++)
    if (strcmp(k, reserved[i]) == 0) return "a header gRPC sets itself";
  return NULL;
}

int metadata_parse(const char *s, struct metadata_entry *out, size_t max, char *why, size_t whylen) {
  size_t n = 0;
  const char *p = s;
  if (!*s) return bad(why, whylen, "%sempty", "");
  for (;;) {
    const char *comma = strchr(p, ','), *end = comma ? comma : p + strlen(p);
    const char *eq = memchr(p, '=', (size_t)(end - p));
    if (!eq) return bad(why, whylen, "'%s...' is not KEY=VALUE", p);
    if (n == max) return bad(why, whylen, "more than %s entries", "32");
    size_t kl = (size_t)(eq - p), vl = (size_t)(end - eq - 1);
    if (kl >= sizeof out[n].key || vl >= sizeof out[n].value) return bad(why, whylen, "'%s...': too long", p);
    memcpy(out[n].key, p, kl);
    out[n].key[kl] = '\0';
    memcpy(out[n].value, eq + 1, vl);
    out[n].value[vl] = '\0';
    const char *kp = key_problem(out[n].key);
    if (kp) {
      snprintf(why, whylen, "key '%s': %s", out[n].key, kp);
      return -1;
    }
    if (vl == 0) return bad(why, whylen, "key '%s' has an empty value", out[n].key);
    for (size_t i = 0; i < vl; i++)
      if ((unsigned char)out[n].value[i] < 0x20 || (unsigned char)out[n].value[i] > 0x7e)
        return bad(why, whylen, "key '%s': values are printable ASCII", out[n].key);
    for (size_t i = 0; i < n; i++)
      if (strcmp(out[i].key, out[n].key) == 0) return bad(why, whylen, "key '%s' is given twice", out[n].key);
    n++;
    if (!comma) break;
    p = comma + 1;
  }
  return (int)n;
}
