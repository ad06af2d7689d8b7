// SPDX-License-Identifier: GPL-2.0-only
/*
 * ctl/notify.c over the fake data plane: the STATUS= summary counts back
 * ends by state, READY=1 reaches a NOTIFY_SOCKET (here a local datagram
 * socket) with the summary, the watchdog period is half of WATCHDOG_USEC
 * and only for the process WATCHDOG_PID names, and nothing is sent without
 * NOTIFY_SOCKET.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <event2/event.h>
#include <cmocka.h>

#include "fake_dp.h"
#include "notify.h"
#include "state.h"

static struct dp dp;
static struct lb_state st;

#define CFG                                                                    \
	"table_size: 251\nmax_flows: 4096\nmax_services: 8\n"                  \
	"max_backends: 16\nservices:\n"                                        \
	"  - name: web\n    vip: 198.18.0.100\n    port: 80\n"                 \
	"    proto: tcp\n    backends:\n"                                      \
	"      - { addr: 198.18.0.11, mac: \"02:00:00:00:00:11\" }\n"          \
	"      - { addr: 198.18.0.12, mac: \"02:00:00:00:00:12\" }\n"          \
	"      - { addr: 198.18.0.13, mac: \"02:00:00:00:00:13\", weight: 0 }\n" \
	"  - name: dns\n    vip: 198.18.0.100\n    port: 53\n"                 \
	"    proto: udp\n    backends:\n"                                      \
	"      - { addr: 198.18.1.1, mac: \"02:00:00:00:01:01\" }\n"

static int setup(void **state)
{
	struct lb_config cfg;
	char err[512];

	fake_dp_init(&dp, 251, 4096, 8, 16);
	assert_int_equal(state_init(&st, &dp, NULL), 0);
	if (config_load_string(CFG, strlen(CFG), "lb.yaml", &cfg, err,
			       sizeof(err)))
		fail_msg("test config does not load: %s", err);
	if (state_apply_config(&st, &cfg, err, sizeof(err)))
		fail_msg("apply: %s", err);
	config_free(&cfg);
	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
	return 0;
}

static int teardown(void **state)
{
	state_free(&st);
	return 0;
}

static void check_summary(const char *want)
{
	char got[256];

	notify_summary(&st, got, sizeof(got));
	if (strcmp(got, want))
		fail_msg("summary: \"%s\" != expected \"%s\"", got, want);
}

static void test_summary_counts_by_state(void **state)
{
	char err[512];

	/* weight 0 in the config: no new flows, counted as draining */
	check_summary("fake0: 2 services, 4 back ends (3 active, 0 down, 1 draining)");
	assert_int_equal(state_backend_drain(&st, "web", "198.18.0.11", true,
					     err, sizeof(err)), 0);
	check_summary("fake0: 2 services, 4 back ends (2 active, 0 down, 2 draining)");
	st.svc[1]->be[0].down = true; /* dns's only back end fails */
	check_summary("fake0: 2 services, 4 back ends (1 active, 1 down, 2 draining)");
}

static void test_watchdog_period(void **state)
{
	char pid[32];

	assert_int_equal(notify_watchdog_period_us(), 0);
	setenv("WATCHDOG_USEC", "20000000", 1);
	assert_int_equal(notify_watchdog_period_us(), 10000000);
	snprintf(pid, sizeof(pid), "%d", (int)getpid() + 1);
	setenv("WATCHDOG_PID", pid, 1); /* meant for another process */
	assert_int_equal(notify_watchdog_period_us(), 0);
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	setenv("WATCHDOG_PID", pid, 1);
	assert_int_equal(notify_watchdog_period_us(), 10000000);
}

static void test_ready_reaches_the_socket(void **state)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct event_base *base = event_base_new();
	struct timeval tv = { 2, 0 };
	struct notify *n;
	char buf[512];
	ssize_t len;
	int fd;

	/* without NOTIFY_SOCKET: nothing, no timers */
	assert_null(notify_ready(base, &st));
	snprintf(sa.sun_path, sizeof(sa.sun_path), "/tmp/xlb-notify-%d",
		 (int)getpid());
	unlink(sa.sun_path);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setenv("NOTIFY_SOCKET", sa.sun_path, 1);
	n = notify_ready(base, &st);
	assert_non_null(n);
	len = recv(fd, buf, sizeof(buf) - 1, 0);
	assert_true(len > 0);
	buf[len] = '\0';
	assert_string_equal(buf, "READY=1\nSTATUS=fake0: 2 services, 4 back "
				 "ends (3 active, 0 down, 1 draining)");
	notify_stopping();
	len = recv(fd, buf, sizeof(buf) - 1, 0);
	assert_true(len > 0);
	buf[len] = '\0';
	assert_string_equal(buf, "STOPPING=1\nSTATUS=stopping");
	notify_free(n);
	close(fd);
	unlink(sa.sun_path);
	event_base_free(base);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_summary_counts_by_state,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_watchdog_period, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_ready_reaches_the_socket,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
