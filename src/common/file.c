#include "file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int file_read_text(const char *path, size_t max, char **buf, size_t *len, char *err, size_t errlen) {
  /* O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer. */
  int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    snprintf(err, errlen, "%s: %s", path, strerror(errno));
    return -1;
  }
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    snprintf(err, errlen, "%s: not a regular file", path);
    close(fd);
    return -1;
  }
  if ((size_t)st.st_size > max) {
    snprintf(err, errlen, "%s: larger than %zu bytes (%lld)", path, max, (long long)st.st_size);
    close(fd);
    return -1;
  }
  /* The size may change while we read: read up to max + 1 and refuse more than max. */
  size_t cap = (size_t)st.st_size + 1, n = 0;
  char *b = malloc(cap + 1);
  while (b) {
    ssize_t r = read(fd, b + n, cap - n);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      snprintf(err, errlen, "%s: %s", path, strerror(errno));
      free(b);
      close(fd);
      return -1;
    }
    if (r == 0) break;
    n += (size_t)r;
    if (n > max) {
      snprintf(err, errlen, "%s: larger than %zu bytes", path, max);
      free(b);
      close(fd);
      return -1;
    }
    if (n == cap) {
      size_t ncap = cap * 2 > max + 1 ? max + 1 : cap * 2;
      char *nb = realloc(b, ncap + 1);
      if (!nb) {
        free(b);
        b = NULL;
        break;
      }
      b = nb;
      cap = ncap;
    }
  }
  close(fd);
  if (!b) {
    snprintf(err, errlen, "%s: out of memory", path);
    return -1;
  }
  b[n] = '\0';
  const char *nul = memchr(b, '\0', n);
  if (nul) {
    int line = 1;
    for (const char *p = b; p < nul; p++) line += *p == '\n';
    snprintf(err, errlen, "%s:%d: contains a NUL byte", path, line);
    free(b);
    return -1;
  }
  *buf = b;
  *len = n;
  return 0;
}
