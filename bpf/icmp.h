/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * ICMP for services: echo requests to a VIP are answered here; errors about
 * a service flow (unreachable, fragmentation needed / packet too big, time
 * exceeded) are handed to the back end that owns the flow, found from the
 * packet the error quotes. In DSR the quoted packet is the back end's reply
 * (VIP:port -> client:port), so the flow key is its mirror.
 */
#ifndef XLB_ICMP_H
#define XLB_ICMP_H

#define ICMP_ECHOREPLY 0
#define ICMP_DEST_UNREACH 3
#define ICMP_ECHO 8
#define ICMP_TIME_EXCEEDED 11
#define ICMPV6_DEST_UNREACH 1
#define ICMPV6_PKT_TOOBIG 2
#define ICMPV6_TIME_EXCEED 3
#define ICMPV6_ECHO_REQUEST 128
#define ICMPV6_ECHO_REPLY 129
#define ECHO_TTL 64

/* Send the frame back where it came from, with our MAC as source. */
static __always_inline void eth_bounce(struct ethhdr *eth)
{
	__builtin_memcpy(eth->h_dest, eth->h_source, ETH_ALEN);
	for (int i = 0; i < ETH_ALEN; i++) /* see dsr.h */
		eth->h_source[i] = if_mac[i];
}

/* Echo request -> echo reply, in place. */
static __always_inline void icmp4_echo_reply(struct ethhdr *eth,
					     struct iphdr *iph,
					     struct icmphdr *ic)
{
	__be32 a = iph->saddr;

	/* the words as stored: (ttl, protocol) and (type, code) */
	csum_replace2(&iph->check, bpf_htons(iph->ttl << 8 | iph->protocol),
		      bpf_htons(ECHO_TTL << 8 | iph->protocol));
	csum_replace2(&ic->checksum, bpf_htons(ic->type << 8 | ic->code),
		      bpf_htons(ICMP_ECHOREPLY << 8 | ic->code));
	iph->saddr = iph->daddr;
	iph->daddr = a;
	iph->ttl = ECHO_TTL;
	ic->type = ICMP_ECHOREPLY;
	eth_bounce(eth);
}

static __always_inline void icmp6_echo_reply(struct ethhdr *eth,
					     struct ipv6hdr *ip6h,
					     struct icmp6hdr *ic)
{
	struct in6_addr a = ip6h->saddr;

	/* the pseudo-header sum is the same with the addresses swapped */
	csum_replace2(&ic->icmp6_cksum,
		      bpf_htons(ic->icmp6_type << 8 | ic->icmp6_code),
		      bpf_htons(ICMPV6_ECHO_REPLY << 8 | ic->icmp6_code));
	ip6h->saddr = ip6h->daddr;
	ip6h->daddr = a;
	ip6h->hop_limit = ECHO_TTL;
	ic->icmp6_type = ICMPV6_ECHO_REPLY;
	eth_bounce(eth);
}

#endif
