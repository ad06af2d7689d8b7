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

/* The outer IPv6 header toward daddr, written whole from registers. */
static __always_inline void tun_outer6(struct ipv6hdr *out, __u8 tos, __u32 h,
				       __u32 seed, __u32 inner_len, bool inner6,
				       const struct lb_cfg *cfg,
				       const __be32 *daddr)
{
	__be32 *w = (__be32 *)out;

	w[0] = bpf_htonl(6u << 28 | (__u32)tos << 20 | (h & 0xfffff));
	w[1] = bpf_htonl(inner_len << 16 |
			 (inner6 ? IPPROTO_IPV6 : IPPROTO_IPIP) << 8 | TUN_TTL);
	for (int i = 0; i < 4; i++) {
		__be32 m = cfg->tun_mask6[i];

		w[2 + i] = (cfg->tun_src6[i] & m) |
			   (bpf_htonl(i == 3 ? h : i == 2 ? seed : 0) & ~m);
		w[6 + i] = daddr[i];
	}
}

/* The outer IPv4 header toward daddr, written whole from registers, its
 * checksum summed from the same words (not read back from the packet). */
static __always_inline void tun_outer4(struct iphdr *out, __u8 tos, __u32 h,
				       __u32 inner_len,
				       const struct lb_cfg *cfg, __be32 daddr)
{
	__be32 *w = (__be32 *)out;
	__be32 w0, w2, saddr;

	w0 = bpf_htonl(0x45u << 24 | (__u32)tos << 16 |
		       (inner_len + (__u32)sizeof(*out)));
	w2 = bpf_htonl((__u32)TUN_TTL << 24 | IPPROTO_IPIP << 16);
	saddr = (cfg->tun_src4 & cfg->tun_mask4) |
		(bpf_htonl(h) & ~cfg->tun_mask4);
	w[0] = w0;
	w[1] = 0; /* id, frag_off */
	w[2] = w2;
	w[3] = saddr;
	w[4] = daddr;
	out->check = csum_words(w0, w2, saddr, daddr);
}

/* The L2 header at the new front (data; the old one is room bytes on,
 * the bounds checked by the caller): to the next hop's MAC from ours,
 * the VLAN tag (if any) moved, the new ethertype. */
static __always_inline void tun_l2(void *data, const int room,
				   const __u32 l2len,
				   const struct backend_info *be, __u16 type)
{
	if (l2len == L2_MAX) /* TPID and TCI */
		*(__u32 *)(data + 12) = *(__u32 *)(data + room + 12);
	eth_set_addrs(data, be->mac, if_mac);
	*(__be16 *)(data + l2len - 2) = bpf_htons(type);
}

/*
 * Encapsulate toward be. l2len: bytes of L2 header (14 or 18); inner6:
 * the packet is IPv6; seed: the flow's mix for the outer source. Returns
 * XDP_TX, or a negative reason. The new front is written, never read: the
 * addresses (MACs, outer header) in whole words from registers, the L2
 * header's VLAN tag (if any) the only bytes moved.
 */
static __always_inline int tunnel_encap(struct xdp_md *ctx, const __u32 l2len,
					bool inner6,
					const struct backend_info *be,
					__u32 seed)
{
	bool outer6 = be->family == AF_INET6;
	int room = outer6 ? (int)sizeof(struct ipv6hdr) :
			    (int)sizeof(struct iphdr);
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
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	/* only the IP packet goes in, as long as its IP length says (checked
	 * against the frame by parsing.h): Ethernet padding after it is cut */
	if (inner6) {
		struct ipv6hdr *in = data + l2len;

		if ((void *)(in + 1) > data_end)
			return -XLB_DROP_ENCAP;
		inner_len = bpf_ntohs(in->payload_len) + sizeof(*in);
		tos = in->priority << 4 | in->flow_lbl[0] >> 4;
	} else {
		struct iphdr *in = data + l2len;

		if ((void *)(in + 1) > data_end)
			return -XLB_DROP_ENCAP;
		inner_len = bpf_ntohs(in->tot_len);
		tos = in->tos;
	}
	pad = (long)(data_end - data) - (long)(l2len + inner_len);
	if (pad > 0 && bpf_xdp_adjust_tail(ctx, (int)-pad))
		return -XLB_DROP_ENCAP;
	if (bpf_xdp_adjust_head(ctx, -room))
		return -XLB_DROP_ENCAP;
	/* a fresh ctx: the verifier refuses a kept &ctx->data_end */
	asm volatile("" : "+r"(ctx));
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	if (outer6) {
		struct ipv6hdr *out = data + l2len;

		if ((void *)(out + 1) > data_end)
			return -XLB_DROP_ENCAP;
		tun_l2(data, sizeof(*out), l2len, be, ETH_P_IPV6);
		tun_outer6(out, tos, h, seed, inner_len, inner6, cfg,
			   be->addr);
	} else {
		struct iphdr *out = data + l2len;

		if ((void *)(out + 1) > data_end)
			return -XLB_DROP_ENCAP;
		tun_l2(data, sizeof(*out), l2len, be, ETH_P_IP);
		tun_outer4(out, tos, h, inner_len, cfg, be->addr[0]);
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
