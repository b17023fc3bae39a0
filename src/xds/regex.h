/* Whether RE2, which gRPC clients and Envoy compile route regexes with, accepts a pattern. */
#ifndef XDS_REGEX_H
#define XDS_REGEX_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* NULL when RE2 compiles `pattern`; else RE2's error, written into buf[len]. */
const char *regex_problem(const char *pattern, char *buf, size_t len);

#ifdef __cplusplus
}
#endif

#endif
