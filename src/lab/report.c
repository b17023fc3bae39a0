#define _GNU_SOURCE /* setns, pipe2, strptime */
#include "report.h"

#include <errno.h>
#include <stdlib.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cluster.h"
#include "compare.h"
#include "log.h"
#include "proc.h"
#include "verdict.h"

#define GNUPLOT_TIMEOUT_MS 30000

static const char *verdict_word(const struct run *r, size_t i) {
  if (r->error || r->interrupted) return "NOT RUN";
  return r->results[i].pass ? "pass" : "FAIL";
}

/* True when second t ends before the pod named `name` was started: it has no share yet. */
static int before_birth(const struct run *r, const char *name, size_t t) {
  for (size_t i = 0; i < r->cluster.n_pods; i++) {
    const struct pod *p = &r->cluster.pods[i];
    if (strcmp(p->name, name) == 0) return (int64_t)(t + 1) * 1000 <= r->timing.step_start_ms[p->born_step];
  }
  return 0;
}

/* One grid's files: the servers' (from the clients) or the proxies' (from their counters). */
struct grid_files {
  const struct sample_set *s;
  const char *csv; /* file names in the scenario folder */
  const char *chart;
  const char *what; /* for the chart's title */
};

static int write_csv(const struct run *r, const struct grid_files *gf) {
  char path[PATH_MAX + 32];
  snprintf(path, sizeof path, "%s/%s", r->dir, gf->csv);
  FILE *f = fopen(path, "w");
  if (!f) return -1;
  const struct sample_set *s = gf->s;
  fprintf(f, "t_s,phase,ok,failed,p50_us,p99_us");
  for (size_t i = 0; i < s->n_servers; i++) fprintf(f, ",%s", s->names[i]);
  for (size_t i = 0; i < s->n_servers; i++) fprintf(f, ",%s_rpcs", s->names[i]);
  fputc('\n', f);
  struct verdict_grid g = sample_grid(s);
  for (size_t t = 0; t < s->n_sec; t++) {
    const struct sample_second *sec = &s->sec[t];
    fprintf(f, "%zu,%s,%llu,%llu,%u,%u", t, r->sc->steps[run_step_at(r, (int64_t)t * 1000)].phase,
            (unsigned long long)sec->ok, (unsigned long long)sec->failed, sec->p50_us, sec->p99_us);
    /* An empty second has no share: leave the cell empty so the chart shows a gap, not a 0. */
    uint64_t all = verdict_total(&g, -1, t, t + 1);
    for (size_t i = 0; i < s->n_servers; i++) {
      if (all && !before_birth(r, s->names[i], t))
        fprintf(f, ",%.1f", verdict_share(&g, i, t, t + 1));
      else
        fputc(',', f);
    }
    for (size_t i = 0; i < s->n_servers; i++)
      fprintf(f, ",%llu", (unsigned long long)s->count[t * SAMPLE_MAX_SERVERS + i]);
    fputc('\n', f);
  }
  return fclose(f);
}

static int write_chart(const struct run *r, const struct grid_files *gf, const char *gnuplot) {
  char gp[PATH_MAX + 64], png[PATH_MAX + 64], csv[PATH_MAX + 64], log_path[PATH_MAX + 32];
  snprintf(gp, sizeof gp, "%s/%s.gp", r->dir, gf->chart);
  snprintf(png, sizeof png, "%s/%s.png", r->dir, gf->chart);
  snprintf(csv, sizeof csv, "%s/%s", r->dir, gf->csv);
  snprintf(log_path, sizeof log_path, "%s/gnuplot.log", r->dir);
  FILE *f = fopen(gp, "w");
  if (!f) return -1;
  const struct sample_set *s = gf->s;
  fprintf(f,
          "# Written by the lab: share per second, events marked.\n"
          "set terminal pngcairo size 1100,520 noenhanced font 'sans,10'\n"
          "set output '%s'\n"
          "set datafile separator ','\n"
          "set title '%s: share of %s (per second)'\n"
          "set xlabel 'seconds since the clients started'\n"
          "set ylabel 'share (%%)'\n"
          "set yrange [-3:105]\nset xrange [0:%lld]\n"
          "set key outside right top\nset grid ytics\n",
          png, r->sc->name, gf->what, (long long)(r->timing.end_ms / 1000 + 1));
  for (size_t i = 0; i < r->n_events; i++) {
    double x = (double)r->events[i].t_ms / 1000.0;
    fprintf(f, "set arrow from %.2f, graph 0 to %.2f, graph 1 nohead dashtype 2 linecolor rgb '#555555'\n", x, x);
    /* Staggered heights, so that the labels of close events do not overwrite each other. */
    fprintf(f, "set label %zu \"%s\" at %.2f, graph %.2f left offset 0.5,0 textcolor rgb '#333333'\n", i + 1,
            r->events[i].label, x, 0.97 - 0.05 * (double)(i % 3));
  }
  double q[64];
  size_t nq = report_dns_queries(r, q, 64);
  for (size_t i = 0; i < nq; i++)
    fprintf(f, "set arrow from %.2f, graph 0 to %.2f, graph 0.05 nohead linecolor rgb '#cc0000' linewidth 2\n", q[i],
            q[i]);
  if (nq)
    fprintf(
        f,
        "set label 900 'red ticks: DNS queries for the Services (clients, proxies, xdsd)' at graph 0.01, graph 0.08 "
        "textcolor rgb '#cc0000'\n");
  if (s->n_servers == 0) {
    fprintf(f, "set label 901 'no RPC was answered' at graph 0.4, graph 0.5\nplot NaN notitle\n");
  } else {
    fprintf(f, "plot for [i=7:%zu] '%s' using 1:i with linespoints pointsize 0.4 title columnheader(i)\n",
            6 + s->n_servers, csv);
  }
  if (fclose(f) != 0) return -1;
  if (!gnuplot[0]) {
    log_warn("msg=\"gnuplot not found, no chart\" scenario=%s", r->sc->name);
    return -1;
  }
  const char *argv[] = {gnuplot, gp, NULL};
  if (proc_run(NULL, argv, log_path, GNUPLOT_TIMEOUT_MS) != 0) {
    log_warn("msg=\"gnuplot failed, no chart\" scenario=%s log=%s", r->sc->name, log_path);
    return -1;
  }
  return 0;
}

size_t report_dns_queries(const struct run *r, double *t_s, size_t cap) {
  char path[PATH_MAX + 32];
  snprintf(path, sizeof path, "%s/dnsmasq.log", r->dir);
  FILE *f = fopen(path, "r");
  if (!f) return 0;
  char line[1024];
  size_t n = 0;
  struct tm now_tm;
  time_t now = time(NULL);
  localtime_r(&now, &now_tm);
  while (fgets(line, sizeof line, f) && n < cap) {
    /* "Nov 26 16:50:01 dnsmasq[123]: query[A] server.lab from 127.0.0.1" */
    const char *q = strstr(line, "query[A] ");
    if (!q) continue;
    char name[128], from[64];
    if (sscanf(q, "query[A] %127s from %63s", name, from) != 2) continue;
    if (strcmp(from, DNS_PROBE_IP) == 0) continue;
    int svc = 0;
    for (size_t i = 0; i < r->sc->n_services; i++) {
      char fq[128];
      snprintf(fq, sizeof fq, "%s.%s", r->sc->services[i].name, DNS_DOMAIN);
      svc |= strcmp(fq, name) == 0;
    }
    if (!svc) continue;
    struct tm tm = now_tm;
    if (!strptime(line, "%b %d %H:%M:%S", &tm)) continue;
    tm.tm_isdst = -1;
    double t = (double)(mktime(&tm) * 1000 - r->t0_wall_ms) / 1000.0;
    /* Syslog time has whole seconds: the query happened within [t, t+1). */
    if (t + 1 < 0) continue;
    /* c-ares asks for A (and AAAA) once per resolution; the same second twice is one resolution. */
    if (n > 0 && t_s[n - 1] == t) continue;
    t_s[n++] = t < 0 ? 0 : t;
  }
  fclose(f);
  return n;
}

static void escape_html(FILE *f, const char *s) {
  for (; *s; s++) {
    if (*s == '<')
      fputs("&lt;", f);
    else if (*s == '>')
      fputs("&gt;", f);
    else if (*s == '&')
      fputs("&amp;", f);
    else
      fputc(*s, f);
  }
}

/* Markdown table cells must not contain '|' or newlines. */
static void md_cell(FILE *f, const char *s) {
  for (; *s; s++) fputc(*s == '|' ? '/' : (*s == '\n' ? ' ' : *s), f);
}

static void write_setup_md(FILE *f, const struct run *r) {
  const struct scenario *sc = r->sc;
  fprintf(f, "## Setup\n\n");
  fprintf(f, "- Timings: %s\n", sc->fast ? "`--fast` (compressed)" : "default (the demo's)");
  fprintf(f, "- Node: %s\n",
          r->netns[0] ? "a network namespace of its own (`grpclb-lab-*`), loopback 127.0.3.0/24"
                      : "the host loopback, 127.0.3.0/24");
  fprintf(f, "- Cluster DNS: dnsmasq on %s:%u, names `NAME.%s`, hosts file rewritten + SIGHUP on every change\n",
          CLUSTER_DNS_IP, r->cluster.dns_port, DNS_DOMAIN);
  if (r->clusterip_desc[0]) fprintf(f, "- ClusterIP implementation that ran: **%s**\n", r->clusterip_desc);
  if (sc->n_xds_configs)
    fprintf(f,
            "- xDS control plane: xdsd on %s:9002 (admin :9003), `--dns-refresh 1s`, config in a ConfigMap-style "
            "directory (`xds-config/`); configs: %s%s\n",
            CLUSTER_XDS_IP, sc->xds_configs[0].name,
            sc->n_xds_configs > 1 ? " (first), then swapped by the timeline" : "");
  for (size_t i = 0; i < sc->n_deployments; i++) {
    const struct sc_deployment *d = &sc->deployments[i];
    fprintf(f, "- Deployment `%s`: %d replicas of %s", d->name, d->replicas,
            d->image == SC_IMAGE_ENVOY ? "Envoy" : "greeter-server");
    if (d->image == SC_IMAGE_ENVOY)
      fprintf(f, " %s, config from `deploy/%s` (ConfigMap proxyconfig; addresses and ports rewritten)",
              r->cluster.envoy_version, d->proxy.config);
    for (size_t j = 0; j < d->proxy.n_upstreams; j++)
      fprintf(f, "%s%s weight %d", j ? ", " : ", upstreams: ", d->proxy.upstreams[j].service,
              d->proxy.upstreams[j].weight);
    for (size_t j = 0; j < d->n_env; j++) fprintf(f, "%s%s=%s", j ? ", " : " (", d->env[j].key, d->env[j].value);
    fprintf(f, "%s\n", d->n_env ? ")" : "");
  }
  for (size_t i = 0; i < sc->n_services; i++)
    fprintf(f, "- Service `%s`: %s, port %u, selects `%s`\n", sc->services[i].name,
            sc->services[i].type == SC_SERVICE_HEADLESS ? "headless" : "ClusterIP", sc->services[i].port,
            sc->services[i].deployment);
  for (size_t i = 0; i < sc->n_clients; i++) {
    const struct sc_client *cl = &sc->clients[i];
    char target[512];
    if (cl->has_sidecar)
      snprintf(target, sizeof target,
               "%s:8080 (its sidecar, Envoy %s, on the client pod's address, config from deploy/%s)",
               r->cluster.clients[i].ip, r->cluster.envoy_version, cl->sidecar.config);
    else if (cl->xds[0])
      snprintf(target, sizeof target, "xds:///%s (proxyless; GRPC_XDS_BOOTSTRAP points at xdsd on %s:9002)", cl->xds,
               CLUSTER_XDS_IP);
    else
      cluster_target(&r->cluster, scenario_service(sc, cl->service), target, sizeof target);
    fprintf(f, "- Client `%s`: greeter-client, `SERVER_ADDRESS=%s`, round_robin", cl->name, target);
    for (size_t j = 0; cl->has_sidecar && j < cl->sidecar.n_upstreams; j++)
      fprintf(f, "%s%s weight %d", j ? ", " : "; sidecar upstreams: ", cl->sidecar.upstreams[j].service,
              cl->sidecar.upstreams[j].weight);
    for (size_t j = 0; j < sc->clients[i].n_env; j++)
      fprintf(f, ", %s=%s", sc->clients[i].env[j].key, sc->clients[i].env[j].value);
    fputc('\n', f);
  }
  fputc('\n', f);
}

/* Per phase: RPCs, failures, latency, and each proxy's requests. */
static void write_phases_md(FILE *f, const struct run *r) {
  const struct sample_set *ps = &r->proxy_samples;
  fprintf(f,
          "## Phases\n\nLatency is the median over the phase's seconds of each second's p50 and p99 (the client's "
          "summary lines).\n\n| phase | RPCs ok | failed | p50 (ms) | p99 (ms) |");
  for (size_t i = 0; i < ps->n_servers; i++) fprintf(f, " %s requests |", ps->names[i]);
  fprintf(f, "\n|---|---:|---:|---:|---:|");
  for (size_t i = 0; i < ps->n_servers; i++) fprintf(f, "---:|");
  fputc('\n', f);
  struct verdict_grid g = sample_grid(ps);
  for (size_t k = 0; k < r->sc->n_steps; k++) {
    uint64_t ok, failed;
    double p50, p99;
    judge_phase_latency(&r->timing, &r->samples, r->sc->n_steps, k, &ok, &failed, &p50, &p99);
    size_t from, to;
    judge_phase_seconds(&r->timing, &r->samples, r->sc->n_steps, k, &from, &to);
    fprintf(f, "| %s | %llu | %llu | %.1f | %.1f |", r->sc->steps[k].phase, (unsigned long long)ok,
            (unsigned long long)failed, p50, p99);
    for (size_t i = 0; i < ps->n_servers; i++)
      fprintf(f, " %llu |", (unsigned long long)verdict_total(&g, (int)i, from, to));
    fputc('\n', f);
  }
  fputc('\n', f);
}

static int write_md(const struct run *r) {
  char path[PATH_MAX + 32];
  snprintf(path, sizeof path, "%s/report.md", r->dir);
  FILE *f = fopen(path, "w");
  if (!f) return -1;
  const struct scenario *sc = r->sc;
  fprintf(f, "# %s: %s\n\n", sc->name, sc->title);
  fprintf(f, "**The demo's claim:** %s\n\n", sc->demo_claim);
  fprintf(f, "**Result:** %s\n\n",
          r->error || r->interrupted ? r->error_msg : (r->passed ? "every expectation held" : "an expectation FAILED"));
  write_setup_md(f, r);
  fprintf(f, "## Timeline\n\n| t (s) | event |\n|---:|---|\n");
  for (size_t i = 0; i < r->n_events; i++)
    fprintf(f, "| %.1f | %s |\n", (double)r->events[i].t_ms / 1000.0, r->events[i].label);
  fprintf(f, "| %.1f | end of sampling |\n\n", (double)r->timing.end_ms / 1000.0);
  double q[64];
  size_t nq = report_dns_queries(r, q, 64);
  if (nq) {
    fprintf(f,
            "DNS queries for the Services by clients, proxies or xdsd (not the lab's own; from dnsmasq's query log, "
            "1 s resolution): t =");
    for (size_t i = 0; i < nq && i < 20; i++) fprintf(f, "%s %.0f", i ? "," : "", q[i]);
    fprintf(f, "%s s.\n\n",
            nq > 20 ? ", ... (the rest left out: a proxy or xdsd re-resolving every few seconds, or a client resolving "
                      "for each new channel)"
                    : "");
  }
  write_phases_md(f, r);
  fprintf(f, "## Verdicts\n\n| expectation | measured | result |\n|---|---|---|\n");
  for (size_t i = 0; i < sc->n_expects; i++) {
    fputs("| ", f);
    md_cell(f, sc->expects[i].claim);
    fputs(" | ", f);
    md_cell(f, r->error || r->interrupted ? "-" : r->results[i].measured);
    fprintf(f, " | %s |\n", verdict_word(r, i));
  }
  fprintf(f, "\n![share per server](chart.png)\n\n");
  if (r->proxy_samples.n_servers) fprintf(f, "![share per proxy](chart-proxies.png)\n\n");
  if (sc->explain[0]) fprintf(f, "## Why\n\n%s\n\n", sc->explain);
  fprintf(f,
          "## Files\n\n`samples.csv` (per second: phase, RPCs ok/failed, p50/p99 in us, share %% per server, RPCs per "
          "server), `chart.png` (`chart.gp`), `*.out` (the clients' summary lines), `*.log` (every process), "
          "`dnsmasq.log` (every DNS query).\n\nShares come from the clients' summary lines (one per second); a "
          "first-RPC time is when the server logged its first received RPC (ms).\n");
  return fclose(f);
}

static void html_head(FILE *f, const char *title) {
  fprintf(f, "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>");
  escape_html(f, title);
  fprintf(f,
          "</title>\n<style>body{font-family:sans-serif;max-width:1150px;margin:2em auto;padding:0 1em}"
          "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #bbb;padding:4px 8px;vertical-align:top}"
          "th{background:#eee}.pass{color:#070;font-weight:bold}.fail{color:#b00;font-weight:bold}"
          "img{max-width:100%%;border:1px solid #ddd}.claim{font-style:italic}"
          ".side{display:flex;gap:1em;align-items:flex-start}.side img{width:55%%}.side table{margin:0}"
          "</style></head><body>\n");
}

static void html_verdict_rows(FILE *f, const struct run *r, int with_scenario, const char *link_prefix) {
  for (size_t i = 0; i < r->sc->n_expects; i++) {
    const char *w = verdict_word(r, i);
    fputs("<tr>", f);
    if (with_scenario) {
      fprintf(f, "<td><a href=\"%s%s/report.html\">%s</a></td><td>", link_prefix, r->sc->name, r->sc->name);
      escape_html(f, r->sc->demo_claim);
      fputs("</td>", f);
    }
    fputs("<td>", f);
    escape_html(f, r->sc->expects[i].claim);
    fputs("</td><td>", f);
    escape_html(f, r->error || r->interrupted ? r->error_msg : r->results[i].measured);
    fprintf(f, "</td><td class=\"%s\">%s</td></tr>\n", strcmp(w, "pass") == 0 ? "pass" : "fail", w);
  }
}

static int write_html(const struct run *r) {
  char path[PATH_MAX + 32];
  snprintf(path, sizeof path, "%s/report.html", r->dir);
  FILE *f = fopen(path, "w");
  if (!f) return -1;
  const struct scenario *sc = r->sc;
  html_head(f, sc->name);
  fprintf(f, "<h1>%s: ", sc->name);
  escape_html(f, sc->title);
  fputs("</h1>\n<p><b>The demo's claim:</b> ", f);
  escape_html(f, sc->demo_claim);
  fputs("</p>\n<img src=\"chart.png\" alt=\"share per server over time\">\n", f);
  if (r->proxy_samples.n_servers) fputs("<img src=\"chart-proxies.png\" alt=\"share per proxy over time\">\n", f);
  fputs("<h2>Verdicts</h2>\n<table><tr><th>expectation</th><th>measured</th><th>result</th></tr>\n", f);
  html_verdict_rows(f, r, 0, "");
  fputs("</table>\n<h2>Timeline</h2>\n<table><tr><th>t (s)</th><th>event</th></tr>\n", f);
  for (size_t i = 0; i < r->n_events; i++) {
    fprintf(f, "<tr><td>%.1f</td><td>", (double)r->events[i].t_ms / 1000.0);
    escape_html(f, r->events[i].label);
    fputs("</td></tr>\n", f);
  }
  fputs("</table>\n", f);
  if (r->clusterip_desc[0]) {
    fputs("<p>ClusterIP implementation that ran: <b>", f);
    escape_html(f, r->clusterip_desc);
    fputs("</b></p>\n", f);
  }
  if (sc->explain[0]) {
    fputs("<h2>Why</h2>\n<p>", f);
    escape_html(f, sc->explain);
    fputs("</p>\n", f);
  }
  fputs(
      "<p>Data: <a href=\"samples.csv\">samples.csv</a>, details: <a href=\"report.md\">report.md</a></p>\n"
      "</body></html>\n",
      f);
  return fclose(f);
}

int report_scenario(const struct run *r, const char *gnuplot) {
  int rc = 0;
  struct grid_files servers = {&r->samples, "samples.csv", "chart", "RPCs per server"};
  struct grid_files proxies = {&r->proxy_samples, "proxies.csv", "chart-proxies", "requests per L7 proxy"};
  if (write_csv(r, &servers) != 0) rc = -1;
  if (rc == 0) write_chart(r, &servers, gnuplot);
  if (r->proxy_samples.n_servers && write_csv(r, &proxies) == 0) write_chart(r, &proxies, gnuplot);
  if (write_md(r) != 0 || write_html(r) != 0) rc = -1;
  if (rc != 0) log_error("msg=\"cannot write the report\" dir=%s err=\"%s\"", r->dir, strerror(errno));
  return rc;
}

static void write_compare_md(FILE *f, const struct compare_row *rows, size_t n) {
  fprintf(f,
          "| scenario | balanced (max / min share) | new replicas get traffic | weighted routing | change needs "
          "client restart | extra hops | p50 / p99 | processes per client | proxy |\n"
          "|---|---|---|---|---|---|---|---|---|\n");
  for (size_t i = 0; i < n; i++)
    fprintf(f, "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", rows[i].scenario, rows[i].balanced,
            rows[i].discovery, rows[i].weights, rows[i].restart, rows[i].hops, rows[i].latency, rows[i].processes,
            rows[i].proxy);
}

static void write_compare_html(FILE *f, const struct compare_row *rows, size_t n) {
  fputs(
      "<h2>Comparison</h2>\n<table><tr><th>scenario</th><th>balanced (max / min share)</th><th>new replicas get "
      "traffic</th><th>weighted routing</th><th>change needs client restart</th><th>extra hops</th><th>p50 / p99</th>"
      "<th>processes per client</th><th>proxy</th></tr>\n",
      f);
  for (size_t i = 0; i < n; i++) {
    const char *cells[] = {rows[i].scenario, rows[i].balanced, rows[i].discovery, rows[i].weights, rows[i].restart,
                           rows[i].hops,     rows[i].latency,  rows[i].processes, rows[i].proxy};
    fputs("<tr>", f);
    for (size_t j = 0; j < sizeof cells / sizeof cells[0]; j++) {
      fputs("<td>", f);
      escape_html(f, cells[j]);
      fputs("</td>", f);
    }
    fputs("</tr>\n", f);
  }
  fputs("</table>\n", f);
}

/* The seed's options table: per option of its list, its verdict (quoted from lab/options.yaml) beside
 * what this run measured for each scenario that exercises it (the comparison's cells). One row per
 * scenario the run covered; an option none of whose scenarios ran is left out. */
#define OPTION_COLS 11
static size_t option_rows(const struct lab_options *opts, const struct compare_row *rows, size_t n_rows,
                          const char *(*cells)[OPTION_COLS], size_t cap) {
  size_t k = 0;
  for (size_t o = 0; opts && o < opts->n; o++) {
    int first = 1;
    for (size_t s = 0; s < opts->options[o].n_scenarios; s++)
      for (size_t i = 0; i < n_rows && k < cap; i++) {
        const struct compare_row *r = &rows[i];
        if (strcmp(r->scenario, opts->options[o].scenarios[s]) != 0) continue;
        const char *c[OPTION_COLS] = {first ? opts->options[o].option : "",
                                      first ? opts->options[o].seed_verdict : "",
                                      r->scenario,
                                      r->balanced,
                                      r->discovery,
                                      r->weights,
                                      r->restart,
                                      r->hops,
                                      r->latency,
                                      r->processes,
                                      r->proxy};
        memcpy(cells[k++], c, sizeof c);
        first = 0;
      }
  }
  return k;
}

static const char *const option_header[OPTION_COLS] = {"option (the seed's list)",
                                                       "the seed's verdict",
                                                       "scenario",
                                                       "balanced (max / min share)",
                                                       "new replicas get traffic",
                                                       "weighted routing",
                                                       "change needs client restart",
                                                       "extra hops",
                                                       "p50 / p99",
                                                       "processes per client",
                                                       "proxy"};

static void write_options(FILE *f, int html, const char *(*cells)[OPTION_COLS], size_t n) {
  if (html) {
    fputs("<h2>The seed's options, measured</h2>\n<table><tr>", f);
    for (size_t j = 0; j < OPTION_COLS; j++) fprintf(f, "<th>%s</th>", option_header[j]);
    fputs("</tr>\n", f);
  } else {
    fputs(
        "## The seed's options, measured\n\nThe seed's closing list and its verdict on each option, quoted "
        "(lab/options.yaml), beside what this run measured for the scenarios that exercise it.\n\n|",
        f);
    for (size_t j = 0; j < OPTION_COLS; j++) fprintf(f, " %s |", option_header[j]);
    fputs("\n|", f);
    for (size_t j = 0; j < OPTION_COLS; j++) fputs("---|", f);
    fputc('\n', f);
  }
  for (size_t i = 0; i < n; i++) {
    fputs(html ? "<tr>" : "|", f);
    for (size_t j = 0; j < OPTION_COLS; j++) {
      if (html) {
        fputs("<td>", f);
        escape_html(f, cells[i][j]);
        fputs("</td>", f);
      } else {
        fputc(' ', f);
        md_cell(f, cells[i][j]);
        fputs(" |", f);
      }
    }
    fputs(html ? "</tr>\n" : "\n", f);
  }
  fputs(html ? "</table>\n" : "\n", f);
}

static void count_held(const struct run *const *runs, size_t n, size_t *held, size_t *total) {
  *held = *total = 0;
  for (size_t k = 0; k < n; k++)
    for (size_t i = 0; i < runs[k]->sc->n_expects; i++) {
      (*total)++;
      *held += strcmp(verdict_word(runs[k], i), "pass") == 0;
    }
}

int report_summary(const struct run *const *runs, size_t n, const struct lab_options *opts, const char *out_dir,
                   int fast, FILE *out) {
  /* The terminal table. */
  fprintf(out, "\n%-10s %-7s %s\n%-18s %s\n", "scenario", "result", "expectation", "", "measured");
  for (size_t k = 0; k < n; k++) {
    const struct run *r = runs[k];
    for (size_t i = 0; i < r->sc->n_expects; i++)
      fprintf(out, "%-10s %-7s %s\n%-18s %s\n", r->sc->name, verdict_word(r, i), r->sc->expects[i].claim, "",
              r->error || r->interrupted ? r->error_msg : r->results[i].measured);
  }
  static struct compare_row rows[64];
  size_t n_rows = n < 64 ? n : 64;
  compare_rows(runs, n_rows, rows);
  if (n_rows > 1) {
    fprintf(out, "\nComparison (measured in this run):\n\n");
    write_compare_md(out, rows, n_rows);
  }
  char path[PATH_MAX + 32];
  snprintf(path, sizeof path, "%s/report.md", out_dir);
  FILE *f = fopen(path, "w");
  if (!f) return -1;
  size_t held, total;
  count_held(runs, n, &held, &total);
  static const char *option_cells[64][OPTION_COLS];
  size_t n_options = option_rows(opts, rows, n_rows, option_cells, 64);
  fprintf(f,
          "# Lab report\n\n**%zu of %zu expectations held.** Timings: %s. One row per expectation; each "
          "scenario's own report has the chart, the timeline and the setup.\n\n",
          held, total, fast ? "`--fast`" : "default (the demo's)");
  if (n_rows > 1) {
    fprintf(f,
            "## Comparison\n\nMeasured in this run. Balanced: the busiest and the idlest pod's share in the first "
            "phase. New replicas: time from the scale (pods ready, DNS updated) to the last new pod's first received "
            "RPC (from its log). Latency: median per-second p50 / p99 in the first phase, and the "
            "difference to headless where the servers answer with the same delay. Proxy: the proxy that ran, its "
            "version, and the largest resident set of one of its instances (sampled every second).\n\n");
    write_compare_md(f, rows, n_rows);
    fputc('\n', f);
    if (n_options) write_options(f, 0, option_cells, n_options);
    fprintf(f, "## Verdicts\n\n");
  }
  fprintf(f, "| scenario | the demo's claim | expectation | measured | result |\n|---|---|---|---|---|\n");
  for (size_t k = 0; k < n; k++) {
    const struct run *r = runs[k];
    for (size_t i = 0; i < r->sc->n_expects; i++) {
      fprintf(f, "| [%s](%s/report.md) | ", r->sc->name, r->sc->name);
      md_cell(f, i == 0 ? r->sc->demo_claim : "");
      fputs(" | ", f);
      md_cell(f, r->sc->expects[i].claim);
      fputs(" | ", f);
      md_cell(f, r->error || r->interrupted ? r->error_msg : r->results[i].measured);
      fprintf(f, " | %s |\n", verdict_word(r, i));
    }
  }
  for (size_t k = 0; k < n; k++) {
    if (runs[k]->clusterip_desc[0])
      fprintf(f, "\n%s ran its ClusterIP with %s.\n", runs[k]->sc->name, runs[k]->clusterip_desc);
  }
  if (fclose(f) != 0) return -1;
  snprintf(path, sizeof path, "%s/report.html", out_dir);
  f = fopen(path, "w");
  if (!f) return -1;
  html_head(f, "Lab report");
  fprintf(f, "<h1>Lab report</h1>\n<p><b>%zu of %zu expectations held.</b> Timings: %s.</p>\n", held, total,
          fast ? "--fast" : "default (the demo's)");
  if (n_rows > 1) write_compare_html(f, rows, n_rows);
  if (n_options) write_options(f, 1, option_cells, n_options);
  /* Per scenario: its claim once, then its chart with its verdicts beside it. */
  for (size_t k = 0; k < n; k++) {
    const struct run *r = runs[k];
    fprintf(f, "<h2><a href=\"%s/report.html\">%s</a>: ", r->sc->name, r->sc->name);
    escape_html(f, r->sc->title);
    fputs("</h2>\n<p class=\"claim\">The demo's claim: ", f);
    escape_html(f, r->sc->demo_claim);
    fprintf(f,
            "</p>\n<div class=\"side\"><img src=\"%s/chart.png\" alt=\"%s\">\n<table><tr><th>expectation</th>"
            "<th>measured</th><th>result</th></tr>\n",
            r->sc->name, r->sc->name);
    html_verdict_rows(f, r, 0, "");
    fputs("</table></div>\n", f);
  }
  fputs("</body></html>\n", f);
  return fclose(f);
}
