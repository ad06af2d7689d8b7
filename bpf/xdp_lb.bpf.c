// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * xdp-lb data path: pick a back end for each packet to a service (VIP),
 * keep a flow on the back end it started on, forward by direct server
 * return. Every packet leaves through one counted exit.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "consts.h"
#include "xdp_lb.h"
#include "jhash.h"
#include "maps.h"
#include "parsing.h"
#include "counters.h"

/* Set by the controller before load. */
const volatile __u32 table_size = XLB_DEFAULT_TABLE_SIZE;
const volatile __u8 if_mac[ETH_ALEN] = {};

#include "dsr.h"

/* What the address-family specific part found: the service, and the flow
 * pinned to a back end (or not). */
struct lb_ctx {
	__u32 svc_id;
	__u32 flow_hash;
	__u32 backend_id;
	bool new_flow;
	struct flow_value *flow; /* the pinned entry, NULL for a new flow */
};

/* Back end for a new flow: the service table's slot for the flow's hash. */
static __always_inline int pick_backend(struct lb_ctx *lc)
{
	__u32 slot, *id;
	void *table;

	table = bpf_map_lookup_elem(&svc_tables, &lc->svc_id);
	if (!table)
		return -XLB_DROP_NO_BACKEND;
	slot = lc->flow_hash % table_size;
	id = bpf_map_lookup_elem(table, &slot);
	if (!id || *id == XLB_NO_BACKEND)
		return -XLB_DROP_NO_BACKEND;
	lc->backend_id = *id;
	return 0;
}

/* TCP state seen from the client, and the coarse last-seen time. The entry
 * is written only when something changed, to keep the cache line clean. */
static __always_inline void flow_touch(struct flow_value *fv,
				       const struct l4_info *l4, __u8 proto,
				       __u64 now)
{
	__u8 state = fv->state;

	if (proto == IPPROTO_TCP) {
		if (l4->rst)
			state = XLB_FLOW_RST;
		else if (l4->fin)
			state = XLB_FLOW_FIN;
		else if (l4->syn && !l4->ack)
			state = XLB_FLOW_SYN;
		else if (l4->ack && state == XLB_FLOW_SYN)
			state = XLB_FLOW_ESTABLISHED;
	}
	if (state != fv->state)
		fv->state = state;
	if (now - fv->last_seen > NSEC_PER_SEC)
		fv->last_seen = now;
}

static __always_inline __u8 initial_state(const struct l4_info *l4, __u8 proto)
{
	if (proto != IPPROTO_TCP)
		return XLB_FLOW_NEW;
	if (l4->rst)
		return XLB_FLOW_RST;
	if (l4->fin)
		return XLB_FLOW_FIN;
	if (l4->syn && !l4->ack)
		return XLB_FLOW_SYN;
	return XLB_FLOW_ESTABLISHED;
}

/*
 * Resolve the back end for a flow: the pinned one if it is still usable,
 * otherwise a fresh pick that is pinned (insert or overwrite). The flow
 * hash (key_words 32-bit words of the key) only picks the table slot, so it
 * is computed on that path alone, not for a pinned flow.
 */
static __always_inline int resolve_flow(void *flows, void *key,
					__u32 key_words, struct lb_ctx *lc,
					const struct l4_info *l4, __u8 proto,
					struct backend_info **bep)
{
	struct flow_value *fv, nv = {};
	struct backend_info *be;
	__u64 now = bpf_ktime_get_coarse_ns();
	int ret;

	fv = bpf_map_lookup_elem(flows, key);
	if (fv) {
		be = bpf_map_lookup_elem(&backends, &fv->backend_id);
		if (be && be->state == XLB_BE_ACTIVE &&
		    be->svc_id == lc->svc_id) {
			lc->backend_id = fv->backend_id;
			flow_touch(fv, l4, proto, now);
			*bep = be;
			return 0;
		}
		/* The back end was removed: pick again. */
	}
	lc->flow_hash = jhash2(key, key_words, XLB_HASH_SEED);
	ret = pick_backend(lc);
	if (ret < 0)
		return ret;
	be = bpf_map_lookup_elem(&backends, &lc->backend_id);
	if (!be || be->state != XLB_BE_ACTIVE)
		return -XLB_DROP_NO_BACKEND;
	nv.backend_id = lc->backend_id;
	nv.state = initial_state(l4, proto);
	nv.last_seen = now;
	bpf_map_update_elem(flows, key, &nv, BPF_ANY);
	lc->new_flow = true;
	*bep = be;
	return 0;
}

static __always_inline int process_ipv4(struct hdr_cursor *c, void *data_end,
					struct lb_ctx *lc,
					struct backend_info **bep)
{
	struct flow_key_v4 fk = {};
	struct vip_key_v4 vk = {};
	struct l4_info l4 = {};
	struct vip_meta *vm;
	struct iphdr *iph;
	int proto;

	proto = parse_ipv4(c, data_end, &iph);
	if (proto < 0)
		return proto;
	proto = parse_l4(c, data_end, proto, &l4);
	if (proto < 0)
		return proto;
	vk.addr = iph->daddr;
	vk.port = l4.dport;
	vk.proto = proto;
	vm = bpf_map_lookup_elem(&vips_v4, &vk);
	if (!vm)
		return -XLB_PASS_NOT_VIP;
	lc->svc_id = vm->svc_id;
	fk.src = iph->saddr;
	fk.dst = iph->daddr;
	fk.sport = l4.sport;
	fk.dport = l4.dport;
	fk.proto = proto;
	return resolve_flow(&flows_v4, &fk, sizeof(fk) / 4, lc, &l4, proto,
			    bep);
}

static __always_inline int process_ipv6(struct hdr_cursor *c, void *data_end,
					struct lb_ctx *lc,
					struct backend_info **bep)
{
	struct flow_key_v6 fk = {};
	struct vip_key_v6 vk = {};
	struct l4_info l4 = {};
	struct ipv6hdr *ip6h;
	struct vip_meta *vm;
	int proto;

	proto = parse_ipv6(c, data_end, &ip6h);
	if (proto < 0)
		return proto;
	proto = parse_l4(c, data_end, proto, &l4);
	if (proto < 0)
		return proto;
	__builtin_memcpy(vk.addr, &ip6h->daddr, sizeof(vk.addr));
	vk.port = l4.dport;
	vk.proto = proto;
	vm = bpf_map_lookup_elem(&vips_v6, &vk);
	if (!vm)
		return -XLB_PASS_NOT_VIP;
	lc->svc_id = vm->svc_id;
	__builtin_memcpy(fk.src, &ip6h->saddr, sizeof(fk.src));
	__builtin_memcpy(fk.dst, &ip6h->daddr, sizeof(fk.dst));
	fk.sport = l4.sport;
	fk.dport = l4.dport;
	fk.proto = proto;
	return resolve_flow(&flows_v6, &fk, sizeof(fk) / 4, lc, &l4, proto,
			    bep);
}

SEC("xdp")
int xdp_lb(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	struct hdr_cursor c = { .pos = data };
	__u64 bytes = data_end - data;
	struct backend_info *be = NULL;
	struct lb_ctx lc = {};
	__u32 reason = XLB_TX_FORWARDED;
	int action = XDP_PASS;
	struct ethhdr *eth;
	int ret;

	ret = parse_eth(&c, data_end, &eth);
	if (ret == ETH_P_IP)
		ret = process_ipv4(&c, data_end, &lc, &be);
	else if (ret == ETH_P_IPV6)
		ret = process_ipv6(&c, data_end, &lc, &be);
	else if (ret >= 0)
		ret = -XLB_PASS_NOT_IP;

	if (ret < 0) {
		reason = -ret;
		if (reason == XLB_DROP_NO_BACKEND) {
			action = XDP_DROP;
			count_lb(&stats_svc, lc.svc_id, bytes, false);
		}
	} else if (be) {
		action = dsr_forward(eth, be);
		count_lb(&stats_svc, lc.svc_id, bytes, lc.new_flow);
		count_lb(&stats_backend, lc.backend_id, bytes, lc.new_flow);
	}
	count_reason(reason, bytes);
	return action;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
