/* Completion-queue dispatch. Every tag handed to gRPC is a struct that starts with a `struct tag`,
 * so the event loop has one place that dispatches: tag->handler(tag, ok). */
#ifndef COMMON_TAG_H
#define COMMON_TAG_H

#include <grpc/grpc.h>
#include <stdbool.h>

struct tag;
typedef void (*tag_handler)(struct tag *self, bool ok);

struct tag {
  tag_handler handler;
};

/* The end of a completion queue: shuts it down and takes every event still in it (when `dispatch`, each
 * completed tag's handler runs, so that a call's last batch frees it). Destroy it afterwards (after
 * the server registered with it, if any). Waits for every batch still in flight to complete. */
void tag_drain_cq(grpc_completion_queue *cq, int dispatch);

#endif
