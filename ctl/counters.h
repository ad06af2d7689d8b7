/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The packet counters the product shows, derived from what the data path
 * counts (bpf/counters.h). A forwarded packet counts only in its back
 * end's stats_backend entry; so:
 *   service = stats_svc_drop[svc] + stats_svc_carry[svc]
 *             + the sum of stats_backend over the service's back ends
 *   tx_forwarded = stats_reason[XLB_TX_FORWARDED] (the carry)
 *             + the sum of stats_backend over every back end
 *             - the other reasons of a packet with a back end
 *               (tx_icmp_error, tx_unpinned, redirect_nat, and the
 *               XLB_REASON_FWD_FAILED slot)
 * When the controller frees a back-end id it takes the entry (reads and
 * zeroes it) and adds it to both carries (xlb_carry), so neither figure
 * loses or moves a packet when a back end goes or its id is reused. The
 * carries are in pinned maps: they survive a controller restart.
 * Pure functions, unit-tested (tests/unit/test_counters.c).
 */
#ifndef XLB_COUNTERS_H
#define XLB_COUNTERS_H

#include <stddef.h>
#include <linux/types.h>

#include "xdp_lb.h"

void xlb_counters_add(struct lb_counters *a, const struct lb_counters *b);

/* A service's figures: its drops, its carry and its back ends' entries. */
void xlb_svc_total(struct lb_counters *out, const struct lb_counters *drop,
		   const struct lb_counters *carry,
		   const struct lb_counters *be, size_t n_be);

/* Add a taken back-end entry c to its service's carry (NULL: its service
 * is gone) and to the forwarded carry (stats_reason[XLB_TX_FORWARDED]). */
void xlb_carry(struct lb_counters *svc_carry, struct reason_counters *fwd_carry,
	       const struct lb_counters *c);

/* rc: the stats_reason slots 0..XLB_REASON_MAX-1 as read (rc[0] the
 * carry), failed: the XLB_REASON_FWD_FAILED slot, be: the sum of
 * stats_backend over every back end. Sets rc[XLB_TX_FORWARDED] to
 * tx_forwarded (never below 0: a packet counted between a take's read and
 * its zeroing would be lost, see dp_stats_backend_take). */
void xlb_reasons_derive(struct reason_counters rc[XLB_REASON_MAX],
			const struct reason_counters *failed,
			const struct lb_counters *be);

#endif
