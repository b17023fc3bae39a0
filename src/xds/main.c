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

enum {
  S_CONFIG,
  S_LISTEN,
  S_ADMIN,
  S_DNS,
  S_REFRESH,
  S_RECORD,
  S_KUBE,
  S_KUBECONFIG,
  S_NAMESPACES,
  S_WTIMEOUT,
  S_IDLE,
  N_SETTINGS,
  OPT_CHECK = N_SETTINGS,
  OPT_HELP,
};

/* Every setting's flag, variable and default; getopt_long returns the setting's index. */
static const struct {
  const char *flag, *var, *def;
  int has_arg;
} spec[N_SETTINGS] = {
    [S_CONFIG] = {"--config", "XDSD_CONFIG", "/config/config.yaml", required_argument},
    [S_LISTEN] = {"--listen", "XDSD_LISTEN", "0.0.0.0:9002", required_argument},
    [S_ADMIN] = {"--admin", "XDSD_ADMIN", "127.0.0.1:9003", required_argument},
    [S_DNS] = {"--dns-server", "XDSD_DNS_SERVER", NULL, required_argument},
    [S_REFRESH] = {"--dns-refresh", "XDSD_DNS_REFRESH", "1s", required_argument},
    [S_RECORD] = {"--record-requests", "XDSD_RECORD_REQUESTS", NULL, required_argument},
    [S_KUBE] = {"--kubernetes", "XDSD_KUBERNETES", "0", no_argument},
    [S_KUBECONFIG] = {"--kubeconfig", "XDSD_KUBECONFIG", NULL, required_argument},
    [S_NAMESPACES] = {"--namespaces", "XDSD_NAMESPACES", NULL, required_argument},
    [S_WTIMEOUT] = {"--kube-watch-timeout", "XDSD_KUBE_WATCH_TIMEOUT", "5m", required_argument},
    [S_IDLE] = {"--kube-idle-timeout", "XDSD_KUBE_IDLE_TIMEOUT", NULL, required_argument},
};

/* Exits 2 naming the flag or the variable that gave the value. */
static void bad(const struct setting *st, const char *why) {
  if (st->from_env)
    fatal(2, "msg=\"invalid environment variable\" variable=%s value=\"%s\" reason=\"%s\"", st->var,
          st->value ? st->value : "", why);
  bad_flag(st->flag, st->value, why);
}

/* The settings from the environment, then the command line. Returns the file of --check, or NULL. */
static const char *parse_flags(int argc, char **argv, struct setting st[N_SETTINGS]) {
  struct option longopts[N_SETTINGS + 3];
  for (int i = 0; i < N_SETTINGS; i++) {
    const char *e = getenv(spec[i].var);
    st[i] = (struct setting){.flag = spec[i].flag, .var = spec[i].var, .value = e ? e : spec[i].def, .from_env = !!e};
    longopts[i] = (struct option){spec[i].flag + 2, spec[i].has_arg, NULL, i};
  }
  longopts[OPT_CHECK] = (struct option){"check", required_argument, NULL, OPT_CHECK};
  longopts[OPT_HELP] = (struct option){"help", no_argument, NULL, OPT_HELP};
  longopts[OPT_HELP + 1] = (struct option){NULL, 0, NULL, 0};
  const char *check = NULL;
  opterr = 0;
  int ch;
  while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
    if (ch >= 0 && ch < N_SETTINGS) {
      st[ch].value = spec[ch].has_arg ? optarg : "1";
      st[ch].from_env = 0;
    } else if (ch == OPT_CHECK) {
      check = optarg;
    } else if (ch == OPT_HELP) {
      usage(stdout);
      exit(0);
    } else {
      usage(stderr);
      bad_flag(optind > 0 && optind <= argc ? argv[optind - 1] : "?", NULL,
               ch == ':' ? "missing value" : "unknown flag or missing value");
    }
  }
  if (optind < argc) bad_flag(argv[optind], argv[optind], "unexpected argument");
  return check;
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

/* The listen, admin and DNS settings. Every value is checked here, before gRPC or the admin server
 * would fail on it with a raw error. An empty value is an error, never "the default" or "off". */
static void network_options(const struct setting st[N_SETTINGS], struct xdsd_options *o) {
  o->listen = st[S_LISTEN].value;
  o->admin = st[S_ADMIN].value;
  o->dns_server = st[S_DNS].value;
  if (parse_duration_ms(st[S_REFRESH].value, &o->dns_refresh_ms) != 0)
    bad(&st[S_REFRESH], "not a duration such as 1s or 500ms");
  if (o->dns_refresh_ms < 100) bad(&st[S_REFRESH], "must be at least 100ms");
  if (!listen_ok(o->listen)) bad(&st[S_LISTEN], "use IPV4:PORT, [IPV6]:PORT or HOSTNAME:PORT");
  if (strcmp(o->admin, "off") == 0)
    o->admin = NULL;
  else if (!admin_ok(o->admin))
    bad(&st[S_ADMIN], "use IPV4:PORT, or off");
  if (o->dns_server) {
    /* c-ares takes server addresses, not names. */
    char host[256];
    uint16_t port;
    unsigned char addr[16];
    if (parse_hostport(o->dns_server, host, sizeof host, &port) != 0 ||
        (o->dns_server[0] == '[' ? inet_pton(AF_INET6, host, addr) != 1 : inet_pton(AF_INET, host, addr) != 1))
      bad(&st[S_DNS], "use IP:PORT (an IPv6 address in brackets)");
  }
}

/* --kubernetes and the settings that only it uses. */
static void kube_options(const struct setting st[N_SETTINGS], struct xdsd_options *o) {
  const struct setting *kube = &st[S_KUBE], *kubeconfig = &st[S_KUBECONFIG], *ns = &st[S_NAMESPACES];
  if (strcmp(kube->value, "1") != 0 && strcmp(kube->value, "0") != 0) bad(kube, "use 1 or 0");
  o->kubernetes = strcmp(kube->value, "1") == 0 || kubeconfig->value != NULL;
  if (kubeconfig->value && !kubeconfig->value[0]) bad(kubeconfig, "empty path");
  o->kubeconfig = kubeconfig->value;
  static const char *ns_list[64];
  static char ns_buf[64 * 64 + 64];
  if (ns->value) {
    const char *why = NULL;
    if (!o->kubernetes) bad(ns, "only with --kubernetes");
    if (strlen(ns->value) >= sizeof ns_buf) bad(ns, "too long");
    snprintf(ns_buf, sizeof ns_buf, "%s", ns->value);
    int n = split_namespaces(ns_buf, ns_list, 64, &why);
    if (n < 0) bad(ns, why);
    o->namespaces = ns_list;
    o->n_namespaces = (size_t)n;
  }
  int64_t ms;
  if (parse_duration_ms(st[S_WTIMEOUT].value, &ms) != 0 || ms < 1000 || ms > 3600 * 1000)
    bad(&st[S_WTIMEOUT], "a duration from 1s to 1h, such as 5m");
  o->kube_watch_timeout_s = ms / 1000;
  o->kube_idle_ms = o->kube_watch_timeout_s * 1000 + 30000;
  const struct setting *idle = &st[S_IDLE];
  if (idle->value && (parse_duration_ms(idle->value, &o->kube_idle_ms) != 0 || o->kube_idle_ms < 1000))
    bad(idle, "a duration of at least 1s, such as 5m30s");
}

/* gRPC core 1.51's tcp_read_chunks experiment, on by default, reads into 8 KB or 64 KB pieces whatever
 * the server's TCP read args say, and an idle connection keeps its piece: 8 KB for every proxyless
 * client on a connection of its own. Off, ads.c's read sizes apply (BENCHMARKS.md, issue 13). gRPC core
 * reads the variable once, at grpc_init; what the environment already says is kept, and wins when it
 * names this experiment. */
static void tcp_read_chunks_off(void) {
  const char *e = getenv("GRPC_EXPERIMENTS");
  if (e && strstr(e, "tcp_read_chunks")) return;
  char buf[1024];
  int n = snprintf(buf, sizeof buf, "%s%s-tcp_read_chunks", e ? e : "", e && *e ? "," : "");
  if (n > 0 && (size_t)n < sizeof buf) setenv("GRPC_EXPERIMENTS", buf, 1);
}

int main(int argc, char **argv) {
  log_init("xdsd");
  struct setting st[N_SETTINGS];
  const char *check = parse_flags(argc, argv, st);
  if (check) return xdsd_check(check, stdout, stderr);

  struct xdsd_options o = {.config_path = st[S_CONFIG].value};
  network_options(st, &o);
  kube_options(st, &o);
  if (o.config_path[0] == '\0') bad(&st[S_CONFIG], "empty path");
  /* Kubernetes alone, unless a file is named (by flag or variable). */
  if (o.kubernetes && st[S_CONFIG].value == spec[S_CONFIG].def) o.config_path = NULL;
  if (st[S_RECORD].value) {
    struct stat sb;
    if (stat(st[S_RECORD].value, &sb) != 0 || !S_ISDIR(sb.st_mode) || access(st[S_RECORD].value, W_OK) != 0)
      bad(&st[S_RECORD], "not a writable folder");
    o.record_dir = st[S_RECORD].value;
  }

  static const int sigs[] = {SIGTERM, SIGINT, SIGHUP, 0};
  sig_setup(on_signal, sigs, 1);

  tcp_read_chunks_off();
  grpc_init();
  int rc = xdsd_run(&o, &stop_requested, &reload_requested);
  grpc_shutdown();
  return rc;
}
