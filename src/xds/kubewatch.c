#include "kubewatch.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "jsonw.h"
#include "log.h"
#include "prom.h"
#include "sbuf.h"

#define PAGE_LIMIT 500
#define LIST_MAX (512u * 1024 * 1024) /* the largest list page read */
#define LINE_MAX_BYTES (64u * 1024 * 1024)
#define BACKOFF_MIN_MS 200
#define BACKOFF_MAX_MS 5000
#define CONNECT_TIMEOUT_S 5
#define LIST_TIMEOUT_S 60
/* A CRD that answers 404 after it was listed: the API server may still be starting (its CRD handlers
 * come up after it listens), so its objects are dropped only when the 404s have lasted this long. */
#define ABSENT_CONFIRM_MS 10000

/* One list-and-watch loop: a resource in a namespace (NULL: all). Status fields under kw->mu. */
struct reflector {
  struct kubewatch *kw;
  enum kube_kind kind;
  char *ns;
  pthread_t thread;
  int started;
  /* the thread's own */
  CURL *h; /* the request under way */
  char rv[128];
  int need_list;
  struct sbuf buf; /* a list page, or the watch stream's unfinished line */
  long http_status;
  int gone;          /* the watch said 410 Gone */
  int64_t last_byte; /* when the watch last sent anything */
  char abort_why[512];
  /* status */
  const char *state;
  char status_rv[128];
  char last_event[32];
  char last_error[512];
  uint64_t events[KUBE_EV_NTYPES], relists, errors;
  int listed, failed;
  /* An optional kind (the Gateway API's routes) whose CRD is not installed: the API answers 404. */
  int absent;           /* status: its objects are none (confirmed) */
  int64_t absent_since; /* the thread's own: the first 404 of the current run of them, 0 for none */
};

struct kubewatch {
  struct kube_conn conn;
  struct kubewatch_options opt;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int quit;
  struct kube_store *store;
  uint64_t generation;
  struct reflector *r;
  size_t n_r;
  /* The route notes of the last view frozen (kube.h), logged when they change; under mu. */
  char **notes;
  size_t n_notes;
  size_t n_routed;
};

static void utc_now(char *buf, size_t len) {
  time_t t = time(NULL);
  struct tm tm;
  gmtime_r(&t, &tm);
  strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int quitting(struct kubewatch *kw) {
  pthread_mutex_lock(&kw->mu);
  int q = kw->quit;
  pthread_mutex_unlock(&kw->mu);
  return q;
}

/* Sleeps `ms` unless asked to quit meanwhile. */
static void nap(struct kubewatch *kw, int64_t ms) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  ts.tv_sec += ms / 1000;
  ts.tv_nsec += (ms % 1000) * 1000000;
  if (ts.tv_nsec >= 1000000000) {
    ts.tv_sec++;
    ts.tv_nsec -= 1000000000;
  }
  pthread_mutex_lock(&kw->mu);
  while (!kw->quit && pthread_cond_timedwait(&kw->cv, &kw->mu, &ts) == 0) {
  }
  pthread_mutex_unlock(&kw->mu);
}

static void set_state(struct reflector *r, const char *state) {
  pthread_mutex_lock(&r->kw->mu);
  r->state = state;
  pthread_mutex_unlock(&r->kw->mu);
}

/* Records a failure: counted, shown in /status, logged when it is not the one logged last. */
static void record_error(struct reflector *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void record_error(struct reflector *r, const char *fmt, ...) {
  char msg[512], clean[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  pthread_mutex_lock(&r->kw->mu);
  int same = strcmp(r->last_error, msg) == 0;
  snprintf(r->last_error, sizeof r->last_error, "%s", msg);
  r->errors++;
  r->failed = 1;
  pthread_mutex_unlock(&r->kw->mu);
  log_sanitize(msg, strlen(msg), clean, sizeof clean);
  if (same)
    log_debug("msg=\"kubernetes request failed\" resource=%s namespace=%s error=%s", kube_kind_name(r->kind),
              r->ns ? r->ns : "*", clean);
  else
    log_error("msg=\"kubernetes request failed, serving the last state\" resource=%s namespace=%s error=%s",
              kube_kind_name(r->kind), r->ns ? r->ns : "*", clean);
}

static void clear_error(struct reflector *r) {
  pthread_mutex_lock(&r->kw->mu);
  int had = r->last_error[0] != '\0';
  r->last_error[0] = '\0';
  pthread_mutex_unlock(&r->kw->mu);
  if (had)
    log_info("msg=\"kubernetes requests succeed again\" resource=%s namespace=%s", kube_kind_name(r->kind),
             r->ns ? r->ns : "*");
}

/* --- HTTP -------------------------------------------------------------------------------------- */

static size_t on_list_data(char *p, size_t size, size_t n, void *arg) {
  struct reflector *r = arg;
  return sbuf_append(&r->buf, p, size * n, 65536, LIST_MAX) == 0 ? size * n : 0;
}

static void handle_event(struct reflector *r, const char *line, size_t len);

static size_t on_watch_data(char *p, size_t size, size_t n, void *arg) {
  struct reflector *r = arg;
  size_t total = size * n;
  r->last_byte = clock_now_ms();
  if (sbuf_append(&r->buf, p, total, 65536, LINE_MAX_BYTES) != 0) {
    snprintf(r->abort_why, sizeof r->abort_why, "a watch event longer than %u bytes", LINE_MAX_BYTES);
    return 0;
  }
  if (r->http_status == 0) curl_easy_getinfo(r->h, CURLINFO_RESPONSE_CODE, &r->http_status);
  if (r->http_status != 200) return total; /* a Status document: read whole, reported by the caller */
  /* Events are newline-delimited JSON documents. */
  size_t start = 0;
  for (size_t i = 0; i < r->buf.len; i++) {
    if (r->buf.data[i] != '\n') continue;
    if (i > start) handle_event(r, r->buf.data + start, i - start);
    start = i + 1;
    if (r->gone || r->abort_why[0]) return 0; /* relist, or a broken stream */
  }
  sbuf_consume(&r->buf, start);
  return total;
}

/* A watch's status line: a 200 means the API server answers again, even before it has an event. */
static size_t on_watch_header(char *p, size_t size, size_t n, void *arg) {
  struct reflector *r = arg;
  size_t len = size * n;
  if (len > 12 && strncmp(p, "HTTP/", 5) == 0) {
    const char *sp = memchr(p, ' ', len);
    if (sp && (size_t)(sp - p) + 4 <= len && strncmp(sp + 1, "200", 3) == 0) clear_error(r);
  }
  return len;
}

static int on_progress(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un) {
  (void)dt, (void)dn, (void)ut, (void)un;
  struct reflector *r = arg;
  if (quitting(r->kw)) return 1;
  if (r->last_byte && clock_now_ms() - r->last_byte > r->kw->opt.idle_ms) {
    snprintf(r->abort_why, sizeof r->abort_why, "the watch sent nothing for %lld ms, restarting it",
             (long long)r->kw->opt.idle_ms);
    return 1;
  }
  return 0;
}

/* GETs `path?query` from the API server. For a watch, events are handled as they arrive; otherwise the
 * body is in r->buf. Returns the CURLcode; the HTTP status is in r->http_status. */
static CURLcode http_get(struct reflector *r, const char *path, const char *query, int watch, char *err,
                         size_t errlen) {
  struct kubewatch *kw = r->kw;
  char *token = NULL, terr[512];
  if (kube_conn_token(&kw->conn, &token, terr, sizeof terr) != 0) {
    snprintf(err, errlen, "token: %s", terr);
    return CURLE_READ_ERROR;
  }
  size_t ul = strlen(kw->conn.server) + strlen(path) + strlen(query) + 2;
  char *url = malloc(ul);
  CURL *h = curl_easy_init();
  struct curl_slist *hdr = curl_slist_append(NULL, "Accept: application/json");
  char *auth = NULL;
  if (token) {
    size_t al = strlen(token) + 32;
    if ((auth = malloc(al))) {
      snprintf(auth, al, "Authorization: Bearer %s", token);
      hdr = curl_slist_append(hdr, auth);
    }
  }
  if (!url || !h || !hdr || (token && !auth)) {
    snprintf(err, errlen, "out of memory");
    free(url), free(token), free(auth), curl_slist_free_all(hdr), curl_easy_cleanup(h);
    return CURLE_OUT_OF_MEMORY;
  }
  snprintf(url, ul, "%s%s?%s", kw->conn.server, path, query);
  r->buf.len = 0;
  r->http_status = 0;
  r->gone = 0;
  r->abort_why[0] = '\0';
  r->last_byte = watch ? clock_now_ms() : 0;
  char ebuf[CURL_ERROR_SIZE] = "";
  curl_easy_setopt(h, CURLOPT_URL, url);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, ebuf);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https");
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, (long)CONNECT_TIMEOUT_S);
  curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
  if (!watch) curl_easy_setopt(h, CURLOPT_TIMEOUT, (long)LIST_TIMEOUT_S);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, watch ? on_watch_data : on_list_data);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
  if (watch) {
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_watch_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, r);
  }
  curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt(h, CURLOPT_XFERINFODATA, r);
  if (kw->conn.ca_pem) {
    struct curl_blob ca = {.data = kw->conn.ca_pem, .len = kw->conn.ca_len, .flags = CURL_BLOB_NOCOPY};
    curl_easy_setopt(h, CURLOPT_CAINFO_BLOB, &ca);
  }
  if (kw->conn.cert_pem) {
    struct curl_blob c = {.data = kw->conn.cert_pem, .len = kw->conn.cert_len, .flags = CURL_BLOB_NOCOPY};
    struct curl_blob k = {.data = kw->conn.key_pem, .len = kw->conn.key_len, .flags = CURL_BLOB_NOCOPY};
    curl_easy_setopt(h, CURLOPT_SSLCERT_BLOB, &c);
    curl_easy_setopt(h, CURLOPT_SSLCERTTYPE, "PEM");
    curl_easy_setopt(h, CURLOPT_SSLKEY_BLOB, &k);
    curl_easy_setopt(h, CURLOPT_SSLKEYTYPE, "PEM");
  }
  if (kw->conn.insecure) {
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  r->h = h;
  CURLcode rc = curl_easy_perform(h);
  r->h = NULL;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->http_status);
  if (rc != CURLE_OK && !r->abort_why[0]) snprintf(err, errlen, "%s: %s", url, ebuf[0] ? ebuf : curl_easy_strerror(rc));
  if (r->abort_why[0]) snprintf(err, errlen, "%s", r->abort_why);
  curl_slist_free_all(hdr);
  curl_easy_cleanup(h);
  free(url);
  if (auth) memset(auth, 0, strlen(auth));
  free(auth);
  free(token);
  return rc;
}

/* The message of a Status document in r->buf (the API's error body), or the HTTP status alone. */
static void status_message(struct reflector *r, char *out, size_t outlen) {
  cJSON *st = r->buf.len ? cJSON_ParseWithLength(r->buf.data, r->buf.len) : NULL;
  const char *m = st ? cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(st, "message")) : NULL;
  snprintf(out, outlen, "HTTP %ld%s%s", r->http_status, m ? ": " : "", m ? m : "");
  cJSON_Delete(st);
}

static void paths(const struct reflector *r, char *path, size_t len) {
  const char *group = kube_kind_group_path(r->kind);
  if (r->ns)
    snprintf(path, len, "%s/namespaces/%s/%s", group, r->ns, kube_kind_name(r->kind));
  else
    snprintf(path, len, "%s/%s", group, kube_kind_name(r->kind));
}

/* --- list -------------------------------------------------------------------------------------- */

static const char *meta_rv(const cJSON *o) {
  return cJSON_GetStringValue(
      cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(o, "metadata"), "resourceVersion"));
}

/* A list of objects being gathered from the pages. */
struct list_acc {
  struct kube_object **objs;
  size_t n, cap;
};

/* One page of the list (after `cont`, or the first), parsed; NULL after record_error. */
static cJSON *fetch_page(struct reflector *r, const char *path, const char *cont) {
  char query[4096], err[1024];
  char *esc = cont[0] ? curl_easy_escape(NULL, cont, 0) : NULL;
  if (esc)
    snprintf(query, sizeof query, "limit=%d&continue=%s", PAGE_LIMIT, esc);
  else
    snprintf(query, sizeof query, "limit=%d", PAGE_LIMIT);
  curl_free(esc);
  if (http_get(r, path, query, 0, err, sizeof err) != CURLE_OK) {
    record_error(r, "list %s: %s", path, err);
    return NULL;
  }
  if (r->http_status == 404 && kube_kind_optional(r->kind)) return NULL; /* no CRD: do_list says so */
  if (r->http_status != 200) {
    status_message(r, err, sizeof err);
    record_error(r, "list %s: %s", path, err);
    return NULL;
  }
  cJSON *doc = cJSON_ParseWithLength(r->buf.data, r->buf.len);
  if (!doc) record_error(r, "list %s: the answer is not JSON", path);
  return doc;
}

/* The page's items into `acc`; an item that does not parse is recorded and skipped. Returns 0, or -1
 * when memory runs out. */
static int take_items(struct reflector *r, const char *path, const cJSON *doc, struct list_acc *acc) {
  const cJSON *it;
  cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(doc, "items")) {
    struct kube_object *o;
    char perr[256];
    if (kube_object_parse(r->kind, it, &o, perr, sizeof perr) != 0) {
      record_error(r, "list %s: an item: %s", path, perr);
      continue;
    }
    if (acc->n == acc->cap) {
      size_t nc = acc->cap ? acc->cap * 2 : 64;
      struct kube_object **no = realloc(acc->objs, nc * sizeof *no);
      if (!no) {
        kube_object_free(o);
        record_error(r, "list %s: out of memory", path);
        return -1;
      }
      acc->objs = no;
      acc->cap = nc;
    }
    acc->objs[acc->n++] = o;
  }
  return 0;
}

/* The whole list replaces the store's objects of this resource; the watch resumes from `rv`. */
static void store_list(struct reflector *r, const char *rv, struct list_acc *acc, int pages) {
  pthread_mutex_lock(&r->kw->mu);
  int src = kube_store_replace(r->kw->store, r->kind, r->ns, acc->objs, acc->n);
  acc->n = 0; /* the store owns them */
  r->kw->generation++;
  r->listed = 1;
  r->relists++;
  snprintf(r->status_rv, sizeof r->status_rv, "%s", rv);
  size_t count = kube_store_count(r->kw->store, r->kind);
  pthread_mutex_unlock(&r->kw->mu);
  if (src != 0) log_error("msg=\"out of memory storing a list\" resource=%s", kube_kind_name(r->kind));
  snprintf(r->rv, sizeof r->rv, "%s", rv);
  r->need_list = 0;
  log_info("msg=\"kubernetes list\" resource=%s namespace=%s resource_version=%s pages=%d objects=%zu",
           kube_kind_name(r->kind), r->ns ? r->ns : "*", rv, pages, count);
  clear_error(r);
}

/* A list answered 404 for a kind whose CRD may be missing (the Gateway API's routes): logged once, not
 * an error; the kind has no objects (at once when it was never listed, else after ABSENT_CONFIRM_MS of
 * 404s); the thread keeps trying with backoff, so that CRDs installed later are found. */
static void list_absent(struct reflector *r, const char *path) {
  int64_t now = clock_now_ms();
  if (!r->absent_since) r->absent_since = now;
  pthread_mutex_lock(&r->kw->mu);
  int was = r->absent, confirm = !r->listed || now - r->absent_since >= ABSENT_CONFIRM_MS;
  if (confirm && !was) {
    r->absent = 1;
    if (kube_store_count(r->kw->store, r->kind)) r->kw->generation++;
    kube_store_replace(r->kw->store, r->kind, r->ns, NULL, 0);
  }
  pthread_mutex_unlock(&r->kw->mu);
  if (confirm && !was)
    log_info(
        "msg=\"the Gateway API CRD is not installed: serving without these routes, retrying\" resource=%s "
        "namespace=%s path=%s",
        kube_kind_name(r->kind), r->ns ? r->ns : "*", path);
}

/* Lists every object in pages and replaces the store's objects of this resource with them. */
static int do_list(struct reflector *r) {
  char path[512];
  paths(r, path, sizeof path);
  struct list_acc acc = {0};
  char cont[2048] = "", rv[128] = "";
  int rc = -1, pages = 0;
  set_state(r, "listing");
  do {
    cJSON *doc = fetch_page(r, path, cont);
    if (!doc && r->http_status == 404 && kube_kind_optional(r->kind)) list_absent(r, path);
    if (!doc) goto out;
    const char *prv = meta_rv(doc);
    if (!pages++ && prv) snprintf(rv, sizeof rv, "%s", prv);
    const char *c = cJSON_GetStringValue(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(doc, "metadata"), "continue"));
    snprintf(cont, sizeof cont, "%s", c && strlen(c) < sizeof cont ? c : "");
    int taken = take_items(r, path, doc, &acc);
    cJSON_Delete(doc);
    if (taken != 0) goto out;
  } while (cont[0] && !quitting(r->kw));
  if (!rv[0]) {
    record_error(r, "list %s: no metadata.resourceVersion", path);
    goto out;
  }
  if (r->absent_since) {
    pthread_mutex_lock(&r->kw->mu);
    int was = r->absent;
    r->absent = 0;
    pthread_mutex_unlock(&r->kw->mu);
    r->absent_since = 0;
    if (was)
      log_info("msg=\"the Gateway API CRD is served now\" resource=%s namespace=%s", kube_kind_name(r->kind),
               r->ns ? r->ns : "*");
  }
  store_list(r, rv, &acc, pages);
  rc = 0;
out:
  for (size_t i = 0; i < acc.n; i++) kube_object_free(acc.objs[i]);
  free(acc.objs);
  return rc;
}

/* --- watch ------------------------------------------------------------------------------------- */

static void handle_event(struct reflector *r, const char *line, size_t len) {
  struct kube_event ev;
  char err[256];
  int rc = kube_event_parse(r->kind, line, len, &ev, err, sizeof err);
  if (rc == -1) {
    snprintf(r->abort_why, sizeof r->abort_why, "%s", err);
    return;
  }
  if (rc == -2) /* One bad object does not stop the watch (the API server validated it; xdsd skips it). */
    record_error(r, "watch %s: %s: %s", kube_kind_name(r->kind), kube_event_name(ev.type), err);
  if (ev.type == KUBE_EV_ERROR) {
    if (ev.code == 410)
      r->gone = 1;
    else
      snprintf(r->abort_why, sizeof r->abort_why, "watch error %d: %s", ev.code, ev.message);
  }
  pthread_mutex_lock(&r->kw->mu);
  if (ev.obj) {
    int changed = 1;
    if (ev.type == KUBE_EV_DELETED) {
      changed = kube_store_delete(r->kw->store, r->kind, kube_object_key(ev.obj));
      kube_object_free(ev.obj);
    } else if (kube_store_put(r->kw->store, r->kind, ev.obj) != 0) {
      log_error("msg=\"out of memory storing an object\"");
    }
    if (changed) r->kw->generation++;
  }
  r->events[ev.type]++;
  if (ev.type != KUBE_EV_ERROR) {
    if (ev.rv[0]) snprintf(r->status_rv, sizeof r->status_rv, "%s", ev.rv);
    utc_now(r->last_event, sizeof r->last_event);
  }
  pthread_mutex_unlock(&r->kw->mu);
  if (ev.rv[0] && ev.type != KUBE_EV_ERROR) snprintf(r->rv, sizeof r->rv, "%s", ev.rv);
}

/* Watches from r->rv until the server ends the watch (0), it says 410 Gone (r->need_list is set, 0),
 * or a failure (-1, recorded). */
static int do_watch(struct reflector *r) {
  char path[512], query[512], err[1024] = "";
  paths(r, path, sizeof path);
  snprintf(query, sizeof query, "watch=1&allowWatchBookmarks=true&timeoutSeconds=%lld&resourceVersion=%s",
           (long long)r->kw->opt.watch_timeout_s, r->rv);
  set_state(r, "watching");
  CURLcode rc = http_get(r, path, query, 1, err, sizeof err);
  if (r->gone || r->http_status == 410) {
    log_info("msg=\"kubernetes watch expired (410 Gone), relisting\" resource=%s namespace=%s resource_version=%s",
             kube_kind_name(r->kind), r->ns ? r->ns : "*", r->rv);
    r->need_list = 1;
    return 0;
  }
  if (quitting(r->kw)) return 0;
  if (r->http_status == 404 && kube_kind_optional(r->kind)) { /* the CRD went away: the list says so */
    r->need_list = 1;
    return -1;
  }
  if (rc != CURLE_OK) {
    record_error(r, "watch %s: %s", path, err);
    return -1;
  }
  if (r->http_status != 200) {
    status_message(r, err, sizeof err);
    record_error(r, "watch %s: %s", path, err);
    return -1;
  }
  return 0; /* the server's timeoutSeconds: resume from r->rv */
}

static void *reflector_main(void *arg) {
  struct reflector *r = arg;
  int64_t backoff = BACKOFF_MIN_MS;
  r->need_list = 1;
  while (!quitting(r->kw)) {
    int rc = r->need_list ? do_list(r) : do_watch(r);
    if (rc == 0) {
      backoff = BACKOFF_MIN_MS;
      continue;
    }
    set_state(r, r->absent ? "absent" : "backoff"); /* absent: written by this thread only */
    nap(r->kw, backoff);
    backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff * 2;
  }
  sbuf_free(&r->buf);
  return NULL;
}

/* --- the owner's side ---------------------------------------------------------------------------- */

int kubewatch_start(struct kube_conn *conn, const struct kubewatch_options *o, struct kubewatch **out) {
  *out = NULL;
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) return -1;
  struct kubewatch *kw = calloc(1, sizeof *kw);
  if (!kw) return -1;
  kw->conn = *conn;
  memset(conn, 0, sizeof *conn);
  kw->opt = *o;
  kw->opt.namespaces = NULL;
  pthread_mutex_init(&kw->mu, NULL);
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&kw->cv, &ca);
  pthread_condattr_destroy(&ca);
  size_t nns = o->n_namespaces ? o->n_namespaces : 1;
  kw->store = kube_store_new();
  kw->r = calloc(nns * KUBE_NKINDS, sizeof *kw->r);
  if (!kw->store || !kw->r) {
    kubewatch_stop(kw);
    return -1;
  }
  for (size_t i = 0; i < nns; i++)
    for (int k = 0; k < KUBE_NKINDS; k++) {
      struct reflector *r = &kw->r[kw->n_r++];
      r->kw = kw;
      r->kind = (enum kube_kind)k;
      r->state = "starting";
      if (o->n_namespaces && !(r->ns = strdup(o->namespaces[i]))) {
        kubewatch_stop(kw);
        return -1;
      }
    }
  for (size_t i = 0; i < kw->n_r; i++) {
    if (pthread_create(&kw->r[i].thread, NULL, reflector_main, &kw->r[i]) != 0) {
      kubewatch_stop(kw);
      return -1;
    }
    kw->r[i].started = 1;
  }
  *out = kw;
  return 0;
}

void kubewatch_stop(struct kubewatch *kw) {
  if (!kw) return;
  pthread_mutex_lock(&kw->mu);
  kw->quit = 1;
  pthread_cond_broadcast(&kw->cv);
  pthread_mutex_unlock(&kw->mu);
  for (size_t i = 0; i < kw->n_r; i++) {
    if (kw->r[i].started) pthread_join(kw->r[i].thread, NULL);
    free(kw->r[i].ns);
  }
  free(kw->r);
  for (size_t i = 0; i < kw->n_notes; i++) free(kw->notes[i]);
  free(kw->notes);
  kube_store_free(kw->store);
  kube_conn_clear(&kw->conn);
  pthread_mutex_destroy(&kw->mu);
  pthread_cond_destroy(&kw->cv);
  free(kw);
  curl_global_cleanup();
}

uint64_t kubewatch_generation(struct kubewatch *kw) {
  pthread_mutex_lock(&kw->mu);
  uint64_t g = kw->generation;
  pthread_mutex_unlock(&kw->mu);
  return g;
}

static int all(struct kubewatch *kw, int settled) {
  pthread_mutex_lock(&kw->mu);
  int ok = 1;
  for (size_t i = 0; i < kw->n_r; i++)
    if (!kw->r[i].listed && !kw->r[i].absent && !(settled && kw->r[i].failed)) ok = 0;
  pthread_mutex_unlock(&kw->mu);
  return ok;
}

int kubewatch_synced(struct kubewatch *kw) { return all(kw, 0); }
int kubewatch_settled(struct kubewatch *kw) { return all(kw, 1); }

/* Whether `s` is in the sorted list. */
static int in_sorted(char *const *list, size_t n, const char *s) {
  size_t lo = 0, hi = n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int c = strcmp(s, list[mid]);
    if (!c) return 1;
    if (c < 0)
      hi = mid;
    else
      lo = mid + 1;
  }
  return 0;
}

/* Logs the route notes that are new since the last view (and says when old ones are gone), and keeps
 * them for /status. */
static void take_notes(struct kubewatch *kw, const struct kube_view *v) {
  char **copy = v->n_notes ? calloc(v->n_notes, sizeof *copy) : NULL;
  size_t n = 0;
  for (size_t i = 0; copy && i < v->n_notes; i++)
    if ((copy[n] = strdup(v->notes[i]))) n++;
  pthread_mutex_lock(&kw->mu);
  char **old = kw->notes;
  size_t n_old = kw->n_notes, routed_old = kw->n_routed;
  kw->notes = copy;
  kw->n_notes = n;
  kw->n_routed = v->n_routed;
  pthread_mutex_unlock(&kw->mu);
  char clean[1024];
  for (size_t i = 0; i < v->n_notes; i++) {
    if (in_sorted(old, n_old, v->notes[i])) continue;
    log_sanitize(v->notes[i], strlen(v->notes[i]), clean, sizeof clean);
    log_warn("msg=\"a Gateway API route is not served as written\" note=%s", clean);
  }
  size_t gone = 0;
  for (size_t i = 0; i < n_old; i++) gone += !in_sorted(v->notes, v->n_notes, old[i]);
  if (gone) log_info("msg=\"route notes resolved\" count=%zu", gone);
  if (routed_old != v->n_routed) log_info("msg=\"gateway api routes\" routed_listeners=%zu", v->n_routed);
  for (size_t i = 0; i < n_old; i++) free(old[i]);
  free(old);
}

struct kube_view *kubewatch_freeze(struct kubewatch *kw) {
  pthread_mutex_lock(&kw->mu);
  struct kube_view *v = kube_view_build(kw->store);
  pthread_mutex_unlock(&kw->mu);
  if (v) take_notes(kw, v);
  return v;
}

/* One watch of /status. */
static void watch_json(const struct reflector *r, int first, FILE *out) {
  uint64_t events = 0;
  for (int t = 0; t < KUBE_EV_NTYPES; t++) events += t == KUBE_EV_BOOKMARK ? 0 : r->events[t];
  fprintf(out, "%s{\"resource\":\"%s\",\"namespace\":", first ? "" : ",", kube_kind_name(r->kind));
  jsonw_str(out, r->ns);
  fprintf(out, ",\"state\":\"%s\",\"resource_version\":", r->state);
  jsonw_str(out, r->status_rv[0] ? r->status_rv : NULL);
  fputs(",\"last_event\":", out);
  jsonw_str(out, r->last_event[0] ? r->last_event : NULL);
  fprintf(out, ",\"events\":%llu,\"bookmarks\":%llu,\"relists\":%llu,\"errors\":%llu,\"last_error\":",
          (unsigned long long)events, (unsigned long long)r->events[KUBE_EV_BOOKMARK], (unsigned long long)r->relists,
          (unsigned long long)r->errors);
  jsonw_strn(out, r->last_error[0] ? r->last_error : NULL, 400);
  if (kube_kind_optional(r->kind)) fprintf(out, ",\"absent\":%s", r->absent ? "true" : "false");
  fputc('}', out);
}

static int synced_locked(const struct kubewatch *kw) {
  int synced = 1;
  for (size_t i = 0; i < kw->n_r; i++) synced &= kw->r[i].listed || kw->r[i].absent;
  return synced;
}

#define STATUS_NOTES_MAX 100

void kubewatch_status_json(struct kubewatch *kw, FILE *out) {
  pthread_mutex_lock(&kw->mu);
  fputs("{\"server\":", out);
  jsonw_str(out, kw->conn.server);
  fputs(",\"origin\":", out);
  jsonw_str(out, kw->conn.origin);
  fprintf(out, ",\"synced\":%s", synced_locked(kw) ? "true" : "false");
  for (int k = 0; k < KUBE_NKINDS; k++)
    fprintf(out, ",\"%s\":%zu", kube_kind_name((enum kube_kind)k), kube_store_count(kw->store, (enum kube_kind)k));
  /* The Services' and EndpointSlices' watches, then the routes' (whose CRDs may be absent). */
  for (int optional = 0; optional < 2; optional++) {
    fputs(optional ? ",\"route_watches\":[" : ",\"watches\":[", out);
    int first = 1;
    for (size_t i = 0; i < kw->n_r; i++) {
      if (kube_kind_optional(kw->r[i].kind) != optional) continue;
      watch_json(&kw->r[i], first, out);
      first = 0;
    }
    fputc(']', out);
  }
  fprintf(out, ",\"routes\":{\"routed_listeners\":%zu,\"notes_count\":%zu,\"notes\":[", kw->n_routed, kw->n_notes);
  for (size_t i = 0; i < kw->n_notes && i < STATUS_NOTES_MAX; i++) {
    if (i) fputc(',', out);
    jsonw_strn(out, kw->notes[i], 1024);
  }
  fputs("]}}", out);
  pthread_mutex_unlock(&kw->mu);
}

void kubewatch_metrics_text(struct kubewatch *kw, FILE *out) {
  pthread_mutex_lock(&kw->mu);
  prom_header(out, "xdsd_kube_events_total", "counter",
              "Watch events received from the Kubernetes API, by resource and type.");
  for (int k = 0; k < KUBE_NKINDS; k++)
    for (int t = 0; t < KUBE_EV_NTYPES; t++) {
      uint64_t n = 0;
      for (size_t i = 0; i < kw->n_r; i++)
        if ((int)kw->r[i].kind == k) n += kw->r[i].events[t];
      fprintf(out, "xdsd_kube_events_total{resource=\"%s\",type=\"%s\"} %llu\n", kube_kind_name(k),
              kube_event_name((enum kube_event_type)t), (unsigned long long)n);
    }
  static const char *const names[] = {"relists", "errors"};
  static const char *const help[] = {"Lists of a resource (the first, and each after a 410 Gone).",
                                     "Failed list and watch requests (connection, TLS, HTTP status, a silent watch)."};
  for (int m = 0; m < 2; m++) {
    char name[64];
    snprintf(name, sizeof name, "xdsd_kube_%s_total", names[m]);
    prom_header(out, name, "counter", help[m]);
    for (int k = 0; k < KUBE_NKINDS; k++) {
      uint64_t n = 0;
      for (size_t i = 0; i < kw->n_r; i++)
        if ((int)kw->r[i].kind == k) n += m == 0 ? kw->r[i].relists : kw->r[i].errors;
      prom_sample(out, name, "resource", kube_kind_name(k), n);
    }
  }
  prom_header(out, "xdsd_kube_objects", "gauge", "Objects held from the Kubernetes API.");
  for (int k = 0; k < KUBE_NKINDS; k++)
    prom_sample(out, "xdsd_kube_objects", "resource", kube_kind_name(k), kube_store_count(kw->store, k));
  prom_header(out, "xdsd_kube_absent", "gauge",
              "1 while the API server does not serve the resource (its CRD is not installed).");
  for (int k = 0; k < KUBE_NKINDS; k++) {
    if (!kube_kind_optional((enum kube_kind)k)) continue;
    int absent = 0;
    for (size_t i = 0; i < kw->n_r; i++) absent |= (int)kw->r[i].kind == k && kw->r[i].absent;
    prom_sample(out, "xdsd_kube_absent", "resource", kube_kind_name((enum kube_kind)k), (unsigned)absent);
  }
  prom_metric(out, "xdsd_kube_routed_listeners", "gauge",
              "Service ports whose routes GRPCRoutes or HTTPRoutes decide (the rest have the default route).",
              kw->n_routed);
  prom_metric(out, "xdsd_kube_route_notes", "gauge",
              "Parts of Gateway API routes not served as written (refused rules, missing backends, conflicts).",
              kw->n_notes);
  prom_metric(out, "xdsd_kube_synced", "gauge", "1 once every resource has been listed (or found absent).",
              (unsigned)synced_locked(kw));
  pthread_mutex_unlock(&kw->mu);
}
