/* Parsing of the small values that come from env, flags and config files. No I/O. */
#ifndef COMMON_PARSE_H
#define COMMON_PARSE_H

#include <stdint.h>

/* Parses a Go-style duration into milliseconds: "0", "10s", "500ms", "1m", "1m30s", "1.5s", "2h".
 * Units: ms, s, m, h (a bare number is accepted only for "0"). Sub-millisecond parts are rounded down.
 * Returns 0, or -1 on a syntax error, a negative value or an overflow. */
int parse_duration_ms(const char *s, int64_t *out_ms);

/* Parses a decimal unsigned integer in [min, max]. Returns 0, or -1 on syntax or range errors. */
int parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/* Parses "HOST:PORT" (HOST may be empty, an IPv4 literal, a name, or "[v6]"), port 1..65535.
 * On success copies the host (without brackets) into host[hostlen] and returns 0; -1 otherwise. */
int parse_hostport(const char *s, char *host, unsigned hostlen, uint16_t *port);

#endif
