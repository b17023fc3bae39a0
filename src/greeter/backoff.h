/* The client's pause between failing rounds, so that a client with no backend (WAIT_FOR_READY=0:
 * every call fails at once) does not spin. Pure: no I/O, no clock. */
#ifndef GREETER_BACKOFF_H
#define GREETER_BACKOFF_H

#include <stdint.h>

#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 1000

struct backoff {
  int64_t min_ms, max_ms;
  int64_t next_ms; /* the pause after the next failing round */
};

void backoff_init(struct backoff *b, int64_t min_ms, int64_t max_ms);

/* Called after each round with whether any call of it succeeded; returns the pause before the next
 * round: 0 after a round with a success (and the delay starts again at min_ms), otherwise min_ms,
 * then twice the previous pause, up to max_ms. */
int64_t backoff_after_round(struct backoff *b, int any_ok);

#endif
