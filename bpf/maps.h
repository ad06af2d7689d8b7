/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Every map of the data path. Sizes here are placeholders: the controller
 * sets the real ones with bpf_map__set_max_entries() before load, and pins
 * the maps under /sys/fs/bpf/xdp-lb/IFACE/. Only the controller's dataplane
 * module writes to them from userspace.
 */
#ifndef XLB_MAPS_H
#define XLB_MAPS_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "xdp_lb.h"
#include "xlb_flowtab.h"

/* Inner map of vip_tab4: the IPv4 VIP table, slot -> VIP and its service
 * (include/xdp_lb.h, "The VIP tables"). Its size is set by the controller
 * (xlb_vip_bits(max_services)); built whole, then swapped in. */
struct vip_inner4 {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1u << XLB_DEFAULT_VIP_BITS);
	/* sizes, not BTF types: the controller's template (maps.c) and its
	 * tables have no BTF */
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(struct vip_slot4));
};

/* vip_tab4: [0] -> the current IPv4 VIP table. The controller replaces it
 * with one update, so a packet probes the old or the new table, whole. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1);
	__type(key, __u32);
	__array(values, struct vip_inner4);
} vip_tab4 SEC(".maps");

/* Inner map of vip_tab6: the IPv6 VIP table, as vip_inner4. */
struct vip_inner6 {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1u << XLB_DEFAULT_VIP_BITS);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(struct vip_slot6));
};

/* vip_tab6: [0] -> the current IPv6 VIP table, as vip_tab4. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1);
	__type(key, __u32);
	__array(values, struct vip_inner6);
} vip_tab6 SEC(".maps");

/* Inner map of svc_tables: one service's weighted Maglev table, slot ->
 * back-end id. Built whole by the controller, then swapped in. */
struct svc_table {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XLB_DEFAULT_TABLE_SIZE);
	__type(key, __u32);
	__type(value, __u32);
};

/* svc_tables: service id -> its current table. The controller replaces an
 * entry with one update, so a packet sees the old or the new table, whole. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, XLB_DEFAULT_MAX_SERVICES);
	__type(key, __u32);
	__array(values, struct svc_table);
} svc_tables SEC(".maps");

/* backends: back-end id -> MAC, state and identity. Written by the
 * controller; an id is not reused while flows may still point at it. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XLB_DEFAULT_MAX_BACKENDS);
	__type(key, __u32);
	__type(value, struct backend_info);
} backends SEC(".maps");

/* flows4: the IPv4 flow table, buckets of one cache line of XLB_FT_WAYS
 * flows each (include/xlb_flowtab.h): xlb_ft_buckets(max_flows) of them,
 * set by the controller. Inserted by the data path on a new flow (under
 * the bucket's lock bit), its meta refreshed on hits; read, counted,
 * expired and purged by the controller through the mmap'd array. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, XLB_DEFAULT_MAX_FLOWS / XLB_FT_WAYS);
	__type(key, __u32);
	__type(value, struct xlb_ft_bucket);
} flows4 SEC(".maps");

/* flows6: the IPv6 flow table, laid out and used as flows4 (the same
 * bucket lock bit), the client addresses of bucket b's ways in line b of
 * flows6_keys (include/xlb_flowtab.h). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, XLB_DEFAULT_MAX_FLOWS / XLB_FT_WAYS);
	__type(key, __u32);
	__type(value, struct xlb_ft_bucket);
} flows6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, XLB_DEFAULT_MAX_FLOWS / XLB_FT_WAYS);
	__type(key, __u32);
	__type(value, struct xlb_ft_keys);
} flows6_keys SEC(".maps");

/* stats_svc_drop: per-CPU packets/bytes/new flows per service id, for the
 * service's packets that were dropped before a back end was chosen (no
 * back end, no nat port, ...). Data path, drop paths only: a forwarded
 * packet counts only in stats_backend (counters.h). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XLB_DEFAULT_MAX_SERVICES);
	__type(key, __u32);
	__type(value, struct lb_counters);
} stats_svc_drop SEC(".maps");

/* stats_svc_carry: per service id, the counts its removed back ends had
 * (their stats_backend entries are zeroed when their ids are freed).
 * Written only by the controller; the data path does not use it. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XLB_DEFAULT_MAX_SERVICES);
	__type(key, __u32);
	__type(value, struct lb_counters);
} stats_svc_carry SEC(".maps");

/* stats_backend: per-CPU packets/bytes/new flows per back-end id, for
 * every packet that chose the back end (forwarded, or dropped on the way
 * out: XLB_REASON_FWD_FAILED). Data path; the controller takes (reads and
 * zeroes) an id's entry into stats_svc_carry when it frees the id. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XLB_DEFAULT_MAX_BACKENDS);
	__type(key, __u32);
	__type(value, struct lb_counters);
} stats_backend SEC(".maps");

/* stats_reason: per-CPU packets/bytes per outcome (enum xlb_reason), but
 * not XLB_TX_FORWARDED, the common case: the controller derives it from
 * stats_backend, and its slot holds the controller's carry (counters.h). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XLB_REASON_SLOTS);
	__type(key, __u32);
	__type(value, struct reason_counters);
} stats_reason SEC(".maps");

/* xlb_meta: sizes the maps were made with. Written by the controller at
 * attach, read by `xdp-lb upgrade`; the data path does not use it. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct lb_meta);
} xlb_meta SEC(".maps");

/* xlb_cfg: run-time settings (the flood guard, the tunnel sources, the nat
 * addresses and port range). Written by the controller. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct lb_cfg);
} xlb_cfg SEC(".maps");

/* nat_rev: nat reply (back end, its port, our port) -> the client and VIP
 * it is for. Inserted by the data path with the flow (a free port found
 * with BPF_NOEXIST); deleted by the controller's sweep when the flow goes.
 * Sized with max_flows by the controller. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XLB_DEFAULT_MAX_FLOWS);
	__type(key, struct nat_key);
	__type(value, struct nat_value);
} nat_rev SEC(".maps");

/* nat_next: the offset in the nat port range (xlb_cfg, from the config's
 * nat_ports) where the next port search starts, one per back-end address
 * and port (slot: their hash), shared by all CPUs (atomic add), so the
 * ports of one back end (whatever service or CPU a flow comes from: they
 * share one key space in nat_rev) are handed out in one order. Data path;
 * pinned (a restart goes on where it was). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XLB_NAT_CURSORS);
	__type(key, __u32);
	__type(value, __u32);
} nat_next SEC(".maps");

/* tx_ports: XLB_PORT_EXT, XLB_PORT_INT -> ifindex, for nat redirects.
 * Written by the controller at attach. */
struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u32);
} tx_ports SEC(".maps");

/* flood: per-CPU token bucket of the new-flow flood guard. Data path. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct flood_state);
} flood SEC(".maps");

#endif
