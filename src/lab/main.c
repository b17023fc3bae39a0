/* lab: runs the demo's load-balancing scenarios on one machine and judges them.
 *   lab list                       the scenarios and their titles
 *   lab check FILE...              validates scenario files and exits
 *   lab run SCENARIO...|all        runs them (names under the scenario folder, or paths to .yaml files)
 * Flags: --fast, --out DIR (lab-out), --bin DIR (where greeter-server/greeter-client are; default: next
 * to lab), --scenarios DIR, --clusterip auto|iptables|haproxy, --no-netns.
 * Exit status: 0 when every expectation held, 1 when one failed or a run could not complete (also
 * after Ctrl-C), 2 on bad usage or an invalid scenario file. */
#include <curl/curl.h>
#include <dirent.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sig.h"
#include "log.h"
#include "netns.h"
#include "proc.h"
#include "report.h"
#include "run.h"
#include "envoy.h"
#include "envoycfg.h"
#include "options.h"
#include "scenario.h"

#define MAX_RUNS 32

#ifndef LAB_SOURCE_SCENARIOS
#define LAB_SOURCE_SCENARIOS "lab/scenarios"
#endif
#ifndef LAB_SOURCE_DEPLOY
#define LAB_SOURCE_DEPLOY "deploy"
#endif

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig) {
  (void)sig;
  stop_requested = 1;
}

struct args {
  const char *command;
  const char *names[MAX_RUNS];
  size_t n_names;
  int fast;
  const char *out;
  const char *bin;
  const char *scenarios;
  const char *deploy;
  enum run_clusterip clusterip;
  int no_netns;
};

static void usage(FILE *f) {
  fprintf(f,
          "usage: lab list [--scenarios DIR]\n"
          "       lab check FILE.yaml... [--deploy DIR]\n"
          "       lab run SCENARIO...|all [--fast] [--out DIR] [--bin DIR] [--scenarios DIR] [--deploy DIR]\n"
          "                              [--clusterip auto|iptables|haproxy] [--no-netns]\n");
}

static void bad_usage(const char *fmt, const char *a, const char *b) {
  fprintf(stderr, "lab: ");
  fprintf(stderr, fmt, a, b);
  fputc('\n', stderr);
  usage(stderr);
  exit(2);
}

static void parse_args(int argc, char **argv, struct args *a) {
  memset(a, 0, sizeof *a);
  a->out = "lab-out";
  for (int i = 1; i < argc; i++) {
    const char *s = argv[i];
    const char *val = NULL;
    if (strncmp(s, "--", 2) == 0) {
      char flag[64];
      const char *eq = strchr(s, '=');
      snprintf(flag, sizeof flag, "%.*s", eq ? (int)(eq - s) : (int)strlen(s), s);
      int takes_value = strcmp(flag, "--out") == 0 || strcmp(flag, "--bin") == 0 || strcmp(flag, "--scenarios") == 0 ||
                        strcmp(flag, "--clusterip") == 0 || strcmp(flag, "--deploy") == 0;
      if (takes_value) {
        if (eq)
          val = eq + 1;
        else if (i + 1 < argc)
          val = argv[++i];
        else
          bad_usage("flag %s needs a value%s", flag, "");
        if (!*val) bad_usage("flag %s needs a non-empty value%s", flag, "");
      } else if (eq) {
        bad_usage("flag %s takes no value, got \"%s\"", flag, eq + 1);
      }
      if (strcmp(flag, "--fast") == 0)
        a->fast = 1;
      else if (strcmp(flag, "--no-netns") == 0)
        a->no_netns = 1;
      else if (strcmp(flag, "--help") == 0) {
        usage(stdout);
        exit(0);
      } else if (strcmp(flag, "--out") == 0)
        a->out = val;
      else if (strcmp(flag, "--bin") == 0)
        a->bin = val;
      else if (strcmp(flag, "--scenarios") == 0)
        a->scenarios = val;
      else if (strcmp(flag, "--deploy") == 0)
        a->deploy = val;
      else if (strcmp(flag, "--clusterip") == 0) {
        if (strcmp(val, "auto") == 0)
          a->clusterip = RUN_CLUSTERIP_AUTO;
        else if (strcmp(val, "iptables") == 0)
          a->clusterip = RUN_CLUSTERIP_IPTABLES;
        else if (strcmp(val, "haproxy") == 0)
          a->clusterip = RUN_CLUSTERIP_HAPROXY;
        else
          bad_usage("invalid value for %s: \"%s\" (auto|iptables|haproxy)", "--clusterip", val);
      } else
        bad_usage("unknown flag %s%s", s, "");
      continue;
    }
    if (!a->command)
      a->command = s;
    else if (a->n_names < MAX_RUNS)
      a->names[a->n_names++] = s;
    else
      bad_usage("too many scenarios (max %s)%s", "32", "");
  }
  if (!a->command) bad_usage("missing command (list, check or run)%s%s", "", "");
  if (strcmp(a->command, "list") && strcmp(a->command, "run") && strcmp(a->command, "check"))
    bad_usage("unknown command \"%s\"%s", a->command, "");
  if (strcmp(a->command, "list") != 0 && a->n_names == 0) bad_usage("%s needs at least one scenario%s", a->command, "");
}

static const char *scenario_dir(const struct args *a) {
  if (a->scenarios) return a->scenarios;
  return access("lab/scenarios", R_OK) == 0 ? "lab/scenarios" : LAB_SOURCE_SCENARIOS;
}

/* The manifests whose Envoy configs the lab runs: --deploy, else ./deploy, else the source tree's. */
static const char *deploy_dir(const struct args *a) {
  if (a->deploy) return a->deploy;
  return access("deploy/proxy", R_OK) == 0 ? "deploy" : LAB_SOURCE_DEPLOY;
}

/* Every Envoy a scenario runs has a manifest the lab can use (`lab check` and before `lab run`).
 * Returns how many Envoys the scenario runs, or -1 (printed). */
static int check_envoys(const struct scenario *sc, const char *deploy) {
  const struct sc_proxy *px[SC_MAX_DEPLOYMENTS + SC_MAX_CLIENTS];
  size_t n = 0;
  for (size_t i = 0; i < sc->n_deployments; i++)
    if (sc->deployments[i].image == SC_IMAGE_ENVOY) px[n++] = &sc->deployments[i].proxy;
  for (size_t i = 0; i < sc->n_clients; i++)
    if (sc->clients[i].has_sidecar) px[n++] = &sc->clients[i].sidecar;
  for (size_t i = 0; i < n; i++) {
    char path[PATH_MAX * 2], err[512];
    snprintf(path, sizeof path, "%s/%s", deploy, px[i]->config);
    struct envoycfg c;
    if (envoycfg_load(path, "proxyconfig", &c, err, sizeof err) != 0) {
      fprintf(stderr, "lab: scenario %s: %s\n", sc->name, err);
      return -1;
    }
    envoycfg_free(&c);
  }
  return (int)n;
}

typedef char path_t[PATH_MAX];

static int cmp_path(const void *x, const void *y) { return strcmp((const char *)x, (const char *)y); }

/* The scenario files of a folder, sorted by name, into out[cap]. */
static size_t list_files(const char *dir, path_t *out, size_t cap) {
  DIR *d = opendir(dir);
  if (!d) return 0;
  size_t n = 0;
  struct dirent *de;
  while ((de = readdir(d)) && n < cap) {
    size_t len = strlen(de->d_name);
    if (len < 6 || strcmp(de->d_name + len - 5, ".yaml") != 0 || de->d_name[0] == '.') continue;
    if ((size_t)snprintf(out[n], sizeof out[n], "%s/%s", dir, de->d_name) < sizeof out[n]) n++;
  }
  closedir(d);
  qsort(out, n, sizeof *out, cmp_path);
  return n;
}

/* Resolves names to files: "all", a name under the scenario folder, or a path. */
static size_t resolve_names(const struct args *a, path_t *paths) {
  const char *dir = scenario_dir(a);
  size_t n = 0;
  for (size_t i = 0; i < a->n_names; i++) {
    const char *name = a->names[i];
    if (strcmp(name, "all") == 0) {
      size_t got = list_files(dir, paths + n, MAX_RUNS - n);
      if (got == 0) bad_usage("no scenario files in %s%s", dir, "");
      n += got;
      continue;
    }
    if (n == MAX_RUNS) bad_usage("too many scenarios (max %s)%s", "32", "");
    char *path = paths[n];
    if (strchr(name, '/') || strstr(name, ".yaml"))
      snprintf(path, PATH_MAX, "%s", name);
    else if ((size_t)snprintf(path, PATH_MAX, "%s/%s.yaml", dir, name) >= PATH_MAX)
      bad_usage("scenario path too long: %s%s", name, "");
    if (access(path, R_OK) != 0) bad_usage("unknown scenario \"%s\" (no %s; see `lab list`)", name, path);
    n++;
  }
  return n;
}

static int find_tool(const char *name, char *out, size_t len) {
  const char *dirs[] = {"/usr/sbin", "/usr/bin", "/sbin", "/bin", "/usr/local/sbin", "/usr/local/bin", NULL};
  for (int i = 0; dirs[i]; i++)
    if (proc_find_program(dirs[i], name, out, len) == 0) return 0;
  return -1;
}

static void find_tools(const struct args *a, struct cluster_tools *t) {
  if (proc_find_program(a->bin, "greeter-server", t->greeter_server, sizeof t->greeter_server) != 0 ||
      proc_find_program(a->bin, "greeter-client", t->greeter_client, sizeof t->greeter_client) != 0)
    fatal(2,
          "msg=\"greeter-server/greeter-client not found\" flag=--bin value=\"%s\" hint=\"build them, or pass "
          "--bin DIR\"",
          a->bin ? a->bin : "(next to lab)");
  if (find_tool("dnsmasq", t->dnsmasq, sizeof t->dnsmasq) != 0)
    fatal(2, "msg=\"dnsmasq not found\" hint=\"apt-get install dnsmasq-base (scripts/deps.sh)\"");
  find_tool("iptables", t->iptables, sizeof t->iptables);
  find_tool("haproxy", t->haproxy, sizeof t->haproxy);
  if (envoy_find(t->envoy, sizeof t->envoy) != 0) t->envoy[0] = '\0';
  find_tool("gnuplot", t->gnuplot, sizeof t->gnuplot);
  if (proc_find_program(a->bin, "xdsd", t->xdsd, sizeof t->xdsd) != 0) t->xdsd[0] = '\0';
}

static int cmd_list(const struct args *a) {
  static path_t paths[MAX_RUNS];
  size_t n = list_files(scenario_dir(a), paths, MAX_RUNS);
  int rc = 0;
  for (size_t i = 0; i < n; i++) {
    struct scenario sc;
    char err[512];
    if (scenario_load(paths[i], 0, &sc, err, sizeof err) != 0) {
      fprintf(stderr, "lab: %s\n", err);
      rc = 2;
    } else {
      printf("%-10s %s (%lld s, --fast ", sc.name, sc.title, (long long)(scenario_duration_ms(&sc) / 1000));
      scenario_load(paths[i], 1, &sc, err, sizeof err);
      printf("%lld s)\n", (long long)(scenario_duration_ms(&sc) / 1000));
    }
  }
  if (n == 0) fprintf(stderr, "lab: no scenario files in %s\n", scenario_dir(a));
  return n == 0 ? 2 : rc;
}

/* Every file validated before anything starts (`lab check` stops after this); `all` in the
 * scenarios' own order (the demo's), then by name; named ones as given. Returns how many need Envoy. */
static int load_scenarios(const struct args *a, const path_t *paths, size_t n, struct scenario *scs) {
  int envoys = 0;
  for (size_t i = 0; i < n; i++) {
    char err[512];
    if (scenario_load(paths[i], a->fast, &scs[i], err, sizeof err) != 0) {
      fprintf(stderr, "lab: invalid scenario: %s\n", err);
      exit(2);
    }
    int k = check_envoys(&scs[i], deploy_dir(a));
    if (k < 0) exit(2);
    envoys += k;
  }
  int only_all = a->n_names == 1 && strcmp(a->names[0], "all") == 0;
  for (size_t i = 1; only_all && i < n; i++)
    for (size_t j = i; j > 0 && scs[j - 1].order > scs[j].order; j--) {
      static struct scenario tmp;
      tmp = scs[j];
      scs[j] = scs[j - 1];
      scs[j - 1] = tmp;
    }
  return envoys;
}

/* The seed's options and their verdicts (lab/options.yaml, beside the scenarios' folder), for the
 * report; every scenario an option names must exist. Returns 1 when loaded, 0 when there is none. */
static int load_options(const struct args *a, struct lab_options *options) {
  char opath[PATH_MAX], err[512];
  snprintf(opath, sizeof opath, "%s/../options.yaml", scenario_dir(a));
  if (access(opath, F_OK) != 0) return 0;
  if (options_load(opath, options, err, sizeof err) != 0) {
    fprintf(stderr, "lab: invalid options file: %s\n", err);
    exit(2);
  }
  for (size_t o = 0; o < options->n; o++)
    for (size_t k = 0; k < options->options[o].n_scenarios; k++) {
      char sp[PATH_MAX * 2];
      snprintf(sp, sizeof sp, "%s/%s.yaml", scenario_dir(a), options->options[o].scenarios[k]);
      if (access(sp, R_OK) != 0) {
        fprintf(stderr, "lab: %s: option \"%.60s\" names scenario %s, which %s does not have\n", opath,
                options->options[o].option, options->options[o].scenarios[k], scenario_dir(a));
        exit(2);
      }
    }
  return 1;
}

/* The run's options: an absolute output folder of ours (children such as dnsmasq may change
 * directory), the tools, the deploy folder, namespaces or not, and the ClusterIP. Exits 2 on what
 * cannot run. */
static void run_options(struct args *a, int envoys, struct run_options *opt) {
  static char out_abs[PATH_MAX];
  char cwd[PATH_MAX / 2];
  if (a->out[0] != '/' && getcwd(cwd, sizeof cwd) && strlen(a->out) < PATH_MAX / 2 - 1)
    snprintf(out_abs, sizeof out_abs, "%s/%.*s", cwd, PATH_MAX / 2 - 2, a->out);
  else
    snprintf(out_abs, sizeof out_abs, "%s", a->out);
  a->out = out_abs;
  char why[256];
  if (run_claim_out(a->out, why, sizeof why) != 0) bad_usage("--out %s: %s", a->out, why);
  memset(opt, 0, sizeof *opt);
  snprintf(opt->out_dir, sizeof opt->out_dir, "%s", a->out);
  find_tools(a, &opt->tools);
  if (envoys && !opt->tools.envoy[0]) {
    char looked[PATH_MAX];
    envoy_find(looked, sizeof looked);
    fatal(2,
          "msg=\"envoy not found\" path=\"%s\" hint=\"bash scripts/deps.sh installs Envoy " LAB_ENVOY_VERSION
          " (or set ENVOY)\"",
          looked);
  }
  char *deploy_abs = realpath(deploy_dir(a), NULL);
  if (!deploy_abs) bad_usage("--deploy %s: not a folder%s", deploy_dir(a), "");
  snprintf(opt->tools.deploy, sizeof opt->tools.deploy, "%s", deploy_abs);
  free(deploy_abs);
  opt->clusterip = a->clusterip;
  opt->netns = !a->no_netns && netns_available();
  if (!a->no_netns && !opt->netns)
    fprintf(stderr,
            "lab: no network namespace (needs root and the capability): running on the host loopback, "
            "ClusterIP by HAProxy\n");
  opt->progress_tty = isatty(2);
  if (a->clusterip == RUN_CLUSTERIP_IPTABLES && !opt->netns)
    bad_usage("%s=iptables needs root and a network namespace%s", "--clusterip",
              a->no_netns ? " (drop --no-netns)" : "");
  if (!opt->tools.haproxy[0] && (a->clusterip == RUN_CLUSTERIP_HAPROXY || !opt->netns))
    fatal(2, "msg=\"haproxy not found\" hint=\"the ClusterIP needs it without a namespace; scripts/deps.sh\"");
}

int main(int argc, char **argv) {
  log_set_level(LOG_LEVEL_WARN); /* the terminal shows progress and verdicts; LOG_LEVEL=info for more */
  log_init(argv[0]);
  curl_global_init(CURL_GLOBAL_DEFAULT); /* Envoy's admin API (envoy.c) */
  struct args a;
  parse_args(argc, argv, &a);
  if (strcmp(a.command, "list") == 0) return cmd_list(&a);

  static path_t paths[MAX_RUNS];
  static struct scenario scs[MAX_RUNS];
  static struct lab_options options;
  size_t n = resolve_names(&a, paths);
  int envoys = load_scenarios(&a, paths, n, scs);
  int have_options = load_options(&a, &options);
  if (strcmp(a.command, "check") == 0) {
    printf("%zu scenario file(s) valid\n", n);
    return 0;
  }
  struct run_options opt;
  run_options(&a, envoys, &opt);

  static const int sigs[] = {SIGINT, SIGTERM, 0};
  sig_setup(on_signal, sigs, 1);
  if (opt.netns) netns_remove_stale("/dev/null");

  static struct run runs[MAX_RUNS];
  const struct run *done[MAX_RUNS];
  size_t n_done = 0;
  int all_passed = 1;
  for (size_t i = 0; i < n && !stop_requested; i++) {
    fprintf(stderr, "lab: running %s (%s, %lld s)\n", scs[i].name, a.fast ? "--fast" : "default timings",
            (long long)(scenario_duration_ms(&scs[i]) / 1000));
    int rc = run_scenario(&runs[i], &scs[i], &opt, &stop_requested);
    if (rc != 0 || !runs[i].passed) all_passed = 0;
    if (runs[i].dir_ours) report_scenario(&runs[i], opt.tools.gnuplot);
    done[n_done++] = &runs[i];
  }
  proc_stop_all(3000); /* nothing should be left; this is the last line of defence */
  if (n_done < n) all_passed = 0;
  if (report_summary(done, n_done, have_options ? &options : NULL, a.out, a.fast, stdout) == 0)
    printf("\nreport: %s/report.html (and report.md; per scenario: %s/SCENARIO/)\n", a.out, a.out);
  else
    all_passed = 0;
  for (size_t i = 0; i < n_done; i++) run_free(&runs[i]);
  return all_passed ? 0 : 1;
}
