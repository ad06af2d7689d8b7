// SPDX-License-Identifier: GPL-2.0-only
/*
 * The control socket's server on the controller's libevent loop: one JSON
 * request per connection, one reply. Guarded against what a busy or
 * hostile machine does to it:
 *  - at most API_MAX_CONNS connections: a new one closes the oldest that
 *    has not sent its request yet (silent clients cannot lock out
 *    status), or waits in the backlog if every one is being served;
 *  - out of file descriptors or memory, accept closes the oldest silent
 *    connection and pauses for API_PAUSE_MS instead of spinning, and says
 *    so at most once per API_WARN_EVERY_S;
 *  - the I/O timeout runs only while waiting for the client (its request,
 *    then its reading of the reply), never while the request is served;
 *  - reload reads and parses the file on a thread: the loop keeps
 *    forwarding decisions, probes and status going meanwhile, and applies
 *    the result when it is ready.
 */
#define _GNU_SOURCE /* pipe2 */
#include "api.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
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
#define API_MAX_CONNS 64
#define API_IO_TIMEOUT_S 10
#define API_PAUSE_MS 500
#define API_WARN_EVERY_S 10

struct conn;

struct reload_job {
	struct api *api;
	struct conn *conn; /* NULL once the client has gone */
	pthread_t th;
	int pipe[2];
	struct event *done;
	char path[PATH_MAX];
	struct lb_config cfg;
	int ret;
	char err[512];
};

struct conn {
	struct api *api;
	struct bufferevent *bev;
	struct reload_job *job;
	bool waiting; /* for its request */
	TAILQ_ENTRY(conn) link; /* oldest first */
};

struct api {
	struct evconnlistener *lis;
	struct event *resume; /* ends an accept pause */
	struct lb_state *st;
	struct reload_job *job;
	TAILQ_HEAD(, conn) conns;
	size_t n_conns;
	bool full; /* accept off: API_MAX_CONNS are open */
	time_t warned;
	unsigned long unwarned;
	char path[108];
};

/* One warning per API_WARN_EVERY_S; the ones in between are counted. */
static void warn_limited(struct api *api, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void warn_limited(struct api *api, const char *fmt, ...)
{
	time_t now = time(NULL);
	char msg[256];
	va_list ap;

	if (api->warned && now - api->warned < API_WARN_EVERY_S) {
		api->unwarned++;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (api->unwarned)
		pr_warn("control socket: %s (%lu more such since the last message)\n",
			msg, api->unwarned);
	else
		pr_warn("control socket: %s\n", msg);
	api->warned = now;
	api->unwarned = 0;
}

static void conn_free(struct conn *c)
{
	struct api *api = c->api;

	if (c->job)
		c->job->conn = NULL;
	TAILQ_REMOVE(&api->conns, c, link);
	bufferevent_free(c->bev);
	free(c);
	api->n_conns--;
	if (api->full && api->n_conns < API_MAX_CONNS &&
	    !evtimer_pending(api->resume, NULL)) {
		api->full = false;
		evconnlistener_enable(api->lis);
	}
}

static void conn_event(struct bufferevent *bev, short what, void *arg)
{
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT))
		conn_free(arg);
}

static void conn_written(struct bufferevent *bev, void *arg)
{
	if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		conn_free(arg);
}

/* Send rep (consumed) and close once the client has read it; the timeout
 * starts now. */
static void conn_reply(struct conn *c, struct json_object *rep)
{
	struct timeval tv = { .tv_sec = API_IO_TIMEOUT_S };
	const char *out = json_object_to_json_string_ext(
		rep, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);

	c->job = NULL;
	c->waiting = false;
	bufferevent_set_timeouts(c->bev, NULL, &tv);
	bufferevent_setcb(c->bev, NULL, conn_written, conn_event, c);
	bufferevent_write(c->bev, out, strlen(out));
	bufferevent_write(c->bev, "\n", 1);
	bufferevent_enable(c->bev, EV_WRITE);
	json_object_put(rep);
}

/* ---- reload off the loop ---- */

static void *reload_thread(void *arg)
{
	struct reload_job *j = arg;
	ssize_t n;

	j->ret = config_load_file(j->path, &j->cfg, j->err, sizeof(j->err));
	do
		n = write(j->pipe[1], "x", 1);
	while (n < 0 && errno == EINTR);
	return NULL;
}

static void reload_done(evutil_socket_t fd, short what, void *arg)
{
	struct reload_job *j = arg;
	struct api *api = j->api;
	struct json_object *rep;

	pthread_join(j->th, NULL);
	rep = api_reload_apply(api->st, j->ret, &j->cfg, j->err,
			       sizeof(j->err));
	if (j->conn)
		conn_reply(j->conn, rep);
	else
		json_object_put(rep);
	event_free(j->done);
	close(j->pipe[0]);
	close(j->pipe[1]);
	api->job = NULL;
	free(j);
}

/* Start reading the config for c; NULL when started, else the reply. */
static struct json_object *reload_start(struct conn *c)
{
	struct api *api = c->api;
	struct event_base *base = evconnlistener_get_base(api->lis);
	struct reload_job *j;

	if (!api->st->config_path[0])
		return NULL; /* api_handle says why */
	if (api->job)
		return api_reply_err(XLB_EXIT_FAIL,
				     "a reload is in progress; try again when it is done");
	j = calloc(1, sizeof(*j));
	if (!j)
		return api_reply_err(XLB_EXIT_FAIL, "out of memory");
	j->api = api;
	j->conn = c;
	snprintf(j->path, sizeof(j->path), "%s", api->st->config_path);
	if (pipe2(j->pipe, O_CLOEXEC | O_NONBLOCK)) {
		snprintf(j->err, sizeof(j->err), "cannot reload: %s",
			 strerror(errno));
		free(j);
		return api_reply_err(XLB_EXIT_FAIL, "cannot start a reload");
	}
	j->done = event_new(base, j->pipe[0], EV_READ, reload_done, j);
	if (!j->done || event_add(j->done, NULL) ||
	    pthread_create(&j->th, NULL, reload_thread, j)) {
		if (j->done)
			event_free(j->done);
		close(j->pipe[0]);
		close(j->pipe[1]);
		free(j);
		return api_reply_err(XLB_EXIT_FAIL, "cannot start a reload");
	}
	api->job = j;
	c->job = j;
	return NULL;
}

static bool is_reload(struct json_object *req)
{
	struct json_object *v;

	return json_object_object_get_ex(req, "cmd", &v) &&
	       json_object_is_type(v, json_type_string) &&
	       !strcmp(json_object_get_string(v), "reload");
}

static void conn_read(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct json_object *req, *rep = NULL;
	size_t len;
	char *line;

	line = evbuffer_readln(in, &len, EVBUFFER_EOL_LF);
	if (!line) {
		if (evbuffer_get_length(in) > MAX_REQUEST)
			conn_free(c);
		return;
	}
	/* The request is in: no timeout while it is served. */
	c->waiting = false;
	bufferevent_disable(bev, EV_READ);
	bufferevent_set_timeouts(bev, NULL, NULL);
	req = json_tokener_parse(line);
	free(line);
	if (!req || !json_object_is_type(req, json_type_object))
		rep = api_reply_err(XLB_EXIT_USAGE, "malformed request");
	else if (is_reload(req))
		rep = reload_start(c);
	if (!rep && !c->job)
		rep = api_handle(c->api->st, req);
	json_object_put(req);
	if (rep)
		conn_reply(c, rep);
}

/* ---- accepting ---- */

/* Close the oldest connection still silent; false if there is none. */
static bool evict_silent(struct api *api)
{
	struct conn *c;

	TAILQ_FOREACH(c, &api->conns, link) {
		if (c->waiting) {
			conn_free(c);
			return true;
		}
	}
	return false;
}

static void accept_resume(evutil_socket_t fd, short what, void *arg)
{
	struct api *api = arg;

	if (api->n_conns < API_MAX_CONNS) {
		api->full = false;
		evconnlistener_enable(api->lis);
	}
}

static void accept_cb(struct evconnlistener *lis, evutil_socket_t fd,
		      struct sockaddr *sa, int salen, void *arg)
{
	struct event_base *base = evconnlistener_get_base(lis);
	struct timeval tv = { .tv_sec = API_IO_TIMEOUT_S };
	struct api *api = arg;
	struct conn *c;

	c = calloc(1, sizeof(*c));
	if (c)
		c->bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (!c || !c->bev) {
		free(c);
		close(fd);
		warn_limited(api, "out of memory for a connection");
		return;
	}
	c->api = api;
	c->waiting = true;
	if (api->n_conns >= API_MAX_CONNS && evict_silent(api))
		warn_limited(api, "%d connections open: closed the oldest silent one",
			     API_MAX_CONNS);
	TAILQ_INSERT_TAIL(&api->conns, c, link);
	api->n_conns++;
	bufferevent_setcb(c->bev, conn_read, NULL, conn_event, c);
	bufferevent_set_timeouts(c->bev, &tv, &tv);
	bufferevent_enable(c->bev, EV_READ);
	if (api->n_conns >= API_MAX_CONNS && !api->full) {
		/* every one is being served: new ones wait in the backlog */
		api->full = true;
		evconnlistener_disable(lis);
		warn_limited(api, "%d connections being served; new ones wait",
			     API_MAX_CONNS);
	}
}

/* accept() failed. Out of descriptors or memory: pause (the listening
 * socket stays readable, so retrying at once would spin). */
static void accept_error(struct evconnlistener *lis, void *arg)
{
	struct timeval tv = { 0, API_PAUSE_MS * 1000 };
	struct api *api = arg;
	int err = EVUTIL_SOCKET_ERROR();

	if (err == EMFILE || err == ENFILE || err == ENOBUFS ||
	    err == ENOMEM) {
		evconnlistener_disable(lis);
		api->full = true;
		evtimer_add(api->resume, &tv);
		warn_limited(api, "cannot accept: %s; closed %s, accepting again in %d ms",
			     strerror(err),
			     evict_silent(api) ? "the oldest silent connection" :
						 "no connection",
			     API_PAUSE_MS);
		return;
	}
	warn_limited(api, "cannot accept: %s", strerror(err));
}

struct api *api_start(struct event_base *base, struct lb_state *st,
		      const char *ifname, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct api *api;
	mode_t old;

	api = calloc(1, sizeof(*api));
	if (!api || !(api->resume = evtimer_new(base, accept_resume, api))) {
		snprintf(err, errlen, "out of memory");
		free(api);
		return NULL;
	}
	api->st = st;
	TAILQ_INIT(&api->conns);
	if (mkdir(XLB_RUN_DIR, 0700) && errno != EEXIST) {
		snprintf(err, errlen, "cannot create %s: %s", XLB_RUN_DIR,
			 strerror(errno));
		goto fail;
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
		goto fail;
	}
	evconnlistener_set_error_cb(api->lis, accept_error);
	return api;
fail:
	event_free(api->resume);
	free(api);
	return NULL;
}

void api_stop(struct api *api)
{
	if (!api)
		return;
	if (api->job) {
		/* wait for the parse; its result is dropped */
		pthread_join(api->job->th, NULL);
		if (!api->job->ret)
			config_free(&api->job->cfg);
		event_free(api->job->done);
		close(api->job->pipe[0]);
		close(api->job->pipe[1]);
		free(api->job);
	}
	while (!TAILQ_EMPTY(&api->conns))
		conn_free(TAILQ_FIRST(&api->conns));
	evconnlistener_free(api->lis);
	event_free(api->resume);
	unlink(api->path);
	free(api);
}
