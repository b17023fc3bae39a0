/* Chooses xdsd's JSON library by measurement (issue 11): parses the JSON of an EndpointSliceList as the
 * API server sends it (N slices of E endpoints each, every field a real slice has), walks it as the watch
 * does (every address, condition and zone), and prints the median parse+walk time of R runs and the heap
 * the parsed tree holds. Built once per library (-DLIB_JANSSON, -DLIB_JSONC, -DLIB_CJSON: jansson and
 * json-c share symbol names, so one binary cannot hold both). Not a test: bench/json/run.sh. */
#if defined(LIB_JANSSON)
#include <jansson.h>
#elif defined(LIB_JSONC)
#include <json-c/json.h>
#else
#include <cjson/cJSON.h>
#endif
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static size_t heap_used(void) { return mallinfo2().uordblks; }

/* One EndpointSliceList, as kube-apiserver serializes it. */
static char *make_list(int slices, int per, size_t *len) {
  size_t cap = (size_t)slices * per * 400 + (size_t)slices * 1200 + 4096, n = 0;
  char *b = malloc(cap);
  n += sprintf(b + n,
               "{\"kind\":\"EndpointSliceList\",\"apiVersion\":\"discovery.k8s.io/v1\","
               "\"metadata\":{\"resourceVersion\":\"123456\"},\"items\":[");
  for (int s = 0; s < slices; s++) {
    n += sprintf(b + n,
                 "%s{\"metadata\":{\"name\":\"svc-%d-abcde\",\"generateName\":\"svc-%d-\",\"namespace\":\"default\","
                 "\"uid\":\"0b6c7f0e-7d1a-4f0e-9a55-%012d\",\"resourceVersion\":\"%d\",\"generation\":3,"
                 "\"creationTimestamp\":\"2026-12-01T00:00:00Z\",\"labels\":{\"endpointslice.kubernetes.io/"
                 "managed-by\":\"endpointslice-controller.k8s.io\",\"kubernetes.io/service-name\":\"svc-%d\"},"
                 "\"ownerReferences\":[{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"name\":\"svc-%d\",\"uid\":"
                 "\"1b6c7f0e-7d1a-4f0e-9a55-%012d\",\"controller\":true,\"blockOwnerDeletion\":true}]},"
                 "\"addressType\":\"IPv4\",\"endpoints\":[",
                 s ? "," : "", s, s, s, 1000 + s, s, s, s);
    for (int e = 0; e < per; e++) {
      int i = s * per + e;
      n += sprintf(b + n,
                   "%s{\"addresses\":[\"198.18.%d.%d\"],\"conditions\":{\"ready\":true,\"serving\":true,"
                   "\"terminating\":false},\"targetRef\":{\"kind\":\"Pod\",\"namespace\":\"default\",\"name\":"
                   "\"svc-%d-7c9f8d6b5-%05d\",\"uid\":\"2b6c7f0e-7d1a-4f0e-9a55-%012d\"},\"nodeName\":\"node-%d\","
                   "\"zone\":\"zone-%d\"}",
                   e ? "," : "", (i >> 8) & 255, i & 255, s, e, i, e % 3, e % 3);
    }
    n += sprintf(b + n, "],\"ports\":[{\"name\":\"grpc\",\"protocol\":\"TCP\",\"port\":50051}]}");
  }
  n += sprintf(b + n, "]}");
  *len = n;
  return b;
}

struct walk {
  size_t endpoints, ready, zone_bytes;
};

#if defined(LIB_JANSSON)
static void walk_jansson(const char *buf, size_t len, struct walk *w, size_t *held) {
  size_t h0 = heap_used();
  json_error_t err;
  json_t *root = json_loadb(buf, len, 0, &err);
  *held = heap_used() - h0;
  json_t *items = json_object_get(root, "items");
  for (size_t i = 0; i < json_array_size(items); i++) {
    json_t *eps = json_object_get(json_array_get(items, i), "endpoints");
    for (size_t j = 0; j < json_array_size(eps); j++) {
      json_t *ep = json_array_get(eps, j);
      const char *a = json_string_value(json_array_get(json_object_get(ep, "addresses"), 0));
      w->endpoints += a != NULL;
      w->ready += json_is_true(json_object_get(json_object_get(ep, "conditions"), "ready"));
      const char *z = json_string_value(json_object_get(ep, "zone"));
      w->zone_bytes += z ? strlen(z) : 0;
    }
  }
  json_decref(root);
}

#elif defined(LIB_JSONC)
static void walk_jsonc(const char *buf, size_t len, struct walk *w, size_t *held) {
  size_t h0 = heap_used();
  struct json_tokener *tok = json_tokener_new();
  struct json_object *root = json_tokener_parse_ex(tok, buf, (int)len);
  json_tokener_free(tok);
  *held = heap_used() - h0;
  struct json_object *items, *eps, *v, *c;
  if (!json_object_object_get_ex(root, "items", &items)) abort();
  size_t ni = json_object_array_length(items);
  for (size_t i = 0; i < ni; i++) {
    if (!json_object_object_get_ex(json_object_array_get_idx(items, i), "endpoints", &eps)) continue;
    size_t ne = json_object_array_length(eps);
    for (size_t j = 0; j < ne; j++) {
      struct json_object *ep = json_object_array_get_idx(eps, j);
      if (json_object_object_get_ex(ep, "addresses", &v) && json_object_array_length(v) > 0)
        w->endpoints += json_object_get_string(json_object_array_get_idx(v, 0)) != NULL;
      if (json_object_object_get_ex(ep, "conditions", &c) && json_object_object_get_ex(c, "ready", &v))
        w->ready += json_object_get_boolean(v);
      if (json_object_object_get_ex(ep, "zone", &v)) w->zone_bytes += strlen(json_object_get_string(v));
    }
  }
  json_object_put(root);
}

#else
static void walk_cjson(const char *buf, size_t len, struct walk *w, size_t *held) {
  size_t h0 = heap_used();
  cJSON *root = cJSON_ParseWithLength(buf, len);
  *held = heap_used() - h0;
  const cJSON *item, *ep;
  cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(root, "items")) {
    cJSON_ArrayForEach(ep, cJSON_GetObjectItemCaseSensitive(item, "endpoints")) {
      const cJSON *a = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(ep, "addresses"), 0);
      w->endpoints += cJSON_IsString(a);
      w->ready +=
          cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(ep, "conditions"), "ready"));
      const cJSON *z = cJSON_GetObjectItemCaseSensitive(ep, "zone");
      w->zone_bytes += cJSON_IsString(z) ? strlen(z->valuestring) : 0;
    }
  }
  cJSON_Delete(root);
}

#endif

static int cmp_d(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv) {
  int slices = argc > 1 ? atoi(argv[1]) : 1000, per = argc > 2 ? atoi(argv[2]) : 10;
  int runs = argc > 3 ? atoi(argv[3]) : 15;
#if defined(LIB_JANSSON)
  const char *name = "jansson " JANSSON_VERSION;
  void (*fn)(const char *, size_t, struct walk *, size_t *) = walk_jansson;
#elif defined(LIB_JSONC)
  const char *name = "json-c " JSON_C_VERSION;
  void (*fn)(const char *, size_t, struct walk *, size_t *) = walk_jsonc;
#else
  static char cname[32];
  snprintf(cname, sizeof cname, "cJSON %d.%d.%d", CJSON_VERSION_MAJOR, CJSON_VERSION_MINOR, CJSON_VERSION_PATCH);
  const char *name = cname;
  void (*fn)(const char *, size_t, struct walk *, size_t *) = walk_cjson;
#endif
  size_t len, held = 0;
  char *buf = make_list(slices, per, &len);
  double *t = calloc(runs, sizeof *t);
  for (int r = 0; r < runs; r++) {
    struct walk w = {0};
    double t0 = now_s();
    fn(buf, len, &w, &held);
    t[r] = now_s() - t0;
    if (w.endpoints != (size_t)slices * per || w.ready != w.endpoints) {
      fprintf(stderr, "%s: walked %zu endpoints, %zu ready\n", name, w.endpoints, w.ready);
      return 1;
    }
  }
  qsort(t, runs, sizeof *t, cmp_d);
  printf("%s input_bytes=%zu endpoints=%d parse_walk_ms=%.2f tree_bytes=%zu\n", name, len, slices * per,
         t[runs / 2] * 1e3, held);
  free(t);
  free(buf);
  return 0;
}
