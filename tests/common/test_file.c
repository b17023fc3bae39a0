/* file_read_text: the one whole-file reader, against the hostile files of issue 16. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <string.h>
#include <unistd.h>

#include "file.h"
#include "../unit.h"

static char dir[] = "/tmp/test_file.XXXXXX";

static void write_file(const char *path, const char *data, size_t len) {
  FILE *f = fopen(path, "wb");
  CHECK(f && fwrite(data, 1, len, f) == len);
  if (f) fclose(f);
}

int main(void) {
  CHECK(mkdtemp(dir) != NULL);
  char path[128], err[256], *buf;
  size_t len;
  snprintf(path, sizeof path, "%s/ok.yaml", dir);
  write_file(path, "a: 1\nb: 2\n", 10);
  CHECK(file_read_text(path, 100, &buf, &len, err, sizeof err) == 0 && len == 10 && strcmp(buf, "a: 1\nb: 2\n") == 0);
  free(buf);
  /* Over the size cap: refused, as is a file of exactly cap + 1. */
  CHECK(file_read_text(path, 9, &buf, &len, err, sizeof err) == -1 && strstr(err, "larger than 9 bytes"));
  CHECK(file_read_text(path, 10, &buf, &len, err, sizeof err) == 0);
  free(buf);
  /* A NUL byte: "ser\0ver" would otherwise become "ser". Refused with its line. */
  snprintf(path, sizeof path, "%s/nul.yaml", dir);
  write_file(path, "a: 1\nname: ser\0ver\n", 19);
  CHECK(file_read_text(path, 100, &buf, &len, err, sizeof err) == -1 && strstr(err, "nul.yaml:2: contains a NUL byte"));
  /* A FIFO with no writer: refused at once, not waited on. */
  snprintf(path, sizeof path, "%s/fifo", dir);
  CHECK(mkfifo(path, 0600) == 0);
  CHECK(file_read_text(path, 100, &buf, &len, err, sizeof err) == -1 && strstr(err, "fifo: not a regular file"));
  unlink(path);
  /* A device that never ends, and a directory. */
  CHECK(file_read_text("/dev/zero", 100, &buf, &len, err, sizeof err) == -1 &&
        strstr(err, "/dev/zero: not a regular file"));
  CHECK(file_read_text(dir, 100, &buf, &len, err, sizeof err) == -1 && strstr(err, "not a regular file"));
  CHECK(file_read_text("/nonexistent/x", 100, &buf, &len, err, sizeof err) == -1 && strstr(err, "No such file"));
  /* An empty file is text. */
  snprintf(path, sizeof path, "%s/empty", dir);
  write_file(path, "", 0);
  CHECK(file_read_text(path, 100, &buf, &len, err, sizeof err) == 0 && len == 0 && buf[0] == '\0');
  free(buf);
  unlink(path);
  snprintf(path, sizeof path, "%s/ok.yaml", dir);
  unlink(path);
  snprintf(path, sizeof path, "%s/nul.yaml", dir);
  unlink(path);
  rmdir(dir);
  return unit_result("test_file");
}
