/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Internet checksums: the IPv4 header's computed whole, every other one
 * (IPv4 header, TCP, UDP, ICMP, ICMPv6) updated incrementally as the words
 * it covers change (RFC 1624). Sums are pointers into the packet; a NULL
 * sum is one that does not exist (a UDP datagram without one, an IPv6
 * header) and is skipped.
 */
#ifndef XLB_CSUM_H
#define XLB_CSUM_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

static __always_inline __u16 csum_fold32(__u32 c)
{
	c = (c & 0xffff) + (c >> 16);
	c = (c & 0xffff) + (c >> 16);
	return (__u16)c;
}

/* One 16-bit word of the covered data changed from old to new (both as
 * stored in the packet): HC' = ~(~HC + ~m + m'). */
static __always_inline void csum_replace2(__u16 *sum, __u16 old, __u16 new)
{
	__u32 c = (__u16)~*sum;

	c += (__u16)~old;
	c += new;
	*sum = ~csum_fold32(c);
}

static __always_inline void csum_replace4(__u16 *sum, __u32 old, __u32 new)
{
	csum_replace2(sum, (__u16)old, (__u16)new);
	csum_replace2(sum, (__u16)(old >> 16), (__u16)(new >> 16));
}

/* The checksum of a new IPv4 header without options. */
static __always_inline void ipv4_csum(struct iphdr *iph)
{
	__u16 *w = (__u16 *)iph;
	__u32 sum = 0;

	iph->check = 0;
	for (int i = 0; i < (int)sizeof(*iph) / 2; i++)
		sum += w[i];
	iph->check = ~csum_fold32(sum);
}

/* The checksum of an IPv4 header without options from its words as
 * stored, the id/frag_off word and the checksum's own bits zero: summed
 * from registers, never read back from the packet. */
static __always_inline __u16 csum_words(__u32 w0, __u32 w2, __u32 saddr,
					__u32 daddr)
{
	__u64 s = (__u64)w0 + w2 + saddr + daddr;

	s = (s & 0xffffffff) + (s >> 32);
	s = (s & 0xffffffff) + (s >> 32);
	return ~csum_fold32((__u32)s);
}

/* The L4 checksum field, NULL for a UDP datagram without one (IPv4). */
static __always_inline __u16 *l4_csum(void *l4, void *data_end, __u8 proto,
				      bool v6)
{
	if (proto == IPPROTO_TCP) {
		struct tcphdr *th = l4;

		if ((void *)(th + 1) > data_end)
			return NULL;
		return &th->check;
	}
	if (proto == IPPROTO_UDP) {
		struct udphdr *uh = l4;

		if ((void *)(uh + 1) > data_end || (!v6 && !uh->check))
			return NULL;
		return &uh->check;
	}
	return NULL;
}

/* UDP sends a computed 0 as 0xffff (0 means none in IPv4). */
static __always_inline void udp_zero_fix(__u16 *sum, __u8 proto)
{
	if (sum && proto == IPPROTO_UDP && !*sum)
		*sum = 0xffff;
}

/*
 * Replace an n-word address at *a with *b, keeping right every sum that
 * covers it: up to three (an IP header, an L4 header, and for a packet
 * quoted in an ICMP error, the ICMP sum too).
 */
static __always_inline void addr_replace(__be32 *a, const __be32 *b, int n,
					 __u16 *sum1, __u16 *sum2, __u16 *sum3)
{
	for (int i = 0; i < 4; i++) {
		if (i >= n)
			break;
		if (sum1)
			csum_replace4(sum1, a[i], b[i]);
		if (sum2)
			csum_replace4(sum2, a[i], b[i]);
		if (sum3)
			csum_replace4(sum3, a[i], b[i]);
		a[i] = b[i];
	}
}

/* Replace a 16-bit word (a port) with v, keeping up to two sums right. */
static __always_inline void port_replace(__be16 *p, __be16 v, __u16 *sum1,
					 __u16 *sum2)
{
	if (sum1)
		csum_replace2(sum1, *p, v);
	if (sum2)
		csum_replace2(sum2, *p, v);
	*p = v;
}

#endif
