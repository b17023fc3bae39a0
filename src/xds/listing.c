/* What `xdsd --check` prints: every resource a config gives, in words, and the size of each table. */
#include "listing.h"

#include <string.h>

/* One route: its match, its action's settings, its clusters. */
static void list_route(const struct config_route *rt, FILE *out) {
  static const char *const kinds[] = {"exact", "prefix", "suffix", "present", "range", "regex"};
  static const char *const codes[] = {"cancelled", "deadline-exceeded", "internal", "resource-exhausted",
                                      "unavailable"};
  fprintf(out, "  route name=%s", rt->name[0] ? rt->name : "-");
  if (rt->regex)
    fprintf(out, " regex=%s", rt->regex);
  else if (rt->path)
    fprintf(out, " path=%s", rt->path);
  else
    fprintf(out, " prefix=%s", rt->prefix);
  if (rt->case_sensitive == 0) fputs(" case_sensitive=false", out);
  for (size_t h = 0; h < rt->n_headers; h++) {
    const struct config_header *hd = &rt->headers[h];
    fprintf(out, " header%s:%s:%s", hd->invert ? "(not)" : "", hd->name, kinds[hd->kind]);
    if (hd->value) fprintf(out, "=%s", hd->value);
    if (hd->kind == HDR_RANGE) fprintf(out, "=[%lld,%lld)", (long long)hd->lo, (long long)hd->hi);
  }
  if (rt->timeout_ms) fprintf(out, " timeout=%lldms", (long long)rt->timeout_ms);
  if (rt->retry.on) {
    fputs(" retry=", out);
    for (unsigned k = 0, first = 1; k < 5; k++)
      if (rt->retry.on & (1u << k)) fprintf(out, "%s%s", first ? "" : ",", codes[k]), first = 0;
    fprintf(out, "/attempts=%u/backoff=%lldms..%lldms", rt->retry.attempts, (long long)rt->retry.base_ms,
            (long long)rt->retry.max_ms);
  }
  if (rt->fault.delay_ms)
    fprintf(out, " fault-delay=%lldms/%u%%", (long long)rt->fault.delay_ms, rt->fault.delay_percent);
  if (rt->fault.abort_code) fprintf(out, " fault-abort=%u/%u%%", rt->fault.abort_code, rt->fault.abort_percent);
  if (rt->hash_header) fprintf(out, " hash=header:%s", rt->hash_header);
  fputs(" ->", out);
  for (size_t k = 0; k < rt->n_clusters; k++) fprintf(out, " %s=%u", rt->clusters[k].name, rt->clusters[k].weight);
  fputc('\n', out);
}

void listing_print(const struct snapshot *s, const struct config *cfg, FILE *out) {
  fprintf(out, "config name=\"%s\" listeners=%zu clusters=%zu\n", cfg->name, cfg->n_listeners, cfg->n_clusters);
  for (size_t i = 0; i < cfg->n_listeners; i++) {
    const struct config_listener *l = &cfg->listeners[i];
    fprintf(out, "lds api-listener name=%s (gRPC clients dial xds:///%s)\n", l->name, l->name);
    if (l->port) fprintf(out, "lds socket-listener name=%s address=%s:%u (Envoy)\n", l->name, l->address, l->port);
    fprintf(out, "rds route-configuration name=%s virtual-host=* routes=%zu\n", l->name, l->n_routes);
    for (size_t r = 0; r < l->n_routes; r++) list_route(&l->routes[r], out);
  }
  for (size_t i = 0; i < cfg->n_clusters; i++) {
    const struct config_cluster *c = &cfg->clusters[i];
    if (c->ring_hash)
      fprintf(out,
              "note: cluster %s is RING_HASH: gRPC C-core 1.50 to 1.51.1 clients (Debian 12's) crash on it "
              "(grpc/grpc#31766); grpc-go, grpc-js and Envoy do not\n",
              c->name);
    fprintf(out, "cds cluster name=%s type=EDS lb=%s upstream=HTTP/2", c->name,
            c->ring_hash ? "RING_HASH" : "ROUND_ROBIN");
    if (c->max_requests) fprintf(out, " max_requests=%u", c->max_requests);
    const struct config_outlier *o = &c->outlier;
    if (o->set) {
      fprintf(out, " outlier=interval:%lldms/ejection:%lld..%lldms/max:%u%%", (long long)o->interval_ms,
              (long long)o->base_ejection_ms, (long long)o->max_ejection_ms, o->max_ejection_percent);
      if (o->success_rate)
        fprintf(out, "/success-rate:stdev=%u/enforce=%u%%/hosts=%u/volume=%u", o->sr_stdev_factor, o->sr_enforcement,
                o->sr_minimum_hosts, o->sr_request_volume);
      if (o->failure_percentage)
        fprintf(out, "/failure-percentage:threshold=%u%%/enforce=%u%%/hosts=%u/volume=%u", o->fp_threshold,
                o->fp_enforcement, o->fp_minimum_hosts, o->fp_request_volume);
    }
    fputc('\n', out);
    if (c->service) {
      fprintf(out, "eds cluster-load-assignment name=%s endpoints: those of Kubernetes Service port %s\n", c->name,
              c->service);
      continue;
    }
    fprintf(out, "eds cluster-load-assignment name=%s endpoints:", c->name);
    for (size_t e = 0; e < c->n_endpoints; e++) {
      const struct config_endpoint *ep = &c->endpoints[e];
      /* A locality's first endpoint says its zone, priority and weight. */
      if (ep->zone && (e == 0 || !c->endpoints[e - 1].zone || strcmp(c->endpoints[e - 1].zone, ep->zone) != 0)) {
        fprintf(out, " [zone=%s priority=%u weight=", ep->zone, ep->priority);
        if (ep->locality_weight)
          fprintf(out, "%u]", ep->locality_weight);
        else
          fputs("endpoints]", out);
      }
      fprintf(out, " %s:%u%s", ep->address, ep->port, ep->is_ip ? "" : "(dns)");
    }
    fputc('\n', out);
  }
  for (int t = 0; t < SNAP_NTABLES; t++) {
    static const char *const names[] = {"cds", "eds", "lds-api", "rds", "lds-socket"};
    size_t bytes = 0;
    for (size_t i = 0; i < s->tables[t].n; i++) bytes += s->tables[t].res[i].len;
    fprintf(out, "table %s resources=%zu bytes=%zu\n", names[t], s->tables[t].n, bytes);
  }
}
