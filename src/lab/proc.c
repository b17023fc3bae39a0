#define _GNU_SOURCE /* setns, pipe2, strptime */
#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"

extern char **environ;

/* Every running child, so that the error and Ctrl-C paths can stop them all. */
#define PROC_MAX 256
static struct proc *registry[PROC_MAX];
static size_t n_registry;

static void registry_add(struct proc *p) {
  if (n_registry < PROC_MAX) registry[n_registry++] = p; /* proc_start checked there is room */
}

static void registry_remove(struct proc *p) {
  for (size_t i = 0; i < n_registry; i++)
    if (registry[i] == p) {
      registry[i] = registry[--n_registry];
      return;
    }
}

/* The child's environment: ours minus the keys `extra` sets, then `extra`. */
static char **build_env(const char *const *extra) {
  size_t n = 0, m = 0;
  while (environ[n]) n++;
  while (extra && extra[m]) m++;
  char **env = calloc(n + m + 1, sizeof *env);
  if (!env) return NULL;
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    const char *eq = strchr(environ[i], '=');
    size_t klen = eq ? (size_t)(eq - environ[i]) : strlen(environ[i]);
    int replaced = 0;
    for (size_t j = 0; j < m; j++)
      if (strncmp(extra[j], environ[i], klen) == 0 && extra[j][klen] == '=') replaced = 1;
    if (!replaced) env[k++] = environ[i];
  }
  for (size_t j = 0; j < m; j++) env[k++] = (char *)extra[j];
  env[k] = NULL;
  return env;
}

/* In the child, after fork: report errno through `errfd` and exit. */
static void child_fail(int errfd, int err) {
  ssize_t w = write(errfd, &err, sizeof err);
  (void)w;
  _exit(127);
}

static void child_exec(const struct proc_spec *spec, int out_fd, int log_fd, int errfd, char **env) {
  setpgid(0, 0);
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  signal(SIGPIPE, SIG_DFL);
  if (spec->netns) {
    char path[PATH_MAX];
    snprintf(path, sizeof path, "/run/netns/%s", spec->netns);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || setns(fd, CLONE_NEWNET) != 0) child_fail(errfd, errno);
  }
  int devnull = open("/dev/null", O_RDONLY);
  if (devnull < 0 || dup2(devnull, 0) < 0) child_fail(errfd, errno);
  if (dup2(out_fd >= 0 ? out_fd : log_fd, 1) < 0 || dup2(log_fd, 2) < 0) child_fail(errfd, errno);
  execve(spec->argv[0], (char *const *)spec->argv, env);
  child_fail(errfd, errno);
}

int proc_start(struct proc *p, const struct proc_spec *spec) {
  memset(p, 0, sizeof *p);
  p->out_fd = -1;
  snprintf(p->name, sizeof p->name, "%s", spec->name);
  if (n_registry == PROC_MAX) { /* a child the registry cannot hold could outlive the lab: not started */
    log_error("msg=\"cannot start: too many children\" proc=%s max=%d", spec->name, PROC_MAX);
    return -1;
  }
  int log_fd = open(spec->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) {
    log_error("msg=\"cannot open log\" proc=%s path=%s err=\"%s\"", spec->name, spec->log_path, strerror(errno));
    return -1;
  }
  int outp[2] = {-1, -1}, errp[2] = {-1, -1};
  char **env = build_env(spec->env);
  if (!env || pipe2(errp, O_CLOEXEC) != 0 || (spec->pipe_stdout && pipe2(outp, O_CLOEXEC) != 0)) {
    log_error("msg=\"cannot start\" proc=%s err=\"%s\"", spec->name, strerror(errno));
    goto fail;
  }
  pid_t pid = fork();
  if (pid < 0) {
    log_error("msg=\"fork failed\" proc=%s err=\"%s\"", spec->name, strerror(errno));
    goto fail;
  }
  if (pid == 0) child_exec(spec, outp[1], log_fd, errp[1], env);
  /* Parent. The error pipe closes on a successful exec, or carries the child's errno. */
  close(errp[1]);
  errp[1] = -1;
  int child_err = 0;
  ssize_t r;
  do r = read(errp[0], &child_err, sizeof child_err);
  while (r < 0 && errno == EINTR);
  if (r > 0) {
    waitpid(pid, NULL, 0);
    log_error("msg=\"cannot start\" proc=%s path=%s err=\"%s\"", spec->name, spec->argv[0], strerror(child_err));
    goto fail;
  }
  close(errp[0]);
  close(log_fd);
  free(env);
  if (outp[1] >= 0) close(outp[1]);
  p->out_fd = outp[0];
  if (p->out_fd >= 0) fcntl(p->out_fd, F_SETFL, fcntl(p->out_fd, F_GETFL) | O_NONBLOCK);
  p->pid = pid;
  registry_add(p);
  log_info("msg=started proc=%s pid=%d%s%s", p->name, (int)pid, spec->netns ? " netns=" : "",
           spec->netns ? spec->netns : "");
  return 0;
fail:
  for (int i = 0; i < 2; i++) {
    if (outp[i] >= 0) close(outp[i]);
    if (errp[i] >= 0) close(errp[i]);
  }
  close(log_fd);
  free(env);
  return -1;
}

static void forget(struct proc *p) {
  registry_remove(p);
  if (p->out_fd >= 0) close(p->out_fd);
  p->out_fd = -1;
  p->pid = 0;
}

int proc_poll_exit(struct proc *p, int *status) {
  if (p->pid <= 0) return -1;
  int st;
  pid_t r = waitpid(p->pid, &st, WNOHANG);
  if (r == 0) return 0;
  if (r < 0) st = -1;
  log_info("msg=exited proc=%s pid=%d status=%d", p->name, (int)p->pid, st);
  forget(p);
  if (status) *status = st;
  return 1;
}

/* Waits up to ms for the child to exit; returns 1 when reaped. */
static int wait_exit(struct proc *p, int64_t ms, int *status) {
  int64_t deadline = clock_now_ms() + ms;
  for (;;) {
    pid_t r = waitpid(p->pid, status, WNOHANG);
    if (r == p->pid || (r < 0 && errno == ECHILD)) return 1;
    if (clock_now_ms() >= deadline) return 0;
    usleep(20000);
  }
}

int proc_stop(struct proc *p, int64_t grace_ms) {
  if (p->pid <= 0) return -1;
  int st = -1;
  kill(p->pid, SIGTERM);
  if (!wait_exit(p, grace_ms, &st)) {
    log_warn("msg=\"did not stop in time, killing\" proc=%s pid=%d grace_ms=%lld", p->name, (int)p->pid,
             (long long)grace_ms);
    kill(p->pid, SIGKILL);
    wait_exit(p, 5000, &st);
  }
  log_info("msg=stopped proc=%s pid=%d status=%d", p->name, (int)p->pid, st);
  forget(p);
  return st;
}

int proc_signal(struct proc *p, int sig) { return p->pid > 0 ? kill(p->pid, sig) : -1; }

int proc_read_lines(struct proc *p, void (*on_line)(void *arg, const char *line), void *arg) {
  if (p->out_fd < 0) return -1;
  for (;;) {
    ssize_t n = read(p->out_fd, p->buf + p->buf_len, sizeof p->buf - 1 - p->buf_len);
    if (n < 0) return (errno == EAGAIN || errno == EINTR) ? 0 : -1;
    if (n == 0) return -1;
    p->buf_len += (size_t)n;
    char *start = p->buf, *nl;
    while ((nl = memchr(start, '\n', p->buf_len - (size_t)(start - p->buf)))) {
      *nl = '\0';
      on_line(arg, start);
      start = nl + 1;
    }
    p->buf_len -= (size_t)(start - p->buf);
    memmove(p->buf, start, p->buf_len);
    /* A line longer than the buffer is cut rather than blocking the pipe. */
    if (p->buf_len == sizeof p->buf - 1) {
      p->buf[p->buf_len] = '\0';
      on_line(arg, p->buf);
      p->buf_len = 0;
    }
  }
}

int proc_run(const char *netns, const char *const *argv, const char *log_path, int64_t timeout_ms) {
  struct proc p;
  struct proc_spec spec = {.name = argv[0], .argv = argv, .log_path = log_path, .netns = netns};
  const char *slash = strrchr(argv[0], '/');
  if (slash) spec.name = slash + 1;
  if (proc_start(&p, &spec) != 0) return -1;
  int st = -1;
  if (!wait_exit(&p, timeout_ms, &st)) {
    log_warn("msg=\"command timed out\" cmd=%s timeout_ms=%lld", argv[0], (long long)timeout_ms);
    kill(p.pid, SIGKILL);
    wait_exit(&p, 5000, &st);
    forget(&p);
    return -1;
  }
  forget(&p);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

void proc_stop_all(int64_t grace_ms) {
  /* SIGTERM to all first, so they drain in parallel, then wait for each. */
  for (size_t i = 0; i < n_registry; i++) kill(registry[i]->pid, SIGTERM);
  while (n_registry > 0) proc_stop(registry[n_registry - 1], grace_ms);
}

int proc_find_program(const char *dir, const char *prog, char *out, size_t outlen) {
  char base[PATH_MAX];
  if (dir) {
    snprintf(base, sizeof base, "%s", dir);
  } else {
    ssize_t n = readlink("/proc/self/exe", base, sizeof base - 1);
    if (n <= 0) return -1;
    base[n] = '\0';
    char *slash = strrchr(base, '/');
    if (!slash) return -1;
    *slash = '\0';
  }
  if ((size_t)snprintf(out, outlen, "%s/%s", base, prog) >= outlen) return -1;
  return access(out, X_OK) == 0 ? 0 : -1;
}
