/* What greeter-client accepted from its xDS control plane, on demand (SIGUSR1): gRPC C-core's own
 * config dump (grpc_dump_xds_configs, a serialized envoy.service.status.v3.ClientConfig) printed one
 * line per resource: type, name, version, ACKED / NACKED / REQUESTED / DOES_NOT_EXIST, and for a
 * rejected update its version and the client's reason. */
#ifndef GREETER_XDSDUMP_H
#define GREETER_XDSDUMP_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Prints the dump to `out` ("xds-config ..." lines, then "xds-config resources=N"). Without an xDS
 * channel the dump is empty (resources=0). */
void xdsdump_print(FILE *out);

/* The same lines for `len` bytes of a serialized ClientConfig (pure: xdsdump_print hands it C-core's). */
void xdsdump_format(const uint8_t *buf, size_t len, FILE *out);

#endif
