#include "discovery.h"

#include <ares.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "jsonw.h"
#include "log.h"
#include "prom.h"
#include "strv.h"

struct dname {
  struct discovery *d;
  char *name; /* owned */
  char **ips; /* sorted IPv4 literals (owned) */
  size_t n_ips;
  int answered;    /* had at least one answer or failure */
  int inflight;    /* a query is running; the entry must outlive it */
  int dead;        /* no longer in the config: freed when the query ends */
  char *error;     /* last lookup error (owned), NULL after a success */
  int64_t next_ms; /* when to query again */
  struct dname *next;
};

/* At most this many queries run at once (issue 16: 5,000 names sent at once made 683 of them time out
 * every cycle). The rest wait their turn; each name is asked again refresh_ms after its last query
 * started, so a large set spreads itself over the interval. */
#define DNS_MAX_INFLIGHT 256
#define DNS_LOG_BURST 10 /* lookup-failure lines a second; the rest are counted */

struct discovery {
  ares_channel channel;
  int64_t refresh_ms;
  struct dname *names;
  int changed;
  size_t inflight;
  struct dname *cursor; /* where the next scan for due names starts (NULL: the head), so that every
                           name gets its turn even when not all fit in one refresh interval */
  uint64_t failures_total, log_suppressed_total;
  struct log_limit log;
};

static void free_ips(char **ips, size_t n) {
  for (size_t i = 0; i < n; i++) free(ips[i]);
  free(ips);
}

static void dname_free(struct dname *e) {
  free_ips(e->ips, e->n_ips);
  free(e->name);
  free(e->error);
  free(e);
}

int discovery_new(const char *server, int64_t refresh_ms, struct discovery **out) {
  static int lib_ready;
  if (!lib_ready) {
    if (ares_library_init(ARES_LIB_INIT_ALL) != ARES_SUCCESS) return -1;
    lib_ready = 1;
  }
  struct discovery *d = calloc(1, sizeof *d);
  if (!d) return -1;
  d->refresh_ms = refresh_ms;
  d->log.burst = DNS_LOG_BURST;
  struct ares_options opt;
  memset(&opt, 0, sizeof opt);
  int mask = ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES;
  opt.timeout = 500;
  opt.tries = 2;
  if (server) {
    /* A given server is the cluster DNS: ask it only, for the name as written (no hosts file, no search). */
    mask |= ARES_OPT_FLAGS | ARES_OPT_LOOKUPS | ARES_OPT_DOMAINS;
    opt.flags = ARES_FLAG_NOSEARCH;
    opt.lookups = "b";
    opt.ndomains = 0;
    opt.domains = NULL;
  }
  if (ares_init_options(&d->channel, &opt, mask) != ARES_SUCCESS) {
    free(d);
    return -1;
  }
  if (server && ares_set_servers_ports_csv(d->channel, server) != ARES_SUCCESS) {
    ares_destroy(d->channel);
    free(d);
    return -2;
  }
  *out = d;
  return 0;
}

void discovery_free(struct discovery *d) {
  if (!d) return;
  /* ares_destroy runs the pending callbacks with ARES_EDESTRUCTION; they only clear `inflight`. */
  ares_destroy(d->channel);
  for (struct dname *e = d->names, *n; e; e = n) {
    n = e->next;
    dname_free(e);
  }
  free(d);
}

static void on_host(void *arg, int status, int timeouts, struct hostent *h) {
  (void)timeouts;
  struct dname *e = arg;
  e->inflight = 0;
  e->d->inflight--;
  if (status == ARES_EDESTRUCTION || e->dead) return;
  char **ips = NULL;
  size_t n = 0;
  if (status == ARES_SUCCESS && h && h->h_addrtype == AF_INET) {
    size_t cnt = 0;
    while (h->h_addr_list[cnt]) cnt++;
    ips = calloc(cnt ? cnt : 1, sizeof *ips);
    if (!ips) return;
    for (size_t i = 0; i < cnt; i++) {
      char buf[INET_ADDRSTRLEN];
      inet_ntop(AF_INET, h->h_addr_list[i], buf, sizeof buf);
      if (!(ips[n] = strdup(buf))) break;
      n++;
    }
    n = strv_sort_unique(ips, n);
  } else if (status != ARES_ENOTFOUND && status != ARES_ENODATA) {
    /* Not an answer: keep what we had. Logged when a name's error changes, within a budget. */
    e->d->failures_total++;
    uint64_t sup;
    if (!e->error || strcmp(e->error, ares_strerror(status)) != 0) {
      if (log_limit_allow(&e->d->log, clock_now_ms(), &sup))
        log_warn("msg=\"dns lookup failed, keeping the last answer\" name=%s error=\"%s\" left_out=%llu", e->name,
                 ares_strerror(status), (unsigned long long)sup);
      else
        e->d->log_suppressed_total++;
    }
    free(e->error);
    e->error = strdup(ares_strerror(status));
    e->answered = 1;
    return;
  }
  free(e->error);
  e->error = NULL;
  int same = e->answered && n == e->n_ips;
  for (size_t i = 0; same && i < n; i++)
    if (strcmp(ips[i], e->ips[i]) != 0) same = 0;
  if (same) {
    free_ips(ips, n);
    e->answered = 1;
    return;
  }
  free_ips(e->ips, e->n_ips);
  e->ips = ips;
  e->n_ips = n;
  e->answered = 1;
  e->d->changed = 1;
  log_info("msg=\"dns answer changed\" name=%s addresses=%zu", e->name, n);
}

static struct dname *find(const struct discovery *d, const char *name) {
  for (struct dname *e = d->names; e; e = e->next)
    if (!e->dead && strcmp(e->name, name) == 0) return e;
  return NULL;
}

int discovery_set_names(struct discovery *d, const struct config *cfg) {
  for (struct dname *e = d->names; e; e = e->next) e->dead = 1;
  int rc = 0;
  for (size_t i = 0; i < cfg->n_clusters; i++)
    for (size_t j = 0; j < cfg->clusters[i].n_endpoints; j++) {
      const struct config_endpoint *ep = &cfg->clusters[i].endpoints[j];
      if (ep->is_ip) continue;
      struct dname *e = NULL;
      for (struct dname *x = d->names; x; x = x->next)
        if (strcmp(x->name, ep->address) == 0) {
          e = x;
          break;
        }
      if (e) {
        e->dead = 0;
        continue;
      }
      e = calloc(1, sizeof *e);
      if (!e || !(e->name = strdup(ep->address))) {
        free(e);
        rc = -1;
        continue;
      }
      e->d = d;
      e->next = d->names;
      d->names = e;
    }
  /* Drop names that left the config (those with a query running go when it ends). */
  for (struct dname **pp = &d->names; *pp;) {
    struct dname *e = *pp;
    if (e->dead && !e->inflight) {
      *pp = e->next;
      dname_free(e);
      d->changed = 1;
      d->cursor = NULL;
    } else {
      pp = &e->next;
    }
  }
  return rc;
}

/* Starts the queries that are due, at most DNS_MAX_INFLIGHT at once, from where the last scan stopped. */
static void start_due(struct discovery *d, int64_t now_ms) {
  struct dname *e = d->cursor ? d->cursor : d->names;
  for (struct dname *first = e; e && d->inflight < DNS_MAX_INFLIGHT;) {
    if (!e->dead && !e->inflight && now_ms >= e->next_ms) {
      e->inflight = 1;
      d->inflight++;
      e->next_ms = now_ms + d->refresh_ms;
      ares_gethostbyname(d->channel, e->name, AF_INET, on_host, e);
    }
    e = e->next ? e->next : d->names;
    d->cursor = e;
    if (e == first) break;
  }
}

/* Reads what c-ares' sockets have and runs its timeouts (without blocking). */
static void process_sockets(struct discovery *d) {
  ares_socket_t socks[ARES_GETSOCK_MAXNUM];
  /* The ARES_GETSOCK_* macros shift a signed 1 into the sign bit; read the mask as unsigned instead. */
  unsigned bits = (unsigned)ares_getsock(d->channel, socks, ARES_GETSOCK_MAXNUM);
  struct pollfd pfd[ARES_GETSOCK_MAXNUM];
  int n = 0;
  for (int i = 0; i < ARES_GETSOCK_MAXNUM; i++) {
    short ev = 0;
    if ((bits >> i) & 1u) ev |= POLLIN;
    if ((bits >> (i + ARES_GETSOCK_MAXNUM)) & 1u) ev |= POLLOUT;
    if (!ev) continue;
    pfd[n].fd = socks[i];
    pfd[n].events = ev;
    pfd[n].revents = 0;
    n++;
  }
  if (n > 0 && poll(pfd, n, 0) > 0) {
    for (int i = 0; i < n; i++) {
      if (!pfd[i].revents) continue;
      ares_process_fd(d->channel, (pfd[i].revents & (POLLIN | POLLERR | POLLHUP)) ? pfd[i].fd : ARES_SOCKET_BAD,
                      (pfd[i].revents & POLLOUT) ? pfd[i].fd : ARES_SOCKET_BAD);
    }
  }
  ares_process_fd(d->channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD); /* timeouts */
}

int discovery_poll(struct discovery *d, int64_t now_ms) {
  uint64_t sup;
  if (log_limit_due(&d->log, now_ms, &sup))
    log_warn("msg=\"dns lookup failures left out of the log\" count=%llu limit_per_sec=%d", (unsigned long long)sup,
             DNS_LOG_BURST);
  start_due(d, now_ms);
  process_sockets(d);
  start_due(d, now_ms); /* refill what the answers just freed */
  /* Free entries that were dropped while their query ran. */
  for (struct dname **pp = &d->names; *pp;) {
    struct dname *e = *pp;
    if (e->dead && !e->inflight) {
      *pp = e->next;
      dname_free(e);
      d->cursor = NULL;
    } else {
      pp = &e->next;
    }
  }
  int changed = d->changed;
  d->changed = 0;
  return changed;
}

int discovery_settled(const struct discovery *d) {
  for (const struct dname *e = d->names; e; e = e->next)
    if (!e->dead && !e->answered) return 0;
  return 1;
}

size_t discovery_lookup(void *ctx, const char *host, char *const **ips) {
  const struct dname *e = find(ctx, host);
  if (!e) return 0;
  *ips = e->ips;
  return e->n_ips;
}

void discovery_status_json(const struct discovery *d, FILE *out) {
  fputc('{', out);
  int first = 1;
  for (const struct dname *e = d->names; e; e = e->next) {
    if (e->dead) continue;
    if (!first) fputc(',', out);
    first = 0;
    jsonw_str(out, e->name);
    fputs(":{\"addresses\":[", out);
    for (size_t i = 0; i < e->n_ips; i++) {
      if (i) fputc(',', out);
      jsonw_str(out, e->ips[i]);
    }
    fprintf(out, "],\"answered\":%s,\"error\":", e->answered ? "true" : "false");
    jsonw_str(out, e->error);
    fputc('}', out);
  }
  fputc('}', out);
}

void discovery_metrics_text(const struct discovery *d, FILE *out) {
  prom_metric(out, "xdsd_dns_failures_total", "counter", "Lookups that got no answer (timeouts, server errors).",
              d->failures_total);
  prom_metric(out, "xdsd_dns_log_suppressed_total", "counter", "Lookup-failure log lines left out over the rate limit.",
              d->log_suppressed_total);
  prom_metric(out, "xdsd_dns_inflight", "gauge", "Lookups running now (at most 256).", d->inflight);
}

/* A copy of the answers, for building a snapshot off the loop while the loop goes on resolving. */
struct frozen_name {
  char *name;
  char **ips;
  size_t n_ips;
};

struct dns_frozen {
  struct frozen_name *e; /* sorted by name */
  size_t n;
};

void dns_frozen_free(struct dns_frozen *f) {
  if (!f) return;
  for (size_t i = 0; i < f->n; i++) {
    free(f->e[i].name);
    free_ips(f->e[i].ips, f->e[i].n_ips);
  }
  free(f->e);
  free(f);
}

static int by_frozen_name(const void *a, const void *b) {
  return strcmp(((const struct frozen_name *)a)->name, ((const struct frozen_name *)b)->name);
}

struct dns_frozen *discovery_freeze(const struct discovery *d) {
  size_t n = 0;
  for (const struct dname *e = d->names; e; e = e->next) n += !e->dead;
  struct dns_frozen *f = calloc(1, sizeof *f);
  if (!f || !(f->e = calloc(n ? n : 1, sizeof *f->e))) {
    free(f);
    return NULL;
  }
  for (const struct dname *e = d->names; e; e = e->next) {
    if (e->dead) continue;
    struct frozen_name *c = &f->e[f->n++];
    c->name = strdup(e->name);
    c->ips = calloc(e->n_ips ? e->n_ips : 1, sizeof *c->ips);
    if (!c->name || !c->ips) {
      dns_frozen_free(f);
      return NULL;
    }
    for (size_t i = 0; i < e->n_ips; i++) {
      if (!(c->ips[i] = strdup(e->ips[i]))) {
        dns_frozen_free(f);
        return NULL;
      }
      c->n_ips++;
    }
  }
  qsort(f->e, f->n, sizeof *f->e, by_frozen_name);
  return f;
}

size_t dns_frozen_lookup(void *ctx, const char *host, char *const **ips) {
  const struct dns_frozen *f = ctx;
  struct frozen_name key = {.name = (char *)host};
  const struct frozen_name *e = f ? bsearch(&key, f->e, f->n, sizeof *f->e, by_frozen_name) : NULL;
  if (!e) return 0;
  *ips = e->ips;
  return e->n_ips;
}
