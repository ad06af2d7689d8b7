// SPDX-License-Identifier: GPL-2.0-only
/* Flow liveness and idle expiry rules. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "conntrack.h"

#define SEC 1000000000ull

static const struct flow_timeouts to = {
	.tcp_syn = 60, .tcp_established = 900, .tcp_fin = 30,
	.tcp_rst = 10, .udp = 300, .nat_time_wait = 60,
};

static void test_timeout_per_state(void **state)
{
	assert_int_equal(conntrack_timeout(&to, XLB_FLOW_NEW), 300);
	assert_int_equal(conntrack_timeout(&to, XLB_FLOW_SYN), 60);
	assert_int_equal(conntrack_timeout(&to, XLB_FLOW_ESTABLISHED), 900);
	assert_int_equal(conntrack_timeout(&to, XLB_FLOW_FIN), 30);
	assert_int_equal(conntrack_timeout(&to, XLB_FLOW_RST), 10);
	/* one mid-flow packet: held like an opening, not like a connection */
	assert_int_equal(conntrack_timeout(&to, XLB_FLOW_PICKUP), 60);
}

/* A flow idle exactly its timeout stays; one ns more and it goes. */
static void test_expiry_boundary(void **state)
{
	static const __u8 states[] = { XLB_FLOW_NEW, XLB_FLOW_SYN,
				       XLB_FLOW_ESTABLISHED, XLB_FLOW_FIN,
				       XLB_FLOW_RST, XLB_FLOW_PICKUP };
	__u64 now = 100000 * SEC;
	size_t i;

	for (i = 0; i < sizeof(states); i++) {
		__u64 t = conntrack_timeout(&to, states[i]) * SEC;
		struct flow_value v = { .state = states[i],
					.last_seen = now - t };

		assert_false(conntrack_expired(&to, &v, now));
		v.last_seen = now - t - 1;
		assert_true(conntrack_expired(&to, &v, now));
	}
}

/* last_seen slightly ahead of now (coarse vs. fine clock) is idle 0. */
static void test_last_seen_in_future(void **state)
{
	struct flow_value v = { .state = XLB_FLOW_RST, .last_seen = 50 * SEC };

	assert_false(conntrack_expired(&to, &v, 49 * SEC));
}

/* A nat flow closed by FIN keeps its entry (its source port) for
 * nat_time_wait, longer than tcp_fin; DSR flows and other states do not. */
static void test_nat_time_wait(void **state)
{
	__u64 now = 100000 * SEC;
	struct flow_value v = { .state = XLB_FLOW_FIN, .nat_port = 4242,
				.last_seen = now - 60 * SEC };
	struct flow_timeouts off = to;

	assert_false(conntrack_expired(&to, &v, now));
	v.last_seen = now - 60 * SEC - 1;
	assert_true(conntrack_expired(&to, &v, now));
	v.last_seen = now - 31 * SEC; /* past tcp_fin, inside the hold */
	assert_false(conntrack_expired(&to, &v, now));
	v.nat_port = 0; /* not a nat flow: tcp_fin */
	assert_true(conntrack_expired(&to, &v, now));
	v.nat_port = 4242;
	v.state = XLB_FLOW_RST; /* RST leaves no TIME_WAIT: tcp_rst */
	v.last_seen = now - 11 * SEC;
	assert_true(conntrack_expired(&to, &v, now));
	v.state = XLB_FLOW_FIN;
	v.last_seen = now - 31 * SEC;
	off.nat_time_wait = 0; /* off: tcp_fin */
	assert_true(conntrack_expired(&off, &v, now));
	off.nat_time_wait = 5; /* shorter than tcp_fin: tcp_fin */
	v.last_seen = now - 29 * SEC;
	assert_false(conntrack_expired(&off, &v, now));
}

static void test_live_states(void **state)
{
	assert_true(conntrack_live(XLB_FLOW_NEW));
	assert_true(conntrack_live(XLB_FLOW_SYN));
	assert_true(conntrack_live(XLB_FLOW_ESTABLISHED));
	assert_false(conntrack_live(XLB_FLOW_FIN));
	assert_false(conntrack_live(XLB_FLOW_RST));
	/* a closed connection's late ACK makes a pickup entry: it must not
	 * hold a drain or a removal */
	assert_false(conntrack_live(XLB_FLOW_PICKUP));
}

static void test_defaults(void **state)
{
	struct flow_timeouts t;

	conntrack_timeouts_default(&t);
	assert_int_equal(t.tcp_established, CT_DEFAULT_TCP_ESTABLISHED);
	assert_int_equal(t.tcp_syn, CT_DEFAULT_TCP_SYN);
	assert_int_equal(t.tcp_fin, CT_DEFAULT_TCP_FIN);
	assert_int_equal(t.tcp_rst, CT_DEFAULT_TCP_RST);
	assert_int_equal(t.udp, CT_DEFAULT_UDP);
	assert_int_equal(t.nat_time_wait, 60);
	assert_true(t.tcp_established > t.udp && t.udp > t.tcp_fin);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_timeout_per_state),
		cmocka_unit_test(test_nat_time_wait),
		cmocka_unit_test(test_expiry_boundary),
		cmocka_unit_test(test_last_seen_in_future),
		cmocka_unit_test(test_live_states),
		cmocka_unit_test(test_defaults),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
