// SPDX-License-Identifier: GPL-2.0-only
/* Shell commands on the event loop: exit codes, timeouts, daemons left
 * behind, and that the loop is never blocked. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include <event2/event.h>

#include "proc.h"

struct res {
	struct event_base *base;
	int calls, code;
	char what[64];
	double at;
	int ticks; /* timer ticks while the command ran: the loop is free */
};

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static void on_done(void *arg, int code, const char *what)
{
	struct res *r = arg;

	r->calls++;
	r->code = code;
	r->at = now_s();
	snprintf(r->what, sizeof(r->what), "%s", what);
	event_base_loopbreak(r->base);
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	((struct res *)arg)->ticks++;
}

static struct res run(const char *cmd, unsigned int timeout_s)
{
	struct timeval tv = { 0, 50000 }, guard = { 10, 0 };
	struct res r = { .base = event_base_new() };
	struct event *tick;
	double t0 = now_s();

	assert_non_null(r.base);
	tick = event_new(r.base, -1, EV_PERSIST, on_tick, &r);
	event_add(tick, &tv);
	assert_non_null(proc_run(r.base, cmd, timeout_s, "test", on_done, &r));
	event_base_loopexit(r.base, &guard);
	event_base_dispatch(r.base);
	event_free(tick);
	event_base_free(r.base);
	r.at -= t0;
	return r;
}

static void test_exit_codes(void **state)
{
	struct res r = run("echo hello; echo to stderr >&2; exit 3", 5);

	assert_int_equal(r.calls, 1);
	assert_int_equal(r.code, 3);
	assert_string_equal(r.what, "exit 3");
	r = run("true", 5);
	assert_int_equal(r.code, 0);
	assert_string_equal(r.what, "exit 0");
	r = run("/nonexistent/command", 5);
	assert_int_equal(r.code, 127);
}

/* A command over its time is stopped, with its children, and reported;
 * the loop kept running meanwhile. */
static void test_timeout(void **state)
{
	struct res r = run("sleep 30; echo never", 1);

	assert_int_equal(r.calls, 1);
	assert_int_equal(r.code, -1);
	assert_string_equal(r.what, "timed out after 1 s");
	assert_true(r.at >= 1.0 && r.at < 3.5);
	assert_true(r.ticks >= 15); /* 50 ms ticks: not blocked */
}

/* A start command that leaves a daemon behind is done when the shell is:
 * the daemon holding the output pipe does not keep it waiting. */
static void test_daemon_left_behind(void **state)
{
	struct res r = run("sleep 20 & echo started", 5);

	assert_int_equal(r.code, 0);
	assert_true(r.at < 1.5);
	assert_int_equal(system("pkill -x -f 'sleep 20'"), 0);
}

static void test_signal(void **state)
{
	struct res r = run("kill -9 $$", 5);

	assert_int_equal(r.code, -1);
	assert_string_equal(r.what, "killed by signal 9");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exit_codes),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_daemon_left_behind),
		cmocka_unit_test(test_signal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
