/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Shell commands run from the event loop (a standby's start and stop):
 * /bin/sh -c CMD in its own process group, stdin from /dev/null, stdout
 * and stderr logged line by line with a tag, a hard timeout (SIGTERM to
 * the group, SIGKILL 2 s later), and a callback with the outcome. Nothing
 * blocks the loop. A command that leaves a daemon behind should redirect
 * the daemon's output: the log pipe is closed when the command exits.
 */
#ifndef XLB_PROC_H
#define XLB_PROC_H

struct event_base;
struct proc;

/* code: the exit status (0..255), or -1 when it timed out or died of a
 * signal, or -2 when it could not be started; what: "exit 0",
 * "exit 3", "timed out after 30 s", "killed by signal 9", "cannot fork:
 * ..." */
typedef void (*proc_cb)(void *arg, int code, const char *what);

/* NULL (and cb never called) when the pipe, fork or events fail. */
struct proc *proc_run(struct event_base *base, const char *cmd,
		      unsigned int timeout_s, const char *tag, proc_cb cb,
		      void *arg);
/* Kill a running command's group and free it; cb is not called. */
void proc_cancel(struct proc *p);

#endif
