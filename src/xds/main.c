/* xdsd: flags -> options -> run (or --check). Bad flags exit 2 naming the flag and the value. */
#include <arpa/inet.h>
#include <getopt.h>
#include <sys/stat.h>
#include <unistd.h>
#include <grpc/grpc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "sig.h"
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
  fputs(
      "usage: xdsd [--config PATH] [--listen HOST:PORT] [--admin IP:PORT|off] [--dns-server HOST:PORT]\n"
      "            [--dns-refresh DURATION] [--record-requests DIR]\n"
      "       xdsd --check FILE\n"
      "Defaults: --config /config/config.yaml --listen 0.0.0.0:9002 --admin 127.0.0.1:9003\n"
      "          --dns-server (system resolver) --dns-refresh 1s\n"
      "--record-requests DIR: every DiscoveryRequest received, per stream, in DIR/stream-N.bin (for\n"
      "          debugging a client and for fuzz corpora; tests/fuzz/README.md)\n"
      "Environment equivalents: XDSD_CONFIG, XDSD_LISTEN, XDSD_ADMIN, XDSD_DNS_SERVER, XDSD_DNS_REFRESH,\n"
      "          XDSD_RECORD_REQUESTS.\n",
      f);
}

static void bad_flag(const char *flag, const char *value, const char *why) {
  fatal(2, "msg=\"invalid flag\" flag=%s value=\"%s\" reason=\"%s\"", flag, value ? value : "", why);
}

/* A setting and where it came from: the flag when given, else its variable, else the default. */
struct setting {
  const char *flag, *var, *value;
  int from_env;
};

static void setting_init(struct setting *st, const char *flag, const char *var, const char *def) {
  const char *e = getenv(var);
  st->flag = flag;
  st->var = var;
  st->from_env = e != NULL;
  st->value = e ? e : def;
}

static void setting_flag(struct setting *st, const char *value) {
  st->value = value;
  st->from_env = 0;
}

/* Exits 2 naming the flag or the variable that gave the value. */
static void bad(const struct setting *st, const char *why) {
  if (st->from_env)
    fatal(2, "msg=\"invalid environment variable\" variable=%s value=\"%s\" reason=\"%s\"", st->var,
          st->value ? st->value : "", why);
  bad_flag(st->flag, st->value, why);
}

/* HOST:PORT where gRPC can listen: an IPv4 address, [IPv6], or a host name; the host is not empty. */
static int listen_ok(const char *v) {
  char host[256];
  uint16_t port;
  unsigned char addr[16];
  if (parse_hostport(v, host, sizeof host, &port) != 0 || !host[0]) return 0;
  if (v[0] == '[') return inet_pton(AF_INET6, host, addr) == 1;
  return inet_pton(AF_INET, host, addr) == 1 || config_is_hostname(host);
}

/* IPV4:PORT, what the admin endpoint (libmicrohttpd, IPv4) binds. */
static int admin_ok(const char *v) {
  char host[64];
  uint16_t port;
  unsigned char addr[4];
  return v[0] != '[' && parse_hostport(v, host, sizeof host, &port) == 0 && inet_pton(AF_INET, host, addr) == 1;
}

int main(int argc, char **argv) {
  log_init("xdsd");
  struct setting cfg, listen, admin, dns, refresh;
  setting_init(&cfg, "--config", "XDSD_CONFIG", "/config/config.yaml");
  setting_init(&listen, "--listen", "XDSD_LISTEN", "0.0.0.0:9002");
  setting_init(&admin, "--admin", "XDSD_ADMIN", "127.0.0.1:9003");
  setting_init(&dns, "--dns-server", "XDSD_DNS_SERVER", NULL);
  setting_init(&refresh, "--dns-refresh", "XDSD_DNS_REFRESH", "1s");
  struct setting record;
  setting_init(&record, "--record-requests", "XDSD_RECORD_REQUESTS", NULL);
  const char *check = NULL;
  static const struct option longopts[] = {
      {"config", required_argument, NULL, 'c'},
      {"listen", required_argument, NULL, 'l'},
      {"admin", required_argument, NULL, 'a'},
      {"dns-server", required_argument, NULL, 'd'},
      {"dns-refresh", required_argument, NULL, 'r'},
      {"check", required_argument, NULL, 'k'},
      {"record-requests", required_argument, NULL, 'R'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0},
  };
  opterr = 0;
  int ch;
  while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
    switch (ch) {
      case 'c':
        setting_flag(&cfg, optarg);
        break;
      case 'l':
        setting_flag(&listen, optarg);
        break;
      case 'a':
        setting_flag(&admin, optarg);
        break;
      case 'd':
        setting_flag(&dns, optarg);
        break;
      case 'r':
        setting_flag(&refresh, optarg);
        break;
      case 'k':
        check = optarg;
        break;
      case 'R':
        setting_flag(&record, optarg);
        break;
      case 'h':
        usage(stdout);
        return 0;
      default:
        usage(stderr);
        bad_flag(optind > 0 && optind <= argc ? argv[optind - 1] : "?", NULL,
                 ch == ':' ? "missing value" : "unknown flag or missing value");
    }
  }
  if (optind < argc) bad_flag(argv[optind], argv[optind], "unexpected argument");
  if (check) return xdsd_check(check, stdout, stderr);

  /* Every value is checked here, before gRPC or the admin server would fail on it with a raw error.
   * An empty value is an error, never "the default" or "off". */
  struct xdsd_options o = {
      .config_path = cfg.value, .listen = listen.value, .admin = admin.value, .dns_server = dns.value};
  if (parse_duration_ms(refresh.value, &o.dns_refresh_ms) != 0) bad(&refresh, "not a duration such as 1s or 500ms");
  if (o.dns_refresh_ms < 100) bad(&refresh, "must be at least 100ms");
  if (!listen_ok(o.listen)) bad(&listen, "use IPV4:PORT, [IPV6]:PORT or HOSTNAME:PORT");
  if (strcmp(o.admin, "off") == 0)
    o.admin = NULL;
  else if (!admin_ok(o.admin))
    bad(&admin, "use IPV4:PORT, or off");
  if (o.dns_server) {
    /* c-ares takes server addresses, not names. */
    char host[256];
    uint16_t port;
    unsigned char addr[16];
    if (parse_hostport(o.dns_server, host, sizeof host, &port) != 0 ||
        (o.dns_server[0] == '[' ? inet_pton(AF_INET6, host, addr) != 1 : inet_pton(AF_INET, host, addr) != 1))
      bad(&dns, "use IP:PORT (an IPv6 address in brackets)");
  }
  if (o.config_path[0] == '\0') bad(&cfg, "empty path");
  if (record.value) {
    struct stat st;
    if (stat(record.value, &st) != 0 || !S_ISDIR(st.st_mode) || access(record.value, W_OK) != 0)
      bad(&record, "not a writable folder");
    o.record_dir = record.value;
  }

  static const int sigs[] = {SIGTERM, SIGINT, SIGHUP, 0};
  sig_setup(on_signal, sigs, 1);

  grpc_init();
  int rc = xdsd_run(&o, &stop_requested, &reload_requested);
  grpc_shutdown();
  return rc;
}
