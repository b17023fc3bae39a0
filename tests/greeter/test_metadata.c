/* Unit tests of src/greeter/metadata.c: METADATA for header-based routing. */
#include "metadata.h"
#include "../unit.h"

int main(void) {
  struct metadata_entry m[METADATA_MAX];
  char why[256];
  CHECK(metadata_parse("x-preview=true,team=a", m, METADATA_MAX, why, sizeof why) == 2);
  CHECK_STR(m[0].key, "x-preview");
  CHECK_STR(m[0].value, "true");
  CHECK_STR(m[1].key, "team");
  CHECK_STR(m[1].value, "a");
  CHECK(metadata_parse("k=a b=c", m, METADATA_MAX, why, sizeof why) == 1 && strcmp(m[0].value, "a b=c") == 0);
  static const char *const bad[] = {"",         "novalue",        "=v",       "K=v",          "x-bin=v",
                                    "grpc-x=v", "content-type=a", "te=x",     "a=",           "a=1,a=2",
                                    "a=1,",     "a=\t",           ":path=/x", "user-agent=u", NULL};
  for (int i = 0; bad[i]; i++) {
    why[0] = '\0';
    int rc = metadata_parse(bad[i], m, METADATA_MAX, why, sizeof why);
    if (rc != -1 || !why[0]) fprintf(stderr, "accepted: \"%s\"\n", bad[i]);
    CHECK(rc == -1 && why[0]);
  }
  CHECK(metadata_parse("a=1,b=2,c=3", m, 2, why, sizeof why) == -1);
  return unit_result("test_metadata");
}
