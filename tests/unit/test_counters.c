// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests of the counter derivation (ctl/counters.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "counters.h"

/* A service: drops + carry + its back ends. */
static void test_svc_total(void **state)
{
	struct lb_counters drop = { 1, 10, 0 }, carry = { 100, 1000, 7 };
	struct lb_counters be[2] = { { 5, 50, 2 }, { 6, 60, 3 } }, out;

	xlb_svc_total(&out, &drop, &carry, be, 2);
	assert_int_equal(out.packets, 1 + 100 + 5 + 6);
	assert_int_equal(out.bytes, 10 + 1000 + 50 + 60);
	assert_int_equal(out.new_flows, 7 + 2 + 3);
	xlb_svc_total(&out, &drop, &carry, NULL, 0);
	assert_int_equal(out.packets, 101);
}

/* A taken entry goes to its service's carry and the forwarded carry;
 * with no service (gone), to the forwarded carry only. */
static void test_carry(void **state)
{
	struct lb_counters svc = { 1, 2, 3 }, c = { 10, 20, 30 };
	struct reason_counters fwd = { 100, 200 };

	xlb_carry(&svc, &fwd, &c);
	assert_int_equal(svc.packets, 11);
	assert_int_equal(svc.bytes, 22);
	assert_int_equal(svc.new_flows, 33);
	assert_int_equal(fwd.packets, 110);
	assert_int_equal(fwd.bytes, 220);
	xlb_carry(NULL, &fwd, &c);
	assert_int_equal(fwd.packets, 120);
	assert_int_equal(fwd.bytes, 240);
}

/* tx_forwarded = carry + back ends - the other reasons of a packet with a
 * back end; the other reasons are left as they are. */
static void test_reasons_derive(void **state)
{
	struct reason_counters rc[XLB_REASON_MAX] = {}, failed = { 2, 200 };
	struct lb_counters be = { 1000, 100000, 9 };

	rc[XLB_TX_FORWARDED] = (struct reason_counters){ 50, 5000 };
	rc[XLB_TX_ICMP_ERROR] = (struct reason_counters){ 3, 300 };
	rc[XLB_TX_UNPINNED] = (struct reason_counters){ 4, 400 };
	rc[XLB_REDIRECT_NAT] = (struct reason_counters){ 5, 500 };
	rc[XLB_DROP_ENCAP] = (struct reason_counters){ 6, 600 };
	rc[XLB_PASS_NOT_VIP] = (struct reason_counters){ 7, 700 };
	xlb_reasons_derive(rc, &failed, &be);
	assert_int_equal(rc[XLB_TX_FORWARDED].packets,
			 50 + 1000 - 3 - 4 - 5 - 2);
	assert_int_equal(rc[XLB_TX_FORWARDED].bytes,
			 5000 + 100000 - 300 - 400 - 500 - 200);
	assert_int_equal(rc[XLB_DROP_ENCAP].packets, 6);
	assert_int_equal(rc[XLB_PASS_NOT_VIP].packets, 7);
	assert_int_equal(rc[XLB_REDIRECT_NAT].packets, 5);
}

/* Never below zero (a packet lost between a take's read and its zeroing
 * must not wrap the figure around). */
static void test_reasons_derive_floor(void **state)
{
	struct reason_counters rc[XLB_REASON_MAX] = {}, failed = {};
	struct lb_counters be = { 1, 10, 0 };

	rc[XLB_REDIRECT_NAT] = (struct reason_counters){ 2, 20 };
	xlb_reasons_derive(rc, &failed, &be);
	assert_int_equal(rc[XLB_TX_FORWARDED].packets, 0);
	assert_int_equal(rc[XLB_TX_FORWARDED].bytes, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_svc_total),
		cmocka_unit_test(test_carry),
		cmocka_unit_test(test_reasons_derive),
		cmocka_unit_test(test_reasons_derive_floor),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
