/* Tests of src/xds/watch.c on a real directory: the inotify path (not the periodic fallback) sees a
 * ConfigMap-style `..data` swap, an editor's rename-on-save and an in-place write, after the debounce. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "watch.h"
#include "xtest.h"

#define DEBOUNCE_MS 100
#define PERIOD_MS 60000 /* so long that only inotify can explain a "look now" */

static char dir[256];

/* Runs a shell command in which every "@" stands for the test directory. */
static void sh(const char *tmpl) {
  char cmd[2048];
  size_t n = 0;
  for (const char *p = tmpl; *p && n < sizeof cmd - 300; p++) {
    if (*p == '@')
      n += (size_t)snprintf(cmd + n, sizeof cmd - n, "%s", dir);
    else
      cmd[n++] = *p;
  }
  cmd[n] = '\0';
  REQUIRE(system(cmd) == 0, "ran: %s", cmd);
}

/* Polls until the watcher says "look now"; returns the delay in ms, or -1 after 2 s. */
static int64_t wait_look(struct watch *w) {
  int64_t t0 = clock_now_ms();
  while (clock_now_ms() - t0 < 2000) {
    if (watch_poll(w, clock_now_ms())) return clock_now_ms() - t0;
    usleep(5000);
  }
  return -1;
}

static void quiet(struct watch *w, const char *what) {
  int64_t t0 = clock_now_ms();
  int looked = 0;
  while (clock_now_ms() - t0 < 300) {
    looked |= watch_poll(w, clock_now_ms());
    usleep(5000);
  }
  REQUIRE(!looked, "no event, no look (%s)", what);
}

int main(void) {
  snprintf(dir, sizeof dir, "%s/xds-watch.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
  REQUIRE(mkdtemp(dir) != NULL, "temporary directory");
  sh("mkdir @/..v1 && echo a > @/..v1/config.yaml && ln -s ..v1 @/..data && ln -s ..data/config.yaml @/config.yaml");
  char path[512];
  snprintf(path, sizeof path, "%s/config.yaml", dir);
  struct watch *w;
  REQUIRE(watch_new(path, DEBOUNCE_MS, PERIOD_MS, &w) == 0, "watching %s", dir);
  REQUIRE(watch_poll(w, clock_now_ms()) == 1, "the first poll looks (initial check)");
  quiet(w, "after the initial check");

  sh("mkdir @/..v2 && echo b > @/..v2/config.yaml && ln -s ..v2 @/..data_tmp && mv -T @/..data_tmp @/..data");
  int64_t d = wait_look(w);
  REQUIRE(d >= DEBOUNCE_MS - 10 && d < 1000, "ConfigMap ..data swap seen after the debounce (%lld ms)", (long long)d);
  sh("rm -rf @/..v1");
  wait_look(w); /* the removal of the old version is an event too */
  quiet(w, "after the swap settled");

  sh("echo c > @/.config.yaml.swp && mv @/.config.yaml.swp @/config.yaml");
  d = wait_look(w);
  REQUIRE(d >= 0 && d < 1000, "rename-on-save seen (%lld ms)", (long long)d);
  quiet(w, "after the save");

  sh("echo d >> @/config.yaml");
  d = wait_look(w);
  REQUIRE(d >= 0 && d < 1000, "in-place write seen (%lld ms)", (long long)d);

  watch_free(w);
  sh("rm -rf @");
  return 0;
}
