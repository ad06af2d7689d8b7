// SPDX-License-Identifier: GPL-2.0-only
/*
 * The MAC parser (ctl/addr.c) that the config, --mac and the control
 * socket share: six hex pairs and a unicast address, nothing else.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "addr.h"
#include "check.h"

static void test_mac_accepts_hex_pairs(void **state)
{
	static const __u8 want[6] = { 0x02, 0x00, 0xab, 0xCD, 0x0f, 0x12 };
	__u8 mac[6];

	check_int(lb_mac_parse("02:00:ab:CD:0f:12", mac), 0,
		  "02:00:ab:CD:0f:12 parses");
	assert_memory_equal(mac, want, 6);
}

static void test_mac_rejects_malformed(void **state)
{
	static const char *const bad[] = {
		"-1:-1:-1:-1:-1:-1", "+2:+0: 0: 0: 0:12", "02:00:00:00:00:1",
		"02:00:00:00:00:123", "02-00-00-00-00-12", "02:00:00:00:00:1g",
		"2:0:0:0:0:12     ", "0x:00:00:00:00:12", "02:00:00:00:00:12 ",
		" 02:00:00:00:00:1", "", "02:00:00:00:00", "02::00:00:00:00:1",
	};
	__u8 mac[6] = { 0x55, 0x55, 0x55, 0x55, 0x55, 0x55 };
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		check_int(lb_mac_parse(bad[i], mac), -EINVAL,
			  "'%s' is not a MAC address", bad[i]);
	check_int(lb_mac_parse(NULL, mac), -EINVAL, "NULL is not a MAC");
	check_int(mac[0], 0x55, "a refused MAC leaves the output alone");
}

static void test_mac_rejects_non_unicast(void **state)
{
	static const char *const bad[] = {
		"ff:ff:ff:ff:ff:ff", /* broadcast */
		"01:00:5e:00:00:01", /* IPv4 multicast */
		"33:33:00:00:00:01", /* IPv6 multicast */
		"03:00:00:00:00:12", /* group bit with the local bit */
		"00:00:00:00:00:00", /* all-zero */
	};
	__u8 mac[6];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		check_int(lb_mac_parse(bad[i], mac), -EADDRNOTAVAIL,
			  "'%s' is refused as not unicast", bad[i]);
	assert_non_null(strstr(lb_mac_problem(-EADDRNOTAVAIL), "unicast"));
	assert_non_null(strstr(lb_mac_problem(-EINVAL), "not a MAC"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mac_accepts_hex_pairs),
		cmocka_unit_test(test_mac_rejects_malformed),
		cmocka_unit_test(test_mac_rejects_non_unicast),
	};

	return cmocka_run_group_tests_name("mac", tests, NULL, NULL);
}
