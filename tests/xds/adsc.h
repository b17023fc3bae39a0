/* A small synchronous ADS client on gRPC core for tests: open a stream, send DiscoveryRequests,
 * wait for DiscoveryResponses with a deadline. One outstanding receive is kept across timeouts. */
#ifndef XDS_TEST_ADSC_H
#define XDS_TEST_ADSC_H

#include <grpc/grpc.h>
#include <stddef.h>

#include "envoy/service/discovery/v3/discovery.pb-c.h"

typedef Envoy__Service__Discovery__V3__DiscoveryResponse adsc_response;

#define ADSC_SOTW "/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources"
#define ADSC_DELTA "/envoy.service.discovery.v3.AggregatedDiscoveryService/DeltaAggregatedResources"

struct adsc;

/* Opens a stream to `addr` on `method` (ADSC_SOTW). The node is sent on the first request only
 * (as gRPC clients do), or on every request when `node_every_time` (as Envoy does). */
struct adsc *adsc_open(const char *addr, const char *method, const char *node_id, const char *user_agent,
                       int node_every_time);
/* Sends a request; `error` non-NULL adds error_detail (a NACK). Returns 0, -1 on failure. */
int adsc_send(struct adsc *c, const char *type_url, const char *const *names, size_t n, const char *version,
              const char *nonce, const char *error);
/* The next response within `ms`, or NULL (timeout or end of stream). Free with adsc_free_response. */
adsc_response *adsc_recv(struct adsc *c, int ms);
void adsc_free_response(adsc_response *r);
/* Waits up to `ms` for the call's status; returns it, or -1 on timeout. */
int adsc_status(struct adsc *c, int ms);
/* Cancels the call and frees everything. */
void adsc_close(struct adsc *c);

#endif
