/* Child processes: everything the lab starts goes through here, is recorded by PID, and is stopped by
 * PID (SIGTERM, a grace period, then SIGKILL). Children run in their own process group, so a Ctrl-C
 * in the terminal reaches only the lab, which then stops them in order; and they get SIGTERM if the
 * lab itself dies (PR_SET_PDEATHSIG; a child that changes credentials loses it: dnsmasq, which the
 * next run's stale-namespace sweep stops by PID, netns.c). A child may be started inside a network
 * namespace.
 *
 * The registry's contract:
 * - It holds a pointer to each running child's `struct proc`, borrowed from the caller: that struct
 *   must not move or be freed while the child runs (pods and clients live in fixed arrays for this).
 * - At most PROC_MAX (256) children run at once; proc_start refuses one more (a child the registry
 *   cannot hold could not be stopped by proc_stop_all).
 * - A failed proc_start leaves nothing running and nothing registered; the caller undoes only what it
 *   set up itself around the start (files, addresses, rules), at once, before reporting the failure.
 * - proc_stop and a reaped proc_poll_exit remove the child; proc_stop_all stops the rest, newest
 *   first. */
#ifndef LAB_PROC_H
#define LAB_PROC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct proc {
  pid_t pid; /* 0 when not running */
  char name[64];
  int out_fd;     /* read end of the child's stdout when piped, else -1 */
  char buf[8192]; /* partial line from out_fd */
  size_t buf_len;
};

struct proc_spec {
  const char *name;
  const char *const *argv; /* argv[0] is the path of the program */
  const char *const *env;  /* extra "KEY=VALUE" entries (NULL-terminated, may be NULL); they replace
                              inherited variables of the same name */
  const char *log_path;    /* stderr (and stdout unless piped) are appended here */
  int pipe_stdout;         /* read stdout through proc_read_lines */
  const char *netns;       /* network namespace name, or NULL for the lab's own */
};

/* Starts a child. Returns 0, or -1 when the program cannot be started (fork, pipe, log file, namespace
 * or exec failure, logged with the reason). */
int proc_start(struct proc *p, const struct proc_spec *spec);

/* Stops a running child: SIGTERM, up to grace_ms for it to exit, then SIGKILL; reaps it.
 * Returns its wait status, or -1 when it was not running. */
int proc_stop(struct proc *p, int64_t grace_ms);

/* Reaps the child if it has exited. Returns 1 (and its wait status in *status) when it has, 0 while
 * it runs, -1 when it was not running. */
int proc_poll_exit(struct proc *p, int *status);

/* Sends a signal to a running child (e.g. SIGHUP to reload). Returns 0 or -1. */
int proc_signal(struct proc *p, int sig);

/* Reads what the child wrote to its piped stdout and calls on_line for each complete line (without
 * the newline). Returns 0 while the pipe is open, -1 at end of file. */
int proc_read_lines(struct proc *p, void (*on_line)(void *arg, const char *line), void *arg);

/* Runs a command to completion (at most timeout_ms, then it is killed). Returns its exit status, or -1
 * when it could not run or was killed. */
int proc_run(const char *netns, const char *const *argv, const char *log_path, int64_t timeout_ms);

/* Stops every child still running, newest first (for the error and Ctrl-C paths). */
void proc_stop_all(int64_t grace_ms);

/* Finds `prog` next to the lab's binary (/proc/self/exe) or in `dir` when set; writes the path into
 * out[outlen]. Returns 0, or -1 when it is not there or not executable. */
int proc_find_program(const char *dir, const char *prog, char *out, size_t outlen);

#endif
