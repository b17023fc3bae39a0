/* The lab's "node": a network namespace named grpclb-lab-<pid>-<n>, created with iproute2, with its
 * own loopback (so its 127.0.3.0/24 and firewall rules are private to one run). The lab enters it
 * itself (setns), so every process it starts afterwards, and its own probes, live there; leaving
 * returns to the original namespace, and deleting it removes every rule made inside. */
#ifndef LAB_NETNS_H
#define LAB_NETNS_H

#include <stddef.h>

/* True when namespaces can be used: running as root with `ip` available, and a trial namespace can
 * be created and entered (a container may lack the capability). */
int netns_available(void);

/* Creates a namespace with a unique name (written to name[namelen]), brings its loopback up and
 * enters it. Returns 0, or -1 (nothing is left behind). Commands are logged to log_path. */
int netns_create_and_enter(char *name, size_t namelen, const char *log_path);

/* Returns to the lab's original namespace and deletes `name`. Safe to call when not entered. */
void netns_leave_and_delete(const char *name, const char *log_path);

/* Deletes namespaces grpclb-lab-<pid>-* left by a lab process that no longer runs (killed with
 * SIGKILL). Returns the number deleted. */
int netns_remove_stale(const char *log_path);

#endif
