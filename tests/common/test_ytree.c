#include "ytree.h"

#include <stdlib.h>
#include <string.h>

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

/* A manifest's documents, edited and emitted again: the emitted text parses to the edited tree, and
 * quoted scalars stay strings ("8080" stays quoted, 8080 stays a number). */
static void test_stream_edit_emit(void) {
  const char *docs =
      "kind: ServiceAccount\n"
      "---\n"
      "kind: ConfigMap\n"
      "data:\n"
      "  port: 8080\n"
      "  text: \"8080\"\n"
      "  list: [\"*\"]\n";
  char err[256];
  struct ytree *all = ytree_parse_all(docs, strlen(docs), err, sizeof err);
  REQUIRE(all != NULL);
  CHECK(all->kind == YTREE_SEQ && ytree_len(all) == 2);
  struct ytree *cm = all->child->next;
  CHECK_STR(ytree_str(cm, "kind"), "ConfigMap");
  struct ytree *data = ytree_get_mut(cm, "data");
  CHECK(ytree_get(data, "text")->quoted && !ytree_get(data, "port")->quoted);
  CHECK(ytree_set(ytree_get_mut(data, "port"), "9090", 0) == 0);
  struct ytree *m = ytree_add(data, "added", YTREE_MAP, NULL);
  CHECK(m && ytree_add(m, "address", YTREE_SCALAR, "127.0.3.10") != NULL);
  CHECK(ytree_add(data, NULL, YTREE_SCALAR, "x") == NULL); /* a map's child needs a key */
  CHECK(ytree_remove(data, (struct ytree *)ytree_get(data, "list")) == 0);
  size_t len = 0;
  char *text = ytree_emit(cm, &len);
  REQUIRE(text != NULL);
  CHECK(len == strlen(text));
  struct ytree *again = ytree_parse(text, len, err, sizeof err);
  REQUIRE(again != NULL);
  const struct ytree *d2 = ytree_get(again, "data");
  CHECK_STR(ytree_str(d2, "port"), "9090");
  CHECK(!ytree_get(d2, "port")->quoted);
  CHECK_STR(ytree_str(d2, "text"), "8080");
  CHECK(ytree_get(d2, "text")->quoted);
  CHECK_STR(ytree_str(ytree_get(d2, "added"), "address"), "127.0.3.10");
  CHECK(ytree_get(d2, "list") == NULL);
  ytree_free(again);
  free(text);
  ytree_free(all);
  /* One document only for ytree_parse; an empty stream is an empty sequence for ytree_parse_all. */
  CHECK(ytree_parse(docs, strlen(docs), err, sizeof err) == NULL);
  CHECK(strstr(err, "line 2: only one YAML document") != NULL);
  struct ytree *none = ytree_parse_all("", 0, err, sizeof err);
  CHECK(none && none->kind == YTREE_SEQ && ytree_len(none) == 0);
  ytree_free(none);
}

int main(void) {
  test_tree();
  test_errors();
  test_stream_edit_emit();
  return unit_result("test_ytree");
}
