/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The service manager's readiness protocol (sd_notify(3), libsystemd):
 * READY=1 once the program is attached and the config applied, STATUS=
 * with a one-line summary, WATCHDOG=1 from the event loop when systemd
 * asks for it (WATCHDOG_USEC) and STOPPING=1 on SIGTERM. Every call is a
 * no-op when NOTIFY_SOCKET is not set (not started by systemd).
 */
#ifndef XLB_NOTIFY_H
#define XLB_NOTIFY_H

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct lb_state;
struct notify;

/* "eth1: 2 services, 6 back ends (5 active, 1 down, 0 draining)" */
void notify_summary(const struct lb_state *st, char *buf, size_t len);
/* Half of WATCHDOG_USEC (the ping period), 0 if systemd asks for none. */
uint64_t notify_watchdog_period_us(void);
/*
 * Send READY=1 with the summary and start the loop's timers: the watchdog
 * ping and a STATUS= update whenever the summary changes. NULL (and
 * nothing sent) without NOTIFY_SOCKET or if a timer cannot be set up.
 */
struct notify *notify_ready(struct event_base *base, struct lb_state *st);
/* STOPPING=1: the controller is about to exit. */
void notify_stopping(void);
void notify_free(struct notify *n);

#endif
