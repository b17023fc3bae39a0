/* Config file watching that does not miss: inotify on the file's directory (a Kubernetes ConfigMap
 * update is an atomic rename of the `..data` symlink; editors save by rename), a debounce, and a
 * periodic check as a fallback. The watcher only says "look now"; the owner re-reads the file by path
 * and compares its content with what it last loaded. */
#ifndef XDS_WATCH_H
#define XDS_WATCH_H

#include <stdint.h>

struct watch;

/* Watches the directory of `path`. Returns 0, or -1 when inotify cannot watch it (the periodic check
 * still works; *out is set in both cases unless allocation failed, then -2). */
int watch_new(const char *path, int64_t debounce_ms, int64_t period_ms, struct watch **out);
void watch_free(struct watch *w);

/* Reads pending inotify events without blocking. Returns 1 when the file should be looked at now:
 * `debounce_ms` after the last event in the directory, or every `period_ms`. */
int watch_poll(struct watch *w, int64_t now_ms);

#endif
