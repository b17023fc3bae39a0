/* Completion-queue dispatch. Every tag handed to gRPC is a struct that starts with a `struct tag`,
 * so the event loop has one place that dispatches: tag->handler(tag, ok). */
#ifndef COMMON_TAG_H
#define COMMON_TAG_H

#include <stdbool.h>

struct tag;
typedef void (*tag_handler)(struct tag *self, bool ok);

struct tag {
  tag_handler handler;
};

#endif
