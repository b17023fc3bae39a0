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
      "            [--kubernetes] [--kubeconfig FILE] [--namespaces A,B] [--kube-watch-timeout DURATION]\n"
      "            [--kube-idle-timeout DURATION]\n"
      "       xdsd --check FILE\n"
      "Defaults: --config /config/config.yaml (with --kubernetes: no file unless given) --listen 0.0.0.0:9002\n"
      "          --admin 127.0.0.1:9003 --dns-server (system resolver) --dns-refresh 1s\n"
      "          --namespaces (all) --kube-watch-timeout 5m --kube-idle-timeout (watch timeout + 30s)\n"
      "--kubernetes: serve every Service port as NAME.NAMESPACE:PORT from the API server (the pod's service\n"
      "          account); --kubeconfig FILE implies it and connects as FILE's current context says\n"
      "--record-requests DIR: every DiscoveryRequest received, per stream, in DIR/stream-N.bin (for\n"
      "          debugging a client and for fuzz corpora; tests/fuzz/README.md)\n"
      "Environment equivalents: XDSD_CONFIG, XDSD_LISTEN, XDSD_ADMIN, XDSD_DNS_SERVER, XDSD_DNS_REFRESH,\n"
      "          XDSD_RECORD_REQUESTS, XDSD_KUBERNETES (1 or 0), XDSD_KUBECONFIG, XDSD_NAMESPACES,\n"
      "          XDSD_KUBE_WATCH_TIMEOUT, XDSD_KUBE_IDLE_TIMEOUT.\n",
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

/* A comma-separated list of namespaces (DNS labels), none empty, none twice. Returns how many, or
 * -1 (with *why set). The strings point into `buf` (a copy the caller keeps). */
static int split_namespaces(char *buf, const char **out, size_t max, const char **why) {
  size_t n = 0;
  for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
    char probe[160];
    snprintf(probe, sizeof probe, "x.%s:1", tok); /* a namespace is what a service reference's middle is */
    if (strlen(tok) > 63 || config_service_problem(probe)) {
      *why = "each namespace must be a DNS label (a-z, 0-9, '-', 1-63)";
      return -1;
    }
    for (size_t i = 0; i < n; i++)
      if (strcmp(out[i], tok) == 0) {
        *why = "a namespace is named twice";
        return -1;
      }
    if (n == max) {
      *why = "too many namespaces";
      return -1;
    }
    out[n++] = tok;
  }
  if (n == 0) *why = "empty list";
  return n ? (int)n : -1;
}

int main(int argc, char **argv) {
  log_init("xdsd");
  struct setting cfg, listen, admin, dns, refresh;
  setting_init(&cfg, "--config", "XDSD_CONFIG", "/config/config.yaml");
  setting_init(&listen, "--listen", "XDSD_LISTEN", "0.0.0.0:9002");
  setting_init(&admin, "--admin", "XDSD_ADMIN", "127.0.0.1:9003");
  setting_init(&dns, "--dns-server", "XDSD_DNS_SERVER", NULL);
  setting_init(&refresh, "--dns-refresh", "XDSD_DNS_REFRESH", "1s");
  struct setting record, kube, kubeconfig, namespaces, wtimeout, idle;
  setting_init(&record, "--record-requests", "XDSD_RECORD_REQUESTS", NULL);
  setting_init(&kube, "--kubernetes", "XDSD_KUBERNETES", "0");
  setting_init(&kubeconfig, "--kubeconfig", "XDSD_KUBECONFIG", NULL);
  setting_init(&namespaces, "--namespaces", "XDSD_NAMESPACES", NULL);
  setting_init(&wtimeout, "--kube-watch-timeout", "XDSD_KUBE_WATCH_TIMEOUT", "5m");
  setting_init(&idle, "--kube-idle-timeout", "XDSD_KUBE_IDLE_TIMEOUT", NULL);
  int config_given = cfg.from_env;
  const char *check = NULL;
  static const struct option longopts[] = {
      {"config", required_argument, NULL, 'c'},
      {"listen", required_argument, NULL, 'l'},
      {"admin", required_argument, NULL, 'a'},
      {"dns-server", required_argument, NULL, 'd'},
      {"dns-refresh", required_argument, NULL, 'r'},
      {"check", required_argument, NULL, 'k'},
      {"record-requests", required_argument, NULL, 'R'},
      {"kubernetes", no_argument, NULL, 'K'},
      {"kubeconfig", required_argument, NULL, 'C'},
      {"namespaces", required_argument, NULL, 'N'},
      {"kube-watch-timeout", required_argument, NULL, 'W'},
      {"kube-idle-timeout", required_argument, NULL, 'I'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0},
  };
  opterr = 0;
  int ch;
  while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
    switch (ch) {
      case 'c':
        setting_flag(&cfg, optarg);
        config_given = 1;
        break;
      case 'K':
        setting_flag(&kube, "1");
        break;
      case 'C':
        setting_flag(&kubeconfig, optarg);
        break;
      case 'N':
        setting_flag(&namespaces, optarg);
        break;
      case 'W':
        setting_flag(&wtimeout, optarg);
        break;
      case 'I':
        setting_flag(&idle, optarg);
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
  if (strcmp(kube.value, "1") != 0 && strcmp(kube.value, "0") != 0) bad(&kube, "use 1 or 0");
  o.kubernetes = strcmp(kube.value, "1") == 0 || kubeconfig.value != NULL;
  if (kubeconfig.value && !kubeconfig.value[0]) bad(&kubeconfig, "empty path");
  o.kubeconfig = kubeconfig.value;
  static const char *ns_list[64];
  static char ns_buf[64 * 64 + 64];
  if (namespaces.value) {
    const char *why = NULL;
    if (!o.kubernetes) bad(&namespaces, "only with --kubernetes");
    if (strlen(namespaces.value) >= sizeof ns_buf) bad(&namespaces, "too long");
    snprintf(ns_buf, sizeof ns_buf, "%s", namespaces.value);
    int n = split_namespaces(ns_buf, ns_list, 64, &why);
    if (n < 0) bad(&namespaces, why);
    o.namespaces = ns_list;
    o.n_namespaces = (size_t)n;
  }
  int64_t ms;
  if (parse_duration_ms(wtimeout.value, &ms) != 0 || ms < 1000 || ms > 3600 * 1000)
    bad(&wtimeout, "a duration from 1s to 1h, such as 5m");
  o.kube_watch_timeout_s = ms / 1000;
  o.kube_idle_ms = o.kube_watch_timeout_s * 1000 + 30000;
  if (idle.value && (parse_duration_ms(idle.value, &o.kube_idle_ms) != 0 || o.kube_idle_ms < 1000))
    bad(&idle, "a duration of at least 1s, such as 5m30s");
  if (o.kubernetes && !config_given) o.config_path = NULL; /* Kubernetes alone, unless a file is named */
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
