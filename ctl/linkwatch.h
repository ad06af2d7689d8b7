/* SPDX-License-Identifier: GPL-2.0-only */
/* Link events (rtnetlink) on the controller's loop: see linkwatch.c. */
#ifndef XLB_LINKWATCH_H
#define XLB_LINKWATCH_H

#include <stddef.h>

struct event_base;
struct dp;
struct linkwatch;

/* Follow link events for dp's interfaces; NULL with one line in err. */
struct linkwatch *linkwatch_start(struct event_base *base, struct dp *dp,
				  char *err, size_t errlen);
void linkwatch_stop(struct linkwatch *lw);

#endif
