#include "options.h"

#include <stdlib.h>
#include <string.h>

#include "file.h"
#include "yval.h"

static int text(struct yval *v, const struct ytree *map, const char *key, char *out, size_t cap) {
  const struct ytree *t = ytree_get(map, key);
  if (!t || t->kind != YTREE_SCALAR || !t->value[0]) return yval_fail(v, t ? t : map, "\"%s\" must be text", key);
  if (strlen(t->value) >= cap) return yval_fail(v, t, "\"%s\" is longer than %zu bytes", key, cap - 1);
  memcpy(out, t->value, strlen(t->value) + 1);
  return 0;
}

static int parse_option(struct yval *v, const struct ytree *c, struct lab_option *o) {
  static const char *const keys[] = {"option", "seed_verdict", "scenarios", NULL};
  if (yval_keys(v, c, "an option", keys) != 0 || text(v, c, "option", o->option, sizeof o->option) != 0 ||
      text(v, c, "seed_verdict", o->seed_verdict, sizeof o->seed_verdict) != 0)
    return -1;
  const struct ytree *seq = ytree_get(c, "scenarios");
  if (!seq || seq->kind != YTREE_SEQ || !seq->child)
    return yval_fail(v, seq ? seq : c, "\"scenarios\" must be a non-empty list of scenario names");
  for (const struct ytree *s = seq->child; s; s = s->next) {
    if (o->n_scenarios == OPTION_MAX_SCENARIOS) return yval_fail(v, s, "at most %d scenarios", OPTION_MAX_SCENARIOS);
    if (s->kind != YTREE_SCALAR || !s->value[0] || strlen(s->value) >= SC_NAME_MAX)
      return yval_fail(v, s, "a scenario name (at most %d bytes)", SC_NAME_MAX - 1);
    memcpy(o->scenarios[o->n_scenarios++], s->value, strlen(s->value) + 1);
  }
  return 0;
}

int options_parse(const char *path, const char *buf, size_t len, struct lab_options *out, char *err, size_t errlen) {
  memset(out, 0, sizeof *out);
  struct ytree *root = ytree_parse_named(path, buf, len, err, errlen);
  if (!root) return -1;
  struct yval v = {path, err, errlen};
  static const char *const keys[] = {"options", NULL};
  const struct ytree *seq = ytree_get(root, "options");
  int rc = yval_keys(&v, root, "the options file", keys);
  if (rc == 0 && (!seq || seq->kind != YTREE_SEQ || !seq->child))
    rc = yval_fail(&v, seq ? seq : root, "\"options\" must be a non-empty list");
  for (const struct ytree *c = rc == 0 ? seq->child : NULL; c && rc == 0; c = c->next) {
    if (out->n == OPTIONS_MAX)
      rc = yval_fail(&v, c, "at most %d options", OPTIONS_MAX);
    else
      rc = parse_option(&v, c, &out->options[out->n++]);
  }
  ytree_free(root);
  return rc;
}

int options_load(const char *path, struct lab_options *out, char *err, size_t errlen) {
  char *buf;
  size_t len;
  if (file_read_text(path, FILE_TEXT_MAX, &buf, &len, err, errlen) != 0) return -1;
  int rc = options_parse(path, buf, len, out, err, errlen);
  free(buf);
  return rc;
}
