// SPDX-License-Identifier: GPL-2.0-only
/*
 * The commands for a running controller: each builds one JSON request,
 * sends it over the control socket of the controller picked by -i (or the
 * only one running) and prints the reply or its error.
 */
#include "client.h"

#include <dirent.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "addr.h"
#include "api.h"
#include "cli.h"
#include "status_print.h"

#define CALL_TIMEOUT_MS 30000
#define DRAIN_POLL_NS 500000000

/* The controller to talk to: -i IFACE, or the only one running. */
static int pick_iface(const struct cli_args *a, const char **ifname)
{
	static char found[IF_NAMESIZE + 8];
	char names[256] = "";
	struct dirent *de;
	int n = 0;
	DIR *d;

	if (a->controller) {
		*ifname = a->controller;
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
		return cli_fail(XLB_EXIT_FAIL,
				"no controller is running (start one with: "
				"xdp-lb attach IFACE -c FILE)");
	return cli_fail(
		XLB_EXIT_USAGE,
		"several controllers are running (%s): pick one with -i IFACE",
		names);
}

/* Send req (consumed); print errors; on success hand the reply to *repp
 * if given. */
static int call(const struct cli_args *a, struct json_object *req,
		struct json_object **repp)
{
	struct json_object *rep, *v;
	const char *ifname = NULL;
	char err[512];
	int ret;

	ret = pick_iface(a, &ifname);
	if (ret) {
		json_object_put(req);
		return ret;
	}
	rep = api_call(ifname, req, CALL_TIMEOUT_MS, err, sizeof(err));
	if (!rep)
		return cli_fail(XLB_EXIT_FAIL, "%s", err);
	if (!json_object_object_get_ex(rep, "ok", &v) ||
	    !json_object_get_boolean(v)) {
		const char *msg = "the controller refused the request";
		int code = XLB_EXIT_FAIL;

		if (json_object_object_get_ex(rep, "error", &v))
			msg = json_object_get_string(v);
		if (json_object_object_get_ex(rep, "code", &v))
			code = json_object_get_int(v);
		ret = cli_fail(code ? code : XLB_EXIT_FAIL, "%s", msg);
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

static void add_str(struct json_object *req, const char *key, const char *v)
{
	json_object_object_add(req, key, json_object_new_string(v));
}

/* A request about one back end: {"cmd", "service", "addr"}. */
static struct json_object *backend_request(const char *cmd,
					   const struct cli_args *a)
{
	struct json_object *req = request(cmd);

	add_str(req, "service", a->service);
	add_str(req, "addr", a->addr);
	return req;
}

int cmd_status(struct cli_args *a)
{
	struct json_object *rep, *req = request("status");
	int ret;

	if (a->fresh)
		json_object_object_add(req, "fresh",
				       json_object_new_boolean(1));
	ret = call(a, req, &rep);
	if (ret)
		return ret;
	json_object_object_del(rep, "ok");
	if (cli_json)
		printf("%s\n",
		       json_object_to_json_string_ext(
			       rep, JSON_C_TO_STRING_PRETTY |
					    JSON_C_TO_STRING_NOSLASHESCAPE));
	else
		status_print(rep);
	json_object_put(rep);
	return XLB_EXIT_OK;
}

int cmd_reload(struct cli_args *a)
{
	return call(a, request("reload"), NULL);
}

int cmd_service_add(struct cli_args *a)
{
	struct json_object *req = request("service_add");

	add_str(req, "name", a->service);
	add_str(req, "endpoint", a->endpoint);
	return call(a, req, NULL);
}

int cmd_service_del(struct cli_args *a)
{
	struct json_object *req = request("service_del");

	add_str(req, "service", a->service);
	return call(a, req, NULL);
}

int cmd_backend_add(struct cli_args *a)
{
	struct json_object *req = backend_request("backend_add", a);

	json_object_object_add(req, "weight", json_object_new_int64(a->weight));
	if (a->mac)
		add_str(req, "mac", a->mac);
	return call(a, req, NULL);
}

int cmd_backend_del(struct cli_args *a)
{
	struct json_object *req = backend_request("backend_del", a);

	json_object_object_add(req, "now", json_object_new_boolean(a->now));
	return call(a, req, NULL);
}

int cmd_backend_undrain(struct cli_args *a)
{
	return call(a, backend_request("backend_undrain", a), NULL);
}

int cmd_backend_weight(struct cli_args *a)
{
	struct json_object *req = backend_request("backend_weight", a);

	json_object_object_add(req, "weight", json_object_new_int64(a->weight));
	return call(a, req, NULL);
}

/* Live flows of one back end, from status; -1 if it is not there, -2 if
 * status failed (printed). */
static long backend_flows(const struct cli_args *a)
{
	struct json_object *rep, *svcs, *bes, *s, *b, *v;
	struct lb_addr want, addr;
	long flows = -1;
	size_t i, j;

	if (call(a, request("status"), &rep))
		return -2;
	lb_addr_parse(a->addr, &want);
	json_object_object_get_ex(rep, "services", &svcs);
	for (i = 0; svcs && i < json_object_array_length(svcs); i++) {
		s = json_object_array_get_idx(svcs, i);
		if (strcmp(jstr(s, "name"), a->service) &&
		    strcmp(jstr(s, "endpoint"), a->service))
			continue;
		json_object_object_get_ex(s, "backends", &bes);
		for (j = 0; bes && j < json_object_array_length(bes); j++) {
			b = json_object_array_get_idx(bes, j);
			if (!lb_addr_parse(jstr(b, "addr"), &addr) &&
			    lb_addr_eq(&addr, &want) &&
			    json_object_object_get_ex(b, "flows", &v))
				flows = json_object_get_int64(v);
		}
	}
	json_object_put(rep);
	return flows;
}

int cmd_backend_drain(struct cli_args *a)
{
	struct timespec start, now, pause = { .tv_nsec = DRAIN_POLL_NS };
	long flows;
	int ret;

	ret = call(a, backend_request("backend_drain", a), NULL);
	if (ret || !a->wait)
		return ret;
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		flows = backend_flows(a);
		if (flows == -2)
			return XLB_EXIT_FAIL;
		if (flows <= 0)
			break;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - start.tv_sec >= (time_t)a->timeout)
			return cli_fail(XLB_EXIT_FAIL,
					"back end %s of '%s' still has %ld "
					"live flows after %u s",
					a->addr, a->service, flows, a->timeout);
		nanosleep(&pause, NULL);
	}
	if (!cli_json)
		printf("back end %s of '%s' is drained: no live flows\n",
		       a->addr, a->service);
	return XLB_EXIT_OK;
}

/* The node's VIP routes withdrawn (drain) or back (undrain). */
static int node_cmd(struct cli_args *a, bool drain)
{
	int ret = call(a, request(drain ? "node_drain" : "node_undrain"),
		       NULL);

	if (!ret && !cli_json)
		printf("node %s: %s\n", drain ? "drained" : "undrained",
		       drain ? "no VIP is announced (flows in progress keep going)" :
			       "VIPs that can serve are announced again");
	return ret;
}

int cmd_node_drain(struct cli_args *a)
{
	return node_cmd(a, true);
}

int cmd_node_undrain(struct cli_args *a)
{
	return node_cmd(a, false);
}
