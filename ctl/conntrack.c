// SPDX-License-Identifier: GPL-2.0-only
/* Flow liveness and idle expiry rules. */
#include "conntrack.h"

#define NSEC_PER_SEC 1000000000ull

void conntrack_timeouts_default(struct flow_timeouts *t)
{
	t->tcp_syn = CT_DEFAULT_TCP_SYN;
	t->tcp_established = CT_DEFAULT_TCP_ESTABLISHED;
	t->tcp_fin = CT_DEFAULT_TCP_FIN;
	t->tcp_rst = CT_DEFAULT_TCP_RST;
	t->udp = CT_DEFAULT_UDP;
	t->nat_time_wait = CT_DEFAULT_NAT_TIME_WAIT;
}

__u32 conntrack_timeout(const struct flow_timeouts *t, __u8 state)
{
	switch (state) {
	case XLB_FLOW_NEW: /* only UDP starts (and stays) here */
		return t->udp;
	case XLB_FLOW_SYN:
	case XLB_FLOW_PICKUP: /* a guess until its second packet */
		return t->tcp_syn;
	case XLB_FLOW_ESTABLISHED:
		return t->tcp_established;
	case XLB_FLOW_FIN:
		return t->tcp_fin;
	default:
		return t->tcp_rst;
	}
}

bool conntrack_expired(const struct flow_timeouts *t,
		       const struct flow_value *v, __u64 now_ns)
{
	__u64 idle = now_ns > v->last_seen ? now_ns - v->last_seen : 0;
	__u32 to = conntrack_timeout(t, v->state);

	if (v->nat_port && v->state == XLB_FLOW_FIN && t->nat_time_wait > to)
		to = t->nat_time_wait;
	return idle > (__u64)to * NSEC_PER_SEC;
}

bool conntrack_live(__u8 state)
{
	return state != XLB_FLOW_FIN && state != XLB_FLOW_RST &&
	       state != XLB_FLOW_PICKUP;
}
