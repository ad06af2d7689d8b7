/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Tunnel mode: the packet, as received from its IP header on, goes inside
 * a new outer IP header toward the back end's address: IPv4-in-IPv4,
 * IPv6-in-IPv6, or IPv4-in-IPv6 for an IPv6 back end. The L2 header (one
 * VLAN tag included) moves to the new front, addressed to the next hop's
 * MAC. The outer source is taken from a configured prefix with the host
 * bits from the flow, so ECMP and RSS along the path spread tunnels while
 * one flow always uses one outer source.
 */
#ifndef XLB_TUNNEL_H
#define XLB_TUNNEL_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "consts.h"
#include "xdp_lb.h"
#include "settings.h"
#include "maps.h"
#include "csum.h"
#include "eth.h"

#define TUN_TTL 64
#define L2_MAX 18 /* Ethernet + one tag */

/* Host bits for the outer source, from the client's address and ports:
 * murmur3's finaliser, so that every input bit moves every output bit. */
static __always_inline __u32 tun_mix(__u32 h)
{
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	return h ^ (h >> 16);
}

/*
 * Encapsulate toward be. l2len: bytes of L2 header (14 or 18); inner6:
 * the packet is IPv6; seed: the flow's mix for the outer source. Returns
 * XDP_TX, or a negative reason.
 */
static __always_inline int tunnel_encap(struct xdp_md *ctx, const __u32 l2len,
					bool inner6,
					const struct backend_info *be,
					__u32 seed)
{
	bool outer6 = be->family == AF_INET6;
	int room = outer6 ? (int)sizeof(struct ipv6hdr) :
			    (int)sizeof(struct iphdr);
	__u8 mac[ETH_ALEN], l2[L2_MAX];
	__be32 daddr[4];
	void *data, *data_end;
	struct lb_cfg *cfg;
	__u32 key = 0, h = tun_mix(seed), inner_len;
	long pad;
	__u8 tos;

	if (inner6 && !outer6)
		return -XLB_DROP_ENCAP;
	cfg = bpf_map_lookup_elem(&xlb_cfg, &key);
	if (!cfg)
		return -XLB_DROP_ENCAP;
	/* be points into a map: keep what we need before the packet moves */
	__builtin_memcpy(mac, be->mac, ETH_ALEN);
	__builtin_memcpy(daddr, be->addr, sizeof(daddr));
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	/* only the IP packet goes in, as long as its IP length says (checked
	 * against the frame by parsing.h): Ethernet padding after it is cut */
	if (inner6) {
		struct ipv6hdr *in = data + l2len;

		if ((void *)(in + 1) > data_end)
			return -XLB_DROP_ENCAP;
		inner_len = bpf_ntohs(in->payload_len) + sizeof(*in);
	} else {
		struct iphdr *in = data + l2len;

		if ((void *)(in + 1) > data_end)
			return -XLB_DROP_ENCAP;
		inner_len = bpf_ntohs(in->tot_len);
	}
	pad = (long)(data_end - data) - (long)(l2len + inner_len);
	if (pad > 0 && bpf_xdp_adjust_tail(ctx, (int)-pad))
		return -XLB_DROP_ENCAP;
	/* a fresh ctx: the verifier refuses a kept &ctx->data_end */
	asm volatile("" : "+r"(ctx));
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	if (data + L2_MAX > data_end)
		return -XLB_DROP_ENCAP;
	__builtin_memcpy(l2, data, L2_MAX);
	if (bpf_xdp_adjust_head(ctx, -room))
		return -XLB_DROP_ENCAP;
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	if (data + L2_MAX > data_end)
		return -XLB_DROP_ENCAP;
	__builtin_memcpy(data, l2, L2_MAX); /* the tail past l2len is
					     * rewritten below */
	{
		struct ethhdr *eth = data;
		__be16 *type;

		eth_set_addrs(eth, mac, if_mac);
		type = data + (l2len - 2);
		if ((void *)(type + 1) > data_end)
			return -XLB_DROP_ENCAP;
		*type = bpf_htons(outer6 ? ETH_P_IPV6 : ETH_P_IP);
	}
	/* the inner packet: what the outer header must say about it */
	if (inner6) {
		struct ipv6hdr *in = data + l2len + room;

		if ((void *)(in + 1) > data_end)
			return -XLB_DROP_ENCAP;
		inner_len = bpf_ntohs(in->payload_len) + sizeof(*in);
		tos = in->priority << 4 | in->flow_lbl[0] >> 4;
	} else {
		struct iphdr *in = data + l2len + room;

		if ((void *)(in + 1) > data_end)
			return -XLB_DROP_ENCAP;
		inner_len = bpf_ntohs(in->tot_len);
		tos = in->tos;
	}
	if (outer6) {
		struct ipv6hdr *out = data + l2len;

		if ((void *)(out + 1) > data_end)
			return -XLB_DROP_ENCAP;
		out->version = 6;
		out->priority = tos >> 4;
		out->flow_lbl[0] = (tos & 0xf) << 4 | ((h >> 16) & 0xf);
		out->flow_lbl[1] = h >> 8;
		out->flow_lbl[2] = h;
		out->payload_len = bpf_htons(inner_len);
		out->nexthdr = inner6 ? IPPROTO_IPV6 : IPPROTO_IPIP;
		out->hop_limit = TUN_TTL;
		for (int i = 0; i < 4; i++) {
			__be32 m = cfg->tun_mask6[i];

			out->saddr.in6_u.u6_addr32[i] =
				(cfg->tun_src6[i] & m) |
				(bpf_htonl(i == 3 ? h : i == 2 ? seed : 0) & ~m);
		}
		__builtin_memcpy(&out->daddr, daddr, sizeof(daddr));
	} else {
		struct iphdr *out = data + l2len;

		if ((void *)(out + 1) > data_end)
			return -XLB_DROP_ENCAP;
		out->version = 4;
		out->ihl = 5;
		out->tos = tos;
		out->tot_len = bpf_htons(inner_len + sizeof(*out));
		out->id = 0;
		out->frag_off = 0;
		out->ttl = TUN_TTL;
		out->protocol = IPPROTO_IPIP;
		out->saddr = (cfg->tun_src4 & cfg->tun_mask4) |
			     (bpf_htonl(h) & ~cfg->tun_mask4);
		out->daddr = daddr[0];
		ipv4_csum(out);
	}
	return XDP_TX;
}

/* Two copies with a constant L2 length each: the verifier then sees
 * constant packet offsets. */
static __always_inline int tunnel_forward(struct xdp_md *ctx, __u32 l2len,
					  bool inner6,
					  const struct backend_info *be,
					  __u32 seed)
{
	if (l2len == ETH_HLEN)
		return tunnel_encap(ctx, ETH_HLEN, inner6, be, seed);
	if (l2len == L2_MAX)
		return tunnel_encap(ctx, L2_MAX, inner6, be, seed);
	return -XLB_DROP_ENCAP;
}

#endif
