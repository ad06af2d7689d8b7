/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Per-CPU counters. A forwarded packet costs one write: its back end's
 * entry in stats_backend (packets, bytes, new flows). The controller
 * derives the rest (ctl/counters.c): a service's figures are the sum of
 * its back ends', plus its drops (stats_svc_drop, written only on drop
 * paths) and the carry of its removed back ends (stats_svc_carry); the
 * tx_forwarded reason is the sum of stats_backend less the other reasons a
 * packet with a back end can have, which keep their stats_reason writes
 * on their (rare) paths. Every other outcome counts in stats_reason.
 */
#ifndef XLB_COUNTERS_H
#define XLB_COUNTERS_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "xdp_lb.h"
#include "maps.h"

static __always_inline void count_reason(__u32 reason, __u64 bytes)
{
	struct reason_counters *rc;

	rc = bpf_map_lookup_elem(&stats_reason, &reason);
	if (rc) {
		rc->packets++;
		rc->bytes += bytes;
	}
}

static __always_inline void count_lb(void *map, __u32 id, __u64 bytes,
				     bool new_flow)
{
	struct lb_counters *c;

	c = bpf_map_lookup_elem(map, &id);
	if (c) {
		c->packets++;
		c->bytes += bytes;
		c->new_flows += new_flow;
	}
}

#endif
