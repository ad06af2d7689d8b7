// SPDX-License-Identifier: GPL-2.0-only
/* HAProxy agent-check reply parser: every word, combinations, bad replies. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <errno.h>
#include <cmocka.h>

#include "agent.h"

static struct agent_reply r;
static char err[128];

static int parse(const char *s)
{
	err[0] = '\0';
	return agent_parse(s, &r, err, sizeof(err));
}

static void test_percent_alone(void **state)
{
	assert_int_equal(parse("75%\n"), 0);
	assert_true(r.has_load);
	assert_int_equal(r.load, 75);
	assert_int_equal(r.state, AGENT_NONE);
	assert_int_equal(parse("0%"), 0);
	assert_int_equal(r.load, 0);
	assert_int_equal(parse("1000%\r\n"), 0);
	assert_int_equal(r.load, 1000);
}

static void test_state_words(void **state)
{
	static const struct {
		const char *s;
		enum agent_state want;
	} c[] = {
		{ "up", AGENT_UP },	  { "ready", AGENT_READY },
		{ "drain", AGENT_DRAIN }, { "maint", AGENT_MAINT },
		{ "down", AGENT_DOWN },	  { "fail", AGENT_DOWN },
		{ "failed", AGENT_DOWN }, { "stopped", AGENT_DOWN },
		{ "UP", AGENT_UP },	  { "Drain\n", AGENT_DRAIN },
	};
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		assert_int_equal(parse(c[i].s), 0);
		assert_int_equal(r.state, c[i].want);
		assert_false(r.has_load);
	}
}

/* Words separated by spaces, tabs or commas; the last state word wins. */
static void test_combinations(void **state)
{
	assert_int_equal(parse("up 40%"), 0);
	assert_int_equal(r.state, AGENT_UP);
	assert_int_equal(r.load, 40);
	assert_int_equal(parse("ready,maxconn:300, 20%\n"), 0);
	assert_int_equal(r.state, AGENT_READY);
	assert_true(r.has_maxconn);
	assert_int_equal(r.maxconn, 300);
	assert_int_equal(r.load, 20);
	assert_int_equal(parse("  \t90%,,drain  "), 0);
	assert_int_equal(r.state, AGENT_DRAIN);
	assert_int_equal(r.load, 90);
	assert_int_equal(parse("drain up"), 0);
	assert_int_equal(r.state, AGENT_UP);
}

static void test_description(void **state)
{
	assert_int_equal(parse("down#disk full\nignored"), 0);
	assert_int_equal(r.state, AGENT_DOWN);
	assert_string_equal(r.desc, "disk full");
	assert_int_equal(parse("stopped # maintenance window"), 0);
	assert_string_equal(r.desc, " maintenance window");
	/* only the first line counts */
	assert_int_equal(parse("50%\nbogus"), 0);
	assert_int_equal(r.load, 50);
}

static void test_bad_replies(void **state)
{
	assert_int_equal(parse(""), -EINVAL);
	assert_string_equal(err, "empty reply");
	assert_int_equal(parse(" , \n50%"), -EINVAL);
	assert_string_equal(err, "empty reply");
	assert_int_equal(parse("#only a comment"), -EINVAL);
	assert_int_equal(parse("busy"), -EINVAL);
	assert_string_equal(err, "unknown word 'busy'");
	assert_int_equal(parse("up sideways"), -EINVAL);
	assert_int_equal(parse("%"), -EINVAL);
	assert_int_equal(parse("-5%"), -EINVAL);
	assert_int_equal(parse("7.5%"), -EINVAL);
	assert_int_equal(parse("1001%"), -EINVAL);
	assert_string_equal(err, "load is not 0%..1000%: '1001%'");
	assert_int_equal(parse("99999999999%"), -EINVAL);
	assert_int_equal(parse("maxconn:x"), -EINVAL);
	assert_int_equal(parse("maxconn:"), -EINVAL);
	assert_int_equal(parse("HTTP/1.1 200 OK"), -EINVAL);
}

/* A long garbage word is quoted cut short, never overflowing err. */
static void test_long_word(void **state)
{
	char big[600];

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(parse(big), -EINVAL);
	assert_true(strlen(err) < sizeof(err));
	assert_non_null(strstr(err, "unknown word"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_percent_alone),
		cmocka_unit_test(test_state_words),
		cmocka_unit_test(test_combinations),
		cmocka_unit_test(test_description),
		cmocka_unit_test(test_bad_replies),
		cmocka_unit_test(test_long_word),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
