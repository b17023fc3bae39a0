#include "prom.h"

void prom_header(FILE *f, const char *name, const char *type, const char *help) {
  fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

void prom_metric(FILE *f, const char *name, const char *type, const char *help, unsigned long long v) {
  prom_header(f, name, type, help);
  fprintf(f, "%s %llu\n", name, v);
}

void prom_sample(FILE *f, const char *name, const char *label, const char *value, unsigned long long v) {
  fprintf(f, "%s{%s=\"%s\"} %llu\n", name, label, value, v);
}
