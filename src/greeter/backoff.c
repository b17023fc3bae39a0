#include "backoff.h"

void backoff_init(struct backoff *b, int64_t min_ms, int64_t max_ms) {
  b->min_ms = min_ms;
  b->max_ms = max_ms;
  b->next_ms = min_ms;
}

int64_t backoff_after_round(struct backoff *b, int any_ok) {
  if (any_ok) {
    b->next_ms = b->min_ms;
    return 0;
  }
  int64_t pause = b->next_ms;
  b->next_ms = pause > b->max_ms / 2 ? b->max_ms : pause * 2;
  return pause;
}
