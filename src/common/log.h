/* One logging API for every program: one line per event on stderr,
 * "<UTC time> <program> <level> <message>", messages written as key=value fields. */
#ifndef COMMON_LOG_H
#define COMMON_LOG_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

enum log_level { LOG_LEVEL_DEBUG = 0, LOG_LEVEL_INFO, LOG_LEVEL_WARN, LOG_LEVEL_ERROR };

/* Sets the program name printed on every line and the minimum level (env LOG_LEVEL may lower it). */
void log_init(const char *prog);
void log_set_level(enum log_level level);
/* Whether a message at `level` would be written (to skip building costly fields). */
int log_enabled(enum log_level level);

void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_vmsg(enum log_level level, const char *fmt, va_list ap);

#define log_debug(...) log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_LEVEL_ERROR, __VA_ARGS__)

/* Copies an untrusted string (a client's name, a peer's message) for use as a log field value:
 * at most outlen-1 of its inlen bytes, with anything that would break "one line, key=value"
 * (control characters, spaces, '=', '"', DEL) replaced by '_'. */
void log_sanitize(const char *in, size_t inlen, char *out, size_t outlen);

/* A budget for a log line that a peer can cause at will (a NACK, a refused request, a DNS timeout):
 * at most `burst` lines per second; the rest are counted, and the next line that is let through says
 * how many were left out. Zero-initialise, then set burst. */
struct log_limit {
  unsigned burst;      /* lines per second */
  unsigned used;       /* lines let through in the current second */
  int64_t second;      /* the current second (monotonic) */
  uint64_t suppressed; /* left out since the last line let through */
};

/* Whether a line may be written now (now_ms: a monotonic clock). On true, *suppressed gets how many
 * lines were left out before it (to print as a field), and the count restarts. */
int log_limit_allow(struct log_limit *l, int64_t now_ms, uint64_t *suppressed);

/* For a caller's periodic tick: once the second in which lines were left out is over, returns 1 with
 * their count in *suppressed (and restarts the count), so that the count is said even when no later
 * line comes. */
int log_limit_due(struct log_limit *l, int64_t now_ms, uint64_t *suppressed);

/* Logs at error level and exits with `status` (2 for bad usage, 1 for runtime failures). */
void fatal(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));

#endif
