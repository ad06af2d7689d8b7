// SPDX-License-Identifier: GPL-2.0-only
/*
 * Errors and log lines are one line with no control character
 * (ctl/text.c), wherever a value they echo came from: the config, the
 * command line, the socket.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "check.h"
#include "config.h"
#include "text.h"

static void test_oneline_escapes_controls(void **state)
{
	char buf[64] = "a\nb\rc\td\x1b[31me\x7f\n";

	check_str(text_oneline(buf, sizeof(buf)), "a\\nb\\rc\\td\\x1b[31me\\x7f",
		  "control characters escaped, the trailing newline dropped");
}

static void test_oneline_plain_text_untouched(void **state)
{
	char buf[32] = "service 'web': ok";

	check_str(text_oneline(buf, sizeof(buf)), "service 'web': ok",
		  "plain text");
}

static void test_oneline_cuts_with_dots(void **state)
{
	char buf[12] = "\n\n\n\n\n\n\n\n\n\nx";

	text_oneline(buf, sizeof(buf));
	check_int(strlen(buf) < sizeof(buf), 1, "fits its buffer");
	check_int(!strchr(buf, '\n'), 1, "no newline left");
	check_str(buf + strlen(buf) - 3, "...", "a cut ends in ...");
}

static void test_config_error_is_one_line(void **state)
{
	static const char yaml[] = "services:\n"
				   "  - name: \"we\\nb\\e[2J\"\n"
				   "    vip: 198.18.0.100\n"
				   "    port: 80\n"
				   "    proto: tcp\n";
	struct lb_config cfg;
	char err[256];

	check_int(config_load_string(yaml, strlen(yaml), "lb.yaml", &cfg, err,
				     sizeof(err)) != 0,
		  1, "a name with a newline is refused");
	check_int(!strchr(err, '\n') && !strchr(err, '\x1b'), 1,
		  "the error holds no newline and no escape byte");
	if (!strstr(err, "we\\nb\\x1b[2J"))
		fail_msg("the value is shown escaped: \"%s\"", err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_oneline_escapes_controls),
		cmocka_unit_test(test_oneline_plain_text_untouched),
		cmocka_unit_test(test_oneline_cuts_with_dots),
		cmocka_unit_test(test_config_error_is_one_line),
	};

	return cmocka_run_group_tests_name("text", tests, NULL, NULL);
}
