// SPDX-License-Identifier: GPL-2.0-only
/*
 * Health probes: a timer per back end starts a non-blocking connect (tcp)
 * or connect + one HTTP/1.0 request whose status line is checked (http);
 * every probe ends by success, failure or its timeout, and feeds the
 * rise/fall state machine.
 */
#include "health.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

void health_cfg_defaults(struct health_cfg *c)
{
	memset(c, 0, sizeof(*c));
	c->type = HEALTH_TCP;
	snprintf(c->path, sizeof(c->path), "/");
	c->expect_status = 200;
	c->interval_ms = HEALTH_DEFAULT_INTERVAL_MS;
	c->timeout_ms = HEALTH_DEFAULT_TIMEOUT_MS;
	c->rise = HEALTH_DEFAULT_RISE;
	c->fall = HEALTH_DEFAULT_FALL;
}

void health_sm_init(struct health_sm *sm, bool up)
{
	memset(sm, 0, sizeof(*sm));
	sm->up = up;
}

bool health_sm_feed(struct health_sm *sm, bool ok, __u32 rise, __u32 fall)
{
	if (ok) {
		sm->fail_run = 0;
		sm->ok_run++;
		if (!sm->up && sm->ok_run >= rise) {
			sm->up = true;
			sm->changes++;
			return true;
		}
	} else {
		sm->ok_run = 0;
		sm->fail_run++;
		if (sm->up && sm->fail_run >= fall) {
			sm->up = false;
			sm->changes++;
			return true;
		}
	}
	return false;
}

struct health_probe {
	struct event_base *base;
	struct lb_addr addr;
	struct health_cfg cfg;
	struct health_sm sm;
	health_cb cb;
	void *arg;
	struct event *timer;   /* next probe */
	struct event *deadline; /* the running probe's timeout */
	struct event *io;      /* the running probe's socket */
	int fd;		       /* -1 when no probe runs */
	bool sent;	       /* http: request written */
	bool in_cb, stopped;   /* stop requested from inside cb */
	char buf[128];	       /* http: start of the reply */
	size_t len;
};

static void schedule(struct health_probe *p, __u32 ms)
{
	struct timeval tv = { .tv_sec = ms / 1000,
			      .tv_usec = (ms % 1000) * 1000 };

	evtimer_add(p->timer, &tv);
}

static void probe_close(struct health_probe *p)
{
	event_del(p->deadline);
	if (p->io) {
		event_free(p->io);
		p->io = NULL;
	}
	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
}

static void finish(struct health_probe *p, bool ok, const char *detail)
{
	bool changed;

	probe_close(p);
	changed = health_sm_feed(&p->sm, ok, p->cfg.rise, p->cfg.fall);
	p->in_cb = true;
	p->cb(p->arg, ok, changed, p->sm.up, detail);
	p->in_cb = false;
	if (p->stopped) {
		health_probe_stop(p);
		return;
	}
	schedule(p, p->cfg.interval_ms);
}

static void http_request(struct health_probe *p, char *detail, size_t len)
{
	char req[256], host[LB_ADDRSTRLEN];
	int n;

	lb_addr_str(&p->addr, host, sizeof(host));
	n = snprintf(req, sizeof(req),
		     "GET %s HTTP/1.0\r\nHost: %s\r\nUser-Agent: xdp-lb\r\n\r\n",
		     p->cfg.path, host);
	if (send(p->fd, req, n, MSG_NOSIGNAL) != n)
		snprintf(detail, len, "send: %s", strerror(errno));
	p->sent = true;
}

/* true when the reply's status line is complete (result in *ok). */
static bool http_status(struct health_probe *p, bool *ok, char *detail,
			size_t len)
{
	unsigned int status;
	char *eol;

	p->buf[p->len] = '\0';
	eol = strstr(p->buf, "\r\n");
	if (!eol && p->len < sizeof(p->buf) - 1)
		return false;
	if (sscanf(p->buf, "HTTP/%*u.%*u %u", &status) != 1) {
		snprintf(detail, len, "not an HTTP reply");
		*ok = false;
		return true;
	}
	*ok = status == p->cfg.expect_status;
	snprintf(detail, len, *ok ? "ok, http status %u" : "http status %u",
		 status);
	return true;
}

static void on_io(evutil_socket_t fd, short what, void *arg)
{
	struct health_probe *p = arg;
	char detail[96] = "";
	socklen_t elen = sizeof(int);
	int err = 0;
	ssize_t n;
	bool ok;

	if (what & EV_TIMEOUT) {
		snprintf(detail, sizeof(detail), "timeout after %u ms",
			 p->cfg.timeout_ms);
		finish(p, false, detail);
		return;
	}
	if (!p->sent) {
		getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen);
		if (err) {
			snprintf(detail, sizeof(detail), "connect: %s",
				 strerror(err));
			finish(p, false, detail);
			return;
		}
		if (p->cfg.type == HEALTH_TCP) {
			finish(p, true, "ok, connected");
			return;
		}
		http_request(p, detail, sizeof(detail));
		if (detail[0]) {
			finish(p, false, detail);
			return;
		}
		/* keep the same deadline: re-arm for reading only */
		event_del(p->io);
		event_assign(p->io, p->base, fd, EV_READ | EV_PERSIST, on_io, p);
		event_add(p->io, NULL);
		return;
	}
	n = recv(fd, p->buf + p->len, sizeof(p->buf) - 1 - p->len, 0);
	if (n <= 0) {
		snprintf(detail, sizeof(detail), "%s",
			 n == 0 ? "closed before a status line" :
				  strerror(errno));
		finish(p, false, detail);
		return;
	}
	p->len += n;
	if (http_status(p, &ok, detail, sizeof(detail)))
		finish(p, ok, detail);
}

/* The deadline of the whole probe (connect and, for http, the reply). */
static void on_deadline(evutil_socket_t fd, short what, void *arg);

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct health_probe *p = arg;
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6 };
	struct sockaddr_in s4 = { .sin_family = AF_INET };
	struct timeval tv = { .tv_sec = p->cfg.timeout_ms / 1000,
			      .tv_usec = (p->cfg.timeout_ms % 1000) * 1000 };
	struct sockaddr *sa;
	char detail[96];
	socklen_t salen;

	p->sent = false;
	p->len = 0;
	p->fd = socket(p->addr.family,
		       SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (p->fd < 0) {
		snprintf(detail, sizeof(detail), "socket: %s", strerror(errno));
		finish(p, false, detail);
		return;
	}
	if (p->addr.family == AF_INET) {
		memcpy(&s4.sin_addr, p->addr.b, 4);
		s4.sin_port = htons(p->cfg.port);
		sa = (struct sockaddr *)&s4;
		salen = sizeof(s4);
	} else {
		memcpy(&s6.sin6_addr, p->addr.b, 16);
		s6.sin6_port = htons(p->cfg.port);
		sa = (struct sockaddr *)&s6;
		salen = sizeof(s6);
	}
	if (connect(p->fd, sa, salen) && errno != EINPROGRESS) {
		snprintf(detail, sizeof(detail), "connect: %s", strerror(errno));
		finish(p, false, detail);
		return;
	}
	p->io = event_new(p->base, p->fd, EV_WRITE, on_io, p);
	if (!p->io) {
		finish(p, false, "out of memory");
		return;
	}
	event_add(p->io, NULL);
	evtimer_add(p->deadline, &tv);
}

static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct health_probe *p = arg;

	if (p->fd >= 0)
		on_io(p->fd, EV_TIMEOUT, p);
}

struct health_probe *health_probe_start(struct event_base *base,
					const struct lb_addr *addr,
					const struct health_cfg *cfg,
					bool initially_up, health_cb cb,
					void *arg)
{
	struct health_probe *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->base = base;
	p->addr = *addr;
	p->cfg = *cfg;
	p->cb = cb;
	p->arg = arg;
	p->fd = -1;
	if (!p->cfg.interval_ms)
		p->cfg.interval_ms = HEALTH_DEFAULT_INTERVAL_MS;
	if (!p->cfg.timeout_ms || p->cfg.timeout_ms > p->cfg.interval_ms)
		p->cfg.timeout_ms = p->cfg.interval_ms;
	health_sm_init(&p->sm, initially_up);
	p->timer = evtimer_new(base, on_timer, p);
	p->deadline = evtimer_new(base, on_deadline, p);
	if (!p->timer || !p->deadline) {
		if (p->timer)
			event_free(p->timer);
		free(p);
		return NULL;
	}
	/* Spread the first probes of many back ends over one interval. */
	schedule(p, (__u32)random() % p->cfg.interval_ms);
	return p;
}

void health_probe_stop(struct health_probe *p)
{
	if (!p)
		return;
	if (p->in_cb) {
		p->stopped = true;
		return;
	}
	probe_close(p);
	event_free(p->timer);
	event_free(p->deadline);
	free(p);
}

const struct health_sm *health_probe_sm(const struct health_probe *p)
{
	return &p->sm;
}
