/* Reading a whole text file that a user or a ConfigMap gave us: one reader for xdsd's config, the lab's
 * scenarios and ytree_load, so that each refuses the same hostile files the same way. */
#ifndef COMMON_FILE_H
#define COMMON_FILE_H

#include <stddef.h>

#define FILE_TEXT_MAX (16u * 1024 * 1024) /* the largest config or scenario file read */

/* Reads the regular file `path` (at most `max` bytes) into a new NUL-terminated buffer (free with
 * free). Refuses, without blocking, what is not a regular file (a FIFO, a device, a directory), a file
 * larger than `max`, and content with a NUL byte (which text comparisons would cut short). Returns 0,
 * or -1 with err[errlen] = "PATH: message" (for a NUL byte "PATH:LINE: message"). */
int file_read_text(const char *path, size_t max, char **buf, size_t *len, char *err, size_t errlen);

#endif
