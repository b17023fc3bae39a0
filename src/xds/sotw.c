#include "sotw.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strv.h"

void sotw_init(struct sotw_state *st) { memset(st, 0, sizeof *st); }

static void free_names(char **names, size_t n) {
  for (size_t i = 0; i < n; i++) free(names[i]);
  free(names);
}

void sotw_free(struct sotw_state *st) {
  free_names(st->names, st->n_names);
  free(st->version_acked);
  free(st->nack_message);
  memset(st, 0, sizeof *st);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* A sorted, de-duplicated copy of `names` without "*"; sets *star when "*" is among them. */
static int names_copy(char *const *names, size_t n, char ***out, size_t *nout, int *star) {
  *out = NULL;
  *nout = 0;
  *star = 0;
  if (n == 0) return 0;
  char **c = calloc(n, sizeof *c);
  if (!c) return -1;
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    if (strcmp(names[i], "*") == 0) {
      *star = 1;
      continue;
    }
    if (!(c[k++] = strdup(names[i]))) {
      free_names(c, k);
      return -1;
    }
  }
  *out = c;
  *nout = strv_sort_unique(c, k);
  return 0;
}

int sotw_on_request(struct sotw_state *st, char *const *names, size_t n, const char *nonce, const char *error,
                    const char *version, int *respond) {
  *respond = 0;
  char nonce_str[24];
  snprintf(nonce_str, sizeof nonce_str, "%" PRIu64, st->nonce_sent);
  /* Nothing sent yet for this type on this stream: a nonce can only come from an earlier stream (a
   * client reconnecting with its last nonce). It answers nothing here, so the request is a first one. */
  int has_nonce = nonce && nonce[0] && st->nonce_sent;
  /* A request answering an older response carries old state: SotW says ignore it, the next will follow. */
  if (has_nonce && strcmp(nonce, nonce_str) != 0) return SOTW_STALE;

  char **nn;
  size_t nnn;
  int star;
  if (names_copy(names, n, &nn, &nnn, &star)) return -1;
  /* Wildcard exists for LDS and CDS only: "*", or (legacy) empty names before any name was listed. */
  int wildcard = !st->no_wildcard && (star || (nnn == 0 && !st->ever_named));
  /* Answer when something was added: the first request, wildcard turned on, or a new name. Removing
   * names needs no answer (the client forgets them itself). */
  int changed = !st->requested || (wildcard && !st->wildcard);
  for (size_t i = 0; !changed && !wildcard && i < nnn; i++)
    if (!st->n_names || !bsearch(&nn[i], st->names, st->n_names, sizeof *st->names, cmp_str)) changed = 1;

  int verdict = SOTW_FIRST;
  char *keep = NULL;
  if (has_nonce && error) {
    if (!(keep = strdup(error))) {
      free_names(nn, nnn);
      return -1;
    }
    free(st->nack_message);
    st->nack_message = keep;
    st->nacked = 1;
    st->hash_nacked = st->hash_sent;
    st->replied = 1;
    verdict = SOTW_NACK;
  } else if (has_nonce) {
    if (!(keep = strdup(version ? version : ""))) {
      free_names(nn, nnn);
      return -1;
    }
    free(st->version_acked);
    st->version_acked = keep;
    st->nacked = 0;
    st->replied = 1;
    verdict = SOTW_ACK;
  }
  free_names(st->names, st->n_names);
  st->names = nn;
  st->n_names = nnn;
  st->wildcard = wildcard;
  if (nnn) st->ever_named = 1;
  st->requested = 1;
  *respond = changed;
  return verdict;
}

int sotw_subscribed(const struct sotw_state *st) { return st->requested && (st->wildcard || st->n_names > 0); }

int sotw_wants(const struct sotw_state *st, const char *name) {
  if (st->wildcard) return 1;
  return st->n_names && bsearch(&name, st->names, st->n_names, sizeof *st->names, cmp_str) != NULL;
}

int sotw_should_send(const struct sotw_state *st, uint64_t hash, int forced) {
  if (!sotw_subscribed(st)) return 0;
  if (forced) return 1;
  if (st->nonce_sent && hash == st->hash_sent) return 0;
  if (st->nacked && hash == st->hash_nacked) return 0;
  return 1;
}

void sotw_sent(struct sotw_state *st, uint64_t nonce, uint64_t version, uint64_t hash, int64_t push_start_us) {
  st->nonce_sent = nonce;
  st->version_sent = version;
  st->hash_sent = hash;
  st->push_start_us = push_start_us;
  st->replied = 0;
}
