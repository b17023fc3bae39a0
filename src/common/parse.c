#include "parse.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

int parse_duration_ms(const char *s, int64_t *out_ms) {
  if (!s || !*s) return -1;
  if (strcmp(s, "0") == 0) {
    *out_ms = 0;
    return 0;
  }
  double total = 0;
  const char *p = s;
  while (*p) {
    if (!isdigit((unsigned char)*p) && *p != '.') return -1;
    char *end;
    errno = 0;
    double v = strtod(p, &end);
    if (end == p || errno != 0 || v < 0) return -1;
    p = end;
    double scale;
    if (strncmp(p, "ms", 2) == 0) {
      scale = 1;
      p += 2;
    } else if (*p == 's') {
      scale = 1000;
      p++;
    } else if (*p == 'm') {
      scale = 60000;
      p++;
    } else if (*p == 'h') {
      scale = 3600000;
      p++;
    } else {
      return -1; /* A number without a unit (other than "0") is ambiguous. */
    }
    total += v * scale;
    if (total > 9.0e15) return -1;
  }
  *out_ms = (int64_t)total;
  return 0;
}

int parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out) {
  if (!s || !*s) return -1;
  for (const char *p = s; *p; p++)
    if (!isdigit((unsigned char)*p)) return -1;
  errno = 0;
  char *end;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno != 0 || *end != '\0' || v < min || v > max) return -1;
  *out = v;
  return 0;
}

int parse_hostport(const char *s, char *host, unsigned hostlen, uint16_t *port) {
  if (!s) return -1;
  const char *colon;
  const char *hstart = s;
  size_t hlen;
  if (*s == '[') {
    const char *close = strchr(s, ']');
    if (!close || close[1] != ':') return -1;
    hstart = s + 1;
    hlen = (size_t)(close - hstart);
    colon = close + 1;
  } else {
    colon = strrchr(s, ':');
    if (!colon || memchr(s, ':', (size_t)(colon - s))) return -1;
    hlen = (size_t)(colon - s);
  }
  uint64_t p;
  if (parse_uint(colon + 1, 1, 65535, &p) != 0) return -1;
  if (hlen + 1 > hostlen) return -1;
  for (size_t i = 0; i < hlen; i++) {
    unsigned char c = (unsigned char)hstart[i];
    if (!(isalnum(c) || c == '.' || c == '-' || c == '_' || c == ':')) return -1;
  }
  memcpy(host, hstart, hlen);
  host[hlen] = '\0';
  *port = (uint16_t)p;
  return 0;
}
