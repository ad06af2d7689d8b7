// SPDX-License-Identifier: GPL-2.0-only
/*
 * xdp-lb: the command line. One table of commands drives dispatch, every
 * --help and the man page's synopsis (tests/e2e/test_docs.sh checks them).
 * `attach` runs the controller in the foreground (daemon.c); the commands
 * for a running controller talk to it over its socket (client.c); the
 * others work on the kernel or a file directly, here.
 */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include <json-c/json.h>
#include <xdp/libxdp.h>

#include "api.h"
#include "cli.h"
#include "client.h"
#include "config.h"
#include "daemon.h"
#include "dataplane.h"
#include "decap.h"
#include "lock.h"
#include "log.h"
#include "version.h"

#define DRAIN_TIMEOUT_MAX (86400 * 7)
#define DRAIN_TIMEOUT_DEFAULT 300

#define ARGS(field) .off = offsetof(struct cli_args, field)

static const struct cli_enum xdp_modes[] = {
	{ "native", XDP_MODE_NATIVE, false },
	{ "skb", XDP_MODE_SKB, false },
	{ "drv", XDP_MODE_NATIVE, true },
	{ "generic", XDP_MODE_SKB, true },
	{},
};

#define POS_IFACE CLI_POS(CLI_IFACE, "IFACE", iface)
#define POS_SERVICE CLI_POS(CLI_STR, "SERVICE", service)
#define POS_ADDR CLI_POS(CLI_ADDR, "ADDR", addr)

#define OPT_XDP_MODE                                                         \
	{ "xdp-mode", 'm', CLI_ENUM, "MODE", ARGS(xdp_mode),                 \
	  .enums = xdp_modes,                                                \
	  .help = "native (driver) mode, the default, or generic skb mode" }
#define OPT_JSON                                                             \
	{ "json", 'j', CLI_FLAG, ARGS(json),                                 \
	  .help = "JSON output, errors included" }
#define OPT_CONFIG(what)                                                     \
	{ "config", 'c', CLI_STR, "FILE", ARGS(config), .required = true,    \
	  .help = "the YAML configuration file " what }

/* ---- commands that work on the kernel or a file ---- */

/* {k1: v1, k2: v2, k3: v3}, the values consumed. */
static struct json_object *json_pack(const char *k1, struct json_object *v1,
				     const char *k2, struct json_object *v2,
				     const char *k3, struct json_object *v3)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, k1, v1);
	json_object_object_add(o, k2, v2);
	json_object_object_add(o, k3, v3);
	return o;
}

/* One line of JSON on stdout; o is consumed. */
static void print_json(struct json_object *o)
{
	printf("%s\n", json_object_to_json_string_ext(
			       o, JSON_C_TO_STRING_PLAIN |
					  JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

/* One line for a failed call: an interface that does not exist is a
 * usage error (exit 2) for every command, anything else a runtime one. */
static int fail_call(int ret, const char *err)
{
	return cli_fail(ret == -ENODEV ? XLB_EXIT_USAGE : XLB_EXIT_FAIL, "%s",
			err);
}

/* Hold the controller lock; one line and exit 1 if a controller has it
 * ("a controller for 'eth1' is running" + busy). */
static int lock_controller(const char *ifname, const char *busy, int *fd)
{
	char err[256];

	*fd = lock_take(ifname, LOCK_CONTROLLER, false, err, sizeof(err));
	if (*fd == -EWOULDBLOCK)
		return cli_fail(XLB_EXIT_FAIL,
				"a controller for '%s' is running%s (%s/%s.sock)",
				ifname, busy, XLB_RUN_DIR, ifname);
	if (*fd < 0)
		return cli_fail(XLB_EXIT_FAIL, "%s", err);
	return 0;
}

/* Around every change of the attached program: waits for another one. */
static int lock_datapath(const char *ifname)
{
	char err[256];
	int fd = lock_take(ifname, LOCK_DATAPATH, true, err, sizeof(err));

	if (fd < 0)
		return cli_fail(XLB_EXIT_FAIL, "%s", err);
	return fd;
}

/* dp_open under the data-path lock; with from_pins, for the options the
 * attached xdp-lb was made with (upgrade), read under the lock too. */
static int open_datapath(struct dp *dp, struct dp_opts *o, bool from_pins)
{
	char err[512];
	int lk, ret = 0;

	lk = lock_datapath(o->ifname);
	if (lk < 0)
		return XLB_EXIT_FAIL;
	if (from_pins)
		ret = dp_read_meta(o->ifname, o, err, sizeof(err));
	if (!ret)
		ret = dp_open(dp, o, err, sizeof(err));
	lock_drop(o->ifname, LOCK_DATAPATH, lk);
	if (ret)
		return fail_call(ret, err);
	return 0;
}

/* A fresh attach that could not be configured: leave the interface as it
 * was. */
static void undo_attach(struct dp *dp, const char *ifname)
{
	char err[512];
	int lk;

	dp_close(dp);
	lk = lock_datapath(ifname);
	dp_detach(ifname, err, sizeof(err));
	lock_drop(ifname, LOCK_DATAPATH, lk);
}

static int cmd_attach(struct cli_args *a)
{
	struct dp_opts dopts = { .ifname = a->iface, .mode = a->xdp_mode,
				 .int_ifname = a->internal };
	struct lb_config cfg;
	char err[512];
	struct dp dp;
	int lk, ret;

	if (config_load_file(a->config, &cfg, err, sizeof(err)))
		return cli_fail(XLB_EXIT_USAGE, "%s", err);
	if (geteuid() != 0) {
		config_free(&cfg);
		return cli_fail(XLB_EXIT_FAIL,
				"attach needs root (CAP_BPF, CAP_NET_ADMIN)");
	}
	/* Held for the controller's life: a second attach stops here. */
	ret = lock_controller(a->iface, " already", &lk);
	if (ret) {
		config_free(&cfg);
		return ret;
	}
	dopts.table_size = cfg.table_size;
	dopts.max_flows = cfg.max_flows;
	dopts.max_services = cfg.max_services;
	dopts.max_backends = cfg.max_backends;
	ret = open_datapath(&dp, &dopts, false);
	if (!ret) {
		ret = daemon_run(&dp, a->config, &cfg);
		if (ret && !dp.adopted && !dp.replaced)
			undo_attach(&dp, a->iface);
		else
			dp_close(&dp);
	}
	config_free(&cfg);
	lock_drop(a->iface, LOCK_CONTROLLER, lk);
	return ret;
}

static int cmd_detach(struct cli_args *a)
{
	char err[512];
	int lk, dlk, ret;

	ret = lock_controller(a->iface, ": stop it first", &lk);
	if (ret)
		return ret;
	dlk = lock_datapath(a->iface);
	ret = dlk < 0 ? XLB_EXIT_FAIL : dp_detach(a->iface, err, sizeof(err));
	lock_drop(a->iface, LOCK_DATAPATH, dlk);
	lock_drop(a->iface, LOCK_CONTROLLER, lk);
	if (ret)
		return dlk < 0 ? ret : fail_call(ret, err);
	if (!cli_json)
		printf("detached xdp-lb from '%s'\n", a->iface);
	return XLB_EXIT_OK;
}

static int cmd_upgrade(struct cli_args *a)
{
	struct dp_opts o = { .ifname = a->iface };
	struct dp dp;
	int ret;

	if (geteuid() != 0)
		return cli_fail(XLB_EXIT_FAIL,
				"upgrade needs root (CAP_BPF, CAP_NET_ADMIN)");
	/* A running controller keeps its lock: upgrade takes only the
	 * data-path one. */
	ret = open_datapath(&dp, &o, true);
	if (ret)
		return ret;
	dp_close(&dp);
	if (!cli_json)
		printf("replaced the xdp-lb program on '%s'; pinned maps and flows kept\n",
		       a->iface);
	return XLB_EXIT_OK;
}

/* check: collects every error line, to print them in file order. */
struct check_errs {
	const char *file;
	struct json_object *lines;
};

static void check_error(const char *line, void *arg)
{
	struct check_errs *e = arg;

	json_object_array_add(e->lines, json_object_new_string(line));
}

/* The line number of "FILE:LINE: ..." (0 when it has none). */
static unsigned long check_line_no(const struct check_errs *e, size_t i)
{
	const char *s = json_object_get_string(
		json_object_array_get_idx(e->lines, i));
	size_t n = strlen(e->file);

	if (strncmp(s, e->file, n) || s[n] != ':')
		return 0;
	return strtoul(s + n + 1, NULL, 10);
}

/* Print the errors sorted by line (stable: the same line keeps the order
 * found), on stderr or as {"error", "count", "errors"}. */
static void check_print(struct check_errs *e, const char *first)
{
	size_t n = json_object_array_length(e->lines), i, j, *ord;
	struct json_object *out = json_object_new_array();

	ord = calloc(n ? n : 1, sizeof(*ord));
	for (i = 0; ord && i < n; i++) { /* insertion sort: a few lines */
		for (j = i; j > 0 && check_line_no(e, ord[j - 1]) >
					   check_line_no(e, i); j--)
			ord[j] = ord[j - 1];
		ord[j] = i;
	}
	for (i = 0; i < n; i++) {
		struct json_object *l =
			json_object_array_get_idx(e->lines, ord ? ord[i] : i);

		if (cli_json)
			json_object_array_add(out, json_object_get(l));
		else
			fprintf(stderr, "%s\n", json_object_get_string(l));
	}
	if (n)
		first = json_object_get_string(
			json_object_array_get_idx(e->lines, ord ? ord[0] : 0));
	if (cli_json)
		print_json(json_pack("error", json_object_new_string(first),
				     "count", json_object_new_int64(n),
				     "errors", out));
	else
		json_object_put(out);
	free(ord);
}

static int cmd_check(struct cli_args *a)
{
	struct check_errs e = { a->config, json_object_new_array() };
	struct lb_config cfg;
	size_t i, n_be = 0;
	char err[512];
	int ret;

	ret = config_load_file_all(a->config, &cfg, err, sizeof(err),
				   check_error, &e);
	if (ret)
		check_print(&e, err);
	json_object_put(e.lines);
	if (ret)
		return XLB_EXIT_USAGE;
	for (i = 0; i < cfg.n_services; i++)
		n_be += cfg.services[i].n_backends + cfg.services[i].n_standby;
	if (cli_json)
		print_json(json_pack("file", json_object_new_string(a->config),
				     "services", json_object_new_int64(cfg.n_services),
				     "backends", json_object_new_int64(n_be)));
	else
		printf("%s: ok (%zu services, %zu back ends)\n", a->config,
		       cfg.n_services, n_be);
	config_free(&cfg);
	return XLB_EXIT_OK;
}

/* ---- decap: the back-end side of tunnel mode ---- */

static int cmd_decap_attach(struct cli_args *a)
{
	char err[512];
	int ret;

	if (geteuid() != 0)
		return cli_fail(XLB_EXIT_FAIL,
				"decap attach needs root (CAP_BPF, CAP_NET_ADMIN)");
	ret = decap_attach(a->iface, a->xdp_mode, err, sizeof(err));
	if (ret)
		return fail_call(ret, err);
	if (!cli_json)
		printf("decap attached to '%s'\n", a->iface);
	return XLB_EXIT_OK;
}

static int cmd_decap_detach(struct cli_args *a)
{
	char err[512];
	int ret = decap_detach(a->iface, err, sizeof(err));

	if (ret)
		return fail_call(ret, err);
	if (!cli_json)
		printf("decap detached from '%s'\n", a->iface);
	return XLB_EXIT_OK;
}

static int cmd_decap_status(struct cli_args *a)
{
	__u64 done = 0, passed = 0;
	char err[512];
	int ret = decap_counters(a->iface, &done, &passed, err, sizeof(err));

	if (ret)
		return fail_call(ret, err);
	if (cli_json)
		print_json(json_pack("interface", json_object_new_string(a->iface),
				     "decapsulated", json_object_new_int64(done),
				     "passed", json_object_new_int64(passed)));
	else
		printf("decap on '%s': %llu packets decapsulated, %llu passed untouched\n",
		       a->iface, (unsigned long long)done,
		       (unsigned long long)passed);
	return XLB_EXIT_OK;
}

/* ---- the table ---- */

static int cmd_help(struct cli_args *a);

#define OPTS(...) ((const struct cli_opt[]){ __VA_ARGS__, {} })

static const struct cli_cmd decap_cmds[] = {
	{ .name = "attach", .fn = cmd_decap_attach,
	  .help = "attach the decapsulation program to IFACE (on back ends)",
	  .opts = OPTS(POS_IFACE, OPT_XDP_MODE) },
	{ .name = "detach", .fn = cmd_decap_detach,
	  .help = "detach the decapsulation program from IFACE",
	  .opts = OPTS(POS_IFACE) },
	{ .name = "status", .fn = cmd_decap_status,
	  .help = "packets decapsulated and passed untouched on IFACE",
	  .opts = OPTS(POS_IFACE, OPT_JSON) },
	{},
};

static const struct cli_cmd backend_cmds[] = {
	{ .name = "add", .fn = cmd_backend_add,
	  .help = "add a back end; without --mac its MAC is resolved on IFACE",
	  .opts = OPTS(POS_SERVICE, POS_ADDR,
		       { "weight", 'w', CLI_U32, "N", ARGS(weight), 0,
			 LB_WEIGHT_MAX,
			 .help = "its weight, 0..65535, default 100" },
		       { "mac", 'm', CLI_MAC, "MAC", ARGS(mac),
			 .help = "its MAC address, e.g. 02:00:00:00:00:12" }) },
	{ .name = "del", .fn = cmd_backend_del,
	  .help = "drain, then remove once no flow is left (--now: at once)",
	  .opts = OPTS(POS_SERVICE, POS_ADDR,
		       { "now", 'n', CLI_FLAG, ARGS(now),
			 .help = "remove at once, deleting its pinned flows" }) },
	{ .name = "drain", .fn = cmd_backend_drain,
	  .help = "no new flows; --wait returns when no live flow is left",
	  .opts = OPTS(POS_SERVICE, POS_ADDR,
		       { "wait", 'w', CLI_FLAG, ARGS(wait),
			 .help = "wait until the back end has no live flow" },
		       { "timeout", 't', CLI_U32, "SECONDS", ARGS(timeout), 1,
			 DRAIN_TIMEOUT_MAX,
			 .help = "how long --wait waits, default 300" }) },
	{ .name = "undrain", .fn = cmd_backend_undrain,
	  .help = "take new flows again at the configured weight",
	  .opts = OPTS(POS_SERVICE, POS_ADDR) },
	{ .name = "weight", .fn = cmd_backend_weight,
	  .help = "set a weight (0 = no new flows; pinned flows never move)",
	  .opts = OPTS(POS_SERVICE, POS_ADDR,
		       { .type = CLI_U32, .meta = "WEIGHT", ARGS(weight),
			 .max = LB_WEIGHT_MAX }) },
	{},
};

static const struct cli_cmd node_cmds[] = {
	{ .name = "drain", .fn = cmd_node_drain,
	  .help = "withdraw every VIP route of this node (several nodes: docs/cluster.md)" },
	{ .name = "undrain", .fn = cmd_node_undrain,
	  .help = "announce the VIPs that can serve again" },
	{},
};

static const struct cli_cmd service_cmds[] = {
	{ .name = "add", .fn = cmd_service_add,
	  .help = "add a service without back ends",
	  .opts = OPTS(CLI_POS(CLI_NAME, "NAME", service),
		       CLI_POS(CLI_ENDPOINT, "VIP:PORT/PROTO", endpoint)) },
	{ .name = "del", .fn = cmd_service_del,
	  .help = "remove a service, its back ends and their flows",
	  .opts = OPTS(POS_SERVICE) },
	{},
};

static const struct cli_cmd commands[] = {
	{ .name = "attach", .fn = cmd_attach,
	  .help = "attach to IFACE and run the controller in the foreground",
	  .opts = OPTS(POS_IFACE, OPT_CONFIG("to apply"), OPT_XDP_MODE,
		       { "internal", 'I', CLI_IFACE, "IFACE", ARGS(internal),
			 .help = "the internal interface of nat-mode services" }) },
	{ .name = "detach", .fn = cmd_detach,
	  .help = "remove the program and its pinned maps",
	  .opts = OPTS(POS_IFACE) },
	{ .name = "upgrade", .fn = cmd_upgrade,
	  .help = "swap this binary's program in against the pinned maps (no flow lost)",
	  .opts = OPTS(POS_IFACE) },
	{ .name = "check", .fn = cmd_check,
	  .help = "validate a configuration file without attaching",
	  .opts = OPTS(OPT_CONFIG("to check")) },
	{ .name = "status", .fn = cmd_status,
	  .help = "services, back ends, flows, counters",
	  .opts = OPTS(OPT_JSON,
		       { "fresh", 'f', CLI_FLAG, ARGS(fresh),
			 .help = "sweep the flow tables now, even a big one" }) },
	{ .name = "service", .sub = service_cmds,
	  .help = "add or remove a service" },
	{ .name = "backend", .sub = backend_cmds,
	  .help = "add, remove, drain or weigh a back end" },
	{ .name = "node", .sub = node_cmds,
	  .help = "drain or undrain this balancer node (VIP announcements)" },
	{ .name = "reload", .fn = cmd_reload,
	  .help = "re-read the config file, apply the differences" },
	{ .name = "decap", .sub = decap_cmds,
	  .help = "the back-end side of tunnel mode" },
	{ .name = "help", .fn = cmd_help, .hidden = true,
	  .help = "list the commands",
	  .opts = OPTS({ "commands", 0, CLI_FLAG, ARGS(commands),
			 .help = "every command's synopsis, one a line" }) },
	{},
};

static const struct cli_cmd root = {
	.name = "xdp-lb", .sub = commands,
	.help = "a layer-4 load balancer in XDP",
	.sub_meta = "COMMAND [options] [args]", .short_synopsis = true,
	.opts = OPTS({ "interface", 'i', CLI_IFACE, "IFACE", ARGS(controller),
		       .help = "the controller to talk to when several run" },
		     { "verbose", 'v', CLI_FLAG, ARGS(verbose),
		       .help = "more log output (libbpf/libxdp messages)" },
		     OPT_JSON,
		     { "syslog", 0, CLI_FLAG, ARGS(syslog),
		       .help = "log to syslog (LOG_DAEMON) as well as stderr" },
		     { "version", 'V', CLI_FLAG, ARGS(version),
		       .help = "print the version" }),
};

static void usage(FILE *f)
{
	char syn[256];

	fprintf(f, "xdp-lb: %s\nusage: %s\ncommands:\n", root.help,
		cli_synopsis(&root, "xdp-lb", syn, sizeof(syn)));
	cli_print_commands(f, commands, "", "  ", true);
	fprintf(f, "options:\n");
	cli_print_options(f, root.opts);
	fprintf(f, "  -h, --help                this text; COMMAND --help for one command\n"
		   "SERVICE is a name or VIP:PORT/PROTO (IPv6 as [addr]:port/proto).\n");
}

static int cmd_help(struct cli_args *a)
{
	if (a->commands)
		cli_print_commands(stdout, commands, "", "", false);
	else
		usage(stdout);
	return XLB_EXIT_OK;
}

/* Find the (sub-)command at argv[0], parse its options and run it. */
static int run(const struct cli_cmd *cmds, const char *prefix, int argc,
	       char **argv, struct cli_args *a)
{
	const struct cli_cmd *c = cli_find(cmds, argv[0]);
	char path[128];
	bool help;
	int ret;

	if (!c)
		return cli_fail(XLB_EXIT_USAGE,
				"unknown command '%s%s%s' (xdp-lb %s%s--help lists them)",
				prefix, *prefix ? " " : "", argv[0], prefix,
				*prefix ? " " : "");
	snprintf(path, sizeof(path), "%s%s%s", prefix, *prefix ? " " : "",
		 c->name);
	ret = cli_parse(c, path, argc, argv, a, &help);
	if (ret)
		return ret;
	if (help) {
		cli_print_help(stdout, c, path);
		return XLB_EXIT_OK;
	}
	if (!c->sub)
		return c->fn(a);
	if (a->next >= argc)
		return cli_fail(XLB_EXIT_USAGE,
				"%s needs a command (xdp-lb %s --help lists them)",
				path, path);
	argc -= a->next;
	argv += a->next;
	return run(c->sub, path, argc, argv, a);
}

int main(int argc, char **argv)
{
	struct cli_args a = { .weight = LB_DEFAULT_WEIGHT,
			      .timeout = DRAIN_TIMEOUT_DEFAULT,
			      .xdp_mode = XDP_MODE_NATIVE };
	bool help;
	int ret;

	setvbuf(stdout, NULL, _IOLBF, 0);
	log_hook_libs();
	ret = cli_parse(&root, "xdp-lb", argc, argv, &a, &help);
	if (ret)
		return ret;
	if (help) {
		usage(stdout);
		return XLB_EXIT_OK;
	}
	if (a.version) {
		printf("xdp-lb %s\n", XLB_VERSION);
		return XLB_EXIT_OK;
	}
	if (a.verbose)
		log_set_level(LOG_DEBUG);
	if (a.syslog)
		log_open_syslog();
	if (a.next >= argc)
		return cli_fail(XLB_EXIT_USAGE,
				"no command given (xdp-lb --help lists them)");
	return run(commands, "", argc - a.next, argv + a.next, &a);
}
