/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Back-end health probes (tcp connect, http status, HAProxy agent-check)
 * on the controller's event loop, and the rise/fall state machine they
 * feed.
 */
#ifndef XLB_HEALTH_H
#define XLB_HEALTH_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "addr.h"
#include "config_defaults.h" /* HEALTH_DEFAULT_* */

struct event_base;

enum health_type { HEALTH_NONE = 0, HEALTH_TCP, HEALTH_HTTP, HEALTH_AGENT };

struct health_cfg {
	enum health_type type;
	__u16 port; /* probe port (host order) */
	char path[128]; /* http: request path, default "/" */
	__u16 expect_status; /* http: expected status code, default 200 */
	__u32 interval_ms; /* default 1000 */
	__u32 timeout_ms; /* default 1000, at most interval_ms */
	__u32 rise; /* successes in a row to go up, default 2 */
	__u32 fall; /* failures in a row to go down, default 3 */
	__u32 mark; /* SO_MARK of the probe socket, 0: none (not from the
		     * config: tunnel-mode probes, see XLB_PROBE_MARK) */
};

/* type tcp, port 0 (the caller sets the service port), defaults above. */
void health_cfg_defaults(struct health_cfg *c);

/*
 * The rise/fall state machine: down after `fall` failures in a row, up
 * after `rise` successes in a row; any other result resets the run. A
 * rise or fall of 0 acts as 1. changes counts the flips.
 */
struct health_sm {
	bool up;
	__u32 ok_run;
	__u32 fail_run;
	__u64 changes;
};

void health_sm_init(struct health_sm *sm, bool up);
/* Feed one probe result; returns true when up/down flipped. */
bool health_sm_feed(struct health_sm *sm, bool ok, __u32 rise, __u32 fall);

/*
 * One back end's probe loop on base: every interval_ms (start to start) one
 * probe with a hard timeout of timeout_ms, never blocking the loop; the
 * first probe comes at an offset in [0, interval_ms) spread over the back
 * ends started, so many back ends do not probe in one burst.
 *
 * cb is called after every probe, never from health_probe_start(); ok is
 * the probe's result, changed is true when it flipped the state, up is the
 * state after it, detail a short reason: "ok", "ok, http status 200",
 * "connect: Connection refused", "timeout after 1000 ms", "http status 503",
 * "not an HTTP status line", "closed before a status line",
 * "agent: 75% up", "agent: bad reply: unknown word 'x'".
 *
 * agent: connect, read one line (the agent speaks first), parse it (see
 * agent.h); the probe succeeds when the reply parses and its state is not
 * down. health_probe_agent() then returns the last good reply.
 *
 * health_probe_start() returns NULL on allocation failure, a type other
 * than tcp/http/agent, an address family other than AF_INET/AF_INET6, or no cb.
 * A zero interval, timeout, path or expect_status takes its default; a
 * timeout longer than the interval is cut to the interval.
 *
 * health_probe_stop() ends the loop, closes a running probe and frees p;
 * it may be called from anywhere on the loop's thread, including from
 * inside p's own cb (p is then freed when cb returns; cb must not use p
 * after stopping it). Not thread-safe: one event loop.
 */
/*
 * One probe's result, kept in a short history per probe (status shows it,
 * and the results that flipped a back end's state). Times are
 * CLOCK_MONOTONIC ns, except end_wall_ms (CLOCK_REALTIME, ms since the
 * epoch). late_ms: how much later than planned the probe started (event
 * loop lag).
 */
#define HEALTH_HISTORY 8
#define HEALTH_DETAIL_LEN 96
struct health_result {
	__u64 start_ns;
	__u64 end_ns;
	__s64 end_wall_ms;
	__u32 late_ms;
	bool ok;
	char detail[HEALTH_DETAIL_LEN];
};

struct health_probe;
typedef void (*health_cb)(void *arg, bool ok, bool changed, bool up,
			  const char *detail);

struct health_probe *health_probe_start(struct event_base *base,
					const struct lb_addr *addr,
					const struct health_cfg *cfg,
					bool initially_up, health_cb cb,
					void *arg);
void health_probe_stop(struct health_probe *p);
const struct health_sm *health_probe_sm(const struct health_probe *p);
struct agent_reply;
/* agent: the last reply that parsed, or NULL (none yet, or another type). */
const struct agent_reply *health_probe_agent(const struct health_probe *p);
/* The last results, oldest first, at most max (and HEALTH_HISTORY); the
 * newest is the one the current cb reports. Returns how many. */
size_t health_probe_history(const struct health_probe *p,
			    struct health_result *out, size_t max);

#endif
