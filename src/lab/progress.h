/* The live progress line: elapsed time, the current phase and event, the RPC rate and each server's
 * share over the last seconds; redrawn in place about once a second on a terminal, printed as a
 * plain line every few seconds otherwise (logs, CI). */
#ifndef LAB_PROGRESS_H
#define LAB_PROGRESS_H

#include <stddef.h>
#include <stdint.h>

#include "sample.h"
#include "scenario.h"

/* Formats the line for `now_ms` since the clients started, in timeline step `step`, into buf[len].
 * Pure. */
void progress_format(const struct scenario *sc, const struct sample_set *samples, size_t step, int64_t now_ms,
                     int64_t total_ms, char *buf, size_t len);

/* Prints the line when it is due (tty: every second; otherwise every 5 s). */
void progress_tick(const struct scenario *sc, const struct sample_set *samples, size_t step, int64_t now_ms,
                   int64_t total_ms, int tty);

/* Ends the line (a newline after an in-place line). */
void progress_done(int tty);

#endif
