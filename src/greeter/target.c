#include "target.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "parse.h"

static int bad(char *why, size_t whylen, const char *msg) {
  snprintf(why, whylen, "%s", msg);
  return -1;
}

/* Whether a host that parse_hostport accepted names something: an IPv4 literal when it is made of
 * digits and dots only ("999.1.1.1" is not a name but a bad address), an IPv6 literal when it holds a
 * ':' (parse_hostport allows one only inside brackets), otherwise a DNS name. */
static int host_ok(const char *host) {
  unsigned char addr[16];
  if (!*host) return 0;
  if (strchr(host, ':')) return inet_pton(AF_INET6, host, addr) == 1;
  if (strspn(host, "0123456789.") == strlen(host)) return inet_pton(AF_INET, host, addr) == 1;
  return 1;
}

/* "a:p,b:p" where every host is an IP literal of the family. */
static int validate_ip_list(const char *list, int family, char *why, size_t whylen) {
  char buf[1024];
  if (strlen(list) >= sizeof buf || !*list) return bad(why, whylen, "empty or too long address list");
  strcpy(buf, list);
  /* strtok_r would skip empty elements: "ipv4:,," would pass as a list of none. */
  size_t len = strlen(buf);
  if (buf[0] == ',' || buf[len - 1] == ',' || strstr(buf, ",,")) return bad(why, whylen, "empty address in the list");
  char *save = NULL;
  for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
    char host[256];
    uint16_t port;
    unsigned char addr[16];
    if (parse_hostport(tok, host, sizeof host, &port) != 0 || inet_pton(family, host, addr) != 1)
      return bad(why, whylen,
                 family == AF_INET ? "expected ipv4:A.B.C.D:PORT[,...]" : "expected ipv6:[ADDR]:PORT[,...]");
  }
  return 0;
}

int target_validate(const char *target, char *why, size_t whylen) {
  char host[256];
  uint16_t port;
  if (!target || !*target) return bad(why, whylen, "empty target");
  if (strncmp(target, "dns:", 4) == 0) {
    const char *rest = target + 4;
    if (strncmp(rest, "//", 2) == 0) {
      const char *slash = strchr(rest + 2, '/');
      if (!slash) return bad(why, whylen, "expected dns:///host:port or dns://DNSHOST:PORT/host:port");
      if (slash != rest + 2) {
        char auth[300];
        size_t alen = (size_t)(slash - (rest + 2));
        if (alen >= sizeof auth) return bad(why, whylen, "DNS server authority too long");
        memcpy(auth, rest + 2, alen);
        auth[alen] = '\0';
        if (parse_hostport(auth, host, sizeof host, &port) != 0)
          return bad(why, whylen, "DNS server must be HOST:PORT");
      }
      rest = slash + 1;
    }
    if (parse_hostport(rest, host, sizeof host, &port) != 0 || !host_ok(host))
      return bad(why, whylen, "expected host:port after dns:");
    return 0;
  }
  if (strncmp(target, "ipv4:", 5) == 0) return validate_ip_list(target + 5, AF_INET, why, whylen);
  if (strncmp(target, "ipv6:", 5) == 0) return validate_ip_list(target + 5, AF_INET6, why, whylen);
  if (strncmp(target, "xds:", 4) == 0) {
    const char *rest = target + 4;
    if (strncmp(rest, "///", 3) != 0) return bad(why, whylen, "expected xds:///name");
    rest += 3;
    size_t n = strlen(rest);
    if (n == 0 || rest[n - 1] == '/') return bad(why, whylen, "xds target needs a name not ending in '/'");
    return 0;
  }
  if (strncmp(target, "unix:", 5) == 0) {
    if (!target[5]) return bad(why, whylen, "expected unix:/path");
    return 0;
  }
  if (strstr(target, "://")) return bad(why, whylen, "unknown scheme (use dns, ipv4, ipv6, xds or unix)");
  if (parse_hostport(target, host, sizeof host, &port) != 0 || !host_ok(host))
    return bad(why, whylen, "expected host:port");
  return 0;
}

int target_validate_listen(const char *address, char *why, size_t whylen) {
  char host[256];
  uint16_t port;
  unsigned char addr[16];
  if (!address || !*address) return bad(why, whylen, "empty address");
  if (parse_hostport(address, host, sizeof host, &port) != 0) return bad(why, whylen, "expected host:port");
  if (!host[0]) return bad(why, whylen, "empty host (use 0.0.0.0 or [::] for every address)");
  /* Brackets hold an IPv6 literal and nothing else: "[127.0.0.1]:1" is a typo, not an address. */
  if (address[0] == '[' && inet_pton(AF_INET6, host, addr) != 1)
    return bad(why, whylen, "brackets must hold an IPv6 address");
  if (!host_ok(host)) return bad(why, whylen, "not a valid IP address or host name");
  return 0;
}
