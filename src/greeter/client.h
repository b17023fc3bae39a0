/* The Greeter client: rounds of CONCURRENCY concurrent SayHello calls on one channel (or, with
 * channel_per_rpc, each call on a channel of its own, destroyed when the call completes), each reply
 * printed as the demo prints it, and a share summary every interval and at exit. A round in which
 * every call failed is followed by a pause (backoff.h); error lines are rate-limited, the summary
 * counts every failure. */
#ifndef GREETER_CLIENT_H
#define GREETER_CLIENT_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "metadata.h"

struct client_config {
  const char *target;                    /* any gRPC target */
  const char *name;                      /* client identifier: requests are "<name>_<counter>" */
  const char *lb_policy;                 /* "round_robin" or "pick_first" */
  uint64_t concurrency;                  /* calls per round */
  uint64_t rounds;                       /* 0 = until stopped */
  int64_t rpc_timeout_ms;                /* per-call deadline */
  int64_t summary_interval_ms;           /* 0 = only at exit */
  int64_t dns_min_interval_ms;           /* -1 = gRPC's default (30 s) */
  int print_replies;                     /* 0: only summaries and errors */
  int wait_for_ready;                    /* calls wait for a ready backend instead of failing fast */
  int health_check;                      /* client-side health checking (grpc.health.v1 Watch) */
  int64_t keepalive_time_ms;             /* HTTP/2 PING period on each connection; 0 = off */
  int64_t keepalive_timeout_ms;          /* a PING unanswered this long closes the connection */
  int channel_per_rpc;                   /* 1: every call opens a channel of its own (its own connection to a
                                            single-address target such as a ClusterIP), destroyed after it */
  const struct metadata_entry *metadata; /* METADATA: sent with every call */
  size_t n_metadata;
  volatile sig_atomic_t *dump; /* set (SIGUSR1): print the xDS config dump after the round (xdsdump.h) */
};

/* Runs rounds until cfg->rounds are done or *stop is set. Returns the number of failed RPCs. (gRPC
 * creates a channel for any target: a target that cannot work fails its calls, which are counted; -1
 * is returned only if gRPC returned no channel at the start; with channel_per_rpc, a call's channel
 * that gRPC does not create is a fatal error, exit 1.) The summary at exit counts the channels
 * opened (channels=N). */
int64_t client_run(const struct client_config *cfg, volatile sig_atomic_t *stop);

#endif
