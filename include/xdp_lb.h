/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Structures shared by the XDP program (bpf/) and the controller (ctl/).
 * Only fixed-width types; every struct has a size assertion so that padding
 * drift between the two compilers is caught at build time.
 */
#ifndef XDP_LB_H
#define XDP_LB_H

#ifdef __bpf__
/* BPF side: types come from vmlinux.h, included before this header. */
#else
#include <linux/types.h>
#endif

#define XLB_PIN_ROOT "/sys/fs/bpf/xdp-lb"

/* Defaults; all of them can be changed at load time from the config. */
#define XLB_DEFAULT_TABLE_SIZE 65537
#define XLB_DEFAULT_MAX_FLOWS (1u << 20)
#define XLB_DEFAULT_MAX_SERVICES 64
#define XLB_DEFAULT_MAX_BACKENDS 4096
/* nat: port-search cursors, one per hash slot of back-end address:port */
#define XLB_NAT_CURSORS 4096

/* Value stored in a service table slot that has no back end. */
#define XLB_NO_BACKEND 0xffffffffu

/* Seed of the flow hash; fixed so that two nodes with the same config
 * pick the same back end for the same flow. */
#define XLB_HASH_SEED 0x9e3779b9u

/*
 * The VIP tables: vip_tab4 and vip_tab6 each hold one inner array of
 * 2^xlb_vip_bits(max_services) slots (include/xlb_hash.h), open-addressed:
 * a key lives within XLB_VIP_PROBES slots of its home slot, probed in
 * order (linear probing, wrapping); the probe stops at the key (compared
 * in full) or at an empty slot. The controller builds a whole new table
 * on every change and swaps it in with one update of the outer map, so a
 * packet sees the old or the new table, never a half-built one, and no
 * slot is ever deleted in place (no tombstones).
 */
#define XLB_VIP_PROBES 16
#define XLB_VIP_SLOTS_PER_SVC 8
#define XLB_DEFAULT_VIP_BITS 9 /* xlb_vip_bits(XLB_DEFAULT_MAX_SERVICES) */

/* The key a VIP is known by: address, port and protocol (also the key
 * the bench prototype's hash map uses). */
struct vip_key_v4 {
	__be32 addr;
	__be16 port;
	__u8 proto; /* IPPROTO_TCP or IPPROTO_UDP */
	__u8 pad;
};
_Static_assert(sizeof(struct vip_key_v4) == 8, "vip_key_v4 size");

/* The same for IPv6. */
struct vip_key_v6 {
	__be32 addr[4];
	__be16 port;
	__u8 proto;
	__u8 pad;
};
_Static_assert(sizeof(struct vip_key_v6) == 20, "vip_key_v6 size");

/* What a VIP slot says: which service a VIP belongs to. */
struct vip_meta {
	__u32 svc_id; /* index into svc_tables and the stats_svc_* maps */
	__u32 flags;  /* XLB_VIP_F_* and the persistence prefix */
};

/* A slot of vip_tab4's table. */
struct vip_slot4 {
	__u64 key; /* xlb_vip_key4(addr, port, proto); 0: empty */
	struct vip_meta meta;
};
_Static_assert(sizeof(struct vip_slot4) == 16, "vip_slot4 size");

/* A slot of vip_tab6's table. */
struct vip_slot6 {
	__be32 addr[4];
	__u32 pp; /* xlb_vip_pp6(port, proto); 0: empty */
	struct vip_meta meta;
	__u32 pad;
};
_Static_assert(sizeof(struct vip_slot6) == 32, "vip_slot6 size");

/* vip_meta.flags: a new flow's slot comes from the client address masked
 * to the prefix length in bits 8..15, not from the whole flow, so every
 * connection of a client goes to one back end. */
#define XLB_VIP_F_SRC_IP (1u << 0)
/* vip_meta.flags: forward in an IP-in-IP tunnel to the back end's address
 * (via the next hop's MAC in backend_info.mac), not by DSR. */
#define XLB_VIP_F_TUNNEL (1u << 1)
/* vip_meta.flags: two-armed NAT: destination to the back end (and its
 * port), source to the balancer's internal address and a port of its own,
 * out of the internal interface; replies translated back. */
#define XLB_VIP_F_NAT (1u << 2)
#define XLB_VIP_PREFIX_SHIFT 8
#define XLB_VIP_PREFIX(flags) (((flags) >> XLB_VIP_PREFIX_SHIFT) & 0xff)

/* Health probes of tunnel-mode back ends: the controller's probe socket
 * connects to the VIP with SO_MARK = XLB_PROBE_MARK | back-end id, and the
 * tc egress program (xlb_probe_tx) sends it through that back end's
 * tunnel, as client traffic goes. */
#define XLB_PROBE_MARK 0x58420000u
#define XLB_PROBE_MARK_MASK 0xffff0000u
#define XLB_TC_HANDLE 0x584c
#define XLB_TC_PRIO 1

/* A VIP key with this proto and port 0 marks an address the balancer
 * answers ICMP echo requests for (one per VIP address). */
_Static_assert(sizeof(struct vip_meta) == 8, "vip_meta size");

/* State of a back-end slot in the backends array. */
enum backend_state {
	XLB_BE_UNUSED = 0, /* free slot: pinned flows to it are re-picked */
	XLB_BE_ACTIVE = 1, /* forwarding */
	XLB_BE_DOWN = 2,   /* failed its health checks: flows pinned to it
			    * are picked again from the table */
};

/* Value of backends[id]: where to send a flow pinned to back end id. */
struct backend_info {
	__u8 mac[6];	 /* destination MAC (dsr; tunnel: the next hop's;
			  * nat: on the internal link) */
	__u8 state;	 /* enum backend_state */
	__u8 family;	 /* AF_INET or AF_INET6 */
	__u32 svc_id;	 /* the service this back end belongs to */
	__be32 addr[4];	 /* back-end address (IPv4 in addr[0]) */
	__be16 port;	 /* nat: the back end's port (0: the VIP's) */
	__u8 flags;	 /* XLB_BE_F_* */
	__u8 pad;
};
_Static_assert(sizeof(struct backend_info) == 32, "backend_info size");

/* backend_info.flags: the back end takes no new flows (drained, weight 0,
 * its agent said drain or maint, or being removed): it is out of the
 * table, its pinned flows go on, and a packet that opens a new connection
 * on one of its flow entries is picked again from the table (flow.h,
 * docs/modes.md "Drain and reused client ports"). The byte was padding
 * before: a program that does not know it ignores it, so the pins of
 * `backends` stay as they are across `xdp-lb upgrade` either way. */
#define XLB_BE_F_NO_NEW (1u << 0)

/* One client connection to an IPv4 service: what xlb_hash() hashes for
 * the flows4 bucket and the service-table slot (flows4 keeps a key word
 * of it: include/xlb_flowtab.h). */
struct flow_key_v4 {
	__be32 src;
	__be32 dst;
	__be16 sport;
	__be16 dport;
	__u8 proto;
	__u8 pad[3];
};
_Static_assert(sizeof(struct flow_key_v4) == 16, "flow_key_v4 size");

/* An IPv6 flow (what flows6 hashes; its ways keep a fingerprint and the
 * client address). */
struct flow_key_v6 {
	__be32 src[4];
	__be32 dst[4];
	__be16 sport;
	__be16 dport;
	__u8 proto;
	__u8 pad[3];
};
_Static_assert(sizeof(struct flow_key_v6) == 40, "flow_key_v6 size");

/* TCP state as seen from the client side (DSR sees one direction only). */
enum flow_state {
	XLB_FLOW_NEW = 0,	  /* UDP (TCP never: see ESTABLISHED) */
	XLB_FLOW_SYN = 1,	  /* SYN without ACK seen (an opening) */
	XLB_FLOW_ESTABLISHED = 2, /* ACK without SYN after the SYN or the
				   * PICKUP packet */
	XLB_FLOW_FIN = 3,	  /* FIN seen from the client */
	XLB_FLOW_RST = 4,	  /* RST seen from the client */
	XLB_FLOW_PICKUP = 5,	  /* a first packet that opens nothing (mid-
				   * flow: another node's flow, a restart, an
				   * eviction, or a closed connection's late
				   * ACK): not live until a second packet */
};

/* What a flows4 or flows6 way's meta word decodes to: the
 * back end a flow is pinned to. */
struct flow_value {
	__u32 backend_id;
	__u8 state;    /* enum flow_state */
	__u8 pad;
	__be16 nat_port; /* nat: the balancer's source port for this flow */
	__u64 last_seen; /* bpf_ktime_get_ns(), refreshed at most once a second */
};
_Static_assert(sizeof(struct flow_value) == 16, "flow_value size");

/* Value of xlb_meta[0]: the sizes the maps were made with, so that a later
 * `xdp-lb upgrade` can load a new program against the same pins. */
struct lb_meta {
	__u32 table_size;
	__u32 max_flows;
	__u32 max_services;
	__u32 max_backends;
	__u32 int_ifindex; /* nat: the internal interface, 0: none */
};
_Static_assert(sizeof(struct lb_meta) == 20, "lb_meta size");

/* Value of xlb_cfg[0]: run-time knobs the controller may change. */
struct lb_cfg {
	/* New-flow flood guard, per CPU: a new flow costs flow_cost_ns of
	 * credit; the bucket holds at most bucket_ns. 0: no guard. */
	__u64 flow_cost_ns;
	__u64 bucket_ns;
	/* Tunnel mode: outer source addresses are prefix | (flow hash &
	 * ~mask), so ECMP and RSS on the path spread the tunnels. */
	__be32 tun_src4;
	__be32 tun_mask4;
	__be32 tun_src6[4];
	__be32 tun_mask6[4];
	/* nat mode: the balancer's internal side */
	__be32 nat_src4;
	__be32 nat_src6[4];
	__u16 nat_port_min, nat_port_max; /* host order; 0: no nat */
	__u8 pad[16];
};
_Static_assert(sizeof(struct lb_cfg) == 96, "lb_cfg size");

/* tx_ports (devmap) slots. */
#define XLB_PORT_EXT 0
#define XLB_PORT_INT 1

/* Key of nat_rev: a reply from a back end to the balancer's NAT address,
 * as it arrives on the internal interface. */
struct nat_key {
	__be32 baddr[4]; /* back end (IPv4 in baddr[0]) */
	__be16 bport;
	__be16 lport;	 /* the balancer's port, from nat_ports */
	__u8 proto;
	__u8 family;
	__u8 pad[2];
};
_Static_assert(sizeof(struct nat_key) == 24, "nat_key size");

/* Value of nat_rev: who the reply is for. */
struct nat_value {
	__be32 caddr[4]; /* client */
	__be32 vaddr[4]; /* VIP */
	__be16 cport;
	__be16 vport;
	__u8 cmac[6];	 /* the client side's next hop (the frame's source) */
	__u8 pad[2];
};
_Static_assert(sizeof(struct nat_value) == 44, "nat_value size");

/* Value of flood[0], per CPU: the guard's token bucket. */
struct flood_state {
	__u64 credit_ns;
	__u64 last_ns;
};
_Static_assert(sizeof(struct flood_state) == 16, "flood_state size");

/* Per-CPU packet counters, per service and per back end. */
struct lb_counters {
	__u64 packets;
	__u64 bytes;
	__u64 new_flows;
};
_Static_assert(sizeof(struct lb_counters) == 24, "lb_counters size");

/* Per-CPU counters per outcome reason (stats_reason). */
struct reason_counters {
	__u64 packets;
	__u64 bytes;
};
_Static_assert(sizeof(struct reason_counters) == 16, "reason_counters size");

/*
 * Every packet leaves the program through one counted exit with one of
 * these reasons. The names are in xlb_reason_names below, in order.
 */
enum xlb_reason {
	XLB_TX_FORWARDED = 0,	 /* sent to a back end */
	XLB_PASS_NOT_IP,	 /* not IPv4/IPv6 (ARP, LLDP, ...) */
	XLB_PASS_NOT_VIP,	 /* IP, but not a configured service */
	XLB_PASS_MALFORMED,	 /* truncated header, bad IHL or data offset, an
				  * IP length past the frame or short of the
				  * headers: the stack decides */
	XLB_PASS_FRAGMENT,	 /* IP fragment: no ports, never balanced */
	XLB_PASS_IPV6_EXT,	 /* IPv6 extension header before L4 */
	XLB_PASS_NOT_L4,	 /* IP protocol other than TCP/UDP */
	XLB_DROP_NO_BACKEND,	 /* VIP without a usable back end */
	XLB_TX_ICMP_ECHO,	 /* echo request to a VIP: answered */
	XLB_TX_ICMP_ERROR,	 /* ICMP error about a service flow: to its
				  * back end */
	XLB_TX_UNPINNED,	 /* new flow over the flood guard's rate:
				  * forwarded by table, not pinned */
	XLB_DROP_ENCAP,		 /* tunnel: no room to encapsulate, or an
				  * IPv6 packet toward an IPv4 back end */
	XLB_REDIRECT_NAT,	 /* nat: translated to a back end */
	XLB_REDIRECT_NAT_REPLY,	 /* nat: a reply translated to the client */
	XLB_DROP_NAT_NO_PORT,	 /* nat: no free port (range exhausted) */
	XLB_DROP_NAT_OFF,	 /* nat service but no internal interface */
	XLB_DROP_NAT_FLOOD,	 /* nat: new flow over the flood guard's rate
				  * (no mapping, so it cannot be forwarded) */
	XLB_DROP_NAT_NO_IFACE,	 /* nat: the interface to redirect to is gone
				  * (empty tx_ports slot: the internal one
				  * for requests, the external for replies) */
	XLB_REASON_MAX,
};

/* stats_reason has room for reasons to come, so that `xdp-lb upgrade`
 * keeps its pin when a new version adds one. */
#define XLB_REASON_SLOTS 32
_Static_assert(XLB_REASON_MAX <= XLB_REASON_SLOTS, "reason slots");

/*
 * stats_reason slots that are not counted as their reason:
 * - XLB_TX_FORWARDED: the data path does not count it (a forwarded packet
 *   counts only in stats_backend); the slot holds the controller's carry,
 *   the packets and bytes of back ends whose stats_backend entries it
 *   zeroed. tx_forwarded = carry + the sum of stats_backend - the other
 *   reasons a packet with a back end can have (tx_icmp_error, tx_unpinned,
 *   redirect_nat, and this slot).
 * - XLB_REASON_FWD_FAILED, the last slot: a packet that chose a back end
 *   (counted in stats_backend) but was dropped on the way out (tunnel: no
 *   room to encapsulate; nat: the interface is gone), counted under its
 *   drop reason and here. Not a reason of its own: not in the names.
 */
#define XLB_REASON_FWD_FAILED (XLB_REASON_SLOTS - 1)
_Static_assert(XLB_REASON_MAX < XLB_REASON_FWD_FAILED, "fwd_failed slot");

#define XLB_REASON_NAMES                                                        \
	{                                                                       \
		"tx_forwarded", "pass_not_ip", "pass_not_vip",                  \
			"pass_malformed", "pass_fragment", "pass_ipv6_ext",     \
			"pass_not_l4", "drop_no_backend", "tx_icmp_echo_reply", \
			"tx_icmp_error", "tx_unpinned", "drop_encap",           \
			"redirect_nat", "redirect_nat_reply",                   \
			"drop_nat_no_port", "drop_nat_off", "drop_nat_flood",   \
			"drop_nat_no_iface",                                    \
	}

#endif /* XDP_LB_H */
