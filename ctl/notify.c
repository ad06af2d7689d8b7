// SPDX-License-Identifier: GPL-2.0-only
/* sd_notify(3) for the controller: readiness, status, watchdog, stopping. */
#include "notify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <systemd/sd-daemon.h>

#include "log.h"
#include "state.h"

#define STATUS_PERIOD_US 1000000 /* how often the summary is compared */

struct notify {
	struct event *watchdog; /* WATCHDOG=1 every period */
	struct event *status;	/* STATUS= when the summary changed */
	struct lb_state *st;
	char last[256];
	bool failed; /* a send failed once: logged, not again */
};

void notify_summary(const struct lb_state *st, char *buf, size_t len)
{
	size_t i, j, n_be = 0, active = 0, down = 0, draining = 0;

	for (i = 0; i < st->n_svc; i++) {
		const struct lb_service *s = st->svc[i];

		for (j = 0; j < s->n_be; j++) {
			const struct lb_backend *b = &s->be[j];

			n_be++;
			if (backend_is_down(b))
				down++;
			else if (backend_effective_weight(b))
				active++;
			else
				draining++;
		}
	}
	snprintf(buf, len,
		 "%s: %zu service%s, %zu back end%s (%zu active, %zu down, %zu draining)",
		 st->dp ? st->dp->ifname : "?", st->n_svc,
		 st->n_svc == 1 ? "" : "s", n_be, n_be == 1 ? "" : "s", active,
		 down, draining);
}

static void send_msg(struct notify *n, const char *msg)
{
	int ret = sd_notify(0, msg);

	if (ret < 0 && (!n || !n->failed)) {
		pr_warn("cannot notify the service manager (%.*s): %s\n",
			(int)strcspn(msg, "\n"), msg, strerror(-ret));
		if (n)
			n->failed = true;
	}
}

uint64_t notify_watchdog_period_us(void)
{
	uint64_t usec = 0;

	/* > 0: WATCHDOG_USEC is set (and WATCHDOG_PID, if set, is us) */
	if (sd_watchdog_enabled(0, &usec) <= 0)
		return 0;
	return usec / 2 ? usec / 2 : 1;
}

static void on_watchdog(evutil_socket_t fd, short what, void *arg)
{
	send_msg(arg, "WATCHDOG=1");
}

static void on_status(evutil_socket_t fd, short what, void *arg)
{
	struct notify *n = arg;
	char now[sizeof(n->last)], msg[sizeof(n->last) + 8];

	notify_summary(n->st, now, sizeof(now));
	if (!strcmp(now, n->last))
		return;
	memcpy(n->last, now, sizeof(now));
	snprintf(msg, sizeof(msg), "STATUS=%s", now);
	send_msg(n, msg);
}

static struct event *timer(struct event_base *base, uint64_t us,
			   event_callback_fn fn, void *arg)
{
	struct timeval tv = { .tv_sec = us / 1000000, .tv_usec = us % 1000000 };
	struct event *ev = event_new(base, -1, EV_PERSIST, fn, arg);

	if (ev && event_add(ev, &tv)) {
		event_free(ev);
		ev = NULL;
	}
	return ev;
}

struct notify *notify_ready(struct event_base *base, struct lb_state *st)
{
	uint64_t wd = notify_watchdog_period_us();
	char msg[sizeof(((struct notify *)0)->last) + 32];
	struct notify *n;

	if (!getenv("NOTIFY_SOCKET"))
		return NULL;
	n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	n->st = st;
	n->status = timer(base, STATUS_PERIOD_US, on_status, n);
	if (wd)
		n->watchdog = timer(base, wd, on_watchdog, n);
	if (!n->status || (wd && !n->watchdog)) {
		pr_warn("cannot set up the service manager's timers\n");
		notify_free(n);
		return NULL;
	}
	notify_summary(st, n->last, sizeof(n->last));
	snprintf(msg, sizeof(msg), "READY=1\nSTATUS=%s", n->last);
	send_msg(n, msg);
	if (wd)
		pr_info("watchdog: pinging the service manager every %llu ms\n",
			(unsigned long long)(wd / 1000));
	return n;
}

void notify_stopping(void)
{
	send_msg(NULL, "STOPPING=1\nSTATUS=stopping");
}

void notify_free(struct notify *n)
{
	if (!n)
		return;
	if (n->watchdog)
		event_free(n->watchdog);
	if (n->status)
		event_free(n->status);
	free(n);
}
