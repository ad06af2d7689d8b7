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
#include "log.h"
#include "state.h"

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

static struct json_object *reply_err(int code, const char *msg)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "ok", json_object_new_boolean(0));
	json_object_object_add(o, "code", json_object_new_int(code));
	json_object_object_add(o, "error", json_object_new_string(msg));
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
	return reply_err(ret == -EINVAL ? XLB_EXIT_USAGE : XLB_EXIT_FAIL, err);
}

static struct json_object *do_reload(struct lb_state *st, char *err,
				     size_t errlen)
{
	struct lb_config cfg;
	int ret;

	if (!st->config_path[0])
		return reply_err(XLB_EXIT_FAIL,
				 "the controller was started without a config file");
	ret = config_load_file(st->config_path, &cfg, err, errlen);
	if (ret) {
		pr_warn("reload rejected: %s\n", err);
		return reply_err(XLB_EXIT_USAGE, err);
	}
	ret = state_apply_config(st, &cfg, err, errlen);
	config_free(&cfg);
	if (ret) {
		pr_warn("reload rejected: %s\n", err);
		return reply_err(ret == -EINVAL ? XLB_EXIT_USAGE :
						  XLB_EXIT_FAIL,
				 err);
	}
	pr_info("reloaded %s\n", st->config_path);
	return reply_ok();
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

	if (!cmd)
		return reply_err(XLB_EXIT_USAGE, "request without \"cmd\"");
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
			return reply_err(XLB_EXIT_USAGE,
					 "service_add needs name and endpoint");
		ret = state_service_add(st, name, ep, err, sizeof(err));
		return result(ret, err);
	}
	if (!strcmp(cmd, "node_drain") || !strcmp(cmd, "node_undrain"))
		return result(state_node_drain(st, !strcmp(cmd, "node_drain"),
					       err, sizeof(err)),
			      err);
	if (!svc)
		return reply_err(XLB_EXIT_USAGE, "request without \"service\"");
	if (!strcmp(cmd, "service_del"))
		return result(state_service_del(st, svc, err, sizeof(err)),
			      err);
	if (!addr)
		return reply_err(XLB_EXIT_USAGE, "request without \"addr\"");
	ret = u32_arg(req, "weight", &weight);
	if (ret && ret != -ENOENT)
		return reply_err(XLB_EXIT_USAGE, "weight must be 0..65535");
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
		return reply_err(XLB_EXIT_USAGE, "unknown command");
	return result(ret, err);
}

/* ---- server ---- */

static void conn_event(struct bufferevent *bev, short what, void *arg)
{
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT))
		bufferevent_free(bev);
}

static void conn_written(struct bufferevent *bev, void *arg)
{
	if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		bufferevent_free(bev);
}

static void conn_read(struct bufferevent *bev, void *arg)
{
	struct api *api = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct json_object *req, *rep;
	const char *out;
	size_t len;
	char *line;

	line = evbuffer_readln(in, &len, EVBUFFER_EOL_LF);
	if (!line) {
		if (evbuffer_get_length(in) > MAX_REQUEST)
			bufferevent_free(bev);
		return;
	}
	req = json_tokener_parse(line);
	free(line);
	if (!req || !json_object_is_type(req, json_type_object))
		rep = reply_err(XLB_EXIT_USAGE, "malformed request");
	else
		rep = api_handle(api->st, req);
	json_object_put(req);
	out = json_object_to_json_string_ext(rep, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	bufferevent_write(bev, out, strlen(out));
	bufferevent_write(bev, "\n", 1);
	json_object_put(rep);
	bufferevent_setcb(bev, NULL, conn_written, conn_event, api);
}

static void accept_cb(struct evconnlistener *lis, evutil_socket_t fd,
		      struct sockaddr *sa, int salen, void *arg)
{
	struct event_base *base = evconnlistener_get_base(lis);
	struct timeval tv = { .tv_sec = 10 };
	struct bufferevent *bev;

	bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (!bev) {
		close(fd);
		return;
	}
	bufferevent_setcb(bev, conn_read, NULL, conn_event, arg);
	bufferevent_set_timeouts(bev, &tv, &tv);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
}

struct api *api_start(struct event_base *base, struct lb_state *st,
		      const char *ifname, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct api *api;
	mode_t old;

	api = calloc(1, sizeof(*api));
	if (!api) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	api->st = st;
	if (mkdir(XLB_RUN_DIR, 0700) && errno != EEXIST) {
		snprintf(err, errlen, "cannot create %s: %s", XLB_RUN_DIR,
			 strerror(errno));
		free(api);
		return NULL;
	}
	api_sock_path(ifname, api->path, sizeof(api->path));
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", api->path);
	unlink(api->path); /* stale: the caller holds IFACE.lock */
	old = umask(0077);
	api->lis = evconnlistener_new_bind(
		base, accept_cb, api,
		LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 16,
		(struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (!api->lis) {
		snprintf(err, errlen, "cannot listen on %s: %s", api->path,
			 strerror(errno));
		free(api);
		return NULL;
	}
	return api;
}

void api_stop(struct api *api)
{
	if (!api)
		return;
	evconnlistener_free(api->lis);
	unlink(api->path);
	free(api);
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
