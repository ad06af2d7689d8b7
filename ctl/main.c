// SPDX-License-Identifier: GPL-2.0-only
/*
 * xdp-lb: the command line. `attach` runs the controller in the foreground;
 * every other command talks to a running controller over its socket.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <json-c/json.h>

#include "addr.h"
#include "api.h"
#include "config.h"
#include "dataplane.h"
#include "decap.h"
#include "log.h"
#include "state.h"

#define XLB_VERSION "0.1.0"
#define CALL_TIMEOUT_MS 30000

static const char *opt_iface;
static bool opt_json;

/* One line on stderr (or a JSON object on stdout with --json). */
static int fail(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int fail(int code, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (opt_json) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "error", json_object_new_string(msg));
		printf("%s\n", json_object_to_json_string_ext(
				       o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(o);
	} else {
		fprintf(stderr, "xdp-lb: %s\n", msg);
	}
	return code;
}

struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *usage;
};

static const struct cmd *find_cmd(const struct cmd *cmds, const char *name)
{
	const struct cmd *c, *hit = NULL;
	size_t len = strlen(name);

	for (c = cmds; c->name; c++) {
		if (!strcmp(c->name, name))
			return c;
		if (!strncmp(c->name, name, len)) {
			if (hit)
				return NULL; /* ambiguous prefix */
			hit = c;
		}
	}
	return hit;
}

static bool want_help(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return true;
	return false;
}

/* Positional arguments after options; getopt has permuted them. */
static int need_args(int argc, char **argv, int want, const char *usage)
{
	if (argc - optind != want)
		return fail(XLB_EXIT_USAGE, "usage: xdp-lb %s", usage);
	return 0;
}

/* ---- attach: the controller ---- */

/* The timer starts a round; each step that leaves work re-activates the
 * step event, so other events (probes, commands) run in between. */
static struct event *sweep_more;

static void on_sweep(evutil_socket_t fd, short what, void *arg)
{
	struct lb_state *st = arg;

	if (state_sweep_step(st))
		event_active(sweep_more, EV_TIMEOUT, 0);
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	state_tick(arg);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	pr_info("signal %d: stopping the controller\n", (int)sig);
	event_base_loopbreak(arg);
}

static int parse_mode(const char *s, enum xdp_attach_mode *mode)
{
	if (!strcmp(s, "native") || !strcmp(s, "drv"))
		*mode = XDP_MODE_NATIVE;
	else if (!strcmp(s, "skb") || !strcmp(s, "generic"))
		*mode = XDP_MODE_SKB;
	else
		return -EINVAL;
	return 0;
}

static int run_controller(struct dp *dp, const char *cfg_path,
			  const struct lb_config *cfg)
{
	struct event *sigint = NULL, *sigterm = NULL, *sweep = NULL;
	struct event *tick = NULL;
	struct timeval tick_tv = { 0, 250000 };
	struct timeval tv = {};
	struct event_base *base;
	struct lb_state st;
	struct api *api = NULL;
	char err[512];
	int ret;

	base = event_base_new();
	if (!base)
		return fail(XLB_EXIT_FAIL, "cannot create the event loop");
	ret = state_init(&st, dp, cfg_path);
	if (ret) {
		event_base_free(base);
		return fail(XLB_EXIT_FAIL, "out of memory");
	}
	st.base = base; /* health probes run on this loop */
	if (dp->adopted)
		state_adopt(&st);
	ret = state_apply_config(&st, cfg, err, sizeof(err));
	if (ret) {
		state_free(&st);
		event_base_free(base);
		return fail(ret == -EINVAL ? XLB_EXIT_USAGE : XLB_EXIT_FAIL,
			    "%s", err);
	}
	api = api_start(base, &st, dp->ifname, err, sizeof(err));
	if (!api) {
		ret = fail(XLB_EXIT_FAIL, "%s", err);
		goto out;
	}
	sigint = evsignal_new(base, SIGINT, on_signal, base);
	sigterm = evsignal_new(base, SIGTERM, on_signal, base);
	if (!sigint || !sigterm || evsignal_add(sigint, NULL) ||
	    evsignal_add(sigterm, NULL)) {
		ret = fail(XLB_EXIT_FAIL, "cannot set up signal handling");
		goto out;
	}
	signal(SIGPIPE, SIG_IGN);
	sweep = event_new(base, -1, EV_PERSIST, on_sweep, &st);
	sweep_more = event_new(base, -1, 0, on_sweep, &st);
	tv.tv_sec = st.sweep_interval_s;
	if (!sweep || !sweep_more || event_add(sweep, &tv)) {
		ret = fail(XLB_EXIT_FAIL, "cannot set up the flow sweep timer");
		goto out;
	}
	tick = event_new(base, -1, EV_PERSIST, on_tick, &st);
	if (!tick || event_add(tick, &tick_tv)) {
		ret = fail(XLB_EXIT_FAIL, "cannot set up the load timer");
		goto out;
	}
	pr_info("xdp-lb %s on '%s': %zu services, control socket %s/%s.sock\n",
		dp->replaced ? "replaced" : dp->adopted ? "re-adopted" :
							  "attached",
		dp->ifname, st.n_svc, XLB_RUN_DIR, dp->ifname);
	event_base_dispatch(base);
	ret = XLB_EXIT_OK;
	pr_info("controller stopped; the data path stays attached to '%s' (xdp-lb detach %s removes it)\n",
		dp->ifname, dp->ifname);
out:
	if (sigint)
		event_free(sigint);
	if (sigterm)
		event_free(sigterm);
	if (sweep)
		event_free(sweep);
	if (tick)
		event_free(tick);
	if (sweep_more)
		event_free(sweep_more);
	sweep_more = NULL;
	api_stop(api);
	state_free(&st); /* stops the probes, which live on base */
	event_base_free(base);
	return ret;
}

static int cmd_attach(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "xdp-mode", required_argument, NULL, 'm' },
		{ "internal", required_argument, NULL, 'I' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	enum xdp_attach_mode mode = XDP_MODE_NATIVE;
	const char *cfg_path = NULL, *ifname, *int_ifname = NULL;
	struct lb_config cfg;
	struct dp_opts dopts = {};
	struct dp dp;
	char err[512];
	int opt, ret;

	while ((opt = getopt_long(argc, argv, "c:m:I:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			cfg_path = optarg;
			break;
		case 'I':
			int_ifname = optarg;
			break;
		case 'm':
			if (parse_mode(optarg, &mode))
				return fail(XLB_EXIT_USAGE,
					    "--xdp-mode: '%s' is not native or skb",
					    optarg);
			break;
		default:
			return fail(XLB_EXIT_USAGE,
				    "usage: xdp-lb attach IFACE -c FILE [--xdp-mode native|skb] [--internal IFACE]");
		}
	}
	if (need_args(argc, argv, 1,
		      "attach IFACE -c FILE [--xdp-mode native|skb] [--internal IFACE]"))
		return XLB_EXIT_USAGE;
	ifname = argv[optind];
	if (!cfg_path)
		return fail(XLB_EXIT_USAGE,
			    "attach needs a config file: -c FILE");
	if (config_load_file(cfg_path, &cfg, err, sizeof(err)))
		return fail(XLB_EXIT_USAGE, "%s", err);
	if (geteuid() != 0) {
		config_free(&cfg);
		return fail(XLB_EXIT_FAIL,
			    "attach needs root (CAP_BPF, CAP_NET_ADMIN)");
	}
	if (api_controller_running(ifname)) {
		config_free(&cfg);
		return fail(XLB_EXIT_FAIL,
			    "a controller for '%s' is running already (%s/%s.sock)",
			    ifname, XLB_RUN_DIR, ifname);
	}
	dopts.ifname = ifname;
	dopts.mode = mode;
	dopts.table_size = cfg.table_size;
	dopts.max_flows = cfg.max_flows;
	dopts.max_services = cfg.max_services;
	dopts.max_backends = cfg.max_backends;
	dopts.int_ifname = int_ifname;
	ret = dp_open(&dp, &dopts, err, sizeof(err));
	if (ret) {
		config_free(&cfg);
		return fail(ret == -ENODEV ? XLB_EXIT_USAGE : XLB_EXIT_FAIL,
			    "%s", err);
	}
	ret = run_controller(&dp, cfg_path, &cfg);
	config_free(&cfg);
	if (ret && !dp.adopted && !dp.replaced) {
		/* A fresh attach that could not be configured: leave the
		 * interface as it was. */
		dp_close(&dp);
		dp_detach(ifname, err, sizeof(err));
		return ret;
	}
	dp_close(&dp);
	return ret;
}

static int cmd_detach(int argc, char **argv)
{
	char err[512];

	optind = 1;
	if (argc >= 2 && argv[1][0] == '-')
		return fail(XLB_EXIT_USAGE, "usage: xdp-lb detach IFACE");
	if (need_args(argc, argv, 1, "detach IFACE"))
		return XLB_EXIT_USAGE;
	if (api_controller_running(argv[1]))
		return fail(XLB_EXIT_FAIL,
			    "a controller for '%s' is running: stop it first",
			    argv[1]);
	if (dp_detach(argv[1], err, sizeof(err)))
		return fail(XLB_EXIT_FAIL, "%s", err);
	if (!opt_json)
		printf("detached xdp-lb from '%s'\n", argv[1]);
	return XLB_EXIT_OK;
}

static int cmd_upgrade(int argc, char **argv)
{
	struct dp_opts o = {};
	char err[512];
	struct dp dp;
	int ret;

	optind = 1;
	if (argc >= 2 && argv[1][0] == '-')
		return fail(XLB_EXIT_USAGE, "usage: xdp-lb upgrade IFACE");
	if (need_args(argc, argv, 1, "upgrade IFACE"))
		return XLB_EXIT_USAGE;
	if (geteuid() != 0)
		return fail(XLB_EXIT_FAIL,
			    "upgrade needs root (CAP_BPF, CAP_NET_ADMIN)");
	ret = dp_read_meta(argv[1], &o, err, sizeof(err));
	if (!ret)
		ret = dp_open(&dp, &o, err, sizeof(err));
	if (ret)
		return fail(ret == -ENODEV ? XLB_EXIT_USAGE : XLB_EXIT_FAIL,
			    "%s", err);
	dp_close(&dp);
	if (!opt_json)
		printf("replaced the xdp-lb program on '%s'; pinned maps and flows kept\n",
		       argv[1]);
	return XLB_EXIT_OK;
}

/* ---- commands for a running controller ---- */

static int pick_iface(const char **ifname)
{
	static char found[IF_NAMESIZE + 8];
	char names[256] = "";
	struct dirent *de;
	int n = 0;
	DIR *d;

	if (opt_iface) {
		*ifname = opt_iface;
		return 0;
	}
	d = opendir(XLB_RUN_DIR);
	while (d && (de = readdir(d))) {
		size_t len = strlen(de->d_name);

		if (len < 6 || strcmp(de->d_name + len - 5, ".sock") ||
		    len - 5 >= sizeof(found))
			continue;
		memcpy(found, de->d_name, len - 5);
		found[len - 5] = '\0';
		if (!api_controller_running(found))
			continue;
		n++;
		snprintf(names + strlen(names), sizeof(names) - strlen(names),
			 "%s%s", n > 1 ? ", " : "", found);
	}
	if (d)
		closedir(d);
	if (n == 1) {
		*ifname = found;
		return 0;
	}
	if (n == 0)
		return fail(XLB_EXIT_FAIL,
			    "no controller is running (start one with: xdp-lb attach IFACE -c FILE)");
	return fail(XLB_EXIT_USAGE,
		    "several controllers are running (%s): pick one with -i IFACE",
		    names);
}

/* Send req; print errors; on success hand the reply to *repp if given. */
static int call(struct json_object *req, struct json_object **repp)
{
	struct json_object *rep, *v;
	const char *ifname = NULL;
	char err[512];
	int ret;

	ret = pick_iface(&ifname);
	if (ret) {
		json_object_put(req);
		return ret;
	}
	rep = api_call(ifname, req, CALL_TIMEOUT_MS, err, sizeof(err));
	if (!rep)
		return fail(XLB_EXIT_FAIL, "%s", err);
	if (!json_object_object_get_ex(rep, "ok", &v) ||
	    !json_object_get_boolean(v)) {
		const char *msg = "the controller refused the request";
		int code = XLB_EXIT_FAIL;

		if (json_object_object_get_ex(rep, "error", &v))
			msg = json_object_get_string(v);
		if (json_object_object_get_ex(rep, "code", &v))
			code = json_object_get_int(v);
		ret = fail(code ? code : XLB_EXIT_FAIL, "%s", msg);
		json_object_put(rep);
		return ret;
	}
	if (repp)
		*repp = rep;
	else
		json_object_put(rep);
	return XLB_EXIT_OK;
}

static struct json_object *request(const char *cmd)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "cmd", json_object_new_string(cmd));
	return o;
}

static const char *jstr(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) ?
		       json_object_get_string(v) :
		       "";
}

static int64_t jint(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_int64(v) :
						       0;
}

static double jdouble(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_double(v) :
						       0;
}

static void print_status(struct json_object *rep)
{
	struct json_object *svcs, *bes, *outc, *sc, *sba;
	size_t i, j;

	printf("interface %s  table %" PRId64 " slots  flow table %" PRId64
	       " entries per family\n",
	       jstr(rep, "interface"), jint(rep, "table_size"),
	       jint(rep, "max_flows"));
	if (json_object_object_get_ex(rep, "services", &svcs)) {
		for (i = 0; i < json_object_array_length(svcs); i++) {
			struct json_object *s = json_object_array_get_idx(svcs, i);

			printf("\nservice %s  %s  mode %s  flows %" PRId64
			       "  packets %" PRId64 "  new flows %" PRId64
			       "%s%s\n",
			       jstr(s, "name"), jstr(s, "endpoint"),
			       jstr(s, "mode"),
			       jint(s, "flows"), jint(s, "packets"),
			       jint(s, "new_flows"),
			       strcmp(jstr(s, "persistence"), "none") ?
				       "  persistence " :
				       "",
			       strcmp(jstr(s, "persistence"), "none") ?
				       jstr(s, "persistence") :
				       "");
			if (!json_object_object_get_ex(s, "backends", &bes) ||
			    !json_object_array_length(bes)) {
				printf("  (no back ends)\n");
				continue;
			}
			printf("  %-24s %-17s %6s %6s %6s %6s %5s %-9s %8s %10s\n",
			       "BACKEND", "MAC", "WEIGHT", "EFFECT", "SHARE",
			       "ACTUAL", "LOAD", "STATE", "FLOWS", "PACKETS");
			for (j = 0; j < json_object_array_length(bes); j++) {
				struct json_object *b =
					json_object_array_get_idx(bes, j);
				struct json_object *ld;
				char load[16] = "-";

				if (json_object_object_get_ex(b, "load", &ld) &&
				    ld)
					snprintf(load, sizeof(load), "%d%%",
						 json_object_get_int(ld));
				printf("  %-24s %-17s %6" PRId64 " %6" PRId64
				       " %5.1f%% %5.1f%% %5s %-9s %8" PRId64
				       " %10" PRId64 "%s\n",
				       jstr(b, "addr"), jstr(b, "mac"),
				       jint(b, "weight"),
				       jint(b, "effective_weight"),
				       jdouble(b, "share"),
				       jdouble(b, "actual_share"), load,
				       jstr(b, "state"), jint(b, "flows"),
				       jint(b, "packets"),
				       json_object_get_boolean(json_object_object_get(
					       b, "standby")) ?
					       "  (standby)" :
					       "");
			}
			if (json_object_object_get_ex(s, "scale", &sc)) {
				printf("  scale: high %" PRId64 "%% low %" PRId64
				       "%% for %" PRId64 " s; %s\n",
				       jint(sc, "high"), jint(sc, "low"),
				       jint(sc, "for"), jstr(sc, "last"));
				if (json_object_object_get_ex(sc, "standby",
							      &sba))
					for (j = 0;
					     j < json_object_array_length(sba);
					     j++) {
						struct json_object *x =
							json_object_array_get_idx(
								sba, j);

						printf("    standby %-24s %-9s %s\n",
						       jstr(x, "addr"),
						       jstr(x, "state"),
						       jstr(x, "last"));
					}
			}
		}
	}
	if (json_object_object_get_ex(rep, "nat", &sc))
		printf("\nnat: internal %s, source %s %s, ports %s, %" PRId64
		       " mappings (%" PRId64 " expired)\n",
		       jstr(sc, "internal"), jstr(sc, "source"),
		       jstr(sc, "source6"), jstr(sc, "ports"),
		       jint(sc, "mappings"), jint(sc, "expired"));
	if (json_object_object_get_ex(rep, "outcomes", &outc)) {
		printf("\noutcomes (packets):");
		json_object_object_foreach(outc, key, val)
			printf(" %s %" PRId64, key, json_object_get_int64(val));
		printf("\n");
	}
}

static int cmd_status(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "fresh", no_argument, NULL, 'f' },
		{},
	};
	struct json_object *rep, *req = request("status");
	int opt, ret;

	while ((opt = getopt_long(argc, argv, "jf", opts, NULL)) != -1) {
		if (opt == 'j') {
			opt_json = true;
		} else if (opt == 'f') {
			json_object_object_add(req, "fresh",
					       json_object_new_boolean(1));
		} else {
			json_object_put(req);
			return fail(XLB_EXIT_USAGE,
				    "usage: xdp-lb status [--json] [--fresh]");
		}
	}
	if (need_args(argc, argv, 0, "status [--json] [--fresh]")) {
		json_object_put(req);
		return XLB_EXIT_USAGE;
	}
	ret = call(req, &rep);
	if (ret)
		return ret;
	json_object_object_del(rep, "ok");
	if (opt_json)
		printf("%s\n", json_object_to_json_string_ext(
				       rep, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	else
		print_status(rep);
	json_object_put(rep);
	return XLB_EXIT_OK;
}

static int cmd_reload(int argc, char **argv)
{
	optind = 1;
	if (need_args(argc, argv, 0, "reload"))
		return XLB_EXIT_USAGE;
	return call(request("reload"), NULL);
}

static int parse_weight(const char *s, __u32 *w)
{
	if (lb_u32_parse(s, 0, LB_WEIGHT_MAX, w))
		return fail(XLB_EXIT_USAGE,
			    "weight '%s' is not a number in 0..%u", s,
			    LB_WEIGHT_MAX);
	return 0;
}

static int check_addr(const char *s)
{
	struct lb_addr a;

	if (lb_addr_parse(s, &a))
		return fail(XLB_EXIT_USAGE,
			    "'%s' is not an IPv4 or IPv6 address", s);
	return 0;
}

static int cmd_backend_add(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "weight", required_argument, NULL, 'w' },
		{ "mac", required_argument, NULL, 'm' },
		{},
	};
	static const char *usage =
		"backend add SERVICE ADDR [--weight N] [--mac MAC]";
	struct json_object *req;
	const char *mac = NULL;
	__u32 w = LB_DEFAULT_WEIGHT;
	__u8 m[6];
	int opt;

	while ((opt = getopt_long(argc, argv, "w:m:", opts, NULL)) != -1) {
		switch (opt) {
		case 'w':
			if (parse_weight(optarg, &w))
				return XLB_EXIT_USAGE;
			break;
		case 'm':
			if (lb_mac_parse(optarg, m))
				return fail(XLB_EXIT_USAGE,
					    "'%s' is not a MAC address (like 02:00:00:00:00:12)",
					    optarg);
			mac = optarg;
			break;
		default:
			return fail(XLB_EXIT_USAGE, "usage: xdp-lb %s", usage);
		}
	}
	if (need_args(argc, argv, 2, usage) || check_addr(argv[optind + 1]))
		return XLB_EXIT_USAGE;
	req = request("backend_add");
	json_object_object_add(req, "service",
			       json_object_new_string(argv[optind]));
	json_object_object_add(req, "addr",
			       json_object_new_string(argv[optind + 1]));
	json_object_object_add(req, "weight", json_object_new_int64(w));
	if (mac)
		json_object_object_add(req, "mac", json_object_new_string(mac));
	return call(req, NULL);
}

static int backend_simple(int argc, char **argv, const char *cmd,
			  const char *usage, bool with_weight)
{
	struct json_object *req;
	__u32 w = 0;

	optind = 1;
	if (argc > 1 && argv[1][0] == '-' && argv[1][1])
		return fail(XLB_EXIT_USAGE, "usage: xdp-lb %s", usage);
	if (need_args(argc, argv, with_weight ? 3 : 2, usage) ||
	    check_addr(argv[2]))
		return XLB_EXIT_USAGE;
	if (with_weight && parse_weight(argv[3], &w))
		return XLB_EXIT_USAGE;
	req = request(cmd);
	json_object_object_add(req, "service", json_object_new_string(argv[1]));
	json_object_object_add(req, "addr", json_object_new_string(argv[2]));
	if (with_weight)
		json_object_object_add(req, "weight", json_object_new_int64(w));
	return call(req, NULL);
}

static int cmd_backend_del(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "now", no_argument, NULL, 'n' },
		{},
	};
	static const char *usage = "backend del SERVICE ADDR [--now]";
	struct json_object *req;
	bool now = false;
	int opt;

	while ((opt = getopt_long(argc, argv, "n", opts, NULL)) != -1) {
		if (opt != 'n')
			return fail(XLB_EXIT_USAGE, "usage: xdp-lb %s", usage);
		now = true;
	}
	if (need_args(argc, argv, 2, usage) || check_addr(argv[optind + 1]))
		return XLB_EXIT_USAGE;
	req = request("backend_del");
	json_object_object_add(req, "service",
			       json_object_new_string(argv[optind]));
	json_object_object_add(req, "addr",
			       json_object_new_string(argv[optind + 1]));
	json_object_object_add(req, "now", json_object_new_boolean(now));
	return call(req, NULL);
}

/* Live flows of one back end, from status; -1 if it is not there. */
static long backend_flows(const char *svc, const char *addr)
{
	struct json_object *rep, *svcs, *bes, *s, *b, *v;
	struct lb_addr want, a;
	long flows = -1;
	size_t i, j;

	if (call(request("status"), &rep))
		return -2;
	lb_addr_parse(addr, &want);
	json_object_object_get_ex(rep, "services", &svcs);
	for (i = 0; svcs && i < json_object_array_length(svcs); i++) {
		s = json_object_array_get_idx(svcs, i);
		if (strcmp(jstr(s, "name"), svc) && strcmp(jstr(s, "endpoint"), svc))
			continue;
		json_object_object_get_ex(s, "backends", &bes);
		for (j = 0; bes && j < json_object_array_length(bes); j++) {
			b = json_object_array_get_idx(bes, j);
			if (!lb_addr_parse(jstr(b, "addr"), &a) &&
			    lb_addr_eq(&a, &want) &&
			    json_object_object_get_ex(b, "flows", &v))
				flows = json_object_get_int64(v);
		}
	}
	json_object_put(rep);
	return flows;
}

static int cmd_backend_drain(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "wait", no_argument, NULL, 'w' },
		{ "timeout", required_argument, NULL, 't' },
		{},
	};
	static const char *usage =
		"backend drain SERVICE ADDR [--wait] [--timeout SECONDS]";
	struct timespec start, now, pause = { .tv_nsec = 500000000 };
	struct json_object *req;
	__u32 timeout = 300;
	bool wait = false;
	long flows;
	int opt, ret;

	while ((opt = getopt_long(argc, argv, "wt:", opts, NULL)) != -1) {
		switch (opt) {
		case 'w':
			wait = true;
			break;
		case 't':
			if (lb_u32_parse(optarg, 1, 86400 * 7, &timeout))
				return fail(XLB_EXIT_USAGE,
					    "--timeout: '%s' is not a number of seconds (1..604800)",
					    optarg);
			break;
		default:
			return fail(XLB_EXIT_USAGE, "usage: xdp-lb %s", usage);
		}
	}
	if (need_args(argc, argv, 2, usage) || check_addr(argv[optind + 1]))
		return XLB_EXIT_USAGE;
	req = request("backend_drain");
	json_object_object_add(req, "service",
			       json_object_new_string(argv[optind]));
	json_object_object_add(req, "addr",
			       json_object_new_string(argv[optind + 1]));
	ret = call(req, NULL);
	if (ret || !wait)
		return ret;
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		flows = backend_flows(argv[optind], argv[optind + 1]);
		if (flows == -2)
			return XLB_EXIT_FAIL;
		if (flows <= 0)
			break;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - start.tv_sec >= (time_t)timeout)
			return fail(XLB_EXIT_FAIL,
				    "back end %s of '%s' still has %ld live flows after %u s",
				    argv[optind + 1], argv[optind], flows,
				    timeout);
		nanosleep(&pause, NULL);
	}
	if (!opt_json)
		printf("back end %s of '%s' is drained: no live flows\n",
		       argv[optind + 1], argv[optind]);
	return XLB_EXIT_OK;
}

static int cmd_backend_undrain(int argc, char **argv)
{
	return backend_simple(argc, argv, "backend_undrain",
			      "backend undrain SERVICE ADDR", false);
}

static int cmd_backend_weight(int argc, char **argv)
{
	return backend_simple(argc, argv, "backend_weight",
			      "backend weight SERVICE ADDR WEIGHT", true);
}

static int cmd_service_add(int argc, char **argv)
{
	struct json_object *req;
	struct lb_addr a;
	__u16 port;
	__u8 proto;

	optind = 1;
	if (need_args(argc, argv, 2, "service add NAME VIP:PORT/PROTO"))
		return XLB_EXIT_USAGE;
	if (!config_name_valid(argv[1]))
		return fail(XLB_EXIT_USAGE,
			    "'%s' is not a valid service name (1-63 of A-Z a-z 0-9 _ . -)",
			    argv[1]);
	if (lb_endpoint_parse(argv[2], &a, &port, &proto))
		return fail(XLB_EXIT_USAGE,
			    "'%s' is not VIP:PORT/PROTO (IPv6 as [addr]:port/proto, proto tcp or udp)",
			    argv[2]);
	req = request("service_add");
	json_object_object_add(req, "name", json_object_new_string(argv[1]));
	json_object_object_add(req, "endpoint",
			       json_object_new_string(argv[2]));
	return call(req, NULL);
}

static int cmd_service_del(int argc, char **argv)
{
	struct json_object *req;

	optind = 1;
	if (need_args(argc, argv, 1, "service del SERVICE"))
		return XLB_EXIT_USAGE;
	req = request("service_del");
	json_object_object_add(req, "service", json_object_new_string(argv[1]));
	return call(req, NULL);
}

/* ---- decap: the back-end side of tunnel mode ---- */

static int cmd_decap_attach(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "xdp-mode", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	enum xdp_attach_mode mode = XDP_MODE_NATIVE;
	char err[512];
	int opt;

	while ((opt = getopt_long(argc, argv, "m:h", opts, NULL)) != -1) {
		if (opt == 'm' && !parse_mode(optarg, &mode))
			continue;
		if (opt == 'm')
			return fail(XLB_EXIT_USAGE,
				    "--xdp-mode: '%s' is not native or skb",
				    optarg);
		return fail(XLB_EXIT_USAGE,
			    "usage: xdp-lb decap attach IFACE [--xdp-mode native|skb]");
	}
	if (need_args(argc, argv, 1,
		      "decap attach IFACE [--xdp-mode native|skb]"))
		return XLB_EXIT_USAGE;
	if (geteuid() != 0)
		return fail(XLB_EXIT_FAIL,
			    "decap attach needs root (CAP_BPF, CAP_NET_ADMIN)");
	if (decap_attach(argv[optind], mode, err, sizeof(err)))
		return fail(XLB_EXIT_FAIL, "%s", err);
	if (!opt_json)
		printf("decap attached to '%s'\n", argv[optind]);
	return XLB_EXIT_OK;
}

static int cmd_decap_detach(int argc, char **argv)
{
	char err[512];

	optind = 1;
	if (argc >= 2 && argv[1][0] == '-')
		return fail(XLB_EXIT_USAGE, "usage: xdp-lb decap detach IFACE");
	if (need_args(argc, argv, 1, "decap detach IFACE"))
		return XLB_EXIT_USAGE;
	if (decap_detach(argv[1], err, sizeof(err)))
		return fail(XLB_EXIT_FAIL, "%s", err);
	if (!opt_json)
		printf("decap detached from '%s'\n", argv[1]);
	return XLB_EXIT_OK;
}

static int cmd_decap_status(int argc, char **argv)
{
	__u64 done = 0, passed = 0;
	char err[512];

	optind = 1;
	if (argc >= 2 && argv[1][0] == '-')
		return fail(XLB_EXIT_USAGE, "usage: xdp-lb decap status IFACE");
	if (need_args(argc, argv, 1, "decap status IFACE"))
		return XLB_EXIT_USAGE;
	if (decap_counters(argv[1], &done, &passed, err, sizeof(err)))
		return fail(XLB_EXIT_FAIL, "%s", err);
	if (opt_json)
		printf("{\"interface\":\"%s\",\"decapsulated\":%llu,\"passed\":%llu}\n",
		       argv[1], (unsigned long long)done,
		       (unsigned long long)passed);
	else
		printf("decap on '%s': %llu packets decapsulated, %llu passed untouched\n",
		       argv[1], (unsigned long long)done,
		       (unsigned long long)passed);
	return XLB_EXIT_OK;
}

static const struct cmd decap_cmds[] = {
	{ "attach", cmd_decap_attach,
	  "decap attach IFACE [--xdp-mode native|skb]" },
	{ "detach", cmd_decap_detach, "decap detach IFACE" },
	{ "status", cmd_decap_status, "decap status IFACE [--json]" },
	{},
};

static const struct cmd backend_cmds[] = {
	{ "add", cmd_backend_add,
	  "backend add SERVICE ADDR [--weight N] [--mac MAC]" },
	{ "del", cmd_backend_del, "backend del SERVICE ADDR [--now]" },
	{ "drain", cmd_backend_drain,
	  "backend drain SERVICE ADDR [--wait] [--timeout SECONDS]" },
	{ "undrain", cmd_backend_undrain, "backend undrain SERVICE ADDR" },
	{ "weight", cmd_backend_weight, "backend weight SERVICE ADDR WEIGHT" },
	{},
};

static const struct cmd service_cmds[] = {
	{ "add", cmd_service_add, "service add NAME VIP:PORT/PROTO" },
	{ "del", cmd_service_del, "service del SERVICE" },
	{},
};

static int print_usage(FILE *f, const struct cmd *cmds, const char *prefix)
{
	const struct cmd *c;

	fprintf(f, "usage:\n");
	for (c = cmds; c->name; c++)
		fprintf(f, "  xdp-lb %s%s\n", prefix, c->usage);
	return 0;
}

static int dispatch(const struct cmd *cmds, const char *what, int argc,
		    char **argv)
{
	const struct cmd *c;

	if (argc < 2)
		return fail(XLB_EXIT_USAGE, "%s needs a command: %s", what,
			    what);
	c = find_cmd(cmds, argv[1]);
	if (!c)
		return fail(XLB_EXIT_USAGE,
			    "unknown %s command '%s' (xdp-lb %s --help lists them)",
			    what, argv[1], what);
	if (want_help(argc - 1, argv + 1)) {
		printf("usage: xdp-lb %s\n", c->usage);
		return XLB_EXIT_OK;
	}
	optind = 0; /* full getopt reset (GNU) for the command's options */
	return c->fn(argc - 1, argv + 1);
}


static int cmd_backend(int argc, char **argv)
{
	if (argc == 2 && want_help(argc, argv))
		return print_usage(stdout, backend_cmds, ""), XLB_EXIT_OK;
	return dispatch(backend_cmds, "backend", argc, argv);
}

static int cmd_decap(int argc, char **argv)
{
	if (argc == 2 && want_help(argc, argv))
		return print_usage(stdout, decap_cmds, ""), XLB_EXIT_OK;
	return dispatch(decap_cmds, "decap", argc, argv);
}

static int cmd_service(int argc, char **argv)
{
	if (argc == 2 && want_help(argc, argv))
		return print_usage(stdout, service_cmds, ""), XLB_EXIT_OK;
	return dispatch(service_cmds, "service", argc, argv);
}

static const struct cmd commands[] = {
	{ "attach", cmd_attach,
	  "attach IFACE -c FILE [--xdp-mode native|skb] [--internal IFACE]" },
	{ "detach", cmd_detach, "detach IFACE" },
	{ "upgrade", cmd_upgrade, "upgrade IFACE" },
	{ "status", cmd_status, "status [--json] [--fresh]" },
	{ "backend", cmd_backend, "backend add|del|weight|drain|undrain ..." },
	{ "service", cmd_service, "service add|del ..." },
	{ "reload", cmd_reload, "reload" },
	{ "decap", cmd_decap, "decap attach|detach|status IFACE (on back ends)" },
	{},
};

static void usage(FILE *f)
{
	fprintf(f,
		"xdp-lb: a layer-4 load balancer in XDP\n"
		"usage: xdp-lb [-i IFACE] [-v] [--json] COMMAND [options] [args]\n"
		"commands:\n"
		"  attach IFACE -c FILE [--xdp-mode native|skb]\n"
		"                  attach to IFACE and run the controller in the foreground\n"
		"  detach IFACE    remove the program and its pinned maps\n"
		"  upgrade IFACE   load this binary's program against the pinned maps and\n"
		"                  swap it in atomically (no flow lost; a controller may run)\n"
		"  status [--json] [--fresh]\n"
		"                  services, back ends, flows, counters (--fresh: sweep the\n"
		"                  flow tables now, even a big one)\n"
		"  service add NAME VIP:PORT/PROTO\n"
		"  service del SERVICE\n"
		"  backend add SERVICE ADDR [--weight N] [--mac MAC]\n"
		"  backend del SERVICE ADDR [--now]\n"
		"                  drain, then remove once no flow is left (--now: at once)\n"
		"  backend drain SERVICE ADDR [--wait] [--timeout SECONDS]\n"
		"                  no new flows; --wait returns when no live flow is left\n"
		"  backend undrain SERVICE ADDR\n"
		"  backend weight SERVICE ADDR WEIGHT   (0 = no new flows)\n"
		"  reload          re-read the config file, apply the differences\n"
		"options:\n"
		"  -i, --interface IFACE  the controller to talk to when several run\n"
		"  -v, --verbose          more log output (libbpf/libxdp messages)\n"
		"  -j, --json             JSON output, errors included\n"
		"  -h, --help             this text; COMMAND --help for one command\n"
		"  -V, --version          print the version\n"
		"SERVICE is a name or VIP:PORT/PROTO (IPv6 as [addr]:port/proto).\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "interface", required_argument, NULL, 'i' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{},
	};
	const struct cmd *c;
	int opt;

	setvbuf(stdout, NULL, _IOLBF, 0);
	log_hook_libs();
	/* Stop at the first non-option: the command parses its own. */
	while ((opt = getopt_long(argc, argv, "+i:vjhV", opts, NULL)) != -1) {
		switch (opt) {
		case 'i':
			opt_iface = optarg;
			break;
		case 'v':
			log_set_level(LOG_DEBUG);
			break;
		case 'j':
			opt_json = true;
			break;
		case 'h':
			usage(stdout);
			return XLB_EXIT_OK;
		case 'V':
			printf("xdp-lb %s\n", XLB_VERSION);
			return XLB_EXIT_OK;
		default:
			usage(stderr);
			return XLB_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return XLB_EXIT_USAGE;
	}
	c = find_cmd(commands, argv[optind]);
	if (!c)
		return fail(XLB_EXIT_USAGE,
			    "unknown command '%s' (xdp-lb --help lists them)",
			    argv[optind]);
	argc -= optind;
	argv += optind;
	if (c->fn != cmd_backend && c->fn != cmd_service && c->fn != cmd_decap &&
	    want_help(argc, argv)) {
		printf("usage: xdp-lb %s\n", c->usage);
		return XLB_EXIT_OK;
	}
	optind = 0; /* full getopt reset (GNU) for the command's options */
	return c->fn(argc, argv);
}
