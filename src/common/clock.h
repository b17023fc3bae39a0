/* Time helpers: a monotonic clock for intervals, and gRPC deadlines from it. */
#ifndef COMMON_CLOCK_H
#define COMMON_CLOCK_H

#include <grpc/support/time.h>
#include <stddef.h>
#include <stdint.h>

/* Milliseconds on the monotonic clock (CLOCK_MONOTONIC); only differences are meaningful. */
int64_t clock_now_ms(void);
/* Microseconds on the monotonic clock, for latency figures. */
int64_t clock_now_us(void);
/* A gRPC deadline `ms` from now (a negative value means "infinite"). */
gpr_timespec clock_deadline_in_ms(int64_t ms);
/* Formats the local wall-clock time as the demo prints it: "YYYY/MM/DD HH:MM:SS". */
void clock_format_wall(char *buf, size_t len);

#endif
