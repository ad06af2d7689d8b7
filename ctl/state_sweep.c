// SPDX-License-Identifier: GPL-2.0-only
/*
 * Flow sweeps (idle flows expired, live flows counted per back end), in
 * one go or in bounded steps from the timer; the nat orphan scan between
 * rounds; and removals whose back end has drained.
 */
#include <string.h>

#include "events.h"
#include "log.h"
#include "state_int.h"

#define SWEEP_STEP_BATCHES 8 /* 32768 flows, about 10 ms, per loop turn */
/* nat orphan scan: 8192 mappings (one flow lookup each) per loop turn,
 * every nat_scan_interval (a deleted flow releases its mapping at once;
 * the scan is for flows evicted from the LRU table) */
#define NAT_SCAN_BATCHES 2

/* Removals whose back end has no live flow left, or ran out of time. */
static void finish_removals(struct lb_state *st, __u64 now)
{
	char ab[LB_ADDRSTRLEN];
	size_t i, j;

	for (i = 0; i < st->n_svc; i++) {
		struct lb_service *s = st->svc[i];

		for (j = 0; j < s->n_be;) {
			struct lb_backend *b = &s->be[j];
			bool late = now - b->removing_since >
				    (__u64)st->drain_timeout_s * 1000000000ull;

			if (!b->removing || (st->counts[b->id] && !late)) {
				j++;
				continue;
			}
			pr_info("service %s: back end %s removed (%s)\n",
				s->name, lb_addr_str(&b->addr, ab, sizeof(ab)),
				late ? "drain timeout" : "drained");
			events_add("remove", s->name, ab, "removed (%s)",
				  late ? "drain timeout" : "drained");
			backend_remove_now(st, s, b);
		}
	}
}

void state_sweep(struct lb_state *st)
{
	__u64 now = now_ns(), took;
	long n;

	n = dp_flows_sweep(st->dp, &st->timeouts, now, st->counts);
	took = now_ns() - now;
	st->counts_at = now + took;
	st->table_flows = st->dp->sweep_seen;
	st->table_flows6 = st->dp->sweep_seen6;
	st->sweep_last_us = took / 1000;
	if (st->sweep_last_us > st->sweep_max_us)
		st->sweep_max_us = st->sweep_last_us;
	if (n < 0) {
		pr_warn("flow sweep failed: %s\n", strerror(-n));
		return;
	}
	if (n > 0) {
		st->expired_total += n;
		pr_debug("flow sweep: %ld idle flows expired\n", n);
	}
	finish_removals(st, now);
}

/* A step that began at t0 ended: the longest one is the loop's stall. */
static void step_took(struct lb_state *st, __u64 t0)
{
	__u64 us = (now_ns() - t0) / 1000;

	if (us > st->step_max_us)
		st->step_max_us = us;
}

/* Start the orphan scan if one is due; true if it runs. */
static bool nat_scan_due(struct lb_state *st)
{
	__u64 now = now_ns();

	if (!st->dp->int_ifindex ||
	    (st->nat_scan_start &&
	     now - st->nat_scan_start <
		     (__u64)st->nat_scan_interval_s * 1000000000ull))
		return false;
	dp_nat_scan_begin(&st->nat_cur);
	st->nat_scan_start = now;
	st->nat_scanning = true;
	return true;
}

/* One step of the orphan scan; true while there is more. */
static bool nat_scan_step(struct lb_state *st)
{
	__u64 t0 = now_ns();
	long n;

	n = dp_nat_scan_step(st->dp, &st->nat_cur, NAT_SCAN_BATCHES);
	if (n > 0)
		st->nat_orphans += n;
	else if (n < 0)
		pr_warn("nat mapping scan failed: %s\n", strerror(-n));
	step_took(st, t0);
	if (!st->nat_cur.done)
		return true;
	st->nat_scanning = false;
	if (n >= 0)
		st->nat_mappings = st->nat_cur.kept;
	st->nat_scan_us = (now_ns() - st->nat_scan_start) / 1000;
	return false;
}

bool state_sweep_step(struct lb_state *st)
{
	__u64 t0 = now_ns();
	long n;

	if (st->nat_scanning)
		return nat_scan_step(st);
	if (!st->stepping) {
		dp_sweep_begin(&st->step_cur);
		memset(st->step_counts, 0,
		       sizeof(*st->step_counts) * st->dp->max_backends);
		st->step_start = t0;
		st->stepping = true;
	}
	n = dp_flows_sweep_step(st->dp, &st->step_cur, &st->timeouts,
				st->step_start, st->step_counts,
				SWEEP_STEP_BATCHES);
	if (n > 0)
		st->expired_total += n;
	else if (n < 0)
		pr_warn("flow sweep failed: %s\n", strerror(-n));
	step_took(st, t0);
	if (!st->step_cur.done)
		return true;
	st->stepping = false;
	if (n >= 0) {
		memcpy(st->counts, st->step_counts,
		       sizeof(*st->counts) * st->dp->max_backends);
		st->counts_at = now_ns();
		st->table_flows = st->step_cur.seen;
		st->table_flows6 = st->step_cur.seen6;
		st->step_round_us = (st->counts_at - st->step_start) / 1000;
		finish_removals(st, now_ns());
	}
	return nat_scan_due(st);
}
