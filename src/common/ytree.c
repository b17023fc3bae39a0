#include "ytree.h"

#include "file.h"
#include "sbuf.h"

#include <errno.h>
#include <stdint.h>
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

static struct ytree *parse_node(struct yparse *p, yaml_event_t *ev, int depth);

static struct ytree *parse_scalar(struct yparse *p, yaml_event_t *ev, int line) {
  struct ytree *n = node_new(YTREE_SCALAR, line);
  if (n) {
    n->value = strndup((const char *)ev->data.scalar.value, ev->data.scalar.length);
    n->quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
  }
  yaml_event_delete(ev);
  if (!n || !n->value) {
    ytree_free(n);
    yfail(p, line, "out of memory");
    return NULL;
  }
  return n;
}

/* A map's key (event `e`, consumed): a plain scalar not yet in map `n`. Returns it (the caller
 * frees it), or NULL after yfail. */
static char *map_key(struct yparse *p, yaml_event_t *e, const struct ytree *n) {
  int kline = (int)e->start_mark.line + 1;
  if (e->type != YAML_SCALAR_EVENT) {
    yfail(p, kline, "map keys must be plain scalars");
    yaml_event_delete(e);
    return NULL;
  }
  char *key = strndup((const char *)e->data.scalar.value, e->data.scalar.length);
  yaml_event_delete(e);
  if (!key) {
    yfail(p, kline, "out of memory");
    return NULL;
  }
  for (const struct ytree *c = n->child; c; c = c->next)
    if (strcmp(c->key, key) == 0) {
      char msg[300];
      snprintf(msg, sizeof msg, "duplicate key '%.200s'", key);
      yfail(p, kline, msg);
      free(key);
      return NULL;
    }
  return key;
}

/* A map or a sequence: its children (a map's with their keys) up to the matching end event. */
static struct ytree *parse_collection(struct yparse *p, yaml_event_t *ev, int line, int depth) {
  int is_map = ev->type == YAML_MAPPING_START_EVENT;
  yaml_event_type_t end = is_map ? YAML_MAPPING_END_EVENT : YAML_SEQUENCE_END_EVENT;
  yaml_event_delete(ev);
  if (depth >= YTREE_MAX_DEPTH) {
    yfail(p, line, "nesting too deep");
    return NULL;
  }
  struct ytree *n = node_new(is_map ? YTREE_MAP : YTREE_SEQ, line);
  if (!n) {
    yfail(p, line, "out of memory");
    return NULL;
  }
  struct ytree **tail = &n->child;
  for (;;) {
    yaml_event_t e;
    if (next_event(p, &e) != 0) break;
    if (e.type == end) {
      yaml_event_delete(&e);
      return n;
    }
    char *key = NULL;
    if (is_map && (!(key = map_key(p, &e, n)) || next_event(p, &e) != 0)) {
      free(key);
      break;
    }
    struct ytree *c = parse_node(p, &e, depth + 1);
    if (!c) {
      free(key);
      break;
    }
    c->key = key;
    *tail = c;
    tail = &c->next;
  }
  ytree_free(n);
  return NULL;
}

/* Builds the node that starts with `ev` (already read; consumed here), `depth` levels down. */
static struct ytree *parse_node(struct yparse *p, yaml_event_t *ev, int depth) {
  int line = (int)ev->start_mark.line + 1;
  switch (ev->type) {
    case YAML_SCALAR_EVENT:
      return parse_scalar(p, ev, line);
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT:
      return parse_collection(p, ev, line, depth);
    case YAML_ALIAS_EVENT:
      yaml_event_delete(ev);
      yfail(p, line, "aliases are not supported");
      return NULL;
    default:
      yaml_event_delete(ev);
      yfail(p, line, "unexpected YAML event");
      return NULL;
  }
}

/* Parses the documents of a stream: with `many`, every document becomes a child of a YTREE_SEQ root;
 * without, exactly one document is allowed and is the root. */
static struct ytree *parse_stream(const char *buf, size_t len, int many, char *err, size_t errlen) {
  struct yparse p = {.err = err, .errlen = errlen};
  struct ytree *root = NULL, *seq = NULL, **tail = NULL;
  yaml_event_t ev;
  if (!yaml_parser_initialize(&p.parser)) {
    snprintf(err, errlen, "line 0: out of memory");
    return NULL;
  }
  yaml_parser_set_input_string(&p.parser, (const unsigned char *)buf, len);
  if (many) {
    if (!(seq = node_new(YTREE_SEQ, 1))) {
      snprintf(err, errlen, "line 1: out of memory");
      goto out;
    }
    tail = &seq->child;
  }
  /* STREAM-START, then DOCUMENT-START or STREAM-END (empty input). */
  if (next_event(&p, &ev) != 0) goto bad;
  yaml_event_delete(&ev);
  if (next_event(&p, &ev) != 0) goto bad;
  if (ev.type == YAML_STREAM_END_EVENT) {
    yaml_event_delete(&ev);
    if (many) {
      root = seq;
      goto out;
    }
    root = node_new(YTREE_MAP, 1);
    if (!root) snprintf(err, errlen, "line 1: out of memory");
    goto out;
  }
  for (;;) {
    yaml_event_delete(&ev); /* DOCUMENT-START */
    if (next_event(&p, &ev) != 0) goto bad;
    struct ytree *doc = parse_node(&p, &ev, 0);
    if (!doc) goto bad;
    if (many) {
      *tail = doc;
      tail = &doc->next;
    } else {
      root = doc;
    }
    if (next_event(&p, &ev) != 0) goto bad;
    yaml_event_type_t t = ev.type;
    yaml_event_delete(&ev);
    if (t != YAML_DOCUMENT_END_EVENT) goto bad;
    if (next_event(&p, &ev) != 0) goto bad;
    if (ev.type == YAML_STREAM_END_EVENT) {
      yaml_event_delete(&ev);
      break;
    }
    if (!many) {
      yfail(&p, (int)ev.start_mark.line + 1, "only one YAML document is allowed");
      yaml_event_delete(&ev);
      goto bad;
    }
  }
  if (many) root = seq;
  goto out;
bad:
  if (!p.failed) yfail(&p, (int)p.parser.mark.line + 1, "unexpected YAML event");
  ytree_free(many ? seq : root);
  root = NULL;
out:
  yaml_parser_delete(&p.parser);
  return root;
}

struct ytree *ytree_parse(const char *buf, size_t len, char *err, size_t errlen) {
  return parse_stream(buf, len, 0, err, errlen);
}

struct ytree *ytree_parse_all(const char *buf, size_t len, char *err, size_t errlen) {
  return parse_stream(buf, len, 1, err, errlen);
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

/* ---- Editing and emitting ---- */

struct ytree *ytree_get_mut(struct ytree *t, const char *key) {
  return (struct ytree *)ytree_get(t, key);
}

struct ytree *ytree_add(struct ytree *parent, const char *key, enum ytree_kind kind, const char *value) {
  if (!parent || parent->kind == YTREE_SCALAR || (parent->kind == YTREE_MAP) != (key != NULL)) return NULL;
  struct ytree *n = node_new(kind, 0);
  if (!n) return NULL;
  if ((key && !(n->key = strdup(key))) || (value && !(n->value = strdup(value)))) {
    ytree_free(n);
    return NULL;
  }
  if (kind == YTREE_SCALAR && !value && !(n->value = strdup(""))) {
    ytree_free(n);
    return NULL;
  }
  struct ytree **tail = &parent->child;
  while (*tail) tail = &(*tail)->next;
  *tail = n;
  return n;
}

int ytree_set(struct ytree *t, const char *value, int quoted) {
  if (!t || t->kind != YTREE_SCALAR) return -1;
  char *v = strdup(value);
  if (!v) return -1;
  free(t->value);
  t->value = v;
  t->quoted = quoted;
  return 0;
}

void ytree_clear(struct ytree *t) {
  if (!t) return;
  ytree_free(t->child);
  t->child = NULL;
}

int ytree_remove(struct ytree *parent, struct ytree *child) {
  if (!parent) return -1;
  for (struct ytree **p = &parent->child; *p; p = &(*p)->next)
    if (*p == child) {
      *p = child->next;
      child->next = NULL;
      ytree_free(child);
      return 0;
    }
  return -1;
}

/* libyaml's write handler: 1 on success, 0 (the emitter fails) when memory runs out. */
static int emit_write(void *arg, unsigned char *buf, size_t size) {
  return sbuf_append(arg, buf, size, 4096, SIZE_MAX) == 0;
}

static int emit_scalar(yaml_emitter_t *e, const char *v, int quoted) {
  yaml_event_t ev;
  if (!yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)v, (int)strlen(v), !quoted, 1,
                                    quoted ? YAML_DOUBLE_QUOTED_SCALAR_STYLE : YAML_ANY_SCALAR_STYLE))
    return -1;
  return yaml_emitter_emit(e, &ev) ? 0 : -1;
}

static int emit_node(yaml_emitter_t *e, const struct ytree *t) {
  yaml_event_t ev;
  if (t->kind == YTREE_SCALAR) return emit_scalar(e, t->value, t->quoted);
  int ok = t->kind == YTREE_MAP ? yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE)
                                : yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE);
  if (!ok || !yaml_emitter_emit(e, &ev)) return -1;
  for (const struct ytree *c = t->child; c; c = c->next) {
    if (t->kind == YTREE_MAP && emit_scalar(e, c->key, 0) != 0) return -1;
    if (emit_node(e, c) != 0) return -1;
  }
  ok = t->kind == YTREE_MAP ? yaml_mapping_end_event_initialize(&ev) : yaml_sequence_end_event_initialize(&ev);
  return ok && yaml_emitter_emit(e, &ev) ? 0 : -1;
}

char *ytree_emit(const struct ytree *t, size_t *len) {
  yaml_emitter_t e;
  yaml_event_t ev;
  struct sbuf b = {0};
  if (!yaml_emitter_initialize(&e)) return NULL;
  yaml_emitter_set_output(&e, emit_write, &b);
  yaml_emitter_set_unicode(&e, 1);
  yaml_emitter_set_width(&e, -1);
  int ok = yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING) && yaml_emitter_emit(&e, &ev) &&
           yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1) && yaml_emitter_emit(&e, &ev) &&
           emit_node(&e, t) == 0 && yaml_document_end_event_initialize(&ev, 1) && yaml_emitter_emit(&e, &ev) &&
           yaml_stream_end_event_initialize(&ev) && yaml_emitter_emit(&e, &ev) && yaml_emitter_flush(&e);
  yaml_emitter_delete(&e);
  if (!ok) {
    sbuf_free(&b);
    return NULL;
  }
  if (len) *len = b.len;
  return b.data;
}
