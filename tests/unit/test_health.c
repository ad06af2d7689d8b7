// SPDX-License-Identifier: GPL-2.0-only
/*
 * Health checks (ctl/health.c): the rise/fall state machine, and probes
 * against servers this test opens on 127.0.0.1 and ::1, driven by the same
 * event loop as the probes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <sys/resource.h>

#include "check.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "health.h"
#include "agent.h"

#define INTERVAL 40 /* ms, probe interval of the network tests */
#define TIMEOUT 30 /* ms */
/* ms, scheduling slack on a loaded machine; more under ASan (the san
 * layer of tests/run.sh), which runs everything two to three times slower */
#ifdef __SANITIZE_ADDRESS__
#define SLACK 500
#else
#define SLACK 150
#endif
#define MAX_CALLS 64

/* ---- state machine ---- */

/* Feed n results; returns how many of them flipped the state. */
static int feed_n(struct health_sm *sm, bool ok, int n, __u32 rise, __u32 fall)
{
	int i, flips = 0;

	for (i = 0; i < n; i++)
		flips += health_sm_feed(sm, ok, rise, fall);
	return flips;
}

static void test_sm_starts_as_given(void **state)
{
	struct health_sm sm;

	(void)state;
	health_sm_init(&sm, true);
	check_int(sm.up, 1, "init(up): up");
	check_int(sm.changes, 0, "init(up): changes");
	health_sm_init(&sm, false);
	check_int(sm.up, 0, "init(down): up");
	check_int(sm.ok_run + sm.fail_run, 0, "init(down): runs");
}

/* Down after exactly fall failures in a row, for several fall values. */
static void test_sm_down_after_exactly_fall(void **state)
{
	struct health_sm sm;
	__u32 fall, i;

	(void)state;
	for (fall = 1; fall <= 5; fall++) {
		health_sm_init(&sm, true);
		for (i = 1; i < fall; i++)
			check_int(health_sm_feed(&sm, false, 2, fall), 0,
				  "fall=%u: failure %u flips", fall, i);
		check_int(sm.up, 1, "fall=%u: up after %u failures", fall,
			  fall - 1);
		check_int(health_sm_feed(&sm, false, 2, fall), 1,
			  "fall=%u: failure %u flips", fall, fall);
		check_int(sm.up, 0, "fall=%u: up after %u failures", fall,
			  fall);
		check_int(feed_n(&sm, false, 5, 2, fall), 0,
			  "fall=%u: more failures flip again", fall);
	}
}

static void test_sm_up_after_exactly_rise(void **state)
{
	struct health_sm sm;
	__u32 rise, i;

	(void)state;
	for (rise = 1; rise <= 5; rise++) {
		health_sm_init(&sm, false);
		for (i = 1; i < rise; i++)
			check_int(health_sm_feed(&sm, true, rise, 3), 0,
				  "rise=%u: success %u flips", rise, i);
		check_int(health_sm_feed(&sm, true, rise, 3), 1,
			  "rise=%u: success %u flips", rise, rise);
		check_int(sm.up, 1, "rise=%u: up after %u successes", rise,
			  rise);
		check_int(feed_n(&sm, true, 5, rise, 3), 0,
			  "rise=%u: more successes flip again", rise);
	}
}

/* fall-1 failures, a success, fall-1 failures: still up. */
static void test_sm_success_resets_fail_run(void **state)
{
	struct health_sm sm;

	(void)state;
	health_sm_init(&sm, true);
	check_int(feed_n(&sm, false, 2, 2, 3), 0, "2 failures flip");
	health_sm_feed(&sm, true, 2, 3);
	check_int(sm.fail_run, 0, "fail_run after a success");
	check_int(feed_n(&sm, false, 2, 2, 3), 0, "2 more failures flip");
	check_int(sm.up, 1, "up after 2 + ok + 2 failures");
	check_int(feed_n(&sm, false, 1, 2, 3), 1, "third failure in a row");
}

static void test_sm_failure_resets_ok_run(void **state)
{
	struct health_sm sm;

	(void)state;
	health_sm_init(&sm, false);
	check_int(feed_n(&sm, true, 2, 3, 3), 0, "2 successes flip (rise 3)");
	health_sm_feed(&sm, false, 3, 3);
	check_int(sm.ok_run, 0, "ok_run after a failure");
	check_int(feed_n(&sm, true, 2, 3, 3), 0, "2 more successes flip");
	check_int(feed_n(&sm, true, 1, 3, 3), 1, "third success in a row");
}

/* rise=2/fall=3 and results alternating: never flips, from either side. */
static void test_sm_flapping_never_flips(void **state)
{
	struct health_sm sm;
	int i, start;

	(void)state;
	for (start = 0; start <= 1; start++) {
		health_sm_init(&sm, start);
		for (i = 0; i < 100; i++)
			check_int(health_sm_feed(&sm, (i & 1) == start, 2, 3),
				  0, "alternating from %s: result %d flips",
				  start ? "up" : "down", i);
		check_int(sm.changes, 0, "alternating: changes");
	}
}

static void test_sm_counts_changes(void **state)
{
	struct health_sm sm;
	int i;

	(void)state;
	health_sm_init(&sm, true);
	for (i = 0; i < 4; i++) {
		feed_n(&sm, false, 3, 2, 3);
		feed_n(&sm, true, 2, 2, 3);
	}
	check_int(sm.changes, 8, "4 down/up cycles: changes");
	check_int(sm.up, 1, "after 4 down/up cycles: up");
}

/* rise=1/fall=1: every result that differs from the state flips it. */
static void test_sm_rise1_fall1(void **state)
{
	static const bool seq[] = { true, false, false, true, true, false };
	static const int flips[] = { 0, 1, 0, 1, 0, 1 };
	struct health_sm sm;
	size_t i;

	(void)state;
	health_sm_init(&sm, true);
	for (i = 0; i < sizeof(seq) / sizeof(seq[0]); i++)
		check_int(health_sm_feed(&sm, seq[i], 1, 1), flips[i],
			  "rise=fall=1: result %zu (%s) flips", i,
			  seq[i] ? "ok" : "fail");
	check_int(sm.changes, 3, "rise=fall=1: changes");
	check_int(sm.up, 0, "rise=fall=1: up at the end");
}

/* 0 acts as 1: the first result against the state flips it. */
static void test_sm_zero_acts_as_one(void **state)
{
	struct health_sm sm;

	(void)state;
	health_sm_init(&sm, true);
	check_int(health_sm_feed(&sm, false, 0, 0), 1, "fall=0: first failure");
	check_int(health_sm_feed(&sm, true, 0, 0), 1, "rise=0: first success");
}

static void test_cfg_defaults(void **state)
{
	struct health_cfg c;

	(void)state;
	memset(&c, 0xa5, sizeof(c));
	health_cfg_defaults(&c);
	check_int(c.type, HEALTH_TCP, "default type");
	check_int(c.port, 0, "default port");
	check_str(c.path, "/", "default path");
	check_int(c.expect_status, 200, "default expect_status");
	check_int(c.interval_ms, 1000, "default interval_ms");
	check_int(c.timeout_ms, 1000, "default timeout_ms");
	check_int(c.rise, 2, "default rise");
	check_int(c.fall, 3, "default fall");
}

/* ---- test servers on the probes' event loop ---- */

enum srv_mode {
	SRV_ACCEPT_CLOSE, /* accept and close: a tcp service */
	SRV_HTTP, /* read a request, answer status, close */
	SRV_SILENT, /* accept, hold the connection, never answer */
	SRV_GARBAGE, /* answer a line that is not HTTP */
	SRV_AGENT, /* on accept, write agent_line and close */
};

struct server {
	struct event_base *base;
	enum srv_mode mode;
	int status;
	int lfd;
	__u16 port;
	struct event *lev;
	bool break_on_accept;
	bool break_on_request;
	struct timespec accepted; /* when the last connection was accepted */
	int held[MAX_CALLS];
	int n_held;
	const char *agent_line;
	char req[512]; /* the last request, as received */
	size_t req_len;
};

static struct lb_addr loopback(int family)
{
	struct lb_addr a = { .family = family };

	if (family == AF_INET)
		a.b[0] = 127, a.b[3] = 1;
	else
		a.b[15] = 1;
	return a;
}

/* A TCP socket bound to an ephemeral port of the loopback address. */
static int bind_loopback(int family, __u16 *port)
{
	struct sockaddr_in6 sa6 = { .sin6_family = AF_INET6,
				    .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	struct sockaddr_in sa4 = { .sin_family = AF_INET,
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct sockaddr *sa = family == AF_INET ? (struct sockaddr *)&sa4 :
						  (struct sockaddr *)&sa6;
	socklen_t len = family == AF_INET ? sizeof(sa4) : sizeof(sa6);
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	if (bind(fd, sa, len) || getsockname(fd, sa, &len)) {
		close(fd);
		return -1;
	}
	*port = ntohs(family == AF_INET ? sa4.sin_port : sa6.sin6_port);
	return fd;
}

static void send_all(int fd, const char *s)
{
	if (send(fd, s, strlen(s), MSG_NOSIGNAL) < 0)
		fail_msg("test server: send: %s", strerror(errno));
}

static void srv_answer(struct server *s, int fd)
{
	char resp[128];

	if (s->mode == SRV_GARBAGE) {
		send_all(fd, "hello there\r\n");
	} else {
		snprintf(resp, sizeof(resp),
			 "HTTP/1.0 %d Test\r\nContent-Length: 0\r\n\r\n",
			 s->status);
		send_all(fd, resp);
	}
	close(fd);
}

static void on_srv_read(evutil_socket_t fd, short what, void *arg)
{
	struct server *s = arg;
	ssize_t n;

	(void)what;
	n = recv(fd, s->req + s->req_len, sizeof(s->req) - 1 - s->req_len, 0);
	if (n <= 0) {
		close(fd);
		return;
	}
	s->req_len += n;
	s->req[s->req_len] = '\0';
	if (!strstr(s->req, "\r\n\r\n") && s->req_len < sizeof(s->req) - 1) {
		event_base_once(s->base, fd, EV_READ, on_srv_read, s, NULL);
		return;
	}
	srv_answer(s, fd);
	if (s->break_on_request)
		event_base_loopbreak(s->base);
}

static void on_srv_accept(evutil_socket_t lfd, short what, void *arg)
{
	struct server *s = arg;
	int fd = accept(lfd, NULL, NULL);

	(void)what;
	if (fd < 0)
		return;
	clock_gettime(CLOCK_MONOTONIC, &s->accepted);
	if (s->break_on_accept)
		event_base_loopbreak(s->base);
	if (s->mode == SRV_ACCEPT_CLOSE) {
		close(fd);
	} else if (s->mode == SRV_AGENT) {
		send_all(fd, s->agent_line);
		close(fd);
	} else if (s->mode == SRV_SILENT && s->n_held < MAX_CALLS) {
		s->held[s->n_held++] = fd;
	} else if (s->mode == SRV_SILENT) {
		close(fd);
	} else {
		s->req_len = 0;
		event_base_once(s->base, fd, EV_READ, on_srv_read, s, NULL);
	}
}

/* Open a server; false (and the test is skipped) without that family. */
static bool srv_open(struct server *s, struct event_base *base, int family,
		     enum srv_mode mode, int status)
{
	memset(s, 0, sizeof(*s));
	s->base = base;
	s->mode = mode;
	s->status = status;
	s->lfd = bind_loopback(family, &s->port);
	if (s->lfd < 0)
		return false;
	if (listen(s->lfd, 128))
		fail_msg("test server: listen: %s", strerror(errno));
	s->lev =
		event_new(base, s->lfd, EV_READ | EV_PERSIST, on_srv_accept, s);
	assert_non_null(s->lev);
	event_add(s->lev, NULL);
	return true;
}

static void srv_close(struct server *s)
{
	int i;

	for (i = 0; i < s->n_held; i++)
		close(s->held[i]);
	event_free(s->lev);
	close(s->lfd);
}

/* ---- probe results ---- */

struct rec {
	struct event_base *base;
	struct health_probe *p;
	struct timespec t0;
	struct timespec t_first; /* when the first result came */
	int calls, oks;
	int first_flip; /* 1-based call that first flipped, 0: none */
	long flip_ms; /* ms from start to the first flip */
	long first_ms; /* ms from start to the first result */
	bool up;
	bool stop_in_cb; /* health_probe_stop() from the first cb */
	bool break_on_flip;
	char detail[96];
};

static long ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 +
	       (t.tv_nsec - t0->tv_nsec) / 1000000;
}

static void on_result(void *arg, bool ok, bool changed, bool up,
		      const char *detail)
{
	struct rec *r = arg;

	if (!r->calls) {
		r->first_ms = ms_since(&r->t0);
		clock_gettime(CLOCK_MONOTONIC, &r->t_first);
	}
	r->calls++;
	r->oks += ok;
	r->up = up;
	snprintf(r->detail, sizeof(r->detail), "%s", detail);
	if (changed && !r->first_flip) {
		r->first_flip = r->calls;
		r->flip_ms = ms_since(&r->t0);
		if (r->break_on_flip)
			event_base_loopbreak(r->base);
	}
	if (r->stop_in_cb) {
		health_probe_stop(r->p);
		r->p = NULL;
	}
}

static void on_guard(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	event_base_loopbreak(arg);
}

/* Run the loop for ms, or until the first flip when r->break_on_flip. */
static void run_for(struct event_base *base, long ms)
{
	struct timeval tv = { .tv_sec = ms / 1000,
			      .tv_usec = (ms % 1000) * 1000 };
	struct event *guard = evtimer_new(base, on_guard, base);

	assert_non_null(guard);
	evtimer_add(guard, &tv);
	event_base_dispatch(base);
	event_free(guard);
}

static struct health_cfg cfg_of(enum health_type type, __u16 port)
{
	struct health_cfg c;

	health_cfg_defaults(&c);
	c.type = type;
	c.port = port;
	c.interval_ms = INTERVAL;
	c.timeout_ms = TIMEOUT;
	return c;
}

static void rec_start(struct rec *r, struct event_base *base, int family,
		      const struct health_cfg *c, bool up)
{
	struct lb_addr a = loopback(family);

	memset(r, 0, sizeof(*r));
	r->base = base;
	r->break_on_flip = true;
	clock_gettime(CLOCK_MONOTONIC, &r->t0);
	r->p = health_probe_start(base, &a, c, up, on_result, r);
	assert_non_null(r->p);
}

/*
 * Probe until the first flip; it must come on call `want_call`, with
 * `detail`, within n x interval + timeout + slack (the first probe comes
 * within one interval, the later ones one interval apart).
 */
static void expect_flip(struct rec *r, const struct health_cfg *c,
			bool up_after, int want_call, const char *detail,
			const char *what)
{
	long bound = (long)want_call * c->interval_ms + c->timeout_ms + SLACK;

	run_for(r->base, bound + 200);
	check_int(r->first_flip, want_call, "%s: the result that flips", what);
	check_int(r->up, up_after, "%s: up after the flip", what);
	check_int(r->oks, up_after ? r->calls : 0, "%s: ok results", what);
	check_str(r->detail, detail, what);
	if (r->flip_ms > bound)
		fail_msg("%s: flipped after %ld ms, bound %ld ms", what,
			 r->flip_ms, bound);
	check_int(health_probe_sm(r->p)->up, up_after, "%s: sm.up", what);
	check_int(health_probe_sm(r->p)->changes, 1, "%s: sm.changes", what);
}

static void tcp_listening_up(int family, const char *what)
{
	struct event_base *base = event_base_new();
	struct health_cfg c;
	struct server s;
	struct rec r;

	assert_non_null(base);
	if (!srv_open(&s, base, family, SRV_ACCEPT_CLOSE, 0)) {
		event_base_free(base);
		skip();
	}
	c = cfg_of(HEALTH_TCP, s.port);
	rec_start(&r, base, family, &c, false);
	expect_flip(&r, &c, true, c.rise, "ok", what);
	health_probe_stop(r.p);
	srv_close(&s);
	event_base_free(base);
}

static void test_probe_tcp_listening_v4_up(void **state)
{
	(void)state;
	tcp_listening_up(AF_INET, "tcp 127.0.0.1 listening");
}

static void test_probe_tcp_listening_v6_up(void **state)
{
	(void)state;
	tcp_listening_up(AF_INET6, "tcp ::1 listening");
}

/* A port bound but not listening answers SYNs with RST: refused. */
static void tcp_closed_down(int family, const char *what)
{
	struct event_base *base = event_base_new();
	struct health_cfg c;
	struct rec r;
	__u16 port;
	int fd = bind_loopback(family, &port);

	assert_non_null(base);
	if (fd < 0) {
		event_base_free(base);
		skip();
	}
	c = cfg_of(HEALTH_TCP, port);
	rec_start(&r, base, family, &c, true);
	expect_flip(&r, &c, false, c.fall, "connect: Connection refused", what);
	health_probe_stop(r.p);
	close(fd);
	event_base_free(base);
}

static void test_probe_tcp_closed_v4_down_after_fall(void **state)
{
	(void)state;
	tcp_closed_down(AF_INET, "tcp 127.0.0.1 closed port");
}

static void test_probe_tcp_closed_v6_down_after_fall(void **state)
{
	(void)state;
	tcp_closed_down(AF_INET6, "tcp ::1 closed port");
}

/*
 * Out of file descriptors, a probe cannot even open its socket: that is
 * this machine's problem, not the back end's. Against a closed port (which
 * would take it down after fall), no result is fed while the descriptors
 * are gone: the back end stays up, and the history says why.
 */
static void test_probe_local_failure_not_counted(void **state)
{
	struct event_base *base = event_base_new();
	struct health_result h[HEALTH_HISTORY];
	struct health_cfg c;
	int fill[4096], n = 0, i;
	struct rlimit old, lim;
	struct rec r;
	__u16 port;
	int fd = bind_loopback(AF_INET, &port);
	size_t nh;

	(void)state;
	assert_non_null(base);
	if (fd < 0) {
		event_base_free(base);
		skip();
	}
	c = cfg_of(HEALTH_TCP, port);
	rec_start(&r, base, AF_INET, &c, true);
	r.break_on_flip = false;
	getrlimit(RLIMIT_NOFILE, &old);
	lim = old;
	lim.rlim_cur = 512; /* then use every one left */
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &lim), 0);
	while (n < 4096 && (fill[n] = dup(0)) >= 0)
		n++;
	run_for(base, (long)(c.fall + 2) * c.interval_ms);
	for (i = 0; i < n; i++)
		close(fill[i]);
	setrlimit(RLIMIT_NOFILE, &old);
	check_int(r.calls, 0, "results fed while out of descriptors");
	check_int(health_probe_sm(r.p)->up, 1, "up while out of descriptors");
	nh = health_probe_history(r.p, h, HEALTH_HISTORY);
	check_int(nh > 0, 1, "the skipped probes are in the history");
	if (nh && !strstr(h[nh - 1].detail, "not counted"))
		fail_msg("history says why: \"%s\"", h[nh - 1].detail);
	health_probe_stop(r.p);
	close(fd);
	event_base_free(base);
}

/* An http probe against a server of `mode`; the first flip as expected. */
static void http_case(int family, enum srv_mode mode, int status,
		      __u16 expect_status, bool up_after, const char *detail,
		      const char *what)
{
	struct event_base *base = event_base_new();
	struct health_cfg c;
	struct server s;
	struct rec r;

	assert_non_null(base);
	if (!srv_open(&s, base, family, mode, status)) {
		event_base_free(base);
		skip();
	}
	c = cfg_of(HEALTH_HTTP, s.port);
	if (expect_status)
		c.expect_status = expect_status;
	rec_start(&r, base, family, &c, !up_after);
	expect_flip(&r, &c, up_after, up_after ? c.rise : c.fall, detail, what);
	health_probe_stop(r.p);
	srv_close(&s);
	event_base_free(base);
}

/* An agent probe against an agent answering line; the first flip as
 * expected, and the last good reply kept. */
static const struct agent_reply *agent_case(struct event_base *base,
					    struct server *s, struct rec *r,
					    const char *line, bool up_after,
					    const char *detail,
					    const char *what)
{
	struct health_cfg c;

	if (!srv_open(s, base, AF_INET, SRV_AGENT, 0))
		skip();
	s->agent_line = line;
	c = cfg_of(HEALTH_AGENT, s->port);
	rec_start(r, base, AF_INET, &c, !up_after);
	expect_flip(r, &c, up_after, up_after ? c.rise : c.fall, detail, what);
	return health_probe_agent(r->p);
}

static void test_probe_agent_load_up(void **state)
{
	struct event_base *base = event_base_new();
	const struct agent_reply *a;
	struct server s;
	struct rec r;

	(void)state;
	a = agent_case(base, &s, &r, "75% up\n", true, "agent: 75% up",
		       "agent 75% up");
	assert_non_null(a);
	check_int(a->has_load, 1, "agent load present");
	check_int(a->load, 75, "agent load");
	check_int(a->state, AGENT_UP, "agent state");
	health_probe_stop(r.p);
	srv_close(&s);
	event_base_free(base);
}

/* drain is not a failure: the back end stays up, the state is kept */
static void test_probe_agent_drain_is_up(void **state)
{
	struct event_base *base = event_base_new();
	const struct agent_reply *a;
	struct server s;
	struct rec r;

	(void)state;
	a = agent_case(base, &s, &r, "drain,10%", true, "agent: drain,10%",
		       "agent drain");
	check_int(a->state, AGENT_DRAIN, "agent state drain");
	health_probe_stop(r.p);
	srv_close(&s);
	event_base_free(base);
}

static void test_probe_agent_down(void **state)
{
	struct event_base *base = event_base_new();
	const struct agent_reply *a;
	struct server s;
	struct rec r;

	(void)state;
	a = agent_case(base, &s, &r, "down#disk full\r\n", false,
		       "agent: down#disk full", "agent down");
	check_int(a->state, AGENT_DOWN, "agent state down");
	check_str(a->desc, "disk full", "agent description");
	health_probe_stop(r.p);
	srv_close(&s);
	event_base_free(base);
}

/* A bad reply fails the probe and keeps no reply. */
static void test_probe_agent_bad_reply(void **state)
{
	struct event_base *base = event_base_new();
	struct server s;
	struct rec r;

	(void)state;
	assert_null(agent_case(base, &s, &r, "busy\n", false,
			       "agent: bad reply: unknown word 'busy'",
			       "agent bad reply"));
	health_probe_stop(r.p);
	srv_close(&s);
	event_base_free(base);
	base = event_base_new();
	assert_null(agent_case(base, &s, &r, "", false,
			       "agent: bad reply: empty reply",
			       "agent closes silently"));
	health_probe_stop(r.p);
	srv_close(&s);
	event_base_free(base);
}

static void test_probe_http_200_up(void **state)
{
	(void)state;
	http_case(AF_INET, SRV_HTTP, 200, 0, true, "ok, http status 200",
		  "http 200");
}

static void test_probe_http_v6_200_up(void **state)
{
	(void)state;
	http_case(AF_INET6, SRV_HTTP, 200, 0, true, "ok, http status 200",
		  "http ::1 200");
}

static void test_probe_http_503_down(void **state)
{
	(void)state;
	http_case(AF_INET, SRV_HTTP, 503, 0, false, "http status 503",
		  "http 503");
}

static void test_probe_http_expect_status(void **state)
{
	(void)state;
	http_case(AF_INET, SRV_HTTP, 204, 204, true, "ok, http status 204",
		  "http 204 expecting 204");
	http_case(AF_INET, SRV_HTTP, 200, 204, false, "http status 200",
		  "http 200 expecting 204");
}

static void test_probe_http_silent_times_out(void **state)
{
	char detail[64];

	(void)state;
	snprintf(detail, sizeof(detail), "timeout after %d ms", TIMEOUT);
	http_case(AF_INET, SRV_SILENT, 0, 0, false, detail,
		  "http, server never answers");
}

/* The timeout ends a probe after timeout_ms, not at the next interval. */
static void test_probe_timeout_is_hard(void **state)
{
	struct event_base *base = event_base_new();
	struct health_cfg c;
	struct server s;
	struct rec r;
	long ms;

	(void)state;
	assert_non_null(base);
	assert_true(srv_open(&s, base, AF_INET, SRV_SILENT, 0));
	c = cfg_of(HEALTH_HTTP, s.port);
	c.interval_ms = 400;
	c.timeout_ms = 20;
	rec_start(&r, base, AF_INET, &c, true);
	r.break_on_flip = false;
	r.stop_in_cb = true;
	run_for(base, c.interval_ms + 100);
	check_int(r.calls, 1, "results");
	check_int(s.n_held, 1, "connections the server accepted");
	ms = (r.t_first.tv_sec - s.accepted.tv_sec) * 1000 +
	     (r.t_first.tv_nsec - s.accepted.tv_nsec) / 1000000;
	if (ms < 10 || ms > 20 + 80)
		fail_msg("timeout 20 ms: result %ld ms after the connection, "
			 "expected 20..100",
			 ms);
	srv_close(&s);
	event_base_free(base);
}

static void test_probe_http_not_http_down(void **state)
{
	(void)state;
	http_case(AF_INET, SRV_GARBAGE, 0, 0, false, "not an HTTP status line",
		  "http, server answers garbage");
}

/* The request on the wire, byte for byte; IPv6 Host in brackets. */
static void http_request_is(int family, const char *path, const char *want)
{
	struct event_base *base = event_base_new();
	struct health_cfg c;
	struct server s;
	struct rec r;

	assert_non_null(base);
	if (!srv_open(&s, base, family, SRV_HTTP, 200)) {
		event_base_free(base);
		skip();
	}
	c = cfg_of(HEALTH_HTTP, s.port);
	snprintf(c.path, sizeof(c.path), "%s", path);
	s.break_on_request = true;
	rec_start(&r, base, family, &c, false);
	r.break_on_flip = false;
	run_for(base, INTERVAL + TIMEOUT + SLACK);
	check_str(s.req, want, "the request as the server read it");
	health_probe_stop(r.p);
	srv_close(&s);
	event_base_free(base);
}

static void test_probe_http_request_format(void **state)
{
	(void)state;
	http_request_is(AF_INET, "/healthz?full=1",
			"GET /healthz?full=1 HTTP/1.0\r\nHost: 127.0.0.1\r\n"
			"User-Agent: xdp-lb\r\n\r\n");
	http_request_is(AF_INET6, "/",
			"GET / HTTP/1.0\r\nHost: [::1]\r\n"
			"User-Agent: xdp-lb\r\n\r\n");
}

/*
 * Probes start every interval even when each one takes its whole timeout
 * (also timeout == interval): the cadence is start to start.
 */
static void cadence_case(__u32 timeout, const char *what)
{
	struct event_base *base = event_base_new();
	struct health_cfg c;
	struct server s;
	struct rec r;
	long ms = 8 * INTERVAL;

	assert_non_null(base);
	assert_true(srv_open(&s, base, AF_INET, SRV_SILENT, 0));
	c = cfg_of(HEALTH_HTTP, s.port);
	c.timeout_ms = timeout;
	rec_start(&r, base, AF_INET, &c, true);
	r.break_on_flip = false;
	run_for(base, ms);
	/*
	 * Results at t0 + offset + timeout + k x interval, offset < interval:
	 * 7 or 8 (end to start, one every timeout + interval, would give 4).
	 */
	if (r.calls < 6 || r.calls > 9)
		fail_msg("%s: %d results in %ld ms at %d ms intervals, "
			 "expected 6..9",
			 what, r.calls, ms, INTERVAL);
	check_int(r.oks, 0, "%s: ok results", what);
	health_probe_stop(r.p);
	srv_close(&s);
	event_base_free(base);
}

static void test_probe_cadence_start_to_start(void **state)
{
	(void)state;
	cadence_case(TIMEOUT, "timeout 30 of interval 40");
	cadence_case(10 * INTERVAL, "timeout > interval: cut to == interval");
}

static void on_stall(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	usleep(*(long *)arg * 1000); /* the loop is blocked meanwhile */
}

static int cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return (x > y) - (x < y);
}

/*
 * A blocked event loop delays the probes it holds up, not every later one:
 * after a stall of 1.5 intervals, probes start on the grid planned before
 * it again (a tick re-armed from its late run would shift every later
 * probe by half an interval). The history keeps the
 * results oldest first, with the late start counted.
 */
static void test_probe_cadence_survives_stall(void **state)
{
	struct event_base *base = event_base_new();
	struct health_result h[HEALTH_HISTORY];
	struct timeval at = { 0, 3 * INTERVAL * 1000 + INTERVAL * 500 };
	long stall = INTERVAL * 3 / 2, off[HEALTH_HISTORY];
	struct event *ev;
	struct health_cfg c;
	struct server s;
	struct rec r;
	size_t n, i;
	__u64 t_first;

	(void)state;
	assert_non_null(base);
	assert_true(srv_open(&s, base, AF_INET, SRV_ACCEPT_CLOSE, 0));
	c = cfg_of(HEALTH_TCP, s.port);
	rec_start(&r, base, AF_INET, &c, true);
	r.break_on_flip = false;
	ev = evtimer_new(base, on_stall, &stall);
	assert_non_null(ev);
	evtimer_add(ev, &at);
	run_for(base, 14 * INTERVAL);
	n = health_probe_history(r.p, h, HEALTH_HISTORY);
	check_int(n, HEALTH_HISTORY, "results kept in the history");
	t_first = (__u64)r.t_first.tv_sec * 1000000000ull + r.t_first.tv_nsec;
	for (i = 0; i < n; i++) {
		if (i && h[i].start_ns < h[i - 1].start_ns)
			fail_msg("history out of order at %zu", i);
		if (!h[i].ok || strcmp(h[i].detail, "ok"))
			fail_msg("result %zu: ok %d detail '%s'", i, h[i].ok,
				 h[i].detail);
		/* where this start falls in the grid of the first probe,
		 * before the stall (its result came at once: t_first) */
		off[i] = (long)((h[i].start_ns - t_first) / 1000000) % INTERVAL;
		if (off[i] > INTERVAL / 2)
			off[i] -= INTERVAL;
		if (off[i] < 0)
			off[i] = -off[i];
	}
	qsort(off, n, sizeof(off[0]), cmp_long);
	if (off[n / 2] > INTERVAL / 4)
		fail_msg("probes left their grid after a stall: median offset "
			 "%ld ms of a %d ms interval", off[n / 2], INTERVAL);
	event_free(ev);
	health_probe_stop(r.p);
	srv_close(&s);
	event_base_free(base);
}

/* health_probe_stop() from inside cb: no more results, nothing leaks. */
static void test_probe_stop_inside_cb(void **state)
{
	struct event_base *base = event_base_new();
	struct health_cfg c;
	struct rec r;
	__u16 port;
	int fd = bind_loopback(AF_INET, &port);

	(void)state;
	assert_non_null(base);
	assert_true(fd >= 0);
	c = cfg_of(HEALTH_TCP, port);
	rec_start(&r, base, AF_INET, &c, true);
	r.stop_in_cb = true;
	r.break_on_flip = false;
	run_for(base, 4 * INTERVAL);
	check_int(r.calls, 1, "results after stopping in the first cb");
	if (r.p)
		fail_msg("the cb did not stop the probe");
	close(fd);
	event_base_free(base);
}

/* Stopped while its probe is in flight: the socket and events go. */
static void test_probe_stop_in_flight(void **state)
{
	struct event_base *base = event_base_new();
	struct health_cfg c;
	struct server s;
	struct rec r;

	(void)state;
	assert_non_null(base);
	assert_true(srv_open(&s, base, AF_INET, SRV_SILENT, 0));
	s.break_on_accept = true;
	c = cfg_of(HEALTH_HTTP, s.port);
	rec_start(&r, base, AF_INET, &c, true);
	r.break_on_flip = false;
	run_for(base, INTERVAL + SLACK); /* until the first probe connects */
	check_int(s.n_held, 1, "connections the server accepted");
	check_int(r.calls, 0, "results while the first probe is in flight");
	health_probe_stop(r.p);
	run_for(base, 2 * INTERVAL);
	check_int(r.calls, 0, "results after stopping");
	srv_close(&s);
	event_base_free(base);
}

/* 20 back ends started together: first probes spread over the interval. */
static void test_probe_first_probes_spread(void **state)
{
	enum { N = 20, IVL = 200 };
	struct event_base *base = event_base_new();
	struct health_probe *p[N];
	struct health_cfg c;
	struct server s;
	struct rec r[N];
	long lo = IVL, hi = 0;
	int i;

	(void)state;
	assert_non_null(base);
	assert_true(srv_open(&s, base, AF_INET, SRV_ACCEPT_CLOSE, 0));
	c = cfg_of(HEALTH_TCP, s.port);
	c.interval_ms = IVL;
	for (i = 0; i < N; i++) {
		rec_start(&r[i], base, AF_INET, &c, true);
		r[i].break_on_flip = false;
		p[i] = r[i].p;
	}
	run_for(base, IVL + 30);
	for (i = 0; i < N; i++) {
		if (!r[i].calls || r[i].first_ms > IVL + 30)
			fail_msg("back end %d: first result after %ld ms, %d "
				 "results, expected one within %d ms",
				 i, r[i].first_ms, r[i].calls, IVL + 30);
		lo = r[i].first_ms < lo ? r[i].first_ms : lo;
		hi = r[i].first_ms > hi ? r[i].first_ms : hi;
		health_probe_stop(p[i]);
	}
	if (hi - lo < IVL * 3 / 4)
		fail_msg("%d first probes within %ld..%ld ms, expected spread "
			 "over the %d ms interval",
			 N, lo, hi, IVL);
	srv_close(&s);
	event_base_free(base);
}

static void test_probe_start_rejects(void **state)
{
	struct event_base *base = event_base_new();
	struct lb_addr a = loopback(AF_INET), bad = { .family = AF_UNIX };
	struct health_cfg c = cfg_of(HEALTH_NONE, 80);
	struct rec r = { 0 };

	(void)state;
	assert_non_null(base);
	assert_null(health_probe_start(base, &a, &c, true, on_result, &r));
	c.type = HEALTH_TCP;
	assert_null(health_probe_start(base, &bad, &c, true, on_result, &r));
	assert_null(health_probe_start(base, &a, &c, true, NULL, &r));
	event_base_free(base);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_probe_agent_load_up),
		cmocka_unit_test(test_probe_agent_drain_is_up),
		cmocka_unit_test(test_probe_agent_down),
		cmocka_unit_test(test_probe_agent_bad_reply),
		cmocka_unit_test(test_sm_starts_as_given),
		cmocka_unit_test(test_sm_down_after_exactly_fall),
		cmocka_unit_test(test_sm_up_after_exactly_rise),
		cmocka_unit_test(test_sm_success_resets_fail_run),
		cmocka_unit_test(test_sm_failure_resets_ok_run),
		cmocka_unit_test(test_sm_flapping_never_flips),
		cmocka_unit_test(test_sm_counts_changes),
		cmocka_unit_test(test_sm_rise1_fall1),
		cmocka_unit_test(test_sm_zero_acts_as_one),
		cmocka_unit_test(test_cfg_defaults),
		cmocka_unit_test(test_probe_tcp_listening_v4_up),
		cmocka_unit_test(test_probe_tcp_listening_v6_up),
		cmocka_unit_test(test_probe_tcp_closed_v4_down_after_fall),
		cmocka_unit_test(test_probe_tcp_closed_v6_down_after_fall),
		cmocka_unit_test(test_probe_local_failure_not_counted),
		cmocka_unit_test(test_probe_http_200_up),
		cmocka_unit_test(test_probe_http_v6_200_up),
		cmocka_unit_test(test_probe_http_503_down),
		cmocka_unit_test(test_probe_http_expect_status),
		cmocka_unit_test(test_probe_http_silent_times_out),
		cmocka_unit_test(test_probe_http_not_http_down),
		cmocka_unit_test(test_probe_timeout_is_hard),
		cmocka_unit_test(test_probe_http_request_format),
		cmocka_unit_test(test_probe_cadence_start_to_start),
		cmocka_unit_test(test_probe_cadence_survives_stall),
		cmocka_unit_test(test_probe_stop_inside_cb),
		cmocka_unit_test(test_probe_stop_in_flight),
		cmocka_unit_test(test_probe_first_probes_spread),
		cmocka_unit_test(test_probe_start_rejects),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
