/* The client's share summary: replies per server over a window, with latency percentiles.
 * Pure: no I/O; the caller prints what summary_format writes.
 *
 * The line (documented in the README), after the "YYYY/MM/DD HH:MM:SS " prefix:
 *   summary window_ms=W ok=N failed=F p50_us=A p99_us=B servers=K NAME=COUNT/PCT% ...
 * NAME is the server name from the reply ("<NAME>: Hello ..."), with spaces and '=' replaced by '_'
 * and control characters by '?' (a peer's name never starts a new line);
 * servers are listed by name; PCT has one decimal and is COUNT/ok. The summary printed at exit
 * covers the time since the previous one and adds the channels the client opened over the run (1, or
 * one per RPC with CHANNEL_PER_RPC=1) and the run's totals before "servers=":
 *   ... p99_us=B channels=C total_ok=T total_failed=U final=1 servers=K ...
 * (the window lines carry no channel count: with CHANNEL_PER_RPC=1 a window's channels are its
 * ok + failed, since every call of a round completes within the round, and otherwise none) */
#ifndef GREETER_SUMMARY_H
#define GREETER_SUMMARY_H

#include <stddef.h>
#include <stdint.h>

#define SUMMARY_MAX_SERVERS 64
#define SUMMARY_MAX_LATENCIES 65536 /* latency samples kept per window; later ones are dropped */

struct summary_server {
  char name[64];
  uint64_t count;
};

struct summary {
  struct summary_server servers[SUMMARY_MAX_SERVERS];
  size_t n_servers;
  uint64_t other; /* replies from servers beyond SUMMARY_MAX_SERVERS */
  uint64_t ok, failed;
  uint32_t *lat_us; /* owned; up to SUMMARY_MAX_LATENCIES samples */
  size_t n_lat;
};

/* Returns 0, or -1 when the latency buffer cannot be allocated. */
int summary_init(struct summary *s);
void summary_free(struct summary *s);
/* Starts a new window (keeps the buffer). */
void summary_reset(struct summary *s);

/* The server name in a reply message "<NAME>: Hello <...>": copies it into out[outlen] as
 * text_printable does (control characters and invalid UTF-8 become '?', cut at a character
 * boundary), with spaces and '=' replaced by '_'. Returns 0, or -1 when the message has no
 * "<NAME>: " prefix. */
int summary_server_of(const char *message, char *out, size_t outlen);

/* Counts one successful reply. */
void summary_add_reply(struct summary *s, const char *message, uint32_t latency_us);
void summary_add_failure(struct summary *s);
/* The whole run's counts, for the summary printed at exit. */
struct summary_totals {
  uint64_t ok, failed;
  uint64_t channels; /* channels opened over the run */
};

/* The q-quantile (0..1) of the window's latencies in microseconds (sorts the samples); 0 if none. */
uint32_t summary_latency_quantile(struct summary *s, double q);

/* Writes the summary line (without time prefix or newline); `totals` is NULL except for the line at
 * exit. Returns the length snprintf would write. */
int summary_format(struct summary *s, int64_t window_ms, const struct summary_totals *totals, char *buf, size_t len);

#endif
