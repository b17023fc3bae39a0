/* xdsd: flags -> options -> run (or --check). Bad flags exit 2 naming the flag and the value. */
#include <arpa/inet.h>
#include <getopt.h>
#include <grpc/grpc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "env.h"
#include "log.h"
#include "parse.h"
#include "xdsd.h"

static volatile sig_atomic_t stop_requested, reload_requested;

static void on_signal(int sig) {
  if (sig == SIGHUP)
    reload_requested = 1;
  else
    stop_requested = 1;
}

static void usage(FILE *f) {
  fputs("usage: xdsd [--config PATH] [--listen HOST:PORT] [--admin IP:PORT|off] [--dns-server HOST:PORT]\n"
        "            [--dns-refresh DURATION]\n"
        "       xdsd --check FILE\n"
        "Defaults: --config /config/config.yaml --listen 0.0.0.0:9002 --admin 127.0.0.1:9003\n"
        "          --dns-server (system resolver) --dns-refresh 1s\n"
        "Environment equivalents: XDSD_CONFIG, XDSD_LISTEN, XDSD_ADMIN, XDSD_DNS_SERVER, XDSD_DNS_REFRESH.\n",
        f);
}

static void bad_flag(const char *flag, const char *value, const char *why) {
  fatal(2, "msg=\"invalid flag\" flag=%s value=\"%s\" reason=\"%s\"", flag, value ? value : "", why);
}

int main(int argc, char **argv) {
  log_init("xdsd");
  struct xdsd_options o = {
      .config_path = env_str("XDSD_CONFIG", "/config/config.yaml"),
      .listen = env_str("XDSD_LISTEN", "0.0.0.0:9002"),
      .admin = env_str("XDSD_ADMIN", "127.0.0.1:9003"),
      .dns_server = env_str("XDSD_DNS_SERVER", NULL),
      .dns_refresh_ms = env_duration_ms("XDSD_DNS_REFRESH", 1000),
  };
  const char *check = NULL, *refresh = NULL;
  static const struct option longopts[] = {
      {"config", required_argument, NULL, 'c'},     {"listen", required_argument, NULL, 'l'},
      {"admin", required_argument, NULL, 'a'},      {"dns-server", required_argument, NULL, 'd'},
      {"dns-refresh", required_argument, NULL, 'r'}, {"check", required_argument, NULL, 'k'},
      {"help", no_argument, NULL, 'h'},             {NULL, 0, NULL, 0},
  };
  opterr = 0;
  int ch;
  while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
    switch (ch) {
      case 'c': o.config_path = optarg; break;
      case 'l': o.listen = optarg; break;
      case 'a': o.admin = optarg; break;
      case 'd': o.dns_server = optarg; break;
      case 'r': refresh = optarg; break;
      case 'k': check = optarg; break;
      case 'h': usage(stdout); return 0;
      default:
        usage(stderr);
        bad_flag(optind > 0 && optind <= argc ? argv[optind - 1] : "?", NULL,
                 ch == ':' ? "missing value" : "unknown flag or missing value");
    }
  }
  if (optind < argc) bad_flag(argv[optind], argv[optind], "unexpected argument");
  if (check) return xdsd_check(check, stdout, stderr);

  if (refresh && (parse_duration_ms(refresh, &o.dns_refresh_ms) != 0))
    bad_flag("--dns-refresh", refresh, "not a duration such as 1s or 500ms");
  if (o.dns_refresh_ms < 100) bad_flag("--dns-refresh", refresh ? refresh : "", "must be at least 100ms");
  char host[256];
  uint16_t port;
  if (parse_hostport(o.listen, host, sizeof host, &port) != 0) bad_flag("--listen", o.listen, "use HOST:PORT");
  if (strcmp(o.admin, "off") == 0 || o.admin[0] == '\0')
    o.admin = NULL;
  else if (parse_hostport(o.admin, host, sizeof host, &port) != 0)
    bad_flag("--admin", o.admin, "use IPV4:PORT or off");
  if (o.dns_server) {
    /* c-ares takes server addresses, not names. */
    unsigned char addr[16];
    if (parse_hostport(o.dns_server, host, sizeof host, &port) != 0 ||
        (inet_pton(AF_INET, host, addr) != 1 && inet_pton(AF_INET6, host, addr) != 1))
      bad_flag("--dns-server", o.dns_server, "use IP:PORT (an IPv6 address in brackets)");
  }
  if (o.config_path[0] == '\0') bad_flag("--config", o.config_path, "empty path");

  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGHUP, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);

  grpc_init();
  int rc = xdsd_run(&o, &stop_requested, &reload_requested);
  grpc_shutdown();
  return rc;
}
