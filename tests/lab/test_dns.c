/* The lab's cluster DNS against the real dnsmasq: what a client or xdsd resolving a Service's name
 * sees. A name with pods gets their addresses, under NAME.lab and bare; a name with none gets NXDOMAIN
 * (as from a cluster's DNS: the Service has no ready pod), bare too, and not REFUSED, which a resolver
 * takes for a failed lookup (xdsd then keeps the last answer). */
#include <stdlib.h>
#include <unistd.h>

#include "../unit.h"
#include "dns.h"

#define TEST_IP "127.0.3.61"
#define TEST_PORT 5361

static const char *find_dnsmasq(void) {
  static const char *const paths[] = {"/usr/sbin/dnsmasq", "/usr/bin/dnsmasq", "/sbin/dnsmasq", NULL};
  for (int i = 0; paths[i]; i++)
    if (access(paths[i], X_OK) == 0) return paths[i];
  return NULL;
}

static void test_answers(const char *dnsmasq, const char *dir) {
  struct dns d;
  REQUIRE(dns_start(&d, dnsmasq, dir, TEST_IP, TEST_PORT) == 0);
  struct dns_record recs[] = {{"server", "10.0.0.1"}, {"server", "10.0.0.2"}, {"other", "10.0.0.3"}};
  CHECK(dns_set_records(&d, recs, 3, "server") == 0);
  CHECK(dns_query_count(&d, "server") == 2);
  CHECK(dns_query(&d, "server.lab") == 2);
  CHECK(dns_query(&d, "server") == 2); /* the bare name, which the demo's xDS config uses */
  CHECK(dns_query(&d, "other") == 1);
  CHECK(dns_query(&d, "missing.lab") == 0); /* NXDOMAIN */
  CHECK(dns_query(&d, "missing") == 0);     /* NXDOMAIN for a bare name too, not REFUSED (-1) */
  /* A Service whose pods are gone: its name is NXDOMAIN, bare and in .lab. */
  CHECK(dns_set_records(&d, recs + 2, 1, "other") == 0);
  CHECK(dns_query(&d, "server") == 0);
  CHECK(dns_query(&d, "server.lab") == 0);
  /* Names outside the lab are not ours to answer: no upstream, REFUSED. */
  CHECK(dns_query(&d, "example.com") == -1);
  dns_stop(&d);
}

int main(void) {
  const char *dnsmasq = find_dnsmasq();
  if (!dnsmasq) {
    fprintf(stderr, "test_dns: dnsmasq is missing (scripts/deps.sh installs dnsmasq-base)\n");
    return 1;
  }
  char dir[] = "/tmp/lab-dns-test.XXXXXX";
  if (!mkdtemp(dir)) return 1;
  test_answers(dnsmasq, dir);
  char cmd[64];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  if (system(cmd) != 0) fprintf(stderr, "test_dns: cannot remove %s\n", dir);
  return unit_result("test_dns");
}
