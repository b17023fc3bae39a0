#include "dns.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"

#define DNS_READY_MS 5000

static int write_hosts(const char *path, const struct dns_record *recs, size_t n) {
  char tmp[PATH_MAX + 8];
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  FILE *f = fopen(tmp, "w");
  if (!f) return -1;
  fprintf(f, "# written by the lab: one line per pod address of a Service\n");
  /* NAME.lab for the clients' targets, and the bare NAME as well, which the demo's xDS config uses. */
  for (size_t i = 0; i < n; i++) fprintf(f, "%s %s.%s %s\n", recs[i].ip, recs[i].name, DNS_DOMAIN, recs[i].name);
  if (fclose(f) != 0) return -1;
  /* A rename, so that dnsmasq never reads a half-written file. */
  return rename(tmp, path);
}

int dns_start(struct dns *d, const char *dnsmasq, const char *dir, const char *ip, uint16_t port) {
  memset(d, 0, sizeof *d);
  snprintf(d->ip, sizeof d->ip, "%s", ip);
  d->port = port;
  snprintf(d->hosts_path, sizeof d->hosts_path, "%s/dns-hosts", dir);
  snprintf(d->log_path, sizeof d->log_path, "%s/dnsmasq.log", dir);
  if (write_hosts(d->hosts_path, NULL, 0) != 0) {
    log_error("msg=\"cannot write hosts file\" path=%s err=\"%s\"", d->hosts_path, strerror(errno));
    return -1;
  }
  char port_s[8], hosts_arg[PATH_MAX + 16], log_arg[PATH_MAX + 32], pid_arg[PATH_MAX + 16];
  snprintf(port_s, sizeof port_s, "%u", port);
  snprintf(hosts_arg, sizeof hosts_arg, "--addn-hosts=%s", d->hosts_path);
  snprintf(log_arg, sizeof log_arg, "--log-facility=%s", d->log_path);
  snprintf(pid_arg, sizeof pid_arg, "--pid-file=%s/dnsmasq.pid", dir);
  /* Only the hosts file answers: no upstream, no /etc/hosts, the .lab domain is local and unqualified
   * names are never forwarded (--domain-needed): AAAA queries get an empty answer rather than REFUSED,
   * which c-ares would retry, and a name with no pod gets NXDOMAIN, as from a cluster's DNS, not
   * REFUSED, a failed lookup (dnsmasq 2.90's --local=// does not do it). Running as root keeps the log
   * and hosts file readable after a reload. */
  const char *argv[] = {dnsmasq,
                        "-k",
                        "--no-resolv",
                        "--no-hosts",
                        "--local=/" DNS_DOMAIN "/",
                        "--domain-needed",
                        "--port",
                        port_s,
                        "--listen-address",
                        ip,
                        "--bind-interfaces",
                        hosts_arg,
                        "--log-queries",
                        log_arg,
                        "--user=root",
                        pid_arg,
                        NULL};
  struct proc_spec spec = {.name = "dnsmasq", .argv = argv, .log_path = d->log_path};
  if (proc_start(&d->proc, &spec) != 0) return -1;
  int64_t deadline = clock_now_ms() + DNS_READY_MS;
  while (dns_query_count(d, "ready-probe") < 0) {
    int st;
    if (proc_poll_exit(&d->proc, &st) != 0 || clock_now_ms() > deadline) {
      log_error("msg=\"dnsmasq did not answer\" address=%s:%u log=%s", ip, port, d->log_path);
      dns_stop(d);
      return -1;
    }
    usleep(50000);
  }
  log_info("msg=\"cluster DNS ready\" address=%s:%u pid=%d", ip, port, (int)d->proc.pid);
  return 0;
}

int dns_set_records(struct dns *d, const struct dns_record *recs, size_t n, const char *check_name) {
  if (write_hosts(d->hosts_path, recs, n) != 0) {
    log_error("msg=\"cannot write hosts file\" path=%s err=\"%s\"", d->hosts_path, strerror(errno));
    return -1;
  }
  if (proc_signal(&d->proc, SIGHUP) != 0) return -1;
  if (!check_name) return 0;
  int want = 0;
  for (size_t i = 0; i < n; i++) want += strcmp(recs[i].name, check_name) == 0;
  int64_t deadline = clock_now_ms() + DNS_READY_MS;
  int got;
  while ((got = dns_query_count(d, check_name)) != want) {
    if (clock_now_ms() > deadline) {
      log_error("msg=\"DNS does not serve the new records\" name=%s want=%d got=%d", check_name, want, got);
      return -1;
    }
    usleep(20000);
  }
  return 0;
}

/* Writes a query for `fqdn` type A into q; returns its length. */
static size_t build_query(uint8_t *q, size_t cap, uint16_t id, const char *fqdn) {
  size_t off = 12;
  memset(q, 0, 12);
  q[0] = (uint8_t)(id >> 8);
  q[1] = (uint8_t)id;
  q[2] = 0x01; /* recursion desired */
  q[5] = 1;    /* one question */
  for (const char *label = fqdn; *label;) {
    const char *dot = strchr(label, '.');
    size_t len = dot ? (size_t)(dot - label) : strlen(label);
    if (off + len + 6 > cap || len > 63) return 0;
    q[off++] = (uint8_t)len;
    memcpy(q + off, label, len);
    off += len;
    label += len + (dot ? 1 : 0);
  }
  q[off++] = 0;
  q[off++] = 0;
  q[off++] = 1; /* type A */
  q[off++] = 0;
  q[off++] = 1; /* class IN */
  return off;
}

int dns_query_count(const struct dns *d, const char *name) {
  char fqdn[256];
  snprintf(fqdn, sizeof fqdn, "%s.%s", name, DNS_DOMAIN);
  return dns_query(d, fqdn);
}

int dns_query(const struct dns *d, const char *fqdn) {
  uint8_t q[512], r[1500];
  uint16_t id = (uint16_t)(clock_now_us() & 0xffff);
  size_t qlen = build_query(q, sizeof q, id, fqdn);
  if (qlen == 0) return -1;
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  struct sockaddr_in src = {.sin_family = AF_INET};
  inet_pton(AF_INET, DNS_PROBE_IP, &src.sin_addr);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(d->port)};
  inet_pton(AF_INET, d->ip, &sa.sin_addr);
  int count = -1;
  if (bind(fd, (struct sockaddr *)&src, sizeof src) == 0 &&
      sendto(fd, q, qlen, 0, (struct sockaddr *)&sa, sizeof sa) == (ssize_t)qlen) {
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    if (poll(&pfd, 1, 500) == 1) {
      ssize_t n = recv(fd, r, sizeof r, 0);
      /* Same id, a response, RCODE 0 (NOERROR) or 3 (NXDOMAIN: zero records): the answer count is
       * the number of A records, since dnsmasq answers a hosts entry without CNAMEs. */
      if (n >= 12 && r[0] == q[0] && r[1] == q[1] && (r[2] & 0x80)) {
        int rcode = r[3] & 0x0f;
        if (rcode == 0 || rcode == 3) count = rcode == 3 ? 0 : (r[6] << 8 | r[7]);
      }
    }
  }
  close(fd);
  return count;
}

void dns_stop(struct dns *d) {
  if (d->proc.pid > 0) proc_stop(&d->proc, 3000);
}
