/* Where the Kubernetes API server is and how xdsd authenticates to it: from a kubeconfig file (its
 * current context: server, certificate-authority[-data], token / tokenFile, client-certificate[-data]
 * and client-key[-data]) or, in a pod, from the service account (KUBERNETES_SERVICE_HOST and _PORT, the
 * token and CA in XDSD_SERVICE_ACCOUNT_DIR, default /var/run/secrets/kubernetes.io/serviceaccount).
 * Reads only the files it names; nothing is sent here. */
#ifndef XDS_KUBECONN_H
#define XDS_KUBECONN_H

#include <stddef.h>

struct kube_conn {
  char *server; /* "https://HOST:PORT" without a trailing slash */
  char *ca_pem; /* the CA bundle (PEM), NULL: the system's */
  size_t ca_len;
  char *token;              /* a bearer token given inline, or NULL */
  char *token_file;         /* read again before every request (service-account tokens rotate), or NULL */
  char *cert_pem, *key_pem; /* a client certificate and its key (PEM), or NULL */
  size_t cert_len, key_len;
  int insecure; /* insecure-skip-tls-verify: true */
  char *origin; /* "kubeconfig PATH (context NAME)" or "in-cluster service account" */
};

/* Each returns 0, or -1 with err[errlen] naming the file and what is wrong. */
int kube_conn_from_kubeconfig(const char *path, struct kube_conn *out, char *err, size_t errlen);
int kube_conn_in_cluster(struct kube_conn *out, char *err, size_t errlen);
void kube_conn_clear(struct kube_conn *c);

/* The bearer token to send now (the file's content without trailing white space, or the inline one):
 * a new string (free it), or NULL when there is none; -1 with err set when the file cannot be read. */
int kube_conn_token(const struct kube_conn *c, char **token, char *err, size_t errlen);

#endif
