#include "probe.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "clock.h"

/* A connected socket, or -1. */
static int dial(const char *ip, uint16_t port, const char *unix_path) {
  int fd = socket(unix_path ? AF_UNIX : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int rc;
  if (unix_path) {
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", unix_path);
    rc = connect(fd, (struct sockaddr *)&sa, sizeof sa);
  } else {
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    inet_pton(AF_INET, ip, &sa.sin_addr);
    rc = connect(fd, (struct sockaddr *)&sa, sizeof sa);
  }
  if (rc != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

int probe_tcp(const char *ip, uint16_t port) {
  int fd = dial(ip, port, NULL);
  if (fd < 0) return 0;
  close(fd);
  return 1;
}

ssize_t probe_exchange(const char *ip, uint16_t port, const char *unix_path, const char *req, char *out, size_t outlen,
                       int64_t timeout_ms) {
  int fd = dial(ip, port, unix_path);
  if (fd < 0) return -1;
  ssize_t rc = -1;
  size_t len = 0, rlen = strlen(req);
  if (write(fd, req, rlen) != (ssize_t)rlen) goto out;
  int64_t deadline = clock_now_ms() + timeout_ms;
  while (len < outlen - 1) {
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    int64_t left = deadline - clock_now_ms();
    if (left <= 0 || poll(&pfd, 1, (int)left) <= 0) goto out;
    ssize_t n = read(fd, out + len, outlen - 1 - len);
    if (n < 0) goto out;
    if (n == 0) break;
    len += (size_t)n;
  }
  out[len] = '\0';
  rc = (ssize_t)len;
out:
  close(fd);
  return rc;
}
