#include "target.h"

#include "../unit.h"

int main(void) {
  char why[128];
  const char *good[] = {"localhost:50051",
                        "dns:///server:50051",
                        "dns:server:50051",
                        "dns://127.0.0.53:5353/server.lab:50051",
                        "ipv4:127.0.0.1:1,127.0.0.2:2",
                        "ipv6:[::1]:50051",
                        "xds:///server",
                        "xds:///greeter.local:50051",
                        "unix:/tmp/sock",
                        "127.0.1.1:50051",
                        NULL};
  for (int i = 0; good[i]; i++) {
    int rc = target_validate(good[i], why, sizeof why);
    if (rc != 0) fprintf(stderr, "rejected good target %s: %s\n", good[i], why);
    CHECK(rc == 0);
  }
  const char *bad[] = {"",
                       "server",
                       "dns:///server",
                       "dns://bad/server:1",
                       "dns:///:50051",
                       "ipv4:server:1",
                       "ipv4:127.0.0.1",
                       "ipv4:",
                       "ipv6:127.0.0.1:1",
                       "xds:///",
                       "xds:///name/",
                       "xds://server",
                       "http://server:80",
                       "server:99999",
                       "unix:",
                       "ipv4:,,",
                       "ipv4:,127.0.0.1:1",
                       "ipv4:127.0.0.1:1,",
                       "ipv4:127.0.0.1:1,,127.0.0.2:2",
                       "999.1.1.1:50990",
                       "dns:///999.1.1.1:1",
                       NULL};
  for (int i = 0; bad[i]; i++) {
    why[0] = '\0';
    int rc = target_validate(bad[i], why, sizeof why);
    if (rc == 0) fprintf(stderr, "accepted bad target '%s'\n", bad[i]);
    CHECK(rc == -1 && why[0]);
  }
  const char *good_listen[] = {"0.0.0.0:50051",   "127.0.1.1:50051",    "[::]:50051", "[::1]:1",
                               "localhost:50051", "server-1.lab:50051", NULL};
  for (int i = 0; good_listen[i]; i++) {
    int rc = target_validate_listen(good_listen[i], why, sizeof why);
    if (rc != 0) fprintf(stderr, "rejected good listen address %s: %s\n", good_listen[i], why);
    CHECK(rc == 0);
  }
  const char *bad_listen[] = {"",      ":50990",     "[127.0.9.1]:50990", "999.1.1.1:50990", "1.2.3:50990", "[]:1",
                              "[::1]", "nohostport", "127.0.0.1:99999",   "127.0.0.1:0",     "a b:1",       NULL};
  for (int i = 0; bad_listen[i]; i++) {
    why[0] = '\0';
    int rc = target_validate_listen(bad_listen[i], why, sizeof why);
    if (rc == 0) fprintf(stderr, "accepted bad listen address '%s'\n", bad_listen[i]);
    CHECK(rc == -1 && why[0]);
  }
  return unit_result("test_target");
}
