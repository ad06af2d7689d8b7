/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Connection tracking from the flow table: which pinned flows count as live
 * connections, and when an idle flow is forgotten (per-state timeouts, in
 * the spirit of IPVS). Pure functions; the walk is in dp_flows.c.
 */
#ifndef XLB_CONNTRACK_H
#define XLB_CONNTRACK_H

#include <stdbool.h>
#include <linux/types.h>

#include "config_defaults.h" /* CT_DEFAULT_* */
#include "xdp_lb.h"

/* Idle seconds after which a flow in a state is deleted. */
struct flow_timeouts {
	__u32 tcp_syn;	       /* SYN seen, no ACK yet; or one mid-flow
				* packet (PICKUP) */
	__u32 tcp_established; /* ACK seen */
	__u32 tcp_fin;	       /* FIN seen from the client */
	__u32 tcp_rst;	       /* RST seen from the client */
	__u32 udp;
	/* nat: a flow closed by FIN keeps its entry, and so its source port,
	 * at least this long: a back end holds TIME_WAIT for the port (60 s
	 * on Linux), and a SYN from another client on it would be dropped
	 * there (PAWS) and stall a second; the same client address and port
	 * reconnecting gets the same port back, which TIME_WAIT accepts */
	__u32 nat_time_wait;
};

void conntrack_timeouts_default(struct flow_timeouts *t);
/* The timeout that applies to a flow state (enum flow_state). */
__u32 conntrack_timeout(const struct flow_timeouts *t, __u8 state);
/* Idle past its state's timeout at now_ns (CLOCK_MONOTONIC)? A nat flow
 * (nat_port set) closed by FIN is held nat_time_wait if that is longer. */
bool conntrack_expired(const struct flow_timeouts *t,
		       const struct flow_value *v, __u64 now_ns);
/* A live connection: not closed by FIN or RST, and not a single mid-flow
 * packet (PICKUP: a closed connection's late ACK makes one). */
bool conntrack_live(__u8 state);

#endif
