/* METADATA, the headers greeter-client sends with every call ("x-preview=true,team=a"): what a route
 * of xdsd (or Envoy) matches on for header-based routing. Pure: parsing and checking only. */
#ifndef GREETER_METADATA_H
#define GREETER_METADATA_H

#include <stddef.h>

#define METADATA_MAX 32

struct metadata_entry {
  char key[128];
  char value[512];
};

/* Parses "KEY=VALUE[,KEY=VALUE...]". Keys: lower case letters, digits, '-', '_', '.', not gRPC's own
 * (grpc-*, content-type, te, user-agent, host, :pseudo) and not binary (*-bin); each once. Values:
 * printable ASCII without ',' (the separator), not empty. Returns the number of entries, or -1 with
 * why[whylen] saying what is wrong. */
int metadata_parse(const char *s, struct metadata_entry *out, size_t max, char *why, size_t whylen);

#endif
