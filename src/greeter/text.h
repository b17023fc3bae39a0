/* Untrusted text: names from the environment and reply text from peers. Pure: no I/O.
 * "Printable" here means valid UTF-8 without control characters (C0, DEL, C1), so that one line
 * stays one line: a NAME or a reply holding "\n2026/.. summary ..." cannot forge an output line. */
#ifndef GREETER_TEXT_H
#define GREETER_TEXT_H

#include <stddef.h>

#define TEXT_NAME_MAX 1024 /* bytes in a NAME: the request and reply carry it on every call */

/* Copies the inlen bytes at `in` into out[outlen] (outlen >= 1), always NUL-terminated: each control
 * character (NUL included) and each byte that is not part of a valid UTF-8 sequence becomes '?'. A copy that does not
 * fit is cut at a character boundary, never inside a UTF-8 sequence. Returns the number of bytes written. */
size_t text_printable(const char *in, size_t inlen, char *out, size_t outlen);

/* Checks a NAME: 1..TEXT_NAME_MAX bytes of printable text. Returns 0, or -1 with a reason in
 * why[whylen]. */
int text_check_name(const char *name, char *why, size_t whylen);

#endif
