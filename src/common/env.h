/* Reading configuration from the environment. A bad value is fatal: the process exits with
 * status 2 and a message naming the variable and the value. */
#ifndef COMMON_ENV_H
#define COMMON_ENV_H

#include <stdint.h>

/* Returns the variable's value, or `def` when unset or empty. */
const char *env_str(const char *name, const char *def);

/* A duration (see parse_duration_ms) in milliseconds; `def` is used when unset or empty. */
int64_t env_duration_ms(const char *name, int64_t def);

/* A duration in [min_ms, max_ms]; out of range exits 2 naming the variable, value and range. */
int64_t env_duration_ms_in(const char *name, int64_t def, int64_t min_ms, int64_t max_ms);

/* An unsigned integer in [min, max]. */
uint64_t env_uint(const char *name, uint64_t def, uint64_t min, uint64_t max);

/* The value must be one of the NULL-terminated `choices`; returns its index. */
int env_choice(const char *name, const char *def, const char *const *choices);

/* The host name, for NAME defaults (as a pod's NAME defaults to its host name). */
const char *env_hostname(void);

#endif
