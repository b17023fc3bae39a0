/* The Prometheus text format's pieces, as /metrics writes them. */
#ifndef XDS_PROM_H
#define XDS_PROM_H

#include <stdio.h>

/* The HELP and TYPE lines of a metric whose samples (with labels) the caller writes. */
void prom_header(FILE *f, const char *name, const char *type, const char *help);

/* One sample with one label: NAME{LABEL="VALUE"} V. */
void prom_sample(FILE *f, const char *name, const char *label, const char *value, unsigned long long v);

/* A metric with one sample and no labels. */
void prom_metric(FILE *f, const char *name, const char *type, const char *help, unsigned long long v);

#endif
