#include "text.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* The length of the valid UTF-8 sequence at s (1..4), or 0 when s does not start one. Overlong
 * forms, surrogates and code points above U+10FFFF are invalid, as RFC 3629 says. */
static size_t utf8_len(const unsigned char *s, size_t avail) {
  unsigned char c = s[0];
  if (c < 0x80) return 1;
  size_t n;
  uint32_t cp;
  if (c >= 0xc2 && c <= 0xdf) {
    n = 2;
    cp = c & 0x1f;
  } else if (c >= 0xe0 && c <= 0xef) {
    n = 3;
    cp = c & 0x0f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    n = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (n > avail) return 0;
  for (size_t i = 1; i < n; i++) {
    if ((s[i] & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (s[i] & 0x3f);
  }
  if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return n;
}

/* Whether the valid sequence of n bytes at s is a control character: C0, DEL or C1 (U+0080..U+009F). */
static int is_control(const unsigned char *s, size_t n) {
  if (n == 1) return s[0] < 0x20 || s[0] == 0x7f;
  return n == 2 && s[0] == 0xc2 && s[1] < 0xa0;
}

size_t text_printable(const char *in, size_t inlen, char *out, size_t outlen) {
  const unsigned char *p = (const unsigned char *)in, *end = p + inlen;
  size_t o = 0;
  while (p < end) {
    size_t n = utf8_len(p, (size_t)(end - p));
    const char *src = (const char *)p;
    size_t w = n;
    if (n == 0 || is_control(p, n)) {
      src = "?";
      w = 1;
      n = n ? n : 1;
    }
    if (o + w >= outlen) break;
    memcpy(out + o, src, w);
    o += w;
    p += n;
  }
  out[o] = '\0';
  return o;
}

int text_check_name(const char *name, char *why, size_t whylen) {
  size_t len = strlen(name);
  if (len == 0) {
    snprintf(why, whylen, "empty");
    return -1;
  }
  if (len > TEXT_NAME_MAX) {
    snprintf(why, whylen, "longer than %d bytes", TEXT_NAME_MAX);
    return -1;
  }
  const unsigned char *start = (const unsigned char *)name;
  for (const unsigned char *p = start; *p;) {
    size_t n = utf8_len(p, len - (size_t)(p - start));
    if (n == 0) {
      snprintf(why, whylen, "not valid UTF-8 at byte %zu", (size_t)(p - start));
      return -1;
    }
    if (is_control(p, n)) {
      snprintf(why, whylen, "control character at byte %zu", (size_t)(p - start));
      return -1;
    }
    p += n;
  }
  return 0;
}
