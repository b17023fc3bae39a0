/* While xdsd loads a large config (issue 16), new clients are still answered: opens a fresh stream
 * every 20 ms for `secs` seconds, asks for listener "server", and prints the slowest answer (ms).
 * Usage: test_reload_latency ADDR SECS BOUND_MS -- exits 1 when an answer took longer than BOUND_MS. */
#include <grpc/grpc.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "adsc.h"
#include "xtest.h"

#define LDS "type.googleapis.com/envoy.config.listener.v3.Listener"

static long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: %s ADDR SECS BOUND_MS\n", argv[0]);
    return 2;
  }
  grpc_init();
  long end = now_ms() + atol(argv[2]) * 1000L, bound = atol(argv[3]), worst = 0, n = 0;
  const char *names[] = {"server"};
  while (now_ms() < end) {
    struct adsc *c = adsc_open(argv[1], ADSC_SOTW, "probe", "test", 0);
    long t0 = now_ms();
    REQUIRE(adsc_send(c, LDS, names, 1, "", "", NULL) == 0, "probe %ld: request sent", n);
    adsc_response *r = adsc_recv(c, 10000);
    long ms = now_ms() - t0;
    REQUIRE(r != NULL, "probe %ld: answered (%ld ms)", n, ms);
    adsc_free_response(r);
    adsc_close(c);
    if (ms > worst) worst = ms;
    n++;
    struct timespec ts = {0, 20 * 1000000L};
    nanosleep(&ts, NULL);
  }
  printf("reload latency: %ld probes, slowest answer %ld ms (bound %ld ms)\n", n, worst, bound);
  grpc_shutdown();
  return worst <= bound ? 0 : 1;
}
