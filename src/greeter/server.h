/* The Greeter server: helloworld.Greeter/SayHello and grpc.health.v1.Health/Check+Watch on gRPC core's
 * completion-queue API, one thread, with a response delay that never blocks other calls. */
#ifndef GREETER_SERVER_H
#define GREETER_SERVER_H

#include <signal.h>
#include <stdint.h>

struct server_config {
  const char *name;                    /* server identifier in replies */
  const char *listen_address;          /* "host:port" */
  int64_t response_delay_ms;           /* 0 = reply at once */
  int64_t max_connection_age_ms;       /* -1 = unset */
  int64_t max_connection_age_grace_ms; /* -1 = unset */
  int64_t shutdown_grace_ms;           /* drain time before in-flight calls are cancelled */
};

/* Serves until *stop becomes non-zero (set from a signal handler), then drains.
 * Returns 0 after a clean shutdown, -1 if the listen address could not be bound. */
int server_run(const struct server_config *cfg, volatile sig_atomic_t *stop);

#endif
