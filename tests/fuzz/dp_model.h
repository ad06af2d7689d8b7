/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A userspace reference model of the data path's forwarding decision, for
 * the differential fuzzer (tests/prog/test_fuzz_dp.c). Written from the
 * documentation of the forwarding decision (docs/modes.md "What is not
 * balanced", docs/architecture.md "The packet's walk", the comments of
 * include/xdp_lb.h) and from the shared ABI header, not from bpf/: given
 * the maps' configuration and a frame, it says the verdict, the reason and
 * every output byte, and keeps its own flow table, nat mappings and nat
 * cursors as the program's maps would evolve.
 *
 * Outside the model: the flood guard's rate (the fuzzer runs it off, or
 * with a bucket smaller than one flow's cost: every new flow over), LRU
 * eviction (the fuzzer keeps the tables far from full) and the random
 * second round of the nat port search (the fuzzer's range is wide):
 * dpm_run() returns -1 when a frame would need one of them.
 */
#ifndef XLB_DP_MODEL_H
#define XLB_DP_MODEL_H

#include <stdbool.h>
#include <linux/types.h>

#include "xdp_lb.h"

#define DPM_MAX_SVC 16
#define DPM_MAX_BE 16
#define DPM_MAX_VIPS 32
#define DPM_FRAME_MAX 2048

/* One entry of the VIP tables (vip_tab4/vip_tab6). */
struct dpm_vip {
	int family; /* 4 or 6 */
	__u8 addr[16];
	__u16 port; /* host order; 0 with ICMP/ICMPv6: echo */
	__u8 proto;
	struct vip_meta meta;
};

/* What the maps and the rodata hold. */
struct dpm_cfg {
	__u32 table_size, max_services, max_backends;
	struct backend_info be[DPM_MAX_BE];
	__u32 *table[DPM_MAX_SVC]; /* table_size slots; NULL: no entry */
	struct dpm_vip vips[DPM_MAX_VIPS];
	int nvips;
	struct lb_cfg cfg;
	__u8 if_mac[6], int_mac[6];
	bool nat_ifindex; /* nat configured: an internal interface */
	bool tx_port[2];  /* tx_ports[XLB_PORT_EXT / _INT] filled */
};

struct dpm_out {
	int verdict; /* XDP_* */
	__u32 reason; /* enum xlb_reason */
	__u32 flags;  /* forwarded: the service's vip_meta.flags (its mode) */
	__u8 data[DPM_FRAME_MAX];
	__u32 len;
	/* the flow entry this frame pinned or refreshed (flow == true) */
	bool flow;
	int flow_fam; /* 4: key is a flow_key_v4, 6: a flow_key_v6 */
	__u8 flow_key[40];
	__u32 flow_backend;
	__be16 flow_nat_port;
	__u8 flow_state; /* enum flow_state */
};

struct dpm;

struct dpm *dpm_new(void);
void dpm_free(struct dpm *m);
struct dpm_cfg *dpm_cfg(struct dpm *m);
/* No flow, no mapping (the nat cursors stay, as the map's do). */
void dpm_reset_flows(struct dpm *m);
/* One frame, from the external side or (nat) the internal one: 0 with
 * *out filled, or -1 if the model cannot predict it (see above). */
int dpm_run(struct dpm *m, const __u8 *in, __u32 len, bool internal,
	    struct dpm_out *out);

/* Ones'-complement helpers the fuzzer's invariant checks share. */
__u32 dpm_sum(__u32 sum, const __u8 *p, __u32 len);
__u16 dpm_fold(__u32 sum);

#endif
