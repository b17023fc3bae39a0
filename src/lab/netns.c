#define _GNU_SOURCE /* setns, pipe2, strptime */
#include "netns.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "proc.h"

#define NETNS_PREFIX "grpclb-lab-"
#define IP_CMD "/usr/sbin/ip"
#define CMD_TIMEOUT_MS 10000

static int original_fd = -1; /* the lab's own namespace while inside another one */
static int counter;

int netns_available(void) {
  if (geteuid() != 0 || access(IP_CMD, X_OK) != 0) return 0;
  char name[64];
  if (netns_create_and_enter(name, sizeof name, "/dev/null") != 0) return 0;
  netns_leave_and_delete(name, "/dev/null");
  return 1;
}

int netns_create_and_enter(char *name, size_t namelen, const char *log_path) {
  snprintf(name, namelen, NETNS_PREFIX "%d-%d", (int)getpid(), counter++);
  const char *add[] = {IP_CMD, "netns", "add", name, NULL};
  if (proc_run(NULL, add, log_path, CMD_TIMEOUT_MS) != 0) {
    log_error("msg=\"cannot create network namespace\" netns=%s", name);
    return -1;
  }
  const char *lo[] = {IP_CMD, "-n", name, "link", "set", "lo", "up", NULL};
  char path[PATH_MAX];
  snprintf(path, sizeof path, "/run/netns/%s", name);
  int fd = -1;
  if (proc_run(NULL, lo, log_path, CMD_TIMEOUT_MS) != 0) goto fail;
  original_fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  fd = open(path, O_RDONLY | O_CLOEXEC);
  if (original_fd < 0 || fd < 0 || setns(fd, CLONE_NEWNET) != 0) {
    log_error("msg=\"cannot enter network namespace\" netns=%s err=\"%s\"", name, strerror(errno));
    goto fail;
  }
  close(fd);
  log_info("msg=\"entered network namespace\" netns=%s", name);
  return 0;
fail:
  if (fd >= 0) close(fd);
  netns_leave_and_delete(name, log_path);
  return -1;
}

void netns_leave_and_delete(const char *name, const char *log_path) {
  if (original_fd >= 0) {
    if (setns(original_fd, CLONE_NEWNET) != 0)
      log_error("msg=\"cannot return to the original network namespace\" err=\"%s\"", strerror(errno));
    close(original_fd);
    original_fd = -1;
  }
  const char *del[] = {IP_CMD, "netns", "delete", name, NULL};
  if (proc_run(NULL, del, log_path, CMD_TIMEOUT_MS) != 0)
    log_warn("msg=\"cannot delete network namespace\" netns=%s", name);
  else
    log_info("msg=\"deleted network namespace\" netns=%s", name);
}

/* Stops, by PID, every process still in the namespace `name` (a lab killed with SIGKILL leaves its
 * dnsmasq: it changes credentials, which clears the parent-death signal). A process is in it when its
 * /proc/PID/ns/net is the namespace's inode, as `ip netns pids` finds them. Returns how many. */
static int kill_members(const char *name) {
  char path[PATH_MAX + 32];
  struct stat ns, st;
  snprintf(path, sizeof path, "/run/netns/%s", name);
  if (stat(path, &ns) != 0) return 0;
  DIR *d = opendir("/proc");
  if (!d) return 0;
  int killed = 0;
  for (struct dirent *de; (de = readdir(d));) {
    char *end;
    long pid = strtol(de->d_name, &end, 10);
    if (*end || pid <= 1 || pid == (long)getpid()) continue;
    snprintf(path, sizeof path, "/proc/%ld/ns/net", pid);
    if (stat(path, &st) != 0 || st.st_ino != ns.st_ino || st.st_dev != ns.st_dev) continue;
    if (kill((pid_t)pid, SIGKILL) == 0) {
      log_info("msg=\"stopped a leftover of an earlier run\" netns=%s pid=%ld", name, pid);
      killed++;
    }
  }
  closedir(d);
  return killed;
}

int netns_remove_stale(const char *log_path) {
  DIR *d = opendir("/run/netns");
  if (!d) return 0;
  int removed = 0;
  struct dirent *de;
  char stale[64][64];
  int n = 0;
  while ((de = readdir(d)) && n < 64) {
    if (strncmp(de->d_name, NETNS_PREFIX, strlen(NETNS_PREFIX)) != 0) continue;
    int pid = atoi(de->d_name + strlen(NETNS_PREFIX));
    if (pid <= 0 || pid == (int)getpid()) continue;
    if (kill(pid, 0) == 0 || errno == EPERM) continue;
    if ((size_t)snprintf(stale[n], sizeof stale[0], "%s", de->d_name) < sizeof stale[0]) n++;
  }
  closedir(d);
  for (int i = 0; i < n; i++) {
    kill_members(stale[i]);
    const char *del[] = {IP_CMD, "netns", "delete", stale[i], NULL};
    if (proc_run(NULL, del, log_path, CMD_TIMEOUT_MS) == 0) {
      log_info("msg=\"deleted stale network namespace\" netns=%s", stale[i]);
      removed++;
    }
  }
  return removed;
}
