/* The listing `xdsd --check` prints (the one module of the config path that writes to a FILE). */
#ifndef XDS_LISTING_H
#define XDS_LISTING_H

#include <stdio.h>

#include "config.h"
#include "snapshot.h"

/* Prints every listener, route, cluster and endpoint of `cfg` and the tables of `s` built from it. */
void listing_print(const struct snapshot *s, const struct config *cfg, FILE *out);

#endif
