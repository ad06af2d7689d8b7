/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Per-CPU counters: per outcome reason, per service, per back end. */
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
