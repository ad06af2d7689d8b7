/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The command line: one table of commands, each with a table of typed
 * options and positional arguments (as xdp-tools lib/util/params.c). The
 * same tables drive dispatch, parsing and every usage text, so `--help`,
 * the man page's synopsis (checked by tests/e2e/test_docs.sh) and the
 * parser cannot drift apart.
 */
#ifndef XLB_CLI_H
#define XLB_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <linux/types.h>

enum cli_type {
	CLI_FLAG, /* bool, takes no argument */
	CLI_STR, /* any string (a file name) */
	CLI_IFACE, /* an interface name, at most IF_NAMESIZE - 1 chars */
	CLI_ADDR, /* an IPv4 or IPv6 address, kept as given */
	CLI_MAC, /* 02:00:00:00:00:12, kept as given */
	CLI_ENDPOINT, /* VIP:PORT/PROTO, kept as given */
	CLI_NAME, /* a service name (config_name_valid) */
	CLI_U32, /* a number in min..max */
	CLI_ENUM, /* one of enums[], stored as its value */
};

struct cli_enum {
	const char *name;
	int val;
	bool alias; /* accepted, not shown */
};

/*
 * One option (long_name set) or positional argument (long_name NULL, in
 * table order). The parsed value lands at off in struct cli_args, typed
 * by type: const char * for strings, __u32, int for an enum, bool.
 */
struct cli_opt {
	const char *long_name;
	char short_name;
	enum cli_type type;
	const char *meta; /* the argument's placeholder: FILE, N, IFACE */
	size_t off; /* offsetof(struct cli_args, ...) */
	__u32 min, max; /* CLI_U32 */
	const struct cli_enum *enums; /* CLI_ENUM, ends with a NULL name */
	bool required; /* an option that must be given */
	const char *help; /* one line for the command's --help */
};

#define CLI_POS(t, m, field)                            \
	{                                               \
		.type = (t), .meta = (m),               \
		.off = offsetof(struct cli_args, field) \
	}

/* Every value a command can take; each command reads its own. */
struct cli_args {
	const char *iface; /* IFACE */
	const char *service; /* SERVICE or NAME */
	const char *addr; /* ADDR */
	const char *endpoint; /* VIP:PORT/PROTO */
	const char *config; /* -c FILE */
	const char *internal; /* --internal IFACE */
	const char *mac; /* --mac */
	const char *controller; /* -i IFACE: the controller to talk to */
	__u32 weight; /* WEIGHT, --weight */
	__u32 timeout; /* --timeout */
	int xdp_mode; /* --xdp-mode */
	bool now, wait, fresh, json, commands;
	bool verbose, version, syslog; /* global options */
	int next; /* a command group: argv index of its sub-command */
};

struct cli_cmd {
	const char *name;
	const char *help; /* one line, for the command lists */
	const struct cli_opt *opts; /* NULL or ends with an empty entry */
	int (*fn)(struct cli_args *a);
	const struct cli_cmd *sub; /* a command group: its sub-commands */
	const char *sub_meta; /* a group's synopsis after the options,
			       * in place of its sub-command names */
	bool short_synopsis; /* "[-v]" rather than "[--verbose]" */
	bool hidden; /* not listed, found by full name only */
};

/* --json was given: errors are printed as JSON on stdout. */
extern bool cli_json;

/* One line on stderr ("xdp-lb: ..."), or {"error": ...} on stdout with
 * --json. Returns code. */
int cli_fail(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Find a command by name or unique prefix; hidden commands by full name
 * only. NULL if unknown or ambiguous. */
const struct cli_cmd *cli_find(const struct cli_cmd *cmds, const char *name);

/*
 * Parse argv[1..argc-1] (argv[0] is the command's name) against c->opts
 * into a. Every option is also accepted as a unique prefix; -h/--help
 * sets *help. Returns 0 or prints one line and returns XLB_EXIT_USAGE
 * (the exit codes are in api.h, shared with the controller's replies).
 * path is the command's full name, for messages ("backend add").
 */
int cli_parse(const struct cli_cmd *c, const char *path, int argc, char **argv,
	      struct cli_args *a, bool *help);

/* "backend add SERVICE ADDR [--weight N] [--mac MAC]" into buf. */
const char *cli_synopsis(const struct cli_cmd *c, const char *path, char *buf,
			 size_t len);
/* The command's --help: synopsis, what it does, its options. */
void cli_print_help(FILE *f, const struct cli_cmd *c, const char *path);
/* The synopsis of every visible leaf command under cmds, one a line
 * after indent, names after prefix ("backend"); with help, each followed
 * by its help line. */
void cli_print_commands(FILE *f, const struct cli_cmd *cmds, const char *prefix,
			const char *indent, bool with_help);
/* The options table, "  -i, --interface IFACE  help". */
void cli_print_options(FILE *f, const struct cli_opt *opts);

#endif
