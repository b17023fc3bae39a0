/* Writing JSON text with stdio: just the string escaping the status page needs. */
#ifndef XDS_JSONW_H
#define XDS_JSONW_H

#include <stdio.h>

/* Writes `s` as a JSON string literal, quotes included; NULL is written as null. */
void jsonw_str(FILE *out, const char *s);

#endif
