/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The control socket: one JSON request per connection, one JSON reply.
 * Root-only Unix socket /run/xdp-lb/IFACE.sock.
 */
#ifndef XLB_API_H
#define XLB_API_H

#include <stddef.h>
#include <json-c/json.h>

#define XLB_RUN_DIR "/run/xdp-lb"

struct event_base;
struct lb_state;
struct api;

/* Exit codes shared by the CLI and the replies. */
enum xlb_exit {
	XLB_EXIT_OK = 0,
	XLB_EXIT_FAIL = 1,  /* runtime failure */
	XLB_EXIT_USAGE = 2, /* usage or config error */
};

void api_sock_path(const char *ifname, char *buf, size_t len);
/* true if a controller answers on ifname's socket. */
int api_controller_running(const char *ifname);

struct api *api_start(struct event_base *base, struct lb_state *st,
		      const char *ifname, char *err, size_t errlen);
void api_stop(struct api *api);

/* Client side: send req (consumed), wait for the reply (up to timeout_ms).
 * Returns the reply object or NULL with err set. */
struct json_object *api_call(const char *ifname, struct json_object *req,
			     int timeout_ms, char *err, size_t errlen);

/* Handle one request against the state (exposed for tests). */
struct json_object *api_handle(struct lb_state *st, struct json_object *req);

/* For the server (api_server.c): {"ok": false, "code": .., "error": ..};
 * and the second half of a reload whose file was read off the loop
 * (load_ret and err from config_load_file; cfg is freed). */
struct lb_config;
struct json_object *api_reply_err(int code, const char *msg);
struct json_object *api_reload_apply(struct lb_state *st, int load_ret,
				     struct lb_config *cfg, char *err,
				     size_t errlen);

#endif
