// SPDX-License-Identifier: GPL-2.0-only
/* The operator's HTTP listener: metrics, console, JSON API (http.h). */
#include "http.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "api.h"
#include "config.h"
#include "events.h"
#include "log.h"
#include "metrics.h"
#include "state.h"

#define TOKEN_MAX 256
#define BODY_MAX 4096

struct xlb_http {
	struct event_base *base;
	struct lb_state *st;
	struct evhttp *http;
	struct evhttp_bound_socket *sock; /* NULL: not listening */
	struct lb_http_cfg cur;
	char token[TOKEN_MAX]; /* "": actions refused */
	/* made ready by http_prepare */
	bool pending;
	struct lb_http_cfg next;
	int next_fd; /* a new socket, or -1: keep the current one */
	char next_token[TOKEN_MAX];
};

/* ---- replies ---- */

static void headers(struct evhttp_request *req, const char *type)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);

	evhttp_add_header(h, "Content-Type", type);
	evhttp_add_header(h, "Cache-Control", "no-store");
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
}

static void reply_json(struct evhttp_request *req, int code,
		       const char *reason, struct json_object *o)
{
	struct evbuffer *b = evbuffer_new();
	const char *s = json_object_to_json_string_ext(
		o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);

	headers(req, "application/json");
	if (b) {
		evbuffer_add(b, s, strlen(s));
		evbuffer_add(b, "\n", 1);
	}
	evhttp_send_reply(req, code, reason, b);
	if (b)
		evbuffer_free(b);
	json_object_put(o);
}

static void reply_error(struct evhttp_request *req, int code,
			const char *reason, const char *msg)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "ok", json_object_new_boolean(0));
	json_object_object_add(o, "error", json_object_new_string(msg));
	if (code == 401)
		evhttp_add_header(evhttp_request_get_output_headers(req),
				  "WWW-Authenticate", "Bearer");
	reply_json(req, code, reason, o);
}

/* ---- GET ---- */

static void get_metrics(struct xlb_http *h, struct evhttp_request *req)
{
	struct json_object *st = state_status_build(h->st, false);
	struct evbuffer *b = evbuffer_new();

	if (!b) {
		json_object_put(st);
		evhttp_send_error(req, 500, "out of memory");
		return;
	}
	metrics_write(b, st);
	json_object_put(st);
	headers(req, "text/plain; version=0.0.4; charset=utf-8");
	evhttp_send_reply(req, 200, "OK", b);
	evbuffer_free(b);
}

static void get_page(struct evhttp_request *req)
{
	struct evbuffer *b = evbuffer_new();

	if (!b) {
		evhttp_send_error(req, 500, "out of memory");
		return;
	}
	evbuffer_add_reference(b, www_index, www_index_end - www_index, NULL,
			       NULL);
	headers(req, "text/html; charset=utf-8");
	evhttp_add_header(evhttp_request_get_output_headers(req),
			  "Content-Security-Policy",
			  "default-src 'self'; script-src 'self' 'unsafe-inline'; "
			  "style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
			  "frame-ancestors 'none'");
	evhttp_send_reply(req, 200, "OK", b);
	evbuffer_free(b);
}

static void get_events(struct evhttp_request *req)
{
	struct evkeyvalq q;
	const char *since;
	__u64 n = 0;

	if (!evhttp_parse_query_str(
		    evhttp_uri_get_query(evhttp_request_get_evhttp_uri(req)) ?:
			    "",
		    &q)) {
		since = evhttp_find_header(&q, "since");
		if (since)
			n = strtoull(since, NULL, 10);
		evhttp_clear_headers(&q);
	}
	reply_json(req, 200, "OK", events_json(n));
}

/* ---- POST /api/v1/action ---- */

/* Equal without an early exit on the first difference. */
static bool token_equal(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i;
	unsigned char d = la != lb;

	for (i = 0; i < la; i++)
		d |= (unsigned char)a[i] ^ (unsigned char)b[i % (lb ? lb : 1)];
	return !d;
}

/* 0 when the request carries the token; otherwise the status sent. */
static int authorize(struct xlb_http *h, struct evhttp_request *req)
{
	const char *auth = evhttp_find_header(
		evhttp_request_get_input_headers(req), "Authorization");

	if (!auth || strncmp(auth, "Bearer ", 7)) {
		reply_error(req, 401, "Unauthorized",
			    "actions need Authorization: Bearer TOKEN");
		return 401;
	}
	if (!h->token[0]) {
		reply_error(req, 403, "Forbidden",
			    "actions are off: no http.token_file configured");
		return 403;
	}
	if (!token_equal(auth + 7, h->token)) {
		reply_error(req, 403, "Forbidden", "wrong token");
		return 403;
	}
	return 0;
}

static bool action_allowed(const char *cmd)
{
	static const char *const ok[] = { "backend_drain", "backend_undrain",
					  "backend_weight", "backend_del" };
	size_t i;

	for (i = 0; cmd && i < sizeof(ok) / sizeof(ok[0]); i++)
		if (!strcmp(cmd, ok[i]))
			return true;
	return false;
}

/* "ADDR:PORT" of the client, for the log. */
static const char *peer(struct evhttp_request *req)
{
	struct evhttp_connection *c = evhttp_request_get_connection(req);
	static char buf[80];
	char *addr = NULL;
	ev_uint16_t port = 0;

	if (c)
		evhttp_connection_get_peer(c, &addr, &port);
	snprintf(buf, sizeof(buf), "%s:%u", addr ? addr : "?", port);
	return buf;
}

static void post_action(struct xlb_http *h, struct evhttp_request *req)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	const char *type = evhttp_find_header(
		evhttp_request_get_input_headers(req), "Content-Type");
	struct json_object *o, *rep, *c;
	size_t len = evbuffer_get_length(in);
	char body[BODY_MAX + 1];
	int code;

	code = authorize(h, req);
	if (code) {
		pr_warn("http: action from %s refused (%d)\n", peer(req), code);
		return;
	}
	if (!type || strncmp(type, "application/json", 16))
		return reply_error(req, 415, "Unsupported Media Type",
				   "send Content-Type: application/json");
	if (len > BODY_MAX)
		return reply_error(req, 413, "Too Large", "request too large");
	evbuffer_copyout(in, body, len);
	body[len] = '\0';
	o = json_tokener_parse(body);
	if (!o || !json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, "cmd", &c) ||
	    !action_allowed(json_object_get_string(c))) {
		json_object_put(o);
		return reply_error(req, 400, "Bad Request",
				   "expected {\"cmd\": backend_drain|backend_undrain|backend_weight|backend_del, \"service\", \"addr\"[, \"weight\"]}");
	}
	rep = api_handle(h->st, o); /* what the CLI's commands run */
	code = 200;
	if (json_object_object_get_ex(rep, "code", &c))
		code = json_object_get_int(c) == XLB_EXIT_USAGE ? 400 : 409;
	pr_info("http: %s from %s: %s\n",
		json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN),
		peer(req), code == 200 ? "done" :
		json_object_get_string(json_object_object_get(rep, "error")));
	json_object_put(o);
	reply_json(req, code, code == 200 ? "OK" : code == 400 ? "Bad Request" :
		   "Conflict", rep);
}

static void on_request(struct evhttp_request *req, void *arg)
{
	struct xlb_http *h = arg;
	const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);

	if (!path)
		path = "/";
	if (!strcmp(path, "/api/v1/action")) {
		if (cmd != EVHTTP_REQ_POST)
			return reply_error(req, 405, "Method Not Allowed",
					   "POST only");
		return post_action(h, req);
	}
	if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD)
		return reply_error(req, 405, "Method Not Allowed", "GET only");
	if (!strcmp(path, "/metrics"))
		get_metrics(h, req);
	else if (!strcmp(path, "/") || !strcmp(path, "/index.html"))
		get_page(req);
	else if (!strcmp(path, "/api/v1/status")) {
		struct json_object *o = state_status_json(h->st, false);

		reply_json(req, 200, "OK", o);
	} else if (!strcmp(path, "/api/v1/events"))
		get_events(req);
	else
		reply_error(req, 404, "Not Found", "no such page");
}

/* ---- the listener ---- */

static int listen_on(const struct lb_http_cfg *c, char *err, size_t errlen)
{
	struct sockaddr_storage ss = {};
	char ab[LB_ADDRSTRLEN];
	socklen_t len;
	int fd, one = 1;

	lb_addr_str(&c->addr, ab, sizeof(ab));
	if (c->addr.family == AF_INET) {
		struct sockaddr_in *s = (void *)&ss;

		s->sin_family = AF_INET;
		s->sin_port = htons(c->port);
		memcpy(&s->sin_addr, c->addr.b, 4);
		len = sizeof(*s);
	} else {
		struct sockaddr_in6 *s = (void *)&ss;

		s->sin6_family = AF_INET6;
		s->sin6_port = htons(c->port);
		memcpy(&s->sin6_addr, c->addr.b, 16);
		len = sizeof(*s);
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&ss, len) || listen(fd, 64)) {
		int e = errno;

		if (fd >= 0)
			close(fd);
		snprintf(err, errlen, "http.listen %s%s%s:%u: cannot listen: %s",
			 c->addr.family == AF_INET6 ? "[" : "", ab,
			 c->addr.family == AF_INET6 ? "]" : "", c->port,
			 strerror(e));
		return -e;
	}
	return fd;
}

/* The token: the file's first line, without surrounding blanks. */
static int read_token(const char *path, char *tok, size_t len, char *err,
		      size_t errlen)
{
	char buf[TOKEN_MAX + 2], *p, *e;
	FILE *f;

	tok[0] = '\0';
	if (!path[0])
		return 0;
	f = fopen(path, "re");
	if (!f) {
		snprintf(err, errlen, "http.token_file %s: cannot read: %s",
			 path, strerror(errno));
		return -errno;
	}
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	for (p = buf; *p == ' ' || *p == '\t'; p++)
		;
	e = p + strlen(p);
	while (e > p && strchr(" \t\r\n", e[-1]))
		e--;
	*e = '\0';
	if (!*p || strlen(p) >= len || strpbrk(p, " \t")) {
		snprintf(err, errlen,
			 "http.token_file %s: the first line must be a token of 1..%zu characters without blanks",
			 path, len - 1);
		return -EINVAL;
	}
	snprintf(tok, len, "%s", p);
	return 0;
}

static bool same_listen(const struct lb_http_cfg *a,
			const struct lb_http_cfg *b)
{
	return a->enabled == b->enabled &&
	       (!a->enabled || (a->port == b->port &&
				!lb_addr_cmp(&a->addr, &b->addr)));
}

struct xlb_http *http_new(struct event_base *base, struct lb_state *st)
{
	struct xlb_http *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	h->base = base;
	h->st = st;
	h->next_fd = -1;
	h->http = evhttp_new(base);
	if (!h->http) {
		free(h);
		return NULL;
	}
	evhttp_set_gencb(h->http, on_request, h);
	evhttp_set_allowed_methods(h->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD |
						    EVHTTP_REQ_POST);
	evhttp_set_max_body_size(h->http, BODY_MAX);
	evhttp_set_max_headers_size(h->http, 16384);
	evhttp_set_timeout(h->http, 10);
	return h;
}

void http_abort(struct xlb_http *h)
{
	if (!h || !h->pending)
		return;
	if (h->next_fd >= 0)
		close(h->next_fd);
	h->next_fd = -1;
	h->pending = false;
}

int http_prepare(struct xlb_http *h, const struct lb_http_cfg *cfg,
		 char *err, size_t errlen)
{
	int ret;

	http_abort(h);
	h->next = *cfg;
	ret = read_token(cfg->token_file, h->next_token, sizeof(h->next_token),
			 err, errlen);
	if (ret)
		return ret;
	if (cfg->enabled && (!same_listen(cfg, &h->cur) || !h->sock)) {
		h->next_fd = listen_on(cfg, err, errlen);
		if (h->next_fd < 0) {
			ret = h->next_fd;
			h->next_fd = -1;
			return ret;
		}
	}
	h->pending = true;
	return 0;
}

void http_commit(struct xlb_http *h)
{
	char ab[LB_ADDRSTRLEN];

	if (!h || !h->pending)
		return;
	if (h->sock && (h->next_fd >= 0 || !h->next.enabled)) {
		evhttp_del_accept_socket(h->http, h->sock);
		h->sock = NULL;
		pr_info("http: stopped listening\n");
	}
	if (h->next_fd >= 0) {
		h->sock = evhttp_accept_socket_with_handle(h->http, h->next_fd);
		if (!h->sock)
			close(h->next_fd);
		else
			pr_info("http: listening on %s%s%s:%u (/metrics, console at /, actions %s)\n",
				h->next.addr.family == AF_INET6 ? "[" : "",
				lb_addr_str(&h->next.addr, ab, sizeof(ab)),
				h->next.addr.family == AF_INET6 ? "]" : "",
				h->next.port,
				h->next_token[0] ? "with the token" : "off");
	}
	h->next_fd = -1;
	h->cur = h->next;
	memcpy(h->token, h->next_token, sizeof(h->token));
	h->pending = false;
}

void http_free(struct xlb_http *h)
{
	if (!h)
		return;
	http_abort(h);
	evhttp_free(h->http); /* closes the bound sockets */
	free(h);
}
