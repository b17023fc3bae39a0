#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

static const char *log_prog = "?";
static enum log_level log_min = LOG_LEVEL_INFO;
static const char *const level_names[] = {"debug", "info", "warn", "error"};

void log_init(const char *prog) {
  const char *slash = strrchr(prog, '/');
  log_prog = slash ? slash + 1 : prog;
  const char *env = getenv("LOG_LEVEL");
  if (env && *env) {
    int found = 0;
    for (int i = 0; i < 4; i++)
      if (strcmp(env, level_names[i]) == 0) {
        log_min = (enum log_level)i;
        found = 1;
      }
    if (!found) fatal(2, "msg=\"invalid value\" var=LOG_LEVEL value=\"%s\" allowed=debug|info|warn|error", env);
  }
}

void log_set_level(enum log_level level) { log_min = level; }

int log_enabled(enum log_level level) { return level >= log_min; }

void log_vmsg(enum log_level level, const char *fmt, va_list ap) {
  if (level < log_min) return;
  struct timeval tv;
  struct tm tm;
  char ts[32];
  gettimeofday(&tv, NULL);
  gmtime_r(&tv.tv_sec, &tm);
  strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
  /* Build the line first and write it once, so concurrent writers do not interleave. */
  char line[2048];
  int n = snprintf(line, sizeof line, "%s.%03dZ %s %s ", ts, (int)(tv.tv_usec / 1000), log_prog, level_names[level]);
  if (n < 0) return;
  int m = vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
  size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
  if (len > sizeof line - 2) len = sizeof line - 2;
  line[len++] = '\n';
  fwrite(line, 1, len, stderr);
}

void log_msg(enum log_level level, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  log_vmsg(level, fmt, ap);
  va_end(ap);
}

void fatal(int status, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  log_vmsg(LOG_LEVEL_ERROR, fmt, ap);
  va_end(ap);
  exit(status);
}

void log_sanitize(const char *in, size_t inlen, char *out, size_t outlen) {
  if (outlen == 0) return;
  size_t n = inlen < outlen - 1 ? inlen : outlen - 1;
  for (size_t i = 0; i < n; i++) {
    unsigned char ch = (unsigned char)in[i];
    out[i] = (ch <= ' ' || ch == '=' || ch == '"' || ch == 0x7f) ? '_' : (char)ch;
  }
  out[n] = '\0';
}

int log_limit_allow(struct log_limit *l, int64_t now_ms, uint64_t *suppressed) {
  int64_t sec = now_ms / 1000;
  if (sec != l->second) {
    l->second = sec;
    l->used = 0;
  }
  if (l->used >= l->burst) {
    l->suppressed++;
    return 0;
  }
  l->used++;
  *suppressed = l->suppressed;
  l->suppressed = 0;
  return 1;
}

int log_limit_due(struct log_limit *l, int64_t now_ms, uint64_t *suppressed) {
  if (!l->suppressed || now_ms / 1000 == l->second) return 0;
  *suppressed = l->suppressed;
  l->suppressed = 0;
  return 1;
}
