/* Writing JSON text with stdio: just the string escaping the status page needs. */
#ifndef XDS_JSONW_H
#define XDS_JSONW_H

#include <stddef.h>
#include <stdio.h>

/* Writes `s` as a JSON string literal, quotes included; NULL is written as null. */
void jsonw_str(FILE *out, const char *s);
/* The same with at most `max` bytes of `s` (cut at a UTF-8 character boundary); a longer string ends
 * in "...(N bytes)" with its full length. */
void jsonw_strn(FILE *out, const char *s, size_t max);

#endif
