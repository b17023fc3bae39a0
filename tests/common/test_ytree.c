#include "ytree.h"

#include <stdlib.h>

#include "../unit.h"

static void test_tree(void) {
  const char *doc =
      "name: demo\n"
      "spec:\n"
      "  clusters:\n"
      "    - name: server-v1\n"
      "      endpoints:\n"
      "        - {address: server-v1, port: 50051}\n"
      "    - name: server-v2\n";
  char err[256];
  struct ytree *t = ytree_parse(doc, strlen(doc), err, sizeof err);
  CHECK(t != NULL);
  if (!t) return;
  CHECK_STR(ytree_str(t, "name"), "demo");
  const struct ytree *clusters = ytree_get(ytree_get(t, "spec"), "clusters");
  CHECK(clusters && clusters->kind == YTREE_SEQ && ytree_len(clusters) == 2);
  CHECK(clusters && clusters->line == 4);
  const struct ytree *c1 = clusters ? clusters->child : NULL;
  CHECK_STR(ytree_str(c1, "name"), "server-v1");
  const struct ytree *ep = ytree_get(c1, "endpoints");
  CHECK(ep && ep->child && ep->child->line == 6);
  CHECK_STR(ytree_str(ep ? ep->child : NULL, "port"), "50051");
  CHECK(ytree_get(t, "missing") == NULL);
  CHECK(ytree_str(t, "spec") == NULL); /* not a scalar */
  ytree_free(t);
}

static void test_errors(void) {
  char err[256];
  struct ytree *t = ytree_parse("a: 1\na: 2\n", 10, err, sizeof err);
  CHECK(t == NULL);
  CHECK(strstr(err, "line 2") && strstr(err, "duplicate key"));
  t = ytree_parse("a: [1, 2\nb: 3\n", 14, err, sizeof err);
  CHECK(t == NULL && strncmp(err, "line ", 5) == 0);
  t = ytree_parse("a: &x 1\nb: *x\n", 14, err, sizeof err);
  CHECK(t == NULL && strstr(err, "aliases"));
  /* Deep nesting is refused, not a stack overflow. */
  size_t deep = 300000;
  char *nest = malloc(deep + 1);
  memset(nest, '[', deep);
  nest[deep] = '\0';
  t = ytree_parse(nest, deep, err, sizeof err);
  CHECK(t == NULL && strstr(err, "nesting too deep"));
  free(nest);
  t = ytree_parse("", 0, err, sizeof err);
  CHECK(t && t->kind == YTREE_MAP && ytree_len(t) == 0);
  ytree_free(t);
  t = ytree_load("/tmp", err, sizeof err); /* a directory is refused before reading */
  CHECK(t == NULL && strstr(err, "/tmp: not a regular file"));
  t = ytree_load("/nonexistent/file.yaml", err, sizeof err);
  CHECK(t == NULL && strstr(err, "/nonexistent/file.yaml"));
}

int main(void) {
  test_tree();
  test_errors();
  return unit_result("test_ytree");
}
