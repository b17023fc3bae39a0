/* The ADS server: StreamAggregatedResources (state of the world) on gRPC core's server API, one
 * struct per stream with the per-type sotw state, a send queue with at most one SEND_MESSAGE in
 * flight per call, and pushes ordered CDS, EDS, LDS, RDS. DeltaAggregatedResources and any other
 * method answer UNIMPLEMENTED. Every completion-queue tag is a `struct tag` (tag.h); the owner of
 * the completion queue dispatches them. Single-threaded: call everything from the cq thread. */
#ifndef XDS_ADS_H
#define XDS_ADS_H

#include <grpc/grpc.h>
#include <stdint.h>
#include <stdio.h>

#include "snapshot.h"

struct ads;

/* Creates the server on `cq` listening on `addr` ("host:port") and starts accepting.
 * Returns 0, -1 when the address cannot be bound. */
int ads_start(const char *addr, grpc_completion_queue *cq, struct ads **out);

/* Records every request it decodes: appended to DIR/stream-ID.bin (created with a 0 flags byte), each
 * as a 2-byte little-endian length and the request packed again (longer ones are left out). The
 * discovery fuzzer's seed format (tests/fuzz/fuzz_discovery.c); for corpora of real clients' streams.
 * `dir` must outlive the server. */
void ads_record_requests(struct ads *a, const char *dir);

/* Swaps in `snap` (ownership passes to ads; the old one is freed) and pushes to every stream whose
 * subscribed content changed. `snap->version` must already be set by the caller. */
void ads_set_snapshot(struct ads *a, struct snapshot *snap);

/* The waits of the phases of snapshot_plan (snapshot.h), over every open stream.
 * ads_clusters_warm: the current CDS and EDS content was sent and answered, and every Cluster a stream
 * holds has its ClusterLoadAssignment subscribed (clients ask for it once they have the Cluster).
 * ads_removal_settled: the current LDS and RDS content was sent and answered, and no stream that names
 * its subscriptions (gRPC clients) still subscribes to a Cluster or assignment that `next` drops. */
int ads_clusters_warm(const struct ads *a);
int ads_removal_settled(const struct ads *a, const struct snapshot *next);

/* The snapshot being served (owned by ads), or NULL before the first. */
const struct snapshot *ads_snapshot(const struct ads *a);

/* Writes the "nodes" JSON array: one object per connected stream, the first 1,000 streams only, each
 * with at most 20 subscribed names per type (and their count) and texts cut to 256 bytes. Returns how
 * many streams it listed. */
size_t ads_status_json(struct ads *a, FILE *out);
/* Writes the stream, push, ACK, NACK and push-latency metrics in Prometheus text format. */
void ads_metrics_text(struct ads *a, FILE *out);
/* Housekeeping for the loop's ticks: says how many client-caused log lines were left out in a second
 * that is over. */
void ads_tick(struct ads *a, int64_t now_ms);
/* Number of open streams. */
size_t ads_streams(const struct ads *a);

/* Starts a shutdown: no new streams, every open stream cancelled. Then keep dispatching the cq until
 * ads_done() is true (or a deadline), shut the cq down and drain it, still dispatching, and call
 * ads_free, which frees whatever streams are left. */
void ads_shutdown(struct ads *a);
int ads_done(const struct ads *a);
/* Says the completion queue is about to shut down: from now on no batch is started (completions still
 * run, and free their streams). */
void ads_cq_closing(struct ads *a);
void ads_free(struct ads *a);

#endif
