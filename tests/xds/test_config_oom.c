/* Failing-allocation test of src/xds/config.c: every calloc, malloc and realloc that our code makes
 * during a parse (config.c, common/ytree.c, common/file.c: the binary is linked with -Wl,--wrap for
 * the three) fails in turn. Each run must fail cleanly saying "out of memory", without a crash in
 * config_free (counts set before their arrays existed) and, under ASan, without a leak. */
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "xtest.h"

void *__real_calloc(size_t n, size_t size);
void *__wrap_calloc(size_t n, size_t size);
void *__real_malloc(size_t size);
void *__wrap_malloc(size_t size);
void *__real_realloc(void *p, size_t size);
void *__wrap_realloc(void *p, size_t size);

static long fail_at = -1; /* the allocation that fails (0 = the first); -1: none */
static long calls;

static int fails_now(void) { return fail_at >= 0 && calls++ == fail_at; }

void *__wrap_calloc(size_t n, size_t size) { return fails_now() ? NULL : __real_calloc(n, size); }
void *__wrap_malloc(size_t size) { return fails_now() ? NULL : __real_malloc(size); }
void *__wrap_realloc(void *p, size_t size) { return fails_now() ? NULL : __real_realloc(p, size); }

static const char yaml[] =
    "name: oom\n"
    "spec:\n"
    "  listeners:\n"
    "  - name: server\n"
    "    port: 8080\n"
    "    routes:\n"
    "    - prefix: /a\n"
    "      clusters:\n"
    "      - {name: c1, weight: 60}\n"
    "      - {name: c2, weight: 40}\n"
    "    - clusters:\n"
    "      - name: c1\n"
    "  clusters:\n"
    "  - name: c1\n"
    "    endpoints:\n"
    "    - {address: 10.0.0.1, port: 1}\n"
    "    - {address: server-v1, port: 2}\n"
    "  - name: c2\n";

int main(void) {
  int failures = 0, oom_msgs = 0;
  for (long i = 0;; i++) {
    struct config *c = NULL;
    char err[256] = "";
    fail_at = i;
    calls = 0;
    int rc = config_parse("oom.yaml", yaml, strlen(yaml), &c, err, sizeof err);
    fail_at = -1;
    if (rc == 0) {
      REQUIRE(c && c->n_listeners == 1 && c->listeners[0].n_routes == 2 && c->n_clusters == 2,
              "with allocations 0..%ld failing in turn (%d failed cleanly), the parse then succeeds", i - 1, failures);
      config_free(c);
      break;
    }
    REQUIRE(c == NULL, "allocation %ld fails: the parse fails cleanly (\"%s\")", i, err);
    failures++;
    if (strstr(err, "out of memory")) oom_msgs++;
  }
  /* Every failed allocation is reported as such: none passes silently, none gives another message. */
  REQUIRE(failures >= 20 && oom_msgs == failures,
          "%d allocations failed in turn, and every one said \"out of memory\" (%d)", failures, oom_msgs);
  return 0;
}
