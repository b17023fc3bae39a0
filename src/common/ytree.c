#include "ytree.h"

#include "file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

static struct ytree *node_new(enum ytree_kind kind, int line) {
  struct ytree *n = calloc(1, sizeof *n);
  if (n) {
    n->kind = kind;
    n->line = line;
  }
  return n;
}

void ytree_free(struct ytree *t) {
  while (t) {
    struct ytree *next = t->next;
    ytree_free(t->child);
    free(t->value);
    free(t->key);
    free(t);
    t = next;
  }
}

/* Parser state: the libyaml parser and the first error, reported once. */
struct yparse {
  yaml_parser_t parser;
  char *err;
  size_t errlen;
  int failed;
};

static void yfail(struct yparse *p, int line, const char *msg) {
  if (!p->failed) snprintf(p->err, p->errlen, "line %d: %s", line, msg);
  p->failed = 1;
}

static int next_event(struct yparse *p, yaml_event_t *ev) {
  if (!yaml_parser_parse(&p->parser, ev)) {
    char msg[256];
    if (p->parser.error == YAML_MEMORY_ERROR) {
      yfail(p, (int)p->parser.problem_mark.line + 1, "out of memory");
      return -1;
    }
    snprintf(msg, sizeof msg, "%s%s%s", p->parser.problem ? p->parser.problem : "syntax error",
             p->parser.context ? " " : "", p->parser.context ? p->parser.context : "");
    yfail(p, (int)p->parser.problem_mark.line + 1, msg);
    return -1;
  }
  return 0;
}

#define YTREE_MAX_DEPTH 64 /* configs and scenarios nest a handful of levels; recursion stays bounded */

/* Builds the node that starts with `ev` (already read; consumed here), `depth` levels down. */
static struct ytree *parse_node(struct yparse *p, yaml_event_t *ev, int depth) {
  int line = (int)ev->start_mark.line + 1;
  struct ytree *n = NULL;
  switch (ev->type) {
    case YAML_SCALAR_EVENT:
      n = node_new(YTREE_SCALAR, line);
      if (n) n->value = strndup((const char *)ev->data.scalar.value, ev->data.scalar.length);
      yaml_event_delete(ev);
      if (!n || !n->value) {
        ytree_free(n);
        yfail(p, line, "out of memory");
        return NULL;
      }
      return n;
    case YAML_ALIAS_EVENT:
      yaml_event_delete(ev);
      yfail(p, line, "aliases are not supported");
      return NULL;
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT: {
      if (depth >= YTREE_MAX_DEPTH) {
        yaml_event_delete(ev);
        yfail(p, line, "nesting too deep");
        return NULL;
      }
      int is_map = ev->type == YAML_MAPPING_START_EVENT;
      yaml_event_type_t end = is_map ? YAML_MAPPING_END_EVENT : YAML_SEQUENCE_END_EVENT;
      yaml_event_delete(ev);
      n = node_new(is_map ? YTREE_MAP : YTREE_SEQ, line);
      if (!n) {
        yfail(p, line, "out of memory");
        return NULL;
      }
      struct ytree **tail = &n->child;
      for (;;) {
        yaml_event_t e;
        if (next_event(p, &e) != 0) goto fail;
        if (e.type == end) {
          yaml_event_delete(&e);
          return n;
        }
        char *key = NULL;
        if (is_map) {
          if (e.type != YAML_SCALAR_EVENT) {
            yfail(p, (int)e.start_mark.line + 1, "map keys must be plain scalars");
            yaml_event_delete(&e);
            goto fail;
          }
          key = strndup((const char *)e.data.scalar.value, e.data.scalar.length);
          int kline = (int)e.start_mark.line + 1;
          yaml_event_delete(&e);
          if (!key) {
            yfail(p, kline, "out of memory");
            goto fail;
          }
          for (struct ytree *c = n->child; c; c = c->next)
            if (strcmp(c->key, key) == 0) {
              char msg[300];
              snprintf(msg, sizeof msg, "duplicate key '%.200s'", key);
              yfail(p, kline, msg);
              free(key);
              goto fail;
            }
          if (next_event(p, &e) != 0) {
            free(key);
            goto fail;
          }
        }
        struct ytree *c = parse_node(p, &e, depth + 1);
        if (!c) {
          free(key);
          goto fail;
        }
        c->key = key;
        *tail = c;
        tail = &c->next;
      }
    fail:
      ytree_free(n);
      return NULL;
    }
    default:
      yfail(p, line, "unexpected YAML event");
      yaml_event_delete(ev);
      return NULL;
  }
}

struct ytree *ytree_parse(const char *buf, size_t len, char *err, size_t errlen) {
  struct yparse p = {.err = err, .errlen = errlen};
  struct ytree *root = NULL;
  yaml_event_t ev;
  if (!yaml_parser_initialize(&p.parser)) {
    snprintf(err, errlen, "line 0: out of memory");
    return NULL;
  }
  yaml_parser_set_input_string(&p.parser, (const unsigned char *)buf, len);
  /* STREAM-START, then DOCUMENT-START or STREAM-END (empty input). */
  if (next_event(&p, &ev) != 0) goto out;
  yaml_event_delete(&ev);
  if (next_event(&p, &ev) != 0) goto out;
  if (ev.type == YAML_STREAM_END_EVENT) {
    yaml_event_delete(&ev);
    root = node_new(YTREE_MAP, 1);
    if (!root) snprintf(err, errlen, "line 1: out of memory");
    goto out;
  }
  yaml_event_delete(&ev);
  if (next_event(&p, &ev) != 0) goto out;
  root = parse_node(&p, &ev, 0);
  if (!root) goto out;
  if (next_event(&p, &ev) != 0) goto bad;
  yaml_event_type_t t = ev.type;
  int line = (int)ev.start_mark.line + 1;
  yaml_event_delete(&ev);
  if (t != YAML_DOCUMENT_END_EVENT) goto bad;
  if (next_event(&p, &ev) != 0) goto bad;
  t = ev.type;
  line = (int)ev.start_mark.line + 1;
  yaml_event_delete(&ev);
  if (t != YAML_STREAM_END_EVENT) {
    yfail(&p, line, "only one YAML document is allowed");
    goto bad;
  }
  goto out;
bad:
  ytree_free(root);
  root = NULL;
out:
  yaml_parser_delete(&p.parser);
  return root;
}

struct ytree *ytree_parse_named(const char *path, const char *buf, size_t len, char *err, size_t errlen) {
  char inner[512];
  struct ytree *t = ytree_parse(buf, len, inner, sizeof inner);
  if (!t) {
    /* "line N: msg" -> "PATH:N: msg" */
    int line = 0, off = 0;
    if (sscanf(inner, "line %d: %n", &line, &off) >= 1 && off > 0)
      snprintf(err, errlen, "%s:%d: %s", path, line, inner + off);
    else
      snprintf(err, errlen, "%s:0: %s", path, inner);
  }
  return t;
}

struct ytree *ytree_load(const char *path, char *err, size_t errlen) {
  char *buf;
  size_t len;
  if (file_read_text(path, FILE_TEXT_MAX, &buf, &len, err, errlen) != 0) return NULL;
  struct ytree *t = ytree_parse_named(path, buf, len, err, errlen);
  free(buf);
  return t;
}

const struct ytree *ytree_get(const struct ytree *t, const char *key) {
  if (!t || t->kind != YTREE_MAP) return NULL;
  for (const struct ytree *c = t->child; c; c = c->next)
    if (strcmp(c->key, key) == 0) return c;
  return NULL;
}

const char *ytree_str(const struct ytree *t, const char *key) {
  const struct ytree *v = ytree_get(t, key);
  return (v && v->kind == YTREE_SCALAR) ? v->value : NULL;
}

size_t ytree_len(const struct ytree *t) {
  size_t n = 0;
  if (t && t->kind != YTREE_SCALAR)
    for (const struct ytree *c = t->child; c; c = c->next) n++;
  return n;
}
