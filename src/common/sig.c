#include "sig.h"

#include <signal.h>
#include <string.h>

void sig_setup(void (*handler)(int), const int *signals, int ignore_pipe) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = handler;
  sigemptyset(&sa.sa_mask);
  for (const int *s = signals; *s; s++) sigaction(*s, &sa, NULL);
  if (ignore_pipe) signal(SIGPIPE, SIG_IGN);
}
