/* A YAML document as a small tree (libyaml does the parsing), with the line of every node, so that
 * config and scenario loaders can report "file:line: what is wrong". Anchors and aliases are rejected. */
#ifndef COMMON_YTREE_H
#define COMMON_YTREE_H

#include <stddef.h>

enum ytree_kind { YTREE_SCALAR, YTREE_MAP, YTREE_SEQ };

struct ytree {
  enum ytree_kind kind;
  int line;            /* 1-based line in the source */
  char *value;         /* YTREE_SCALAR: the text (owned) */
  int quoted;          /* YTREE_SCALAR: written quoted in the source (a string, never a number) */
  char *key;           /* set when this node is a value in a map (owned) */
  struct ytree *child; /* YTREE_MAP / YTREE_SEQ: first child */
  struct ytree *next;  /* next sibling */
};

/* Parses `len` bytes of YAML. Returns the root (free with ytree_free) or NULL, in which case
 * err[errlen] holds "line N: message". An empty document yields an empty map. */
struct ytree *ytree_parse(const char *buf, size_t len, char *err, size_t errlen);
/* Every document of a multi-document stream (a Kubernetes manifest) as the children of a YTREE_SEQ
 * root, in order; an empty stream yields an empty sequence. Errors as ytree_parse. */
struct ytree *ytree_parse_all(const char *buf, size_t len, char *err, size_t errlen);
/* The same, with errors in the one format every program uses: "PATH:LINE: message". */
struct ytree *ytree_parse_named(const char *path, const char *buf, size_t len, char *err, size_t errlen);
/* Reads and parses a file; errors are "PATH:LINE: message". */
struct ytree *ytree_load(const char *path, char *err, size_t errlen);
void ytree_free(struct ytree *t);

/* The value of `key` in map `t`, or NULL (also when `t` is NULL or not a map). */
const struct ytree *ytree_get(const struct ytree *t, const char *key);
/* The scalar text of `key`, or NULL when absent or not a scalar. */
const char *ytree_str(const struct ytree *t, const char *key);
/* Number of children of a map or sequence (0 for NULL and scalars). */
size_t ytree_len(const struct ytree *t);

/* Editing, for programs that rewrite a document (the lab's Envoy configs). Nodes made here have line 0. */
struct ytree *ytree_get_mut(struct ytree *t, const char *key);
/* Appends a node to a map (key required) or a sequence (key NULL); a scalar's value is copied
 * (NULL: ""). Returns the node, or NULL (wrong parent, out of memory). */
struct ytree *ytree_add(struct ytree *parent, const char *key, enum ytree_kind kind, const char *value);
/* Replaces a scalar's text; `quoted` makes it a string when emitted. Returns 0 or -1. */
int ytree_set(struct ytree *t, const char *value, int quoted);
/* Removes and frees every child of a map or sequence. */
void ytree_clear(struct ytree *t);
/* Unlinks and frees one child. Returns 0, or -1 when it is not a child of `parent`. */
int ytree_remove(struct ytree *parent, struct ytree *child);
/* The tree as one YAML document (libyaml's emitter, block style; scalars quoted where the source
 * quoted them). Returns a NUL-terminated buffer (free it) and its length, or NULL. */
char *ytree_emit(const struct ytree *t, size_t *len);

#endif
