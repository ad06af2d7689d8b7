// SPDX-License-Identifier: GPL-2.0-only
/* The command line's tables: parsing typed options and rendering usage. */
#include "cli.h"
#include "text.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "addr.h"
#include "api.h"
#include "config.h"

#define CLI_MAX_OPTS 16

bool cli_json;

int cli_fail(int code, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	text_oneline(msg, sizeof(msg));
	if (cli_json) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "error", json_object_new_string(msg));
		printf("%s\n",
		       json_object_to_json_string_ext(
			       o, JSON_C_TO_STRING_PLAIN |
					  JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(o);
	} else {
		fprintf(stderr, "xdp-lb: %s\n", msg);
	}
	return code;
}

const struct cli_cmd *cli_find(const struct cli_cmd *cmds, const char *name)
{
	const struct cli_cmd *c, *hit = NULL;
	size_t len = strlen(name);

	for (c = cmds; c->name; c++) {
		if (!strcmp(c->name, name))
			return c;
		if (!c->hidden && len && !strncmp(c->name, name, len)) {
			if (hit)
				return NULL; /* ambiguous prefix */
			hit = c;
		}
	}
	return hit;
}

static size_t count_opts(const struct cli_opt *opts)
{
	size_t n = 0;

	while (opts && (opts[n].long_name || opts[n].meta))
		n++;
	return n;
}

/* "native|skb" (sep "|") or "native or skb" (sep NULL). */
static const char *enum_list(const struct cli_enum *e, const char *sep,
			     char *buf, size_t len)
{
	size_t n = 0, i, k = 0;

	buf[0] = '\0';
	for (i = 0; e[i].name; i++)
		n += !e[i].alias;
	for (i = 0; e[i].name; i++) {
		size_t at = strlen(buf);

		if (e[i].alias)
			continue;
		snprintf(buf + at, len - at, "%s%s",
			 !k	    ? "" :
			 sep	    ? sep :
			 k + 1 == n ? " or " :
				      ", ",
			 e[i].name);
		k++;
	}
	return buf;
}

static int bad_value(const struct cli_opt *o, const char *val, const char *what)
{
	if (o->long_name)
		return cli_fail(XLB_EXIT_USAGE, "--%s: '%s' is not %s",
				o->long_name, val, what);
	return cli_fail(XLB_EXIT_USAGE, "'%s' is not %s", val, what);
}

static int set_u32(const struct cli_opt *o, const char *val, __u32 *out)
{
	char name[32];
	size_t i;

	if (!lb_u32_parse(val, o->min, o->max, out))
		return 0;
	if (o->long_name)
		return cli_fail(XLB_EXIT_USAGE,
				"--%s: '%s' is not a number in %u..%u",
				o->long_name, val, o->min, o->max);
	for (i = 0; o->meta[i] && i + 1 < sizeof(name); i++)
		name[i] = tolower((unsigned char)o->meta[i]);
	name[i] = '\0';
	return cli_fail(XLB_EXIT_USAGE, "%s '%s' is not a number in %u..%u",
			name, val, o->min, o->max);
}

static int set_enum(const struct cli_opt *o, const char *val, int *out)
{
	const struct cli_enum *e;
	char list[128];

	for (e = o->enums; e->name; e++) {
		if (!strcmp(e->name, val)) {
			*out = e->val;
			return 0;
		}
	}
	return bad_value(o, val, enum_list(o->enums, NULL, list, sizeof(list)));
}

/* Check val against o's type and store it in a. */
static int set_value(const struct cli_opt *o, const char *val,
		     struct cli_args *a)
{
	void *p = (char *)a + o->off;
	struct lb_addr addr;
	__u16 port;
	__u8 mac[6], proto;
	int ret;

	switch (o->type) {
	case CLI_FLAG:
		*(bool *)p = true;
		return 0;
	case CLI_U32:
		return set_u32(o, val, p);
	case CLI_ENUM:
		return set_enum(o, val, p);
	case CLI_IFACE:
		/* as the kernel's dev_valid_name() */
		if (!*val || strlen(val) >= IF_NAMESIZE || !strcmp(val, ".") ||
		    !strcmp(val, "..") || strpbrk(val, "/: \t\n\v\f\r"))
			return bad_value(
				o, val,
				"an interface name (1 to 15 characters, no / : or space)");
		break;
	case CLI_ADDR:
		if (lb_addr_parse(val, &addr))
			return bad_value(o, val, "an IPv4 or IPv6 address");
		break;
	case CLI_MAC:
		ret = lb_mac_parse(val, mac);
		if (ret)
			return bad_value(o, val, ret == -EADDRNOTAVAIL ?
					 "a unicast MAC address (broadcast, multicast and all-zero are refused)" :
					 "a MAC address (like 02:00:00:00:00:12)");
		break;
	case CLI_ENDPOINT:
		if (lb_endpoint_parse(val, &addr, &port, &proto))
			return bad_value(
				o, val,
				"VIP:PORT/PROTO (IPv6 as [addr]:port/proto, "
				"proto tcp or udp)");
		break;
	case CLI_NAME:
		if (!config_name_valid(val))
			return bad_value(o, val,
					 "a valid service name (1-63 of A-Z "
					 "a-z 0-9 _ . -)");
		break;
	case CLI_STR:
		break;
	}
	*(const char **)p = val;
	return 0;
}

/* -h/--help or --json as a whole word, before any "--". */
static bool has_word(int argc, char **argv, const char *lng, const char *shrt)
{
	int i;

	for (i = 1; i < argc && strcmp(argv[i], "--"); i++)
		if (!strcmp(argv[i], lng) || !strcmp(argv[i], shrt))
			return true;
	return false;
}

static int usage_line(const struct cli_cmd *c, const char *path,
		      const char *why)
{
	char syn[512];

	/* The root command's path is "xdp-lb" already. */
	return cli_fail(XLB_EXIT_USAGE, "%susage: %s%s (xdp-lb%s%s --help)",
			why, c->sub_meta ? "" : "xdp-lb ",
			cli_synopsis(c, path, syn, sizeof(syn)),
			c->sub_meta ? "" : " ", c->sub_meta ? "" : path);
}

static int bad_option(const struct cli_cmd *c, const char *path, int argc,
		      char **argv)
{
	char why[128];
	const char *arg = optind > 0 && optind <= argc ? argv[optind - 1] : "?";

	if (optopt && !(arg[0] == '-' && arg[1] == '-'))
		snprintf(why, sizeof(why), "unknown option '-%c'; ", optopt);
	else
		snprintf(why, sizeof(why), "unknown option '%s'; ", arg);
	return usage_line(c, path, why);
}

/* The getopt_long tables for c's options. */
static void build_getopt(const struct cli_opt *opts, size_t n, bool stop,
			 struct option *lo, char *shrt)
{
	size_t i, k = 0, s = 0;

	if (stop) /* a group: its options end at the sub-command */
		shrt[s++] = '+';
	shrt[s++] = ':';
	shrt[s++] = 'h';
	for (i = 0; i < n; i++) {
		const struct cli_opt *o = &opts[i];

		if (!o->long_name)
			continue;
		lo[k].name = o->long_name;
		lo[k].has_arg =
			o->type == CLI_FLAG ? no_argument : required_argument;
		lo[k].flag = NULL;
		lo[k].val = 256 + (int)i;
		k++;
		if (o->short_name) {
			shrt[s++] = o->short_name;
			if (o->type != CLI_FLAG)
				shrt[s++] = ':';
		}
	}
	lo[k++] = (struct option){ "help", no_argument, NULL, 'h' };
	lo[k] = (struct option){};
	shrt[s] = '\0';
}

static const struct cli_opt *by_short(const struct cli_opt *opts, size_t n,
				      int ch)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (opts[i].long_name && opts[i].short_name == ch)
			return &opts[i];
	return NULL;
}

static int check_rest(const struct cli_cmd *c, const char *path, int argc,
		      char **argv, struct cli_args *a, bool *given)
{
	const struct cli_opt *o;
	size_t i, n = count_opts(c->opts), want = 0;
	int ret;

	for (i = 0; i < n; i++)
		want += !c->opts[i].long_name;
	if ((size_t)(argc - optind) < want)
		return usage_line(c, path, "missing arguments; ");
	if ((size_t)(argc - optind) > want) {
		char why[128];

		snprintf(why, sizeof(why), "unexpected argument '%.64s'; ",
			 argv[optind + want]);
		return usage_line(c, path, why);
	}
	for (i = 0; i < n; i++) {
		o = &c->opts[i];
		if (o->long_name) {
			if (o->required && !given[i])
				return cli_fail(XLB_EXIT_USAGE,
						"%s needs -%c %s", path,
						o->short_name, o->meta);
			continue;
		}
		ret = set_value(o, argv[optind++], a);
		if (ret)
			return ret;
	}
	return 0;
}

int cli_parse(const struct cli_cmd *c, const char *path, int argc, char **argv,
	      struct cli_args *a, bool *help)
{
	struct option lo[CLI_MAX_OPTS + 2];
	bool given[CLI_MAX_OPTS] = {};
	char shrt[2 * CLI_MAX_OPTS + 4];
	const struct cli_opt *o;
	size_t n = count_opts(c->opts);
	int ch, ret;

	/* A leaf command's --help wins over any error, and its --json
	 * applies to errors met before it; a group's options end at its
	 * sub-command, so getopt sees them in order. */
	*help = !c->sub && has_word(argc, argv, "--help", "-h");
	if (*help)
		return 0;
	if (n > CLI_MAX_OPTS)
		return cli_fail(XLB_EXIT_FAIL, "%s: too many options", path);
	for (o = c->opts; !c->sub && o && (o->long_name || o->meta); o++)
		if (o->long_name && !strcmp(o->long_name, "json") &&
		    has_word(argc, argv, "--json", "-j"))
			cli_json = true;
	build_getopt(c->opts, n, c->sub, lo, shrt);
	optind = 0; /* a full reset (GNU): every command parses afresh */
	opterr = 0;
	while ((ch = getopt_long(argc, argv, shrt, lo, NULL)) != -1) {
		if (ch == 'h') {
			*help = true;
			return 0;
		}
		if (ch == ':')
			return usage_line(c, path, "an option needs a value; ");
		o = ch >= 256 ? &c->opts[ch - 256] : by_short(c->opts, n, ch);
		if (!o)
			return bad_option(c, path, argc, argv);
		ret = set_value(o, optarg, a);
		if (ret)
			return ret;
		given[o - c->opts] = true;
		cli_json |= a->json;
	}
	if (c->sub) {
		a->next = optind;
		return 0;
	}
	return check_rest(c, path, argc, argv, a, given);
}

static const char *opt_meta(const struct cli_opt *o, char *buf, size_t len)
{
	if (o->type == CLI_ENUM)
		return enum_list(o->enums, "|", buf, len);
	return o->meta ? o->meta : "";
}

const char *cli_synopsis(const struct cli_cmd *c, const char *path, char *buf,
			 size_t len)
{
	const struct cli_opt *o;
	char meta[128];
	size_t at;

	snprintf(buf, len, "%s", path);
	for (o = c->opts; o && (o->long_name || o->meta); o++) {
		at = strlen(buf);
		if (!o->long_name)
			snprintf(buf + at, len - at, " %s", o->meta);
		else if ((o->required || c->short_synopsis) && o->short_name)
			snprintf(buf + at, len - at,
				 o->required ? " -%c%s%s" : " [-%c%s%s]",
				 o->short_name, o->type == CLI_FLAG ? "" : " ",
				 opt_meta(o, meta, sizeof(meta)));
		else if (o->type == CLI_FLAG)
			snprintf(buf + at, len - at, " [--%s]", o->long_name);
		else
			snprintf(buf + at, len - at, " [--%s %s]", o->long_name,
				 opt_meta(o, meta, sizeof(meta)));
	}
	if (c->sub && c->sub_meta) {
		at = strlen(buf);
		snprintf(buf + at, len - at, " %s", c->sub_meta);
	} else if (c->sub) {
		const struct cli_cmd *s;

		at = strlen(buf);
		snprintf(buf + at, len - at, " ");
		for (s = c->sub; s->name; s++) {
			at = strlen(buf);
			if (!s->hidden)
				snprintf(buf + at, len - at, "%s%s",
					 s == c->sub ? "" : "|", s->name);
		}
		at = strlen(buf);
		snprintf(buf + at, len - at, " ...");
	}
	return buf;
}

void cli_print_options(FILE *f, const struct cli_opt *opts)
{
	const struct cli_opt *o;
	char left[96], meta[128];

	for (o = opts; o && (o->long_name || o->meta); o++) {
		if (!o->long_name)
			continue;
		snprintf(left, sizeof(left), "%c%c%s--%s%s%s",
			 o->short_name ? '-' : ' ',
			 o->short_name ? o->short_name : ' ',
			 o->short_name ? ", " : "  ", o->long_name,
			 o->type == CLI_FLAG ? "" : " ",
			 o->type == CLI_FLAG ? "" :
					       opt_meta(o, meta, sizeof(meta)));
		if (strlen(left) > 24)
			fprintf(f, "  %s\n  %-24s  %s\n", left, "", o->help);
		else
			fprintf(f, "  %-24s  %s\n", left, o->help);
	}
}

void cli_print_help(FILE *f, const struct cli_cmd *c, const char *path)
{
	char syn[512];

	if (c->sub) {
		fprintf(f, "usage:\n");
		cli_print_commands(f, c->sub, path, "  xdp-lb ", false);
		return;
	}
	fprintf(f, "usage: xdp-lb %s\n%s\n",
		cli_synopsis(c, path, syn, sizeof(syn)), c->help);
	if (count_opts(c->opts)) {
		const struct cli_opt *o;

		for (o = c->opts; o->long_name || o->meta; o++)
			if (o->long_name)
				break;
		if (o->long_name) {
			fprintf(f, "options:\n");
			cli_print_options(f, c->opts);
		}
	}
}

void cli_print_commands(FILE *f, const struct cli_cmd *cmds, const char *prefix,
			const char *indent, bool with_help)
{
	const struct cli_cmd *c;
	char path[128], syn[512];

	for (c = cmds; c->name; c++) {
		if (c->hidden)
			continue;
		snprintf(path, sizeof(path), "%s%s%s", prefix,
			 *prefix ? " " : "", c->name);
		if (c->sub) {
			cli_print_commands(f, c->sub, path, indent, with_help);
			continue;
		}
		cli_synopsis(c, path, syn, sizeof(syn));
		fprintf(f, "%s%s\n", indent, syn);
		if (with_help)
			fprintf(f, "%s    %s\n", indent, c->help);
	}
}
