/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Bounded packet parsing. Every helper takes the cursor and data_end, checks
 * `hdr + 1 > data_end` before reading, and returns the next protocol (>= 0)
 * or a negative enum xlb_reason saying why the packet is not ours.
 *
 * The IP length fields are checked against the frame: a packet that claims
 * more bytes than the frame holds (or fewer than its own header) is
 * malformed; a frame longer than its IP packet (Ethernet padding) is fine,
 * and the cursor's `end` (the IP packet's end) bounds everything after
 * the IP header: L4 headers, ICMP quotes.
 */
#ifndef XLB_PARSING_H
#define XLB_PARSING_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "consts.h"
#include "xdp_lb.h"

struct hdr_cursor {
	void *pos;
	void *end; /* end of the IP packet (<= data_end), after parse_ipv4/6 */
};

/* Ethernet plus at most one 802.1Q/802.1ad tag; returns the ethertype in
 * host order. */
static __always_inline int parse_eth(struct hdr_cursor *c, void *data_end,
				     struct ethhdr **ethp)
{
	struct ethhdr *eth = c->pos;
	struct vlan_hdr *vlan;
	__u16 proto;

	if ((void *)(eth + 1) > data_end)
		return -XLB_PASS_MALFORMED;
	*ethp = eth;
	c->pos = eth + 1;
	proto = bpf_ntohs(eth->h_proto);
	if (proto == ETH_P_8021Q || proto == ETH_P_8021AD) {
		vlan = c->pos;
		if ((void *)(vlan + 1) > data_end)
			return -XLB_PASS_MALFORMED;
		c->pos = vlan + 1;
		proto = bpf_ntohs(vlan->h_vlan_encapsulated_proto);
	}
	return proto;
}

/* IPv4 with options (IHL 5..15); fragments are never ours. Returns the L4
 * protocol. */
static __always_inline int parse_ipv4(struct hdr_cursor *c, void *data_end,
				      struct iphdr **iphp)
{
	struct iphdr *iph = c->pos;
	__u32 hlen, tot;

	if ((void *)(iph + 1) > data_end)
		return -XLB_PASS_MALFORMED;
	if (iph->version != 4 || iph->ihl < 5)
		return -XLB_PASS_MALFORMED;
	hlen = iph->ihl * 4;
	if (c->pos + hlen > data_end)
		return -XLB_PASS_MALFORMED;
	tot = bpf_ntohs(iph->tot_len);
	if (tot < hlen || c->pos + tot > data_end)
		return -XLB_PASS_MALFORMED;
	if (iph->frag_off & bpf_htons(IP_MF | IP_OFFSET))
		return -XLB_PASS_FRAGMENT;
	*iphp = iph;
	c->end = c->pos + tot;
	c->pos += hlen;
	return iph->protocol;
}

/* IPv6 without extension headers; returns the L4 protocol. */
static __always_inline int parse_ipv6(struct hdr_cursor *c, void *data_end,
				      struct ipv6hdr **ip6hp)
{
	struct ipv6hdr *ip6h = c->pos;
	__u32 plen;

	if ((void *)(ip6h + 1) > data_end)
		return -XLB_PASS_MALFORMED;
	if (ip6h->version != 6)
		return -XLB_PASS_MALFORMED;
	plen = bpf_ntohs(ip6h->payload_len);
	if ((void *)(ip6h + 1) + plen > data_end)
		return -XLB_PASS_MALFORMED;
	*ip6hp = ip6h;
	c->pos = ip6h + 1;
	c->end = c->pos + plen;
	switch (ip6h->nexthdr) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
	case IPPROTO_ICMPV6:
		return ip6h->nexthdr;
	case IPPROTO_FRAGMENT:
		return -XLB_PASS_FRAGMENT;
	case IPPROTO_HOPOPTS:
	case IPPROTO_ROUTING:
	case IPPROTO_DSTOPTS:
	case IPPROTO_AH:
	case IPPROTO_ESP:
	case IPPROTO_MH:
		return -XLB_PASS_IPV6_EXT;
	default:
		return -XLB_PASS_NOT_L4;
	}
}

/* Ports (and TCP flags) of a TCP or UDP header, which must lie whole
 * within the IP packet (TCP: its data offset's worth, 20 to 60 bytes). */
struct l4_info {
	__be16 sport;
	__be16 dport;
	__u8 syn, ack, fin, rst;
};

static __always_inline int parse_l4(struct hdr_cursor *c, void *data_end,
				    __u8 proto, struct l4_info *l4)
{
	if (proto == IPPROTO_TCP) {
		struct tcphdr *th = c->pos;

		if ((void *)(th + 1) > data_end || th->doff < 5 ||
		    c->pos + th->doff * 4 > c->end)
			return -XLB_PASS_MALFORMED;
		l4->sport = th->source;
		l4->dport = th->dest;
		l4->syn = th->syn;
		l4->ack = th->ack;
		l4->fin = th->fin;
		l4->rst = th->rst;
		return proto;
	}
	if (proto == IPPROTO_UDP) {
		struct udphdr *uh = c->pos;

		if ((void *)(uh + 1) > data_end || (void *)(uh + 1) > c->end)
			return -XLB_PASS_MALFORMED;
		l4->sport = uh->source;
		l4->dport = uh->dest;
		return proto;
	}
	return -XLB_PASS_NOT_L4;
}

#endif
