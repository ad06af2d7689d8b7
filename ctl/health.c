// SPDX-License-Identifier: GPL-2.0-only
/*
 * Health probes. Each back end has a tick timer that fires every interval
 * (counted from the planned start of one probe to the planned start of the
 * next, so neither a slow probe nor a late event loop stretches the
 * cadence; a tick more than an interval late skips the missed ones) and
 * starts one probe: a non-blocking
 * connect (tcp), followed for http by one HTTP/1.0 request whose status line
 * is checked. A probe ends by success, failure or its hard timeout, closes
 * its socket with a reset (no TIME_WAIT left on the controller, as HAProxy
 * does), and feeds the rise/fall state machine.
 *
 * A probe owns three events and a 128-byte reply buffer, all allocated at
 * start: nothing is allocated per probe.
 */
#include "health.h"
#include "agent.h"
#include "log.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#define DETAIL_LEN HEALTH_DETAIL_LEN

void health_cfg_defaults(struct health_cfg *c)
{
	memset(c, 0, sizeof(*c));
	c->type = HEALTH_TCP;
	snprintf(c->path, sizeof(c->path), HEALTH_DEFAULT_PATH);
	c->expect_status = HEALTH_DEFAULT_STATUS;
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

static bool sm_flip(struct health_sm *sm)
{
	sm->up = !sm->up;
	sm->changes++;
	return true;
}

bool health_sm_feed(struct health_sm *sm, bool ok, __u32 rise, __u32 fall)
{
	if (ok) {
		sm->fail_run = 0;
		if (sm->ok_run < UINT32_MAX)
			sm->ok_run++;
		return !sm->up && sm->ok_run >= rise ? sm_flip(sm) : false;
	}
	sm->ok_run = 0;
	if (sm->fail_run < UINT32_MAX)
		sm->fail_run++;
	return sm->up && sm->fail_run >= fall ? sm_flip(sm) : false;
}

struct health_probe {
	struct event_base *base;
	struct lb_addr addr;
	struct health_cfg cfg;
	struct health_sm sm;
	health_cb cb;
	void *arg;
	struct event *tick; /* starts a probe, every interval */
	struct event *deadline; /* the running probe's hard timeout */
	struct event *io; /* the running probe's socket */
	int fd; /* -1 when no probe runs */
	bool sent; /* http: request written, reading the reply */
	bool in_cb, stopped; /* health_probe_stop() from inside cb */
	size_t len;
	char buf[128]; /* http: start of the reply; agent: its line */
	bool has_agent;
	bool local_warned; /* a local failure was logged (once a run) */
	struct agent_reply agent; /* agent: the last good reply */
	__u64 next_ns; /* the next probe's planned start (monotonic) */
	__u64 start_ns; /* the running probe's start */
	__u32 late_ms; /* how late the running probe started */
	struct health_result hist[HEALTH_HISTORY]; /* ring */
	__u32 nhist; /* results so far; the newest at (nhist - 1) % N */
};

static __u64 clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void record(struct health_probe *p, bool ok, const char *detail)
{
	struct health_result *r = &p->hist[p->nhist++ % HEALTH_HISTORY];

	r->start_ns = p->start_ns;
	r->end_ns = clock_ns(CLOCK_MONOTONIC);
	r->end_wall_ms = clock_ns(CLOCK_REALTIME) / 1000000;
	r->late_ms = p->late_ms;
	r->ok = ok;
	snprintf(r->detail, sizeof(r->detail), "%s", detail);
}

static struct timeval ms_tv(__u32 ms)
{
	struct timeval tv = { .tv_sec = ms / 1000,
			      .tv_usec = (ms % 1000) * 1000 };

	return tv;
}

/* Close with RST: a prober should not collect TIME_WAIT sockets. */
static void close_reset(int fd)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
}

static void probe_close(struct health_probe *p)
{
	event_del(p->deadline);
	event_del(p->io);
	if (p->fd >= 0)
		close_reset(p->fd);
	p->fd = -1;
}

/* Also for a start that failed half way: any event may be missing. */
static void probe_free(struct health_probe *p)
{
	if (p->fd >= 0)
		close_reset(p->fd);
	if (p->io)
		event_free(p->io); /* event_free() also deletes */
	if (p->deadline)
		event_free(p->deadline);
	if (p->tick)
		event_free(p->tick);
	free(p);
}

/* Report one result; returns false when cb stopped (and so freed) p. */
static bool finish(struct health_probe *p, bool ok, const char *detail)
{
	bool changed;

	probe_close(p);
	record(p, ok, detail);
	changed = health_sm_feed(&p->sm, ok, p->cfg.rise, p->cfg.fall);
	p->in_cb = true;
	p->cb(p->arg, ok, changed, p->sm.up, detail);
	p->in_cb = false;
	if (!p->stopped)
		return true;
	probe_free(p);
	return false;
}

static bool fail_errno(struct health_probe *p, const char *what, int err)
{
	char detail[DETAIL_LEN];

	snprintf(detail, sizeof(detail), "%s: %s", what, strerror(err));
	return finish(p, false, detail);
}

/* The probe could not run for a reason on this machine (out of file
 * descriptors, buffers or memory): that says nothing about the back end,
 * so it is recorded (status shows it) but not fed to the state machine. */
static bool local_errno(int err)
{
	return err == EMFILE || err == ENFILE || err == ENOBUFS ||
	       err == ENOMEM;
}

static void skip_local(struct health_probe *p, const char *what, int err)
{
	char detail[DETAIL_LEN];

	probe_close(p);
	snprintf(detail, sizeof(detail), "%s: %s (local, not counted)", what,
		 strerror(err));
	record(p, false, detail);
	if (!p->local_warned)
		pr_warn("health probe: %s\n", detail);
	p->local_warned = true;
}

static bool fail_timeout(struct health_probe *p)
{
	char detail[DETAIL_LEN];

	snprintf(detail, sizeof(detail), "timeout after %u ms",
		 p->cfg.timeout_ms);
	return finish(p, false, detail);
}

/* The status code of a status line "HTTP/x.y NNN reason", or -1. */
static int http_status_code(const char *line)
{
	const char *s = strchr(line, ' ');
	int i, code = 0;

	if (strncmp(line, "HTTP/", 5) || !s)
		return -1;
	for (i = 1; i <= 3; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		code = code * 10 + s[i] - '0';
	}
	if (s[4] != ' ' && s[4] != '\r' && s[4] != '\n' && s[4] != '\0')
		return -1;
	return code;
}

/* Judge the reply once its status line is complete (or the peer closed). */
static void http_judge(struct health_probe *p, bool eof)
{
	char detail[DETAIL_LEN];
	int code;

	p->buf[p->len] = '\0';
	if (!memchr(p->buf, '\n', p->len) && !eof &&
	    p->len < sizeof(p->buf) - 1)
		return; /* wait for the rest of the line */
	if (eof && !p->len) {
		finish(p, false, "closed before a status line");
		return;
	}
	code = http_status_code(p->buf);
	if (code < 0) {
		finish(p, false, "not an HTTP status line");
		return;
	}
	snprintf(detail, sizeof(detail), "%shttp status %d",
		 code == p->cfg.expect_status ? "ok, " : "", code);
	finish(p, code == p->cfg.expect_status, detail);
}

/* Judge the agent's line once complete (or the agent closed). */
static void agent_judge(struct health_probe *p, bool eof)
{
	char detail[DETAIL_LEN], err[64];
	struct agent_reply r;

	p->buf[p->len] = '\0';
	if (!memchr(p->buf, '\n', p->len) && !eof &&
	    p->len < sizeof(p->buf) - 1)
		return;
	if (agent_parse(p->buf, &r, err, sizeof(err))) {
		snprintf(detail, sizeof(detail), "agent: bad reply: %s", err);
		finish(p, false, detail);
		return;
	}
	p->agent = r;
	p->has_agent = true;
	snprintf(detail, sizeof(detail), "agent: %.*s", DETAIL_LEN - 16,
		 p->buf);
	detail[strcspn(detail, "\r\n")] = '\0';
	finish(p, r.state != AGENT_DOWN, detail);
}

static void http_read(struct health_probe *p)
{
	ssize_t n;

	n = recv(p->fd, p->buf + p->len, sizeof(p->buf) - 1 - p->len, 0);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < 0) {
		fail_errno(p, "recv", errno);
		return;
	}
	p->len += n;
	if (p->cfg.type == HEALTH_AGENT)
		agent_judge(p, n == 0);
	else
		http_judge(p, n == 0);
}

static void on_io(evutil_socket_t fd, short what, void *arg);

/* Connected: send the request and wait for the reply (same deadline). */
static void http_send(struct health_probe *p)
{
	char req[384], host[LB_ADDRSTRLEN];
	ssize_t sent;
	int n;

	lb_addr_str(&p->addr, host, sizeof(host));
	n = snprintf(
		req, sizeof(req),
		"GET %s HTTP/1.0\r\nHost: %s%s%s\r\nUser-Agent: xdp-lb\r\n\r\n",
		p->cfg.path, p->addr.family == AF_INET6 ? "[" : "", host,
		p->addr.family == AF_INET6 ? "]" : "");
	if (n < 0 || n >= (int)sizeof(req)) {
		finish(p, false, "request too long");
		return;
	}
	/* A fresh socket's send buffer takes a few hundred bytes at once. */
	sent = send(p->fd, req, n, MSG_NOSIGNAL);
	if (sent != n) {
		if (sent < 0)
			fail_errno(p, "send", errno);
		else
			finish(p, false, "send: short write");
		return;
	}
	p->sent = true;
	event_assign(p->io, p->base, p->fd, EV_READ | EV_PERSIST, on_io, p);
	event_add(p->io, NULL);
}

/* Connected to an agent: it speaks first, one line. */
static void agent_wait(struct health_probe *p)
{
	p->sent = true;
	event_assign(p->io, p->base, p->fd, EV_READ | EV_PERSIST, on_io, p);
	event_add(p->io, NULL);
}

static void on_connected(struct health_probe *p)
{
	socklen_t len = sizeof(int);
	int err = 0;

	if (getsockopt(p->fd, SOL_SOCKET, SO_ERROR, &err, &len))
		err = errno;
	if (err)
		fail_errno(p, "connect", err);
	else if (p->cfg.type == HEALTH_TCP)
		finish(p, true, "ok");
	else if (p->cfg.type == HEALTH_AGENT)
		agent_wait(p);
	else
		http_send(p);
}

static void on_io(evutil_socket_t fd, short what, void *arg)
{
	struct health_probe *p = arg;

	(void)fd;
	(void)what;
	if (p->sent)
		http_read(p);
	else
		on_connected(p);
}

static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	fail_timeout(arg);
}

static socklen_t make_sockaddr(const struct health_probe *p,
			       struct sockaddr_in6 *sa)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)sa;

	memset(sa, 0, sizeof(*sa));
	if (p->addr.family == AF_INET) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(p->cfg.port);
		memcpy(&s4->sin_addr, p->addr.b, 4);
		return sizeof(*s4);
	}
	sa->sin6_family = AF_INET6;
	sa->sin6_port = htons(p->cfg.port);
	memcpy(&sa->sin6_addr, p->addr.b, 16);
	return sizeof(*sa);
}

static void probe_begin(struct health_probe *p)
{
	struct timeval tv = ms_tv(p->cfg.timeout_ms);
	struct sockaddr_in6 sa;
	socklen_t salen = make_sockaddr(p, &sa);

	p->sent = false;
	p->len = 0;
	p->fd = socket(p->addr.family,
		       SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (p->fd < 0) {
		if (local_errno(errno))
			skip_local(p, "socket", errno);
		else
			fail_errno(p, "socket", errno);
		return;
	}
	p->local_warned = false;
	if (p->cfg.mark && setsockopt(p->fd, SOL_SOCKET, SO_MARK, &p->cfg.mark,
				      sizeof(p->cfg.mark))) {
		fail_errno(p, "SO_MARK", errno);
		return;
	}
	if (connect(p->fd, (struct sockaddr *)&sa, salen) &&
	    errno != EINPROGRESS) {
		if (local_errno(errno))
			skip_local(p, "connect", errno);
		else
			fail_errno(p, "connect", errno);
		return;
	}
	event_assign(p->io, p->base, p->fd, EV_WRITE, on_io, p);
	event_add(p->io, NULL);
	evtimer_add(p->deadline, &tv);
}

/* Plan the next tick one interval after this one's planned start. */
static void tick_plan(struct health_probe *p, __u64 now)
{
	__u64 step = (__u64)p->cfg.interval_ms * 1000000;
	struct timeval tv;

	p->next_ns += step;
	if (p->next_ns <= now) /* more than an interval late: skip */
		p->next_ns = now + step - (now - p->next_ns) % step;
	tv.tv_sec = (p->next_ns - now) / 1000000000;
	tv.tv_usec = (p->next_ns - now) % 1000000000 / 1000;
	evtimer_add(p->tick, &tv);
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct health_probe *p = arg;
	__u64 now = clock_ns(CLOCK_MONOTONIC);

	(void)fd;
	(void)what;
	/* timeout == interval: the deadline may not have run yet */
	if (p->fd >= 0 && !fail_timeout(p))
		return;
	p->start_ns = now;
	p->late_ms = now > p->next_ns ? (now - p->next_ns) / 1000000 : 0;
	tick_plan(p, now);
	probe_begin(p);
}

/*
 * The first probe's offset in [0, interval): a golden-ratio sequence, so
 * that n back ends started together probe at n evenly spread moments.
 */
static __u32 first_offset(__u32 interval_ms)
{
	static __u32 seq;

	seq += 0x9e3779b9u;
	return (__u32)(((__u64)seq * interval_ms) >> 32);
}

static bool cfg_fix(struct health_cfg *c, const struct lb_addr *addr)
{
	if (c->type != HEALTH_TCP && c->type != HEALTH_HTTP &&
	    c->type != HEALTH_AGENT)
		return false;
	if (addr->family != AF_INET && addr->family != AF_INET6)
		return false;
	if (!c->interval_ms)
		c->interval_ms = HEALTH_DEFAULT_INTERVAL_MS;
	if (!c->timeout_ms || c->timeout_ms > c->interval_ms)
		c->timeout_ms = c->interval_ms;
	if (!c->path[0])
		snprintf(c->path, sizeof(c->path), HEALTH_DEFAULT_PATH);
	c->path[sizeof(c->path) - 1] = '\0';
	if (!c->expect_status)
		c->expect_status = HEALTH_DEFAULT_STATUS;
	return true;
}

struct health_probe *health_probe_start(struct event_base *base,
					const struct lb_addr *addr,
					const struct health_cfg *cfg,
					bool initially_up, health_cb cb,
					void *arg)
{
	struct health_probe *p;
	struct timeval tv;

	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->cfg = *cfg;
	if (!cb || !cfg_fix(&p->cfg, addr)) {
		free(p);
		return NULL;
	}
	p->base = base;
	p->addr = *addr;
	p->cb = cb;
	p->arg = arg;
	p->fd = -1;
	health_sm_init(&p->sm, initially_up);
	p->tick = evtimer_new(base, on_tick, p);
	p->deadline = evtimer_new(base, on_deadline, p);
	p->io = event_new(base, -1, 0, on_io, p);
	if (!p->tick || !p->deadline || !p->io) {
		probe_free(p);
		return NULL;
	}
	tv = ms_tv(first_offset(p->cfg.interval_ms));
	p->next_ns = clock_ns(CLOCK_MONOTONIC) +
		     (__u64)tv.tv_sec * 1000000000 + tv.tv_usec * 1000ull;
	evtimer_add(p->tick, &tv);
	return p;
}

void health_probe_stop(struct health_probe *p)
{
	if (!p)
		return;
	if (p->in_cb)
		p->stopped = true; /* finish() frees it when cb returns */
	else
		probe_free(p);
}

const struct health_sm *health_probe_sm(const struct health_probe *p)
{
	return &p->sm;
}

const struct agent_reply *health_probe_agent(const struct health_probe *p)
{
	return p && p->has_agent ? &p->agent : NULL;
}

size_t health_probe_history(const struct health_probe *p,
			    struct health_result *out, size_t max)
{
	size_t n = p->nhist < HEALTH_HISTORY ? p->nhist : HEALTH_HISTORY;
	size_t i;

	if (n > max)
		n = max;
	for (i = 0; i < n; i++)
		out[i] = p->hist[(p->nhist - n + i) % HEALTH_HISTORY];
	return n;
}
