/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The second program of the xdp_lb object, xlb_probe_tx (tc egress). It
 * shares the object's maps (backends, xlb_cfg) and so lives in the same
 * skeleton: bpf/xdp_lb.bpf.c includes this file once.
 */
#ifndef XLB_PROBE_ENCAP_H
#define XLB_PROBE_ENCAP_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "consts.h"
#include "xdp_lb.h"
#include "maps.h"
#include "csum.h"
#include "tunnel.h"

/*
 * tc egress on the balancer's interface: a health probe of a tunnel-mode
 * back end (marked by the controller's socket) leaves inside that back
 * end's tunnel, to its next hop's MAC, so a back end whose decapsulation
 * is broken fails its probes as its clients would. Everything else passes.
 */
SEC("tc")
int xlb_probe_tx(struct __sk_buff *skb)
{
	__u32 id = skb->mark & ~XLB_PROBE_MARK_MASK, key = 0;
	struct backend_info *be;
	struct lb_cfg *cfg;
	bool outer6, inner6;
	__u8 hdr[40] = {};
	int room, ret;
	__u32 len;

	if ((skb->mark & XLB_PROBE_MARK_MASK) != XLB_PROBE_MARK)
		return TC_ACT_OK;
	be = bpf_map_lookup_elem(&backends, &id);
	cfg = bpf_map_lookup_elem(&xlb_cfg, &key);
	if (!be || !cfg || be->state == XLB_BE_UNUSED)
		return TC_ACT_SHOT;
	inner6 = skb->protocol == bpf_htons(ETH_P_IPV6);
	outer6 = be->family == AF_INET6;
	if (inner6 && !outer6)
		return TC_ACT_SHOT;
	len = skb->len - ETH_HLEN; /* the inner IP packet */
	room = outer6 ? 40 : 20;
	if (outer6) {
		struct ipv6hdr *o = (void *)hdr;

		o->version = 6;
		o->payload_len = bpf_htons(len);
		o->nexthdr = inner6 ? IPPROTO_IPV6 : IPPROTO_IPIP;
		o->hop_limit = TUN_TTL;
		for (int i = 0; i < 4; i++)
			o->saddr.in6_u.u6_addr32[i] =
				cfg->tun_src6[i] & cfg->tun_mask6[i];
		__builtin_memcpy(&o->daddr, be->addr, 16);
	} else {
		struct iphdr *o = (void *)hdr;

		o->version = 4;
		o->ihl = 5;
		o->tot_len = bpf_htons(len + 20);
		o->ttl = TUN_TTL;
		o->protocol = IPPROTO_IPIP;
		o->saddr = cfg->tun_src4 & cfg->tun_mask4;
		o->daddr = be->addr[0];
		ipv4_csum(o);
	}
	ret = bpf_skb_adjust_room(skb, room, BPF_ADJ_ROOM_MAC,
				  outer6 ? BPF_F_ADJ_ROOM_ENCAP_L3_IPV6 :
					   BPF_F_ADJ_ROOM_ENCAP_L3_IPV4);
	if (ret)
		return TC_ACT_SHOT;
	if (bpf_skb_store_bytes(skb, ETH_HLEN, hdr, outer6 ? 40 : 20, 0) ||
	    bpf_skb_store_bytes(skb, 0, be->mac, ETH_ALEN, 0))
		return TC_ACT_SHOT;
	{
		__be16 proto = bpf_htons(outer6 ? ETH_P_IPV6 : ETH_P_IP);

		if (bpf_skb_store_bytes(skb, 2 * ETH_ALEN, &proto,
					sizeof(proto), 0))
			return TC_ACT_SHOT;
	}
	return TC_ACT_OK;
}

#endif
