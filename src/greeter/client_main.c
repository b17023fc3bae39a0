/* greeter-client: environment -> config -> rounds -> summary. Exit 0 when every RPC succeeded,
 * 1 otherwise, 2 on bad input. */
#include <grpc/grpc.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>

#include "client.h"
#include "config.h"
#include "env.h"
#include "sig.h"
#include "log.h"
#include "target.h"

static volatile sig_atomic_t stop_requested, dump_requested;

static void on_signal(int sig) {
  if (sig == SIGUSR1)
    dump_requested = 1;
  else
    stop_requested = 1;
}

int main(int argc, char **argv) {
  (void)argc;
  log_init(argv[0]);
  static const char *const vars[] = {"SERVER_ADDRESS",
                                     "NAME",
                                     "LB_POLICY",
                                     "CONCURRENCY",
                                     "ROUNDS",
                                     "RPC_TIMEOUT",
                                     "SUMMARY_INTERVAL",
                                     "DNS_MIN_RESOLUTION_INTERVAL",
                                     "PRINT_REPLIES",
                                     "WAIT_FOR_READY",
                                     "HEALTH_CHECK",
                                     "KEEPALIVE_TIME",
                                     "KEEPALIVE_TIMEOUT",
                                     "CHANNEL_PER_RPC",
                                     "METADATA",
                                     "LOG_LEVEL",
                                     NULL};
  config_refuse_empty(vars);
  static const char *const policies[] = {"round_robin", "pick_first", NULL};
  static const char *const bools[] = {"0", "1", "false", "true", NULL};
  struct client_config cfg = {
      .target = env_str("SERVER_ADDRESS", "dns:///server:50051"),
      .name = config_name(),
      .lb_policy = policies[env_choice("LB_POLICY", "round_robin", policies)],
      .concurrency = env_uint("CONCURRENCY", 10, 1, 10000),
      .rounds = env_uint("ROUNDS", 0, 0, UINT64_MAX),
      .rpc_timeout_ms = env_duration_ms("RPC_TIMEOUT", 60000),
      .summary_interval_ms = env_duration_ms("SUMMARY_INTERVAL", 10000),
      .dns_min_interval_ms = env_duration_ms_in("DNS_MIN_RESOLUTION_INTERVAL", -1, 0, INT32_MAX),
      .print_replies = env_choice("PRINT_REPLIES", "1", bools) % 2,
      .wait_for_ready = env_choice("WAIT_FOR_READY", "1", bools) % 2,
      .health_check = env_choice("HEALTH_CHECK", "1", bools) % 2,
      /* gRPC takes these as int milliseconds. Our server accepts a PING every 500 ms at most. */
      .keepalive_time_ms = env_duration_ms_in("KEEPALIVE_TIME", 1000, 0, INT32_MAX),
      .keepalive_timeout_ms = env_duration_ms_in("KEEPALIVE_TIMEOUT", 1000, 1, INT32_MAX),
      /* 1: a new channel (connection) per RPC, so that a ClusterIP's per-connection balancing
       * spreads the RPCs (the seed's "recreate connections on each RPC"). */
      .channel_per_rpc = env_choice("CHANNEL_PER_RPC", "0", bools) % 2,
  };
  if (cfg.keepalive_time_ms > 0 && cfg.keepalive_time_ms < 1000)
    fatal(2, "msg=\"duration out of range\" var=KEEPALIVE_TIME value=\"%s\" reason=\"0 (off) or at least 1s\"",
          env_str("KEEPALIVE_TIME", ""));
  char why[256];
  if (target_validate(cfg.target, why, sizeof why) != 0)
    fatal(2, "msg=\"invalid address\" var=SERVER_ADDRESS value=\"%s\" reason=\"%s\"", cfg.target, why);
  if (cfg.rpc_timeout_ms == 0) fatal(2, "msg=\"invalid duration\" var=RPC_TIMEOUT value=\"0\" reason=\"must be > 0\"");
  static struct metadata_entry md[METADATA_MAX];
  const char *mds = env_str("METADATA", NULL);
  if (mds) {
    int n = metadata_parse(mds, md, METADATA_MAX, why, sizeof why);
    if (n < 0) fatal(2, "msg=\"invalid metadata\" var=METADATA value=\"%s\" reason=\"%s\"", mds, why);
    cfg.metadata = md;
    cfg.n_metadata = (size_t)n;
  }

  cfg.dump = &dump_requested;
  static const int sigs[] = {SIGTERM, SIGINT, SIGUSR1, 0};
  sig_setup(on_signal, sigs, 0);

  grpc_init();
  int64_t failed = client_run(&cfg, &stop_requested);
  grpc_shutdown();
  return failed == 0 ? 0 : 1;
}
