#include "strv.h"

#include <stdlib.h>
#include <string.h>

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

size_t strv_sort_unique(char **v, size_t n) {
  if (n == 0) return 0;
  qsort(v, n, sizeof *v, cmp_str);
  size_t u = 0;
  for (size_t i = 0; i < n; i++) {
    if (u && strcmp(v[u - 1], v[i]) == 0)
      free(v[i]);
    else
      v[u++] = v[i];
  }
  return u;
}
