#include "status.h"

#include "jsonw.h"
#include "prom.h"

/* {"config":{...},"snapshot":{...},"dns":{...},"kubernetes":{...},"nodes":[...],...} */
static void render_status(const struct status_input *in, FILE *f) {
  const struct snapshot *s = in->snap;
  fputs("{\"config\":{\"path\":", f);
  jsonw_str(f, in->config_path);
  fputs(",\"name\":", f);
  jsonw_str(f, in->cfg ? in->cfg->name : NULL);
  /* The served config's version: 1 for the first valid file, +1 for every valid change. */
  fprintf(f, ",\"version\":%llu", (unsigned long long)in->reloads_ok);
  fputs(",\"last_reload\":", f);
  jsonw_str(f, in->last_reload && in->last_reload[0] ? in->last_reload : NULL);
  fprintf(f, ",\"last_reload_ok\":%s,\"error\":", in->error ? "false" : "true");
  jsonw_str(f, in->error);
  fprintf(f, ",\"reloads_ok\":%llu,\"reloads_failed\":%llu", (unsigned long long)in->reloads_ok,
          (unsigned long long)in->reloads_failed);
  /* A parse under way (a large config takes a while; the old one is served meanwhile). */
  if (in->loading)
    fprintf(f, ",\"loading\":true,\"loading_ms\":%lld},", (long long)in->loading_ms);
  else
    fputs(",\"loading\":false},", f);
  if (s)
    fprintf(f,
            "\"snapshot\":{\"version\":\"%llu\",\"listeners\":%zu,\"socket_listeners\":%zu,\"routes\":%zu,"
            "\"clusters\":%zu,\"endpoints\":%zu,\"draining\":%zu},",
            (unsigned long long)s->version, s->tables[SNAP_LDS_API].n, s->tables[SNAP_LDS_SOCKET].n,
            s->tables[SNAP_RDS].n, s->tables[SNAP_CDS].n, s->n_endpoints, s->n_draining);
  else
    fputs("\"snapshot\":null,", f);
  fputs("\"dns\":", f);
  discovery_status_json(in->dns, f);
  fputs(",\"kubernetes\":", f);
  if (in->kube)
    kubewatch_status_json(in->kube, f);
  else
    fputs("null", f);
  fputs(",\"nodes\":", f);
  size_t listed = ads_status_json(in->ads, f);
  fprintf(f, ",\"nodes_listed\":%zu,\"streams\":%zu}\n", listed, ads_streams(in->ads));
}

static void render_metrics(const struct status_input *in, FILE *f) {
  const struct snapshot *s = in->snap;
  ads_metrics_text(in->ads, f);
  discovery_metrics_text(in->dns, f);
  if (in->kube) kubewatch_metrics_text(in->kube, f);
  prom_header(f, "xdsd_reloads_total", "counter", "Config reloads that saw new content.");
  fprintf(f, "xdsd_reloads_total{result=\"ok\"} %llu\nxdsd_reloads_total{result=\"failed\"} %llu\n",
          (unsigned long long)in->reloads_ok, (unsigned long long)in->reloads_failed);
  prom_metric(f, "xdsd_config_error", "gauge", "1 while the file on disk is not the config being served.",
              in->error != NULL);
  prom_metric(f, "xdsd_resolved_endpoints", "gauge", "Endpoints in the served ClusterLoadAssignments.",
              s ? s->n_endpoints : 0);
  prom_metric(f, "xdsd_snapshot_version", "gauge", "Version of the served snapshot.", s ? s->version : 0);
}

void status_render(const struct status_input *in, FILE *status, FILE *metrics) {
  render_status(in, status);
  render_metrics(in, metrics);
}
