/* greeter-server: environment -> config -> serve -> drain. */
#include <grpc/grpc.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>

#include "config.h"
#include "env.h"
#include "sig.h"
#include "log.h"
#include "server.h"
#include "target.h"

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig) {
  (void)sig;
  stop_requested = 1;
}

int main(int argc, char **argv) {
  (void)argc;
  log_init(argv[0]);
  static const char *const vars[] = {"NAME",
                                     "LISTEN_ADDRESS",
                                     "RESPONSE_DELAY",
                                     "MAX_CONNECTION_AGE",
                                     "MAX_CONNECTION_AGE_GRACE",
                                     "SHUTDOWN_GRACE",
                                     "LOG_LEVEL",
                                     NULL};
  config_refuse_empty(vars);
  struct server_config cfg = {
      .name = config_name(),
      .listen_address = env_str("LISTEN_ADDRESS", "0.0.0.0:50051"),
      .response_delay_ms = env_duration_ms("RESPONSE_DELAY", 1000),
      /* gRPC takes these as int milliseconds; an age of 0 would close every connection at once. */
      .max_connection_age_ms = env_duration_ms_in("MAX_CONNECTION_AGE", -1, 1, INT32_MAX),
      .max_connection_age_grace_ms = env_duration_ms_in("MAX_CONNECTION_AGE_GRACE", -1, 0, INT32_MAX),
      .shutdown_grace_ms = env_duration_ms("SHUTDOWN_GRACE", 10000),
  };
  /* Validate the address ourselves, so a typo exits 2 rather than failing later to bind. */
  char why[128];
  if (target_validate_listen(cfg.listen_address, why, sizeof why) != 0)
    fatal(2, "msg=\"invalid address\" var=LISTEN_ADDRESS value=\"%s\" reason=\"%s\" hint=\"use host:port\"",
          cfg.listen_address, why);

  static const int sigs[] = {SIGTERM, SIGINT, 0};
  sig_setup(on_signal, sigs, 0);

  grpc_init();
  int rc = server_run(&cfg, &stop_requested);
  grpc_shutdown();
  return rc == 0 ? 0 : 1;
}
