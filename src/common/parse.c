#include "parse.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int parse_duration_ms(const char *s, int64_t *out_ms) {
  if (!s || !*s) return -1;
  if (strcmp(s, "0") == 0) {
    *out_ms = 0;
    return 0;
  }
  /* Integer arithmetic on microseconds, so that "1.005s" is 1005 ms exactly; only decimal digits
   * and one '.' per number (no exponents, no hex), as Go's time.ParseDuration. */
  const int64_t max_us = INT64_MAX / 4;
  int64_t total_us = 0;
  const char *p = s;
  while (*p) {
    int64_t whole = 0, frac = 0, frac_scale = 1;
    int digits = 0;
    for (; isdigit((unsigned char)*p); p++, digits++) {
      if (whole > (max_us - 9) / 10) return -1;
      whole = whole * 10 + (*p - '0');
    }
    if (*p == '.') {
      for (p++; isdigit((unsigned char)*p); p++, digits++)
        if (frac_scale < 1000000000) { /* digits beyond 1e-9 cannot matter */
          frac = frac * 10 + (*p - '0');
          frac_scale *= 10;
        }
    }
    if (digits == 0) return -1;
    int64_t unit_us;
    if (strncmp(p, "ms", 2) == 0) {
      unit_us = 1000;
      p += 2;
    } else if (*p == 's') {
      unit_us = 1000000;
      p++;
    } else if (*p == 'm') {
      unit_us = 60000000;
      p++;
    } else if (*p == 'h') {
      unit_us = 3600000000LL;
      p++;
    } else {
      return -1; /* A number without a unit (other than "0") is ambiguous. */
    }
    if (whole > (max_us - total_us) / unit_us) return -1;
    total_us += whole * unit_us;
    /* frac < 1e9 and unit_us <= 3.6e9: the product fits in int64_t. */
    int64_t frac_us = frac * unit_us / frac_scale;
    if (frac_us > max_us - total_us) return -1;
    total_us += frac_us;
  }
  *out_ms = total_us / 1000;
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
