/* Validation of gRPC target strings, so that a typo in SERVER_ADDRESS exits 2 at start instead of
 * retrying forever. Pure: no I/O. Accepted forms:
 *   host:port                  dns:///host:port         dns://DNSHOST:PORT/host:port
 *   ipv4:a.b.c.d:p[,...]       ipv6:[::1]:p[,...]       xds:///name (name non-empty, no trailing '/')
 *   unix:/path                 unix:///path */
#ifndef GREETER_TARGET_H
#define GREETER_TARGET_H

#include <stddef.h>

/* Returns 0 when `target` is well formed; otherwise -1 with a reason in why[whylen]. */
int target_validate(const char *target, char *why, size_t whylen);

/* Validates a server's listen address "HOST:PORT": HOST is an IPv4 literal, "[IPv6]" or a host
 * name, never empty; digits and dots must make a valid IPv4 address. Returns 0, or -1 with a reason. */
int target_validate_listen(const char *address, char *why, size_t whylen);

#endif
