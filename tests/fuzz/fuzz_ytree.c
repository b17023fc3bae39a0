/* The YAML tree (src/common/ytree.c): any bytes, then every node of the tree it returns is walked
 * with the accessors the loaders use, and its shape is checked. */
#include <string.h>

#include "fuzz.h"
#include "ytree.h"

/* Checks the node and its subtree; `in_map` says whether it is a value in a map. Returns its size. */
static size_t walk(const struct ytree *t, int in_map, int depth) {
  size_t n = 0;
  for (; t; t = t->next) {
    n++;
    FUZZ_ASSERT(t->line >= 1);
    FUZZ_ASSERT(in_map ? t->key != NULL : t->key == NULL);
    FUZZ_ASSERT(depth <= 65);
    switch (t->kind) {
      case YTREE_SCALAR:
        FUZZ_ASSERT(t->value != NULL && t->child == NULL);
        FUZZ_ASSERT(ytree_len(t) == 0 && ytree_get(t, "x") == NULL);
        break;
      case YTREE_MAP: {
        FUZZ_ASSERT(t->value == NULL);
        size_t len = 0;
        for (const struct ytree *c = t->child; c; c = c->next, len++) {
          /* Keys are unique: the lookup finds this very child. */
          FUZZ_ASSERT(ytree_get(t, c->key) == c);
          const char *s = ytree_str(t, c->key);
          FUZZ_ASSERT(c->kind == YTREE_SCALAR ? s == c->value : s == NULL);
        }
        FUZZ_ASSERT(ytree_len(t) == len);
        walk(t->child, 1, depth + 1);
        break;
      }
      case YTREE_SEQ:
        FUZZ_ASSERT(t->value == NULL && ytree_get(t, "x") == NULL);
        walk(t->child, 0, depth + 1);
        break;
      default:
        FUZZ_ASSERT(!"unknown node kind");
    }
  }
  return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char err[256];
  err[0] = '\0';
  struct ytree *t = ytree_parse((const char *)data, size, err, sizeof err);
  if (!t) {
    /* The loaders rewrite "line N: msg" into "PATH:N: msg": the prefix must be there. */
    FUZZ_ASSERT(memchr(err, '\0', sizeof err) != NULL);
    FUZZ_ASSERT(strncmp(err, "line ", 5) == 0);
    return 0;
  }
  FUZZ_ASSERT(walk(t, 0, 0) == 1);
  ytree_free(t);
  return 0;
}
