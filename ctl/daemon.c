// SPDX-License-Identifier: GPL-2.0-only
/*
 * The controller's event loop (libevent): the control socket, the health
 * probes (they live on the same loop), a flow-sweep timer that runs each
 * sweep in steps, the load tick and the signals that stop it.
 */
#include "daemon.h"

#include <errno.h>
#include <signal.h>

#include <event2/event.h>

#include "api.h"
#include "cli.h"
#include "config.h"
#include "dataplane.h"
#include "linkwatch.h"
#include "http.h"
#include "log.h"
#include "notify.h"
#include "state.h"

#define TICK_US (STATE_TICK_MS * 1000) /* the load tick (loop lag is measured against it) */

struct loop {
	struct event_base *base;
	struct event *sigint, *sigterm;
	struct event *sweep; /* starts a sweep round */
	struct event *sweep_more; /* runs its next step */
	struct event *tick;
	struct lb_state *st;
};

/* The timer starts a round; each step that leaves work re-activates the
 * step event, so other events (probes, commands) run in between. */
static void on_sweep(evutil_socket_t fd, short what, void *arg)
{
	struct loop *l = arg;

	if (state_sweep_step(l->st))
		event_active(l->sweep_more, EV_TIMEOUT, 0);
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	state_tick(arg);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	pr_info("signal %d: stopping the controller\n", (int)sig);
	notify_stopping();
	event_base_loopbreak(arg);
}

static int loop_events(struct loop *l)
{
	struct timeval tick_tv = { 0, TICK_US };
	struct timeval tv = { .tv_sec = l->st->sweep_interval_s };

	l->sigint = evsignal_new(l->base, SIGINT, on_signal, l->base);
	l->sigterm = evsignal_new(l->base, SIGTERM, on_signal, l->base);
	if (!l->sigint || !l->sigterm || evsignal_add(l->sigint, NULL) ||
	    evsignal_add(l->sigterm, NULL))
		return cli_fail(XLB_EXIT_FAIL, "cannot set up signal handling");
	signal(SIGPIPE, SIG_IGN);
	l->sweep = event_new(l->base, -1, EV_PERSIST, on_sweep, l);
	l->sweep_more = event_new(l->base, -1, 0, on_sweep, l);
	if (!l->sweep || !l->sweep_more || event_add(l->sweep, &tv))
		return cli_fail(XLB_EXIT_FAIL,
				"cannot set up the flow sweep timer");
	l->tick = event_new(l->base, -1, EV_PERSIST, on_tick, l->st);
	if (!l->tick || event_add(l->tick, &tick_tv))
		return cli_fail(XLB_EXIT_FAIL, "cannot set up the load timer");
	return 0;
}

static void loop_free(struct loop *l)
{
	struct event **evs[] = { &l->sigint, &l->sigterm, &l->sweep,
				 &l->sweep_more, &l->tick };
	size_t i;

	for (i = 0; i < sizeof(evs) / sizeof(evs[0]); i++) {
		if (*evs[i])
			event_free(*evs[i]);
		*evs[i] = NULL;
	}
}

int daemon_run(struct dp *dp, const char *cfg_path, const struct lb_config *cfg)
{
	struct loop l = {};
	struct lb_state st;
	struct api *api = NULL;
	struct notify *sd = NULL;
	struct linkwatch *lw;
	char err[512];
	int ret;

	l.base = event_base_new();
	if (!l.base)
		return cli_fail(XLB_EXIT_FAIL, "cannot create the event loop");
	l.st = &st;
	ret = state_init(&st, dp, cfg_path);
	if (ret) {
		event_base_free(l.base);
		return cli_fail(XLB_EXIT_FAIL, "out of memory");
	}
	st.base = l.base; /* health probes run on this loop */
	/* The HTTP listener is bound first: if it cannot be, nothing is
	 * adopted or applied. */
	st.http = http_new(l.base, &st);
	ret = st.http ? http_prepare(st.http, &cfg->http, err, sizeof(err)) :
			(snprintf(err, sizeof(err), "out of memory"), -ENOMEM);
	if (!ret && dp->adopted)
		state_adopt(&st);
	if (!ret)
		ret = state_apply_config(&st, cfg, err, sizeof(err));
	if (ret) {
		http_free(st.http);
		state_free(&st);
		event_base_free(l.base);
		return cli_fail(ret == -EINVAL ? XLB_EXIT_USAGE : XLB_EXIT_FAIL,
				"%s", err);
	}
	http_commit(st.http);
	state_announce_start(&st);
	api = api_start(l.base, &st, dp->ifname, err, sizeof(err));
	if (!api) {
		ret = cli_fail(XLB_EXIT_FAIL, "%s", err);
		goto out;
	}
	ret = loop_events(&l);
	if (ret)
		goto out;
	/* interfaces that go and come back: logged, in status, re-attached */
	lw = linkwatch_start(l.base, dp, err, sizeof(err));
	if (!lw)
		pr_warn("%s: a deleted interface will not be noticed\n", err);
	pr_info("xdp-lb %s on '%s': %zu services, control socket %s/%s.sock\n",
		dp->replaced ? "replaced" :
		dp->adopted  ? "re-adopted" :
			       "attached",
		dp->ifname, st.n_svc, XLB_RUN_DIR, dp->ifname);
	/* attached, configured, answering: READY=1 (under systemd) */
	sd = notify_ready(l.base, &st);
	event_base_dispatch(l.base);
	state_announce_exit(&st);
	ret = XLB_EXIT_OK;
	pr_info("controller stopped; the data path stays attached to '%s' "
		"(xdp-lb detach %s removes it)\n",
		dp->ifname, dp->ifname);
	linkwatch_stop(lw);
out:
	notify_free(sd);
	loop_free(&l);
	api_stop(api);
	http_free(st.http);
	st.http = NULL;
	state_free(&st); /* stops the probes, which live on base */
	event_base_free(l.base);
	return ret;
}
