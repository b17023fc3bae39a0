#include "tag.h"

void tag_drain_cq(grpc_completion_queue *cq, int dispatch) {
  grpc_completion_queue_shutdown(cq);
  for (;;) {
    grpc_event ev = grpc_completion_queue_next(cq, gpr_inf_future(GPR_CLOCK_MONOTONIC), NULL);
    if (ev.type == GRPC_QUEUE_SHUTDOWN) break;
    if (dispatch && ev.type == GRPC_OP_COMPLETE) ((struct tag *)ev.tag)->handler(ev.tag, ev.success);
  }
}
