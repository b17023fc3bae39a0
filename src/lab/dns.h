/* Cluster DNS: dnsmasq answering only from a hosts file (names NAME.lab), which the lab rewrites and
 * reloads with SIGHUP when a Service's endpoints change, as Kubernetes' DNS follows a headless
 * Service. A tiny A-record query confirms what it serves before the lab moves on. */
#ifndef LAB_DNS_H
#define LAB_DNS_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "proc.h"

#define DNS_DOMAIN "lab"
#define DNS_MAX_RECORDS 128
/* The lab's own queries come from this address, so the query log tells them from the clients'. */
#define DNS_PROBE_IP "127.0.3.254"

struct dns_record {
  char name[64]; /* without the domain */
  char ip[16];
};

struct dns {
  struct proc proc;
  char ip[16];
  uint16_t port;
  char hosts_path[PATH_MAX];
  char log_path[PATH_MAX];
};

/* Starts dnsmasq on ip:port with an empty hosts file in `dir` and waits until it answers.
 * Returns 0, or -1 (logged). */
int dns_start(struct dns *d, const char *dnsmasq, const char *dir, const char *ip, uint16_t port);

/* Replaces every record (several records of one name are several A answers), reloads dnsmasq and
 * waits until it serves `check_name` with as many addresses as records name it (when check_name is
 * not NULL). Returns 0, or -1 (write error, or not served within a few seconds). */
int dns_set_records(struct dns *d, const struct dns_record *recs, size_t n, const char *check_name);

/* Number of A records served for NAME.lab (a single query, 500 ms timeout), or -1 on no answer. */
int dns_query_count(const struct dns *d, const char *name);

/* The same for a name as given: 0 for NXDOMAIN, -1 for no answer or another error (REFUSED). */
int dns_query(const struct dns *d, const char *fqdn);

void dns_stop(struct dns *d);

#endif
