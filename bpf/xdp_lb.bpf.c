// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * xdp-lb data path, the xdp_lb object. For each packet to a service (VIP):
 * find its flow's back end (flow.h: the one the flow is pinned to, or the
 * service table's pick for a new flow) and forward the packet by the
 * service's mode: dsr (rewrite the MACs, XDP_TX; dsr.h), tunnel (IP-in-IP
 * toward the back end, XDP_TX; tunnel.h) or nat (rewrite addresses and
 * ports, redirect out of the internal interface; nat.h, whose nat_reply()
 * takes the replies that arrive there). ICMP: icmp.h. Every packet leaves
 * through one counted exit. The object's second program, the tc probe
 * encapsulation, is in probe_encap.h.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "consts.h"
#include "xdp_lb.h"
#include "settings.h"
#include "maps.h"
#include "parsing.h"
#include "counters.h"
#include "vip.h"
#include "flow.h"
#include "dsr.h"
#include "tunnel.h"
#include "nat.h"
#include "icmp.h"

/* A TCP or UDP packet to a VIP (ICMP: icmp.h); 0 with *bep set, or a
 * negative reason. */
static __always_inline int process_ipv4(struct hdr_cursor *c, void *data_end,
					struct ethhdr *eth, struct lb_ctx *lc,
					struct backend_info **bep)
{
	struct flow_key_v4 fk = {};
	const struct vip_meta *vm;
	struct l4_info l4 = {};
	struct iphdr *iph;
	int proto, ret;
	__u32 pk;

	proto = parse_ipv4(c, data_end, &iph);
	if (proto < 0)
		return proto;
	if (proto == IPPROTO_ICMP)
		return process_icmp4(c, data_end, eth, iph, lc, bep);
	proto = parse_l4(c, data_end, proto, &l4);
	if (proto < 0)
		return proto;
	vm = vip_find4(iph->daddr, l4.dport, proto);
	if (!vm)
		return -XLB_PASS_NOT_VIP;
	lc->svc_id = vm->svc_id;
	lc->persist = vm->flags & XLB_VIP_F_SRC_IP;
	lc->tunnel = vm->flags & XLB_VIP_F_TUNNEL;
	fk.src = iph->saddr;
	fk.dst = iph->daddr;
	fk.sport = l4.sport;
	fk.dport = l4.dport;
	fk.proto = proto;
	if (lc->tunnel) /* only the outer source needs it */
		lc->seed = fk.src ^ ((__u32)fk.sport << 16 | fk.dport);
	lc->nat = vm->flags & XLB_VIP_F_NAT;
	if (lc->nat) {
		lc->family = AF_INET;
		lc->caddr[0] = fk.src;
		lc->vaddr[0] = fk.dst;
		lc->cport = fk.sport;
		lc->vport = fk.dport;
		lc->proto = proto;
		__builtin_memcpy(lc->cmac, eth->h_source, ETH_ALEN);
	}
	pk = 0;
	if (lc->persist) /* only a miss with persistence hashes it */
		pk = mask4(fk.src, XLB_VIP_PREFIX(vm->flags));
	ret = resolve_flow4(&fk, pk, lc, &l4, proto, bep);
	if (ret < 0 || !lc->nat)
		return ret;
	return nat_rewrite4(iph, c->pos, data_end, proto, *bep, lc->nat_port);
}

static __always_inline int process_ipv6(struct hdr_cursor *c, void *data_end,
					struct ethhdr *eth, struct lb_ctx *lc,
					struct backend_info **bep)
{
	struct flow_key_v6 fk = {};
	const struct vip_meta *vm;
	struct l4_info l4 = {};
	struct ipv6hdr *ip6h;
	int proto, ret;
	__u32 pk[4];

	proto = parse_ipv6(c, data_end, &ip6h);
	if (proto < 0)
		return proto;
	if (proto == IPPROTO_ICMPV6)
		return process_icmp6(c, data_end, eth, ip6h, lc, bep);
	proto = parse_l4(c, data_end, proto, &l4);
	if (proto < 0)
		return proto;
	vm = vip_find6((__be32 *)&ip6h->daddr, l4.dport, proto);
	if (!vm)
		return -XLB_PASS_NOT_VIP;
	lc->svc_id = vm->svc_id;
	lc->persist = vm->flags & XLB_VIP_F_SRC_IP;
	lc->tunnel = vm->flags & XLB_VIP_F_TUNNEL;
	lc->inner6 = true;
	__builtin_memcpy(fk.src, &ip6h->saddr, sizeof(fk.src));
	__builtin_memcpy(fk.dst, &ip6h->daddr, sizeof(fk.dst));
	fk.sport = l4.sport;
	fk.dport = l4.dport;
	fk.proto = proto;
	if (lc->tunnel)
		lc->seed = fk.src[0] ^ fk.src[1] ^ fk.src[2] ^ fk.src[3] ^
			   ((__u32)fk.sport << 16 | fk.dport);
	lc->nat = vm->flags & XLB_VIP_F_NAT;
	if (lc->nat) {
		lc->family = AF_INET6;
		__builtin_memcpy(lc->caddr, fk.src, sizeof(lc->caddr));
		__builtin_memcpy(lc->vaddr, fk.dst, sizeof(lc->vaddr));
		lc->cport = fk.sport;
		lc->vport = fk.dport;
		lc->proto = proto;
		__builtin_memcpy(lc->cmac, eth->h_source, ETH_ALEN);
	}
	for (int i = 0; i < 4; i++)
		pk[i] = lc->persist ? mask6_word(fk.src[i],
						 XLB_VIP_PREFIX(vm->flags), i) :
				      0;
	ret = resolve_flow6(&fk, pk, lc, &l4, proto, bep);
	if (ret < 0 || !lc->nat)
		return ret;
	return nat_rewrite6(ip6h, c->pos, data_end, proto, *bep,
			    lc->nat_port);
}

/* The reasons that drop the packet; every other early exit passes it to
 * the kernel. */
static __always_inline bool reason_drops(__u32 reason)
{
	return reason == XLB_DROP_NO_BACKEND || reason == XLB_DROP_ENCAP ||
	       reason == XLB_DROP_NAT_NO_PORT || reason == XLB_DROP_NAT_OFF ||
	       reason == XLB_DROP_NAT_FLOOD || reason == XLB_DROP_NAT_NO_IFACE;
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
	__u32 l2len;
	int ret;

	if (nat_ifindex && ctx->ingress_ifindex == nat_ifindex) {
		action = nat_reply(ctx, &reason);
		count_reason(reason, bytes);
		return action;
	}
	ret = parse_eth(&c, data_end, &eth);
	l2len = c.pos - data;
	if (ret == ETH_P_IP)
		ret = process_ipv4(&c, data_end, eth, &lc, &be);
	else if (ret == ETH_P_IPV6)
		ret = process_ipv6(&c, data_end, eth, &lc, &be);
	else if (ret >= 0)
		ret = -XLB_PASS_NOT_IP;

	if (ret < 0) {
		reason = -ret;
		if (reason_drops(reason)) {
			action = XDP_DROP;
			count_lb(&stats_svc_drop, lc.svc_id, bytes, false);
		}
	} else if (lc.echo) {
		action = XDP_TX;
		reason = XLB_TX_ICMP_ECHO;
	} else if (be) {
		reason = lc.reason;
		if (lc.nat) {
			action = nat_redirect(eth, be);
			if (action != XDP_REDIRECT)
				reason = XLB_DROP_NAT_NO_IFACE;
			else if (reason != XLB_TX_ICMP_ERROR)
				reason = XLB_REDIRECT_NAT;
		}
		else if (!lc.tunnel)
			action = dsr_forward(eth, be);
		else if ((ret = tunnel_forward(ctx, l2len, lc.inner6, be,
					       lc.seed)) >= 0)
			action = ret;
		else
			action = XDP_DROP, reason = -ret;
		/* the one write of a forwarded packet (counters.h) */
		count_lb(&stats_backend, lc.backend_id, bytes, lc.new_flow);
		if (reason == XLB_TX_FORWARDED)
			return action;
		if (reason_drops(reason))
			count_reason(XLB_REASON_FWD_FAILED, bytes);
	}
	count_reason(reason, bytes);
	return action;
}

/* The object's second program, after the first (the skeleton's order). */
#include "probe_encap.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";
