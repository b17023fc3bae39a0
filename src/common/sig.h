/* Signal set-up shared by the mains: one handler for the signals that stop (and, for xdsd, reload) a
 * program, installed without SA_RESTART; SIGPIPE ignored where asked (a daemon handles a closed socket
 * where it happens; the greeter keeps the default, so a client whose reader is gone stops). */
#ifndef COMMON_SIG_H
#define COMMON_SIG_H

/* Installs `handler` for each signal in the 0-terminated list; ignores SIGPIPE when `ignore_pipe`. */
void sig_setup(void (*handler)(int), const int *signals, int ignore_pipe);

#endif
