// SPDX-License-Identifier: GPL-2.0-only
/* The control socket (server on libevent, and the client used by the CLI). */
#include "api.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "config.h"
#include "events.h"
#include "http.h"
#include "log.h"
#include "state.h"
#include "text.h"

#define MAX_REQUEST (64 * 1024)

struct api {
	struct evconnlistener *lis;
	struct lb_state *st;
	char path[108];
};

void api_sock_path(const char *ifname, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s.sock", XLB_RUN_DIR, ifname);
}

static int sock_connect(const char *ifname)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	api_sock_path(ifname, sa.sun_path, sizeof(sa.sun_path));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		int ret = -errno;

		close(fd);
		return ret;
	}
	return fd;
}

int api_controller_running(const char *ifname)
{
	int fd = sock_connect(ifname);

	if (fd < 0)
		return 0;
	close(fd);
	return 1;
}

/* ---- request handling ---- */

struct json_object *api_reply_err(int code, const char *msg)
{
	struct json_object *o = json_object_new_object();
	char line[1024];

	/* one line whatever it echoes (a key of the request, a value) */
	snprintf(line, sizeof(line), "%s", msg);
	text_oneline(line, sizeof(line));
	json_object_object_add(o, "ok", json_object_new_boolean(0));
	json_object_object_add(o, "code", json_object_new_int(code));
	json_object_object_add(o, "error", json_object_new_string(line));
	return o;
}

static struct json_object *reply_ok(void)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "ok", json_object_new_boolean(1));
	return o;
}

static const char *str_arg(struct json_object *req, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(req, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* A string argument with a NUL byte inside would name its prefix: a
 * request that carries one is refused whole. */
static const char *nul_arg(struct json_object *req)
{
	struct json_object_iterator it = json_object_iter_begin(req);
	struct json_object_iterator end = json_object_iter_end(req);

	for (; !json_object_iter_equal(&it, &end);
	     json_object_iter_next(&it)) {
		struct json_object *v = json_object_iter_peek_value(&it);

		if (json_object_is_type(v, json_type_string) &&
		    strlen(json_object_get_string(v)) !=
			    (size_t)json_object_get_string_len(v))
			return json_object_iter_peek_name(&it);
	}
	return NULL;
}

static bool bool_arg(struct json_object *req, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(req, key, &v) &&
	       json_object_get_boolean(v);
}

static int u32_arg(struct json_object *req, const char *key, __u32 *out)
{
	struct json_object *v;
	int64_t x;

	if (!json_object_object_get_ex(req, key, &v))
		return -ENOENT;
	if (!json_object_is_type(v, json_type_int))
		return -EINVAL;
	x = json_object_get_int64(v);
	if (x < 0 || x > UINT32_MAX)
		return -ERANGE;
	*out = (__u32)x;
	return 0;
}

static struct json_object *result(int ret, const char *err)
{
	if (!ret)
		return reply_ok();
	return api_reply_err(ret == -EINVAL ? XLB_EXIT_USAGE : XLB_EXIT_FAIL, err);
}

struct json_object *api_reload_apply(struct lb_state *st, int load_ret,
				     struct lb_config *cfg, char *err,
				     size_t errlen)
{
	int ret;

	if (load_ret) {
		pr_warn("reload rejected: %s\n", err);
		events_add("reload", NULL, NULL, "rejected: %s", err);
		return api_reply_err(XLB_EXIT_USAGE, err);
	}
	/* A new listener is bound (and the token read) first: if that
	 * fails, nothing changes. */
	ret = st->http ? http_prepare(st->http, &cfg->http, err, errlen) : 0;
	if (!ret)
		ret = state_apply_config(st, cfg, err, errlen);
	config_free(cfg);
	if (ret)
		http_abort(st->http);
	else
		http_commit(st->http);
	if (ret) {
		pr_warn("reload rejected: %s\n", err);
		events_add("reload", NULL, NULL, "rejected: %s", err);
		return api_reply_err(ret == -EINVAL ? XLB_EXIT_USAGE :
						  XLB_EXIT_FAIL,
				 err);
	}
	pr_info("reloaded %s\n", st->config_path);
	events_add("reload", NULL, NULL, "reloaded %s", st->config_path);
	return reply_ok();
}

static struct json_object *do_reload(struct lb_state *st, char *err,
				     size_t errlen)
{
	struct lb_config cfg;
	int ret;

	if (!st->config_path[0])
		return api_reply_err(XLB_EXIT_FAIL,
				 "the controller was started without a config file");
	ret = config_load_file(st->config_path, &cfg, err, errlen);
	return api_reload_apply(st, ret, &cfg, err, errlen);
}

struct json_object *api_handle(struct lb_state *st, struct json_object *req)
{
	const char *cmd = str_arg(req, "cmd");
	const char *svc = str_arg(req, "service");
	const char *addr = str_arg(req, "addr");
	char err[512] = "";
	__u32 weight = LB_DEFAULT_WEIGHT;
	struct json_object *o;
	int ret;

	if (nul_arg(req)) {
		snprintf(err, sizeof(err), "\"%s\" holds a NUL byte",
			 nul_arg(req));
		return api_reply_err(XLB_EXIT_USAGE, err);
	}
	if (!cmd)
		return api_reply_err(XLB_EXIT_USAGE, "request without \"cmd\"");
	if (!strcmp(cmd, "status")) {
		struct json_object *f;

		o = state_status_json(st, json_object_object_get_ex(req, "fresh", &f) &&
					      json_object_get_boolean(f));
		json_object_object_add(o, "ok", json_object_new_boolean(1));
		return o;
	}
	if (!strcmp(cmd, "reload"))
		return do_reload(st, err, sizeof(err));
	if (!strcmp(cmd, "service_add")) {
		const char *name = str_arg(req, "name");
		const char *ep = str_arg(req, "endpoint");

		if (!name || !ep)
			return api_reply_err(XLB_EXIT_USAGE,
					 "service_add needs name and endpoint");
		ret = state_service_add(st, name, ep, err, sizeof(err));
		return result(ret, err);
	}
	if (!strcmp(cmd, "node_drain") || !strcmp(cmd, "node_undrain"))
		return result(state_node_drain(st, !strcmp(cmd, "node_drain"),
					       err, sizeof(err)),
			      err);
	if (!svc)
		return api_reply_err(XLB_EXIT_USAGE, "request without \"service\"");
	if (!strcmp(cmd, "service_del"))
		return result(state_service_del(st, svc, err, sizeof(err)),
			      err);
	if (!addr)
		return api_reply_err(XLB_EXIT_USAGE, "request without \"addr\"");
	ret = u32_arg(req, "weight", &weight);
	if (ret && ret != -ENOENT)
		return api_reply_err(XLB_EXIT_USAGE, "weight must be 0..65535");
	if (!strcmp(cmd, "backend_add"))
		ret = state_backend_add(st, svc, addr, weight,
					str_arg(req, "mac"), err, sizeof(err));
	else if (!strcmp(cmd, "backend_del"))
		ret = state_backend_del(st, svc, addr, bool_arg(req, "now"), err,
					sizeof(err));
	else if (!strcmp(cmd, "backend_drain") ||
		 !strcmp(cmd, "backend_undrain"))
		ret = state_backend_drain(st, svc, addr,
					  !strcmp(cmd, "backend_drain"), err,
					  sizeof(err));
	else if (!strcmp(cmd, "backend_weight"))
		ret = ret == -ENOENT ?
			      (snprintf(err, sizeof(err), "weight missing"),
			       -EINVAL) :
			      state_backend_weight(st, svc, addr, weight, err,
						   sizeof(err));
	else
		return api_reply_err(XLB_EXIT_USAGE, "unknown command");
	return result(ret, err);
}

/* ---- client ---- */

static int write_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len) {
		n = write(fd, buf, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		buf += n;
		len -= n;
	}
	return 0;
}

struct json_object *api_call(const char *ifname, struct json_object *req,
			     int timeout_ms, char *err, size_t errlen)
{
	char path[108], *buf = NULL, *nb;
	size_t len = 0, cap = 0;
	struct json_object *rep = NULL;
	struct pollfd pfd;
	const char *out;
	ssize_t n;
	int fd, ret;

	api_sock_path(ifname, path, sizeof(path));
	fd = sock_connect(ifname);
	if (fd < 0) {
		if (fd == -ENOENT || fd == -ECONNREFUSED)
			snprintf(err, errlen,
				 "no controller is running for '%s' (start one with: xdp-lb attach %s -c FILE)",
				 ifname, ifname);
		else
			snprintf(err, errlen, "cannot connect to %s: %s%s",
				 path, strerror(-fd),
				 fd == -EACCES ? " (run as root)" : "");
		json_object_put(req);
		return NULL;
	}
	out = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	ret = write_all(fd, out, strlen(out));
	if (!ret)
		ret = write_all(fd, "\n", 1);
	json_object_put(req);
	if (ret) {
		snprintf(err, errlen, "cannot send to %s: %s", path,
			 strerror(-ret));
		goto out;
	}
	pfd.fd = fd;
	pfd.events = POLLIN;
	for (;;) {
		ret = poll(&pfd, 1, timeout_ms);
		if (ret <= 0) {
			snprintf(err, errlen,
				 "the controller for '%s' did not answer within %d ms",
				 ifname, timeout_ms);
			goto out;
		}
		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 8192;
			nb = realloc(buf, cap);
			if (!nb) {
				snprintf(err, errlen, "out of memory");
				goto out;
			}
			buf = nb;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += n;
	}
	if (!buf) {
		snprintf(err, errlen, "the controller for '%s' closed the connection without a reply",
			 ifname);
		goto out;
	}
	buf[len] = '\0';
	rep = json_tokener_parse(buf);
	if (!rep)
		snprintf(err, errlen, "malformed reply from the controller");
out:
	free(buf);
	close(fd);
	return rep;
}
