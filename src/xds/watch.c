#include "watch.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "log.h"

struct watch {
  int fd; /* inotify, or -1 */
  int64_t debounce_ms, period_ms;
  int64_t due_ms; /* when an event's debounce ends; -1 when none is pending */
  int64_t next_check_ms;
};

int watch_new(const char *path, int64_t debounce_ms, int64_t period_ms, struct watch **out) {
  struct watch *w = calloc(1, sizeof *w);
  if (!w) return -2;
  w->fd = -1;
  w->debounce_ms = debounce_ms;
  w->period_ms = period_ms;
  w->due_ms = -1;
  *out = w;
  char dir[PATH_MAX];
  const char *slash = strrchr(path, '/');
  if (!slash)
    strcpy(dir, ".");
  else if (slash == path)
    strcpy(dir, "/");
  else
    snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
  w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (w->fd < 0) {
    log_warn("msg=\"inotify unavailable, periodic checks only\" error=\"%s\"", strerror(errno));
    return -1;
  }
  /* Every way a file in the directory can change: written in place, created, renamed over (the
   * ConfigMap `..data` swap is IN_MOVED_TO), deleted, attributes. */
  uint32_t mask = IN_CLOSE_WRITE | IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_ATTRIB |
                  IN_DELETE_SELF | IN_MOVE_SELF;
  if (inotify_add_watch(w->fd, dir, mask) < 0) {
    log_warn("msg=\"cannot watch the config directory, periodic checks only\" dir=%s error=\"%s\"", dir,
             strerror(errno));
    close(w->fd);
    w->fd = -1;
    return -1;
  }
  log_info("msg=watching dir=%s debounce_ms=%lld period_ms=%lld", dir, (long long)debounce_ms, (long long)period_ms);
  return 0;
}

void watch_free(struct watch *w) {
  if (!w) return;
  if (w->fd >= 0) close(w->fd);
  free(w);
}

int watch_poll(struct watch *w, int64_t now_ms) {
  if (w->fd >= 0) {
    char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
    for (;;) {
      ssize_t n = read(w->fd, buf, sizeof buf);
      if (n <= 0) break;
      /* Any event in the directory restarts the debounce: the content compare decides what changed. */
      w->due_ms = now_ms + w->debounce_ms;
    }
  }
  if (w->due_ms >= 0 && now_ms >= w->due_ms) {
    w->due_ms = -1;
    w->next_check_ms = now_ms + w->period_ms;
    return 1;
  }
  if (now_ms >= w->next_check_ms) {
    w->next_check_ms = now_ms + w->period_ms;
    return 1;
  }
  return 0;
}
