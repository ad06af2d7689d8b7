/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A fake data plane for the state layer's unit tests: the dp_* functions
 * of ctl/dataplane.h that ctl/state*.c call, over an in-memory model of
 * the maps, linked in place of the real data-plane objects. No root, no
 * kernel. Tests read the model (fake.*) to check what the controller
 * wrote, put flows on back ends, and make the next call of a function
 * fail to check that a rejected change writes nothing.
 */
#ifndef XLB_FAKE_DP_H
#define XLB_FAKE_DP_H

#include <stdbool.h>
#include <linux/types.h>

#include "dataplane.h"
#include "xdp_lb.h"

#define FAKE_MAX_SVC 16
#define FAKE_MAX_BE 64
#define FAKE_MAX_VIPS 64
#define FAKE_MAX_TABLE 1031

struct fake_vip {
	bool used;
	struct lb_addr vip;
	__u16 port;
	__u8 proto;
	__u32 svc_id;
	__u32 flags;
};

/* The maps. Plain arrays, so a copy is a snapshot and memcmp compares. */
struct fake_maps {
	struct fake_vip vips[FAKE_MAX_VIPS];
	bool has_table[FAKE_MAX_SVC];
	__u32 table[FAKE_MAX_SVC][FAKE_MAX_TABLE];
	struct backend_info be[FAKE_MAX_BE];
	__u64 flows[FAKE_MAX_BE]; /* flows pinned to each back end */
	__u64 idle[FAKE_MAX_BE];  /* of those, idle past their timeout */
	struct lb_counters svc_drop[FAKE_MAX_SVC];  /* stats_svc_drop */
	struct lb_counters svc_carry[FAKE_MAX_SVC]; /* stats_svc_carry */
	struct lb_counters be_stats[FAKE_MAX_BE];
	/* stats_reason ([XLB_TX_FORWARDED]: the carry), its FWD_FAILED slot */
	struct reason_counters reasons[XLB_REASON_MAX];
	struct reason_counters fwd_failed;
	struct lb_cfg cfg;
};

extern struct fake_maps fake;

/* An empty data plane of these sizes (at most the FAKE_MAX_* above). */
void fake_dp_init(struct dp *dp, __u32 table_size, __u32 max_flows,
		  __u32 max_services, __u32 max_backends);
/* The nth call (1: the next) of dp function fn from now returns err. */
void fake_fail(const char *fn, unsigned int nth, int err);
/* How many times fn was called since fake_dp_init. */
unsigned int fake_calls(const char *fn);
/* Slots of service svc_id's table that hold back end be_id. */
unsigned int fake_slots(__u32 svc_id, __u32 be_id);
/* The VIP entry for (vip, port, proto), or NULL. */
const struct fake_vip *fake_vip_find(const struct lb_addr *vip, __u16 port,
				     __u8 proto);
/* n flows pinned to back end id (idle: past their timeout). */
void fake_flows_add(__u32 id, __u64 n, bool idle);

#endif
