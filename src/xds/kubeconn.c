#include "kubeconn.h"

#include <ctype.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "file.h"
#include "ytree.h"

#define PEM_MAX (1024 * 1024)

void kube_conn_clear(struct kube_conn *c) {
  free(c->server);
  free(c->ca_pem);
  free(c->token);
  free(c->token_file);
  free(c->cert_pem);
  free(c->key_pem);
  free(c->origin);
  memset(c, 0, sizeof *c);
}

/* `rel` against the folder of `base` unless it is absolute. A new string, or NULL. */
static char *resolve_path(const char *base, const char *rel) {
  if (rel[0] == '/' || !strchr(base, '/')) return strdup(rel);
  size_t dl = (size_t)(strrchr(base, '/') - base);
  size_t n = dl + strlen(rel) + 2;
  char *p = malloc(n);
  if (p) snprintf(p, n, "%.*s/%s", (int)dl, base, rel);
  return p;
}

/* Decodes base64 `s` (white space ignored) with OpenSSL. A new NUL-terminated buffer, or NULL. */
static char *b64_decode(const char *s, size_t *len) {
  size_t n = strlen(s);
  char *clean = malloc(n + 1);
  if (!clean) return NULL;
  size_t k = 0;
  for (size_t i = 0; i < n; i++)
    if (!isspace((unsigned char)s[i])) clean[k++] = s[i];
  clean[k] = '\0';
  unsigned char *out = malloc(k / 4 * 3 + 4);
  int m = out && k % 4 == 0 ? EVP_DecodeBlock(out, (unsigned char *)clean, (int)k) : -1;
  if (m < 0) {
    free(clean);
    free(out);
    return NULL;
  }
  /* EVP_DecodeBlock counts the padding as zero bytes. */
  if (k >= 1 && clean[k - 1] == '=') m--;
  if (k >= 2 && clean[k - 2] == '=') m--;
  free(clean);
  out[m] = '\0';
  *len = (size_t)m;
  return (char *)out;
}

/* A PEM given as FIELD (a path, relative to the kubeconfig) or FIELD-data (base64). */
static int get_pem(const struct ytree *map, const char *field, const char *kcpath, char **pem, size_t *len, char *err,
                   size_t errlen) {
  char key[64];
  snprintf(key, sizeof key, "%s-data", field);
  const char *data = ytree_str(map, key), *file = ytree_str(map, field);
  if (data) {
    if (!(*pem = b64_decode(data, len))) {
      snprintf(err, errlen, "%s: %s is not base64", kcpath, key);
      return -1;
    }
    return 0;
  }
  if (!file) return 0;
  char *p = resolve_path(kcpath, file), e[512];
  if (!p || file_read_text(p, PEM_MAX, pem, len, e, sizeof e) != 0) {
    snprintf(err, errlen, "%s: %s: %s", kcpath, field, p ? e : "out of memory");
    free(p);
    return -1;
  }
  free(p);
  return 0;
}

/* The entry of list `list` (clusters, users, contexts) whose name is `name`: its `field` map. */
static const struct ytree *named(const struct ytree *root, const char *list, const char *name, const char *field) {
  const struct ytree *l = ytree_get(root, list);
  for (const struct ytree *e = l && l->kind == YTREE_SEQ ? l->child : NULL; e; e = e->next) {
    const char *n = ytree_str(e, "name");
    if (n && strcmp(n, name) == 0) return ytree_get(e, field);
  }
  return NULL;
}

int kube_conn_from_kubeconfig(const char *path, struct kube_conn *out, char *err, size_t errlen) {
  memset(out, 0, sizeof *out);
  struct ytree *root = ytree_load(path, err, errlen);
  if (!root) return -1;
  int rc = -1;
  const char *ctxname = ytree_str(root, "current-context");
  const struct ytree *ctx = ctxname ? named(root, "contexts", ctxname, "context") : NULL;
  const char *cname = ytree_str(ctx, "cluster"), *uname = ytree_str(ctx, "user");
  const struct ytree *cl = cname ? named(root, "clusters", cname, "cluster") : NULL;
  const struct ytree *user = uname ? named(root, "users", uname, "user") : NULL;
  const char *server = ytree_str(cl, "server");
  if (!ctxname || !ctx) {
    snprintf(err, errlen, "%s: no current-context, or it names no entry of contexts", path);
    goto out;
  }
  if (!server || strncmp(server, "https://", 8) != 0) {
    snprintf(err, errlen, "%s: context %s: its cluster has no https:// server", path, ctxname);
    goto out;
  }
  if (uname && !user) {
    snprintf(err, errlen, "%s: context %s names user %s, which is not in users", path, ctxname, uname);
    goto out;
  }
  if (ytree_get(user, "exec") || ytree_get(user, "auth-provider")) {
    snprintf(err, errlen,
             "%s: user %s: exec and auth-provider credentials are not supported (use a token or a "
             "client certificate)",
             path, uname);
    goto out;
  }
  out->server = strdup(server);
  size_t sl = out->server ? strlen(out->server) : 0;
  while (sl > 8 && out->server[sl - 1] == '/') out->server[--sl] = '\0';
  const char *insecure = ytree_str(cl, "insecure-skip-tls-verify");
  out->insecure = insecure && strcmp(insecure, "true") == 0;
  if (get_pem(cl, "certificate-authority", path, &out->ca_pem, &out->ca_len, err, errlen) ||
      get_pem(user, "client-certificate", path, &out->cert_pem, &out->cert_len, err, errlen) ||
      get_pem(user, "client-key", path, &out->key_pem, &out->key_len, err, errlen))
    goto out;
  if (!out->cert_pem != !out->key_pem) {
    snprintf(err, errlen, "%s: user %s: a client certificate needs its key, and a key its certificate", path, uname);
    goto out;
  }
  const char *token = ytree_str(user, "token"), *tfile = ytree_str(user, "tokenFile");
  if (token && !(out->token = strdup(token))) goto oom;
  if (tfile && !(out->token_file = resolve_path(path, tfile))) goto oom;
  size_t ol = strlen(path) + strlen(ctxname) + 32;
  if (!(out->origin = malloc(ol))) goto oom;
  snprintf(out->origin, ol, "kubeconfig %s (context %s)", path, ctxname);
  if (!out->server) goto oom;
  rc = 0;
  goto out;
oom:
  snprintf(err, errlen, "%s: out of memory", path);
out:
  ytree_free(root);
  if (rc != 0) kube_conn_clear(out);
  return rc;
}

int kube_conn_in_cluster(struct kube_conn *out, char *err, size_t errlen) {
  memset(out, 0, sizeof *out);
  const char *host = getenv("KUBERNETES_SERVICE_HOST"), *port = getenv("KUBERNETES_SERVICE_PORT");
  const char *dir = getenv("XDSD_SERVICE_ACCOUNT_DIR");
  if (!dir) dir = "/var/run/secrets/kubernetes.io/serviceaccount";
  if (!host || !host[0] || !port || !port[0]) {
    snprintf(err, errlen,
             "not in a pod: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set "
             "(use --kubeconfig FILE)");
    return -1;
  }
  char path[4096], e[512];
  size_t n = strlen(host) + strlen(port) + 16;
  out->server = malloc(n);
  out->origin = strdup("in-cluster service account");
  if (!out->server || !out->origin) {
    kube_conn_clear(out);
    snprintf(err, errlen, "out of memory");
    return -1;
  }
  /* An IPv6 service host needs brackets in a URL. */
  snprintf(out->server, n, strchr(host, ':') ? "https://[%s]:%s" : "https://%s:%s", host, port);
  snprintf(path, sizeof path, "%s/ca.crt", dir);
  if (file_read_text(path, PEM_MAX, &out->ca_pem, &out->ca_len, e, sizeof e) != 0) {
    snprintf(err, errlen, "service account: %s", e);
    kube_conn_clear(out);
    return -1;
  }
  snprintf(path, sizeof path, "%s/token", dir);
  if (!(out->token_file = strdup(path))) {
    kube_conn_clear(out);
    snprintf(err, errlen, "out of memory");
    return -1;
  }
  char *t = NULL;
  if (kube_conn_token(out, &t, err, errlen) != 0) {
    kube_conn_clear(out);
    return -1;
  }
  free(t);
  return 0;
}

int kube_conn_token(const struct kube_conn *c, char **token, char *err, size_t errlen) {
  *token = NULL;
  if (!c->token_file) {
    if (c->token && !(*token = strdup(c->token))) goto oom;
    return 0;
  }
  size_t len;
  if (file_read_text(c->token_file, 64 * 1024, token, &len, err, errlen) != 0) return -1;
  while (len && isspace((unsigned char)(*token)[len - 1])) (*token)[--len] = '\0';
  return 0;
oom:
  snprintf(err, errlen, "out of memory");
  return -1;
}
