/* Vectors of owned strings. */
#ifndef COMMON_STRV_H
#define COMMON_STRV_H

#include <stddef.h>

/* Sorts v[0..n) (strcmp order) and drops repeats, freeing them; returns the new count. */
size_t strv_sort_unique(char **v, size_t n);

#endif
