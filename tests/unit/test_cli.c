// SPDX-License-Identifier: GPL-2.0-only
/*
 * The command line's tables (ctl/cli.c) and the log line format
 * (ctl/log.c): typed options and positionals, unique prefixes, ranges,
 * required options, --help anywhere, the synopsis rendered from a table,
 * and "TIMESTAMP LEVEL: message" on stderr.
 */
#include <regex.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "api.h"
#include "cli.h"
#include "log.h"

#define ARGS(field) .off = offsetof(struct cli_args, field)

static const struct cli_enum modes[] = {
	{ "native", 1, false },
	{ "skb", 2, false },
	{ "generic", 2, true },
	{},
};

static const struct cli_cmd add = {
	.name = "add",
	.help = "add a thing",
	.opts = (const struct cli_opt[]){
		CLI_POS(CLI_STR, "SERVICE", service),
		CLI_POS(CLI_ADDR, "ADDR", addr),
		{ "weight", 'w', CLI_U32, "N", ARGS(weight), 0, 100,
		  .help = "a weight" },
		{ "xdp-mode", 'm', CLI_ENUM, "MODE", ARGS(xdp_mode),
		  .enums = modes, .help = "a mode" },
		{ "config", 'c', CLI_STR, "FILE", ARGS(config),
		  .required = true, .help = "a file" },
		{ "now", 0, CLI_FLAG, ARGS(now), .help = "at once" },
		{} },
};

/* Parse a NULL-terminated list of words as the command "add". */
static int parse(struct cli_args *a, bool *help, ...)
{
	char *argv[16];
	int argc = 0;
	va_list ap;

	va_start(ap, help);
	while (argc < 15 && (argv[argc] = va_arg(ap, char *)))
		argc++;
	va_end(ap);
	memset(a, 0, sizeof(*a));
	cli_json = false;
	return cli_parse(&add, "thing add", argc, argv, a, help);
}

static void test_typed_values_and_prefixes(void **state)
{
	struct cli_args a;
	bool help;

	assert_int_equal(parse(&a, &help, "add", "web", "198.18.0.11", "--wei",
			       "7", "-c", "f.yaml", "--xdp", "generic", "--now",
			       NULL),
			 0);
	assert_false(help);
	assert_string_equal(a.service, "web");
	assert_string_equal(a.addr, "198.18.0.11");
	assert_int_equal(a.weight, 7);
	assert_int_equal(a.xdp_mode, 2); /* an alias of skb */
	assert_string_equal(a.config, "f.yaml");
	assert_true(a.now);
	/* options before positionals, short forms */
	assert_int_equal(parse(&a, &help, "add", "-w", "0", "-c", "x", "-m",
			       "native", "web", "fd00::11", NULL),
			 0);
	assert_int_equal(a.weight, 0);
	assert_int_equal(a.xdp_mode, 1);
	assert_string_equal(a.addr, "fd00::11");
}

static void test_usage_errors_exit_2(void **state)
{
	struct cli_args a;
	bool help;

	assert_int_equal(parse(&a, &help, "add", "web", "1.2.3.300", "-c", "x",
			       NULL),
			 XLB_EXIT_USAGE);
	assert_int_equal(parse(&a, &help, "add", "web", "1.2.3.4", "-c", "x",
			       "--weight", "101", NULL),
			 XLB_EXIT_USAGE);
	assert_int_equal(parse(&a, &help, "add", "web", "1.2.3.4", "-c", "x",
			       "--xdp-mode", "turbo", NULL),
			 XLB_EXIT_USAGE);
	/* missing required option, too few and too many positionals */
	assert_int_equal(parse(&a, &help, "add", "web", "1.2.3.4", NULL),
			 XLB_EXIT_USAGE);
	assert_int_equal(parse(&a, &help, "add", "web", "-c", "x", NULL),
			 XLB_EXIT_USAGE);
	assert_int_equal(parse(&a, &help, "add", "web", "1.2.3.4", "extra",
			       "-c", "x", NULL),
			 XLB_EXIT_USAGE);
	/* unknown option, missing value */
	assert_int_equal(parse(&a, &help, "add", "web", "1.2.3.4", "-c", "x",
			       "--bogus", NULL),
			 XLB_EXIT_USAGE);
	assert_int_equal(parse(&a, &help, "add", "web", "1.2.3.4", "-c", NULL),
			 XLB_EXIT_USAGE);
}

static void test_help_wins(void **state)
{
	struct cli_args a;
	bool help = false;

	/* --help anywhere, even after a bad value, is help and exit 0 */
	assert_int_equal(parse(&a, &help, "add", "--weight", "999", "--help",
			       NULL),
			 0);
	assert_true(help);
	help = false;
	assert_int_equal(parse(&a, &help, "add", "--he", NULL), 0);
	assert_true(help);
}

static void test_synopsis_from_table(void **state)
{
	char buf[256];

	assert_string_equal(cli_synopsis(&add, "thing add", buf, sizeof(buf)),
			    "thing add SERVICE ADDR [--weight N] "
			    "[--xdp-mode native|skb] -c FILE [--now]");
}

static void test_find_by_prefix(void **state)
{
	static const struct cli_cmd cmds[] = {
		{ .name = "attach" }, { .name = "add" },
		{ .name = "detach" }, { .name = "help", .hidden = true },
		{},
	};

	assert_string_equal(cli_find(cmds, "att")->name, "attach");
	assert_string_equal(cli_find(cmds, "add")->name, "add");
	assert_string_equal(cli_find(cmds, "d")->name, "detach");
	assert_null(cli_find(cmds, "a"));  /* ambiguous */
	assert_null(cli_find(cmds, "x"));  /* unknown */
	assert_null(cli_find(cmds, "he")); /* hidden: full name only */
	assert_string_equal(cli_find(cmds, "help")->name, "help");
}

static void test_log_line_format(void **state)
{
	char line[256] = "";
	regex_t re;
	FILE *f = tmpfile();
	int saved = dup(STDERR_FILENO);

	assert_non_null(f);
	fflush(stderr);
	dup2(fileno(f), STDERR_FILENO);
	pr_warn("back end %s is %s\n", "198.18.0.11", "down");
	pr_debug("not shown at the default level\n");
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	rewind(f);
	assert_non_null(fgets(line, sizeof(line), f));
	assert_int_equal(regcomp(&re,
				 "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:"
				 "[0-9]{2}\\.[0-9]{3}Z warn: back end "
				 "198\\.18\\.0\\.11 is down\n$",
				 REG_EXTENDED | REG_NOSUB),
			 0);
	if (regexec(&re, line, 0, NULL, 0))
		fail_msg("log line '%s' is not 'TIMESTAMP warn: message'",
			 line);
	regfree(&re);
	assert_null(fgets(line, sizeof(line), f)); /* debug: not shown */
	fclose(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_typed_values_and_prefixes),
		cmocka_unit_test(test_usage_errors_exit_2),
		cmocka_unit_test(test_help_wins),
		cmocka_unit_test(test_synopsis_from_table),
		cmocka_unit_test(test_find_by_prefix),
		cmocka_unit_test(test_log_line_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
