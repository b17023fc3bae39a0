#include "jsonw.h"

#include <string.h>

void jsonw_strn(FILE *out, const char *s, size_t max) {
  if (!s) {
    fputs("null", out);
    return;
  }
  size_t len = strlen(s), n = len < max ? len : max;
  /* Cut at a character boundary: never in the middle of a UTF-8 sequence. */
  if (n < len)
    while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80) n--;
  fputc('"', out);
  size_t run = 0; /* bytes s[run..i) that need no escape, written at once */
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    fwrite(s + run, 1, i - run, out);
    run = i + 1;
    switch (c) {
      case '"':
        fputs("\\\"", out);
        break;
      case '\\':
        fputs("\\\\", out);
        break;
      case '\n':
        fputs("\\n", out);
        break;
      case '\r':
        fputs("\\r", out);
        break;
      case '\t':
        fputs("\\t", out);
        break;
      default:
        fprintf(out, "\\u%04x", c);
    }
  }
  fwrite(s + run, 1, n - run, out);
  if (n < len) fprintf(out, "...(%zu bytes)", len);
  fputc('"', out);
}

void jsonw_str(FILE *out, const char *s) { jsonw_strn(out, s, (size_t)-1); }
