// SPDX-License-Identifier: GPL-2.0-only
/* Shell commands on the event loop (see proc.h). */
#define _GNU_SOURCE
#include "proc.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "log.h"

#define POLL_MS 100
#define KILL_GRACE_S 2

struct proc {
	struct event_base *base;
	pid_t pid;
	int fd; /* read end of the output pipe, -1 once closed */
	struct event *out, *poll;
	struct timespec start;
	unsigned int timeout_s;
	bool termed; /* SIGTERM sent at the timeout */
	proc_cb cb;
	void *arg;
	char tag[64];
	size_t len;
	char line[256];
};

static double elapsed_s(const struct proc *p)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - p->start.tv_sec) +
	       (t.tv_nsec - p->start.tv_nsec) / 1e9;
}

static void flush_line(struct proc *p)
{
	if (!p->len)
		return;
	p->line[p->len] = '\0';
	pr_info("%s: %s\n", p->tag, p->line);
	p->len = 0;
}

/* Read what the pipe holds now; log complete lines. */
static void drain_output(struct proc *p)
{
	char buf[512];
	ssize_t n, i;

	while (p->fd >= 0 && (n = read(p->fd, buf, sizeof(buf))) > 0) {
		for (i = 0; i < n; i++) {
			if (buf[i] == '\n' || p->len == sizeof(p->line) - 1)
				flush_line(p);
			if (buf[i] != '\n')
				p->line[p->len++] = buf[i];
		}
	}
}

static void proc_free(struct proc *p)
{
	if (p->out)
		event_free(p->out);
	if (p->poll)
		event_free(p->poll);
	if (p->fd >= 0)
		close(p->fd);
	free(p);
}

static void on_out(evutil_socket_t fd, short what, void *arg)
{
	struct proc *p = arg;

	(void)fd;
	(void)what;
	drain_output(p);
}

static void on_poll(evutil_socket_t fd, short what, void *arg)
{
	struct timeval tv = { 0, POLL_MS * 1000 };
	struct proc *p = arg;
	char what_s[64];
	int status, code;
	pid_t r;

	(void)fd;
	(void)what;
	r = waitpid(p->pid, &status, WNOHANG);
	if (r == 0) {
		double el = elapsed_s(p);

		if (!p->termed && el > p->timeout_s) {
			pr_warn("%s: timed out after %u s, stopping it\n",
				p->tag, p->timeout_s);
			kill(-p->pid, SIGTERM);
			p->termed = true;
		} else if (p->termed && el > p->timeout_s + KILL_GRACE_S) {
			kill(-p->pid, SIGKILL);
		}
		evtimer_add(p->poll, &tv);
		return;
	}
	drain_output(p);
	flush_line(p);
	if (r < 0) {
		code = -1;
		snprintf(what_s, sizeof(what_s), "waitpid: %s",
			 strerror(errno));
	} else if (p->termed) {
		code = -1;
		snprintf(what_s, sizeof(what_s), "timed out after %u s",
			 p->timeout_s);
	} else if (WIFEXITED(status)) {
		code = WEXITSTATUS(status);
		snprintf(what_s, sizeof(what_s), "exit %d", code);
	} else {
		code = -1;
		snprintf(what_s, sizeof(what_s), "killed by signal %d",
			 WTERMSIG(status));
	}
	p->cb(p->arg, code, what_s);
	proc_free(p);
}

static void child(const char *cmd, int out)
{
	int null = open("/dev/null", O_RDONLY);

	setsid(); /* its own group: a timeout stops all it started */
	if (null >= 0)
		dup2(null, 0);
	dup2(out, 1);
	dup2(out, 2);
	signal(SIGPIPE, SIG_DFL);
	execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
	_exit(127);
}

struct proc *proc_run(struct event_base *base, const char *cmd,
		      unsigned int timeout_s, const char *tag, proc_cb cb,
		      void *arg)
{
	struct timeval tv = { 0, POLL_MS * 1000 };
	struct proc *p = calloc(1, sizeof(*p));
	int fds[2];

	if (!p)
		return NULL;
	if (pipe2(fds, O_CLOEXEC)) {
		pr_warn("%s: cannot make a pipe: %s\n", tag, strerror(errno));
		free(p);
		return NULL;
	}
	p->base = base;
	p->fd = fds[0];
	p->timeout_s = timeout_s;
	p->cb = cb;
	p->arg = arg;
	snprintf(p->tag, sizeof(p->tag), "%s", tag);
	fcntl(p->fd, F_SETFL, O_NONBLOCK);
	p->out = event_new(base, p->fd, EV_READ | EV_PERSIST, on_out, p);
	p->poll = evtimer_new(base, on_poll, p);
	if (!p->out || !p->poll) {
		close(fds[1]);
		proc_free(p);
		return NULL;
	}
	clock_gettime(CLOCK_MONOTONIC, &p->start);
	p->pid = fork();
	if (p->pid < 0) {
		pr_warn("%s: cannot fork: %s\n", tag, strerror(errno));
		close(fds[1]);
		proc_free(p);
		return NULL;
	}
	if (p->pid == 0)
		child(cmd, fds[1]);
	close(fds[1]);
	pr_info("%s: running '%s'\n", tag, cmd);
	event_add(p->out, NULL);
	evtimer_add(p->poll, &tv);
	return p;
}

void proc_cancel(struct proc *p)
{
	if (!p)
		return;
	kill(-p->pid, SIGKILL);
	waitpid(p->pid, NULL, 0);
	proc_free(p);
}
