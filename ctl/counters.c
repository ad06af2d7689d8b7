// SPDX-License-Identifier: GPL-2.0-only
/* The counters the product shows, from what the data path counts
 * (counters.h). */
#include "counters.h"

void xlb_counters_add(struct lb_counters *a, const struct lb_counters *b)
{
	a->packets += b->packets;
	a->bytes += b->bytes;
	a->new_flows += b->new_flows;
}

void xlb_svc_total(struct lb_counters *out, const struct lb_counters *drop,
		   const struct lb_counters *carry,
		   const struct lb_counters *be, size_t n_be)
{
	size_t i;

	*out = *drop;
	xlb_counters_add(out, carry);
	for (i = 0; i < n_be; i++)
		xlb_counters_add(out, &be[i]);
}

void xlb_carry(struct lb_counters *svc_carry, struct reason_counters *fwd_carry,
	       const struct lb_counters *c)
{
	if (svc_carry)
		xlb_counters_add(svc_carry, c);
	fwd_carry->packets += c->packets;
	fwd_carry->bytes += c->bytes;
}

static __u64 sub0(__u64 a, __u64 b)
{
	return a > b ? a - b : 0;
}

void xlb_reasons_derive(struct reason_counters rc[XLB_REASON_MAX],
			const struct reason_counters *failed,
			const struct lb_counters *be)
{
	static const enum xlb_reason other[] = {
		XLB_TX_ICMP_ERROR,
		XLB_TX_UNPINNED,
		XLB_REDIRECT_NAT,
	};
	__u64 packets = rc[XLB_TX_FORWARDED].packets + be->packets;
	__u64 bytes = rc[XLB_TX_FORWARDED].bytes + be->bytes;
	__u64 op = failed->packets, ob = failed->bytes;
	size_t i;

	for (i = 0; i < sizeof(other) / sizeof(other[0]); i++) {
		op += rc[other[i]].packets;
		ob += rc[other[i]].bytes;
	}
	rc[XLB_TX_FORWARDED].packets = sub0(packets, op);
	rc[XLB_TX_FORWARDED].bytes = sub0(bytes, ob);
}
