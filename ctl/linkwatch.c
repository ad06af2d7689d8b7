// SPDX-License-Identifier: GPL-2.0-only
/*
 * A NETLINK_ROUTE socket in the link group, on the controller's event
 * loop: any link appearing, changing or going (or a lost batch of events,
 * ENOBUFS) makes the data plane compare its interfaces' names with the
 * kernel's (dp_links_check), which logs and re-attaches. The messages
 * themselves are not parsed: the names are the truth.
 */
#include "linkwatch.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "dataplane.h"

struct linkwatch {
	int fd;
	struct event *ev;
	struct dp *dp;
};

static void on_events(evutil_socket_t fd, short what, void *arg)
{
	struct linkwatch *lw = arg;
	char buf[8192];
	bool any = false;
	int i;
	ssize_t n;

	/* bounded: a flood of events is read in rounds of the loop */
	for (i = 0; i < 64; i++) {
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == ENOBUFS) { /* events lost: check anyway */
			any = true;
			continue;
		}
		if (n <= 0)
			break;
		any = true;
	}
	if (any)
		dp_links_check(lw->dp);
}

struct linkwatch *linkwatch_start(struct event_base *base, struct dp *dp,
				  char *err, size_t errlen)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK,
				  .nl_groups = RTMGRP_LINK };
	struct linkwatch *lw = calloc(1, sizeof(*lw));

	if (!lw) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	lw->dp = dp;
	lw->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK,
			NETLINK_ROUTE);
	if (lw->fd < 0 || bind(lw->fd, (struct sockaddr *)&sa, sizeof(sa))) {
		snprintf(err, errlen, "cannot follow link events: %s",
			 strerror(errno));
		goto fail;
	}
	lw->ev = event_new(base, lw->fd, EV_READ | EV_PERSIST, on_events, lw);
	if (!lw->ev || event_add(lw->ev, NULL)) {
		snprintf(err, errlen, "cannot follow link events: out of memory");
		goto fail;
	}
	dp_links_check(dp); /* anything that changed before we listened */
	return lw;
fail:
	if (lw->ev)
		event_free(lw->ev);
	if (lw->fd >= 0)
		close(lw->fd);
	free(lw);
	return NULL;
}

void linkwatch_stop(struct linkwatch *lw)
{
	if (!lw)
		return;
	event_free(lw->ev);
	close(lw->fd);
	free(lw);
}
