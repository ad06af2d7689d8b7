/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The operator's HTTP listener (config block http), on libevent's evhttp in
 * the controller's loop:
 *
 *   GET  /                 the web console (ctl/www/index.html, built in)
 *   GET  /metrics          Prometheus text format (metrics.c)
 *   GET  /api/v1/status    what `status --json` prints
 *   GET  /api/v1/events    recent events (events.c), ?since=SEQ
 *   POST /api/v1/action    backend_drain, backend_undrain, backend_weight,
 *                          backend_del, as the CLI sends them; needs
 *                          Authorization: Bearer TOKEN (401 without,
 *                          403 with a wrong one or when no token is set)
 *
 * A change of listener (attach, reload) is prepared first (bind, read the
 * token), so a failure leaves everything as it was; then committed.
 */
#ifndef XLB_HTTP_H
#define XLB_HTTP_H

#include <stddef.h>

struct event_base;
struct lb_state;
struct lb_http_cfg;
struct xlb_http;

struct xlb_http *http_new(struct event_base *base, struct lb_state *st);
void http_free(struct xlb_http *h);
/* Bind cfg's address if it is new, read its token file; one line in err
 * and -errno on failure, nothing changed. */
int http_prepare(struct xlb_http *h, const struct lb_http_cfg *cfg,
		 char *err, size_t errlen);
/* Serve what the last prepare made ready (or stop, if cfg had none). */
void http_commit(struct xlb_http *h);
/* Drop what the last prepare made ready. */
void http_abort(struct xlb_http *h);

/* The console page, built in (www.c). */
extern const char www_index[];
extern const char www_index_end[];

#endif
