/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Packet builder for the program tests. A struct pkt_spec describes a frame
 * (Ethernet, optional 802.1Q/802.1ad tags, IPv4 with options or IPv6 with
 * one extension header, TCP/UDP/ICMP, payload); build_pkt() lays it out
 * with every length and checksum computed, so inputs are valid packets
 * unless a field below asks for a defect on purpose (ihl_field, version,
 * doff < 5, cut).
 */
#ifndef XLB_TEST_PKTGEN_H
#define XLB_TEST_PKTGEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <linux/if_ether.h>
#include <linux/types.h>

#define PKT_MAX 1024

/* TCP flag bits (byte 13 of the TCP header). */
#define TF_FIN 0x01
#define TF_SYN 0x02
#define TF_RST 0x04
#define TF_PSH 0x08
#define TF_ACK 0x10

/* IPv4 frag_off bits, host order. */
#define FRAG_DF 0x4000
#define FRAG_MF 0x2000

/* MACs of the test network: the balancer (rodata if_mac) and the router
 * that hands it the client's packets. */
static const __u8 LB_MAC[ETH_ALEN] = { 0x02, 0x1b, 0x00, 0x00, 0x00, 0x01 };
static const __u8 PEER_MAC[ETH_ALEN] = { 0x02, 0xfe, 0x00, 0x00, 0x00, 0x01 };

struct pkt {
	__u8 data[PKT_MAX];
	__u32 len;
};

/* One IPv6 extension header between the fixed header and L4. */
enum v6_ext {
	V6_EXT_NONE = 0,
	V6_EXT_HOPOPTS,
	V6_EXT_ROUTING,
	V6_EXT_DSTOPTS,
	V6_EXT_FRAGMENT, /* first fragment: offset 0, M set */
};

/* clang-format off */
struct pkt_spec {
	__u16 ethertype;   /* 0: IPv4/IPv6 from family; ETH_P_ARP for ARP */
	__u16 vlan_proto;  /* outer tag: 0, ETH_P_8021Q or ETH_P_8021AD */
	__u16 vlan_tci;
	__u16 vlan2_tci;   /* non-zero: a second (inner 802.1Q) tag */
	int family;	   /* AF_INET or AF_INET6 (ARP: AF_INET addresses) */
	const char *saddr; /* client */
	const char *daddr; /* VIP or not */
	__u8 proto;	   /* IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP(V6) */
	__u16 sport, dport;
	__u8 tcp_flags;	   /* TF_* */
	__u8 ihl;	   /* IPv4 header words, 5..15 (NOP options); 0 = 5;
			    * below 5: a 20-byte header with that IHL */
	__u8 ihl_field;	   /* IHL_FIELD(n): n written instead of the IHL */
	__u8 version;	   /* non-zero: IP version nibble written instead */
	__u8 doff;	   /* TCP header words; 0 = 5, below 5 as for ihl */
	__u16 frag;	   /* IPv4 frag_off, host order: FRAG_* | offset */
	enum v6_ext v6_ext;
	__u16 payload;	   /* L4 payload bytes */
	__u16 trailer;	   /* bytes after the IP packet (Ethernet padding) */
	__u16 cut;	   /* non-zero: frame truncated to this many bytes */
	__u32 ip_len;	   /* IP_LEN(n): n written as the IPv4 total length
			    * or IPv6 payload length instead of the real one */
	__u8 ttl;	   /* IPv4 TTL / IPv6 hop limit; 0 = 64 */
	/* ICMP: an echo request unless one of these says otherwise. */
	bool echo_reply;   /* echo reply (type 0 / 129) */
	__u8 icmp_type;	   /* non-zero: this type (an error), quoting inner */
	__u8 icmp_code;
	__u32 icmp_mtu;	   /* frag needed: bytes 6-7; packet too big: 4-7 */
	const struct pkt_spec *inner; /* the quoted packet (its L3 on) */
	__u16 quote;	   /* bytes of it quoted; 0 = IP header + 8 */
};
/* clang-format on */

#define IHL_FIELD(n) (0x10 | (n))
#define IP_LEN(n) (0x10000u | (n))

static inline void put16(__u8 *p, __u16 v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static inline void put32(__u8 *p, __u32 v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

static inline __u32 csum_add(__u32 sum, const __u8 *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (__u32)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (__u32)p[len - 1] << 8;
	return sum;
}

static inline __u16 csum_fold(__u32 sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum & 0xffff;
}

/* Parse an address of the spec's family; returns its length, 0 if bad. */
static inline size_t spec_addr(int family, const char *s, __u8 out[16])
{
	memset(out, 0, 16);
	if (!s || inet_pton(family, s, out) != 1)
		return 0;
	return family == AF_INET6 ? 16 : 4;
}

static inline __u8 v6_ext_nexthdr(enum v6_ext ext)
{
	switch (ext) {
	case V6_EXT_HOPOPTS:
		return IPPROTO_HOPOPTS;
	case V6_EXT_ROUTING:
		return IPPROTO_ROUTING;
	case V6_EXT_DSTOPTS:
		return IPPROTO_DSTOPTS;
	case V6_EXT_FRAGMENT:
		return IPPROTO_FRAGMENT;
	default:
		return 0;
	}
}

/*
 * Build the frame described by s into p. Returns 0, or -1 (with a message
 * in err) if the spec itself is wrong: the tests treat that as a failure
 * of the test, not of the program.
 */
static inline int build_pkt(const struct pkt_spec *s, struct pkt *p, char *err,
			    size_t errlen)
{
	__u8 src[16], dst[16], *b = p->data;
	size_t off, l3, l4, l4hl, iphl = 0, end, alen = 0, i;
	__u16 ethertype;
	__u32 sum;

	memset(p, 0, sizeof(*p));
	memcpy(b, LB_MAC, ETH_ALEN);
	memcpy(b + ETH_ALEN, PEER_MAC, ETH_ALEN);
	off = 2 * ETH_ALEN;
	if (s->vlan_proto) {
		put16(b + off, s->vlan_proto);
		put16(b + off + 2, s->vlan_tci);
		off += 4;
		if (s->vlan2_tci) {
			put16(b + off, ETH_P_8021Q);
			put16(b + off + 2, s->vlan2_tci);
			off += 4;
		}
	}
	ethertype = s->ethertype;
	if (!ethertype)
		ethertype = s->family == AF_INET6 ? ETH_P_IPV6 : ETH_P_IP;
	put16(b + off, ethertype);
	off += 2;
	l3 = off;

	if (s->family != AF_INET && s->family != AF_INET6) {
		snprintf(err, errlen, "spec: family %d", s->family);
		return -1;
	}
	alen = spec_addr(s->family, s->saddr, src);
	if (!alen || !spec_addr(s->family, s->daddr, dst)) {
		snprintf(err, errlen, "spec: bad address '%s' or '%s'",
			 s->saddr, s->daddr);
		return -1;
	}

	if (ethertype == ETH_P_ARP) { /* request: who has daddr, tell saddr */
		put16(b + off, 1);
		put16(b + off + 2, ETH_P_IP);
		b[off + 4] = ETH_ALEN;
		b[off + 5] = 4;
		put16(b + off + 6, 1);
		memcpy(b + off + 8, PEER_MAC, ETH_ALEN);
		memcpy(b + off + 14, src, 4);
		memcpy(b + off + 24, dst, 4);
		end = off + 28;
		goto out;
	}

	/* Layout: L3 header(s), L4 header, payload. */
	if (s->family == AF_INET) {
		iphl = 4 * (s->ihl > 5 ? s->ihl : 5);
		off += iphl;
	} else {
		off += 40;
		if (s->v6_ext)
			off += 8;
	}
	l4 = off;
	if (s->proto == IPPROTO_TCP)
		l4hl = 4 * (s->doff > 5 ? s->doff : 5);
	else
		l4hl = 8; /* UDP, ICMP */
	end = l4 + l4hl + s->payload;
	if (s->inner) { /* an ICMP error quoting inner from its L3 header */
		struct pkt q;
		size_t qoff = 14, qlen;

		if (build_pkt(s->inner, &q, err, errlen))
			return -1;
		qlen = s->quote ? s->quote :
		       s->inner->family == AF_INET ?
				 (size_t)(q.data[qoff] & 0xf) * 4 + 8 :
				 40 + 8;
		if (qoff + qlen > q.len || l4 + l4hl + qlen > PKT_MAX) {
			snprintf(err, errlen, "spec: quote of %zu bytes", qlen);
			return -1;
		}
		end = l4 + l4hl + qlen;
		memcpy(b + l4 + l4hl, q.data + qoff, qlen);
	} else if (end > PKT_MAX) {
		snprintf(err, errlen, "spec: frame of %zu bytes", end);
		return -1;
	} else {
		for (i = l4 + l4hl; i < end; i++)
			b[i] = (__u8)(i * 7 + 3);
	}

	/* L4 header, checksum field zero for now. */
	switch (s->proto) {
	case IPPROTO_TCP:
		put16(b + l4, s->sport);
		put16(b + l4 + 2, s->dport);
		put32(b + l4 + 4, 0x01020304);
		put32(b + l4 + 8, s->tcp_flags & TF_ACK ? 0x0a0b0c0d : 0);
		b[l4 + 12] = (s->doff ? s->doff : 5) << 4;
		b[l4 + 13] = s->tcp_flags;
		put16(b + l4 + 14, 0xffff);
		memset(b + l4 + 20, 1, l4hl - 20); /* NOP options */
		break;
	case IPPROTO_UDP:
		put16(b + l4, s->sport);
		put16(b + l4 + 2, s->dport);
		put16(b + l4 + 4, end - l4);
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		if (s->icmp_type) { /* an error */
			b[l4] = s->icmp_type;
			b[l4 + 1] = s->icmp_code;
			if (s->proto == IPPROTO_ICMPV6)
				put32(b + l4 + 4, s->icmp_mtu);
			else
				put16(b + l4 + 6, s->icmp_mtu);
			break;
		}
		if (s->proto == IPPROTO_ICMP)
			b[l4] = s->echo_reply ? 0 : 8;
		else
			b[l4] = s->echo_reply ? 129 : 128;
		put16(b + l4 + 4, 0x4242);
		put16(b + l4 + 6, 1);
		break;
	default:
		snprintf(err, errlen, "spec: protocol %u", s->proto);
		return -1;
	}

	/* L3 header(s). */
	if (s->family == AF_INET) {
		__u8 ihl = s->ihl ? s->ihl : 5;

		b[l3] = (s->version ? s->version : 4) << 4 |
			(s->ihl_field ? s->ihl_field & 0xf : ihl);
		put16(b + l3 + 2, s->ip_len ? s->ip_len & 0xffff : end - l3);
		put16(b + l3 + 4, 0x1234);
		put16(b + l3 + 6, s->frag);
		b[l3 + 8] = s->ttl ? s->ttl : 64;
		b[l3 + 9] = s->proto;
		memcpy(b + l3 + 12, src, 4);
		memcpy(b + l3 + 16, dst, 4);
		if (iphl > 20) { /* NOPs, then end of options */
			memset(b + l3 + 20, 1, iphl - 20);
			b[l3 + iphl - 1] = 0;
		}
		put16(b + l3 + 10, csum_fold(csum_add(0, b + l3, iphl)));
	} else {
		__u8 v = s->version ? s->version : 6;

		put32(b + l3, (__u32)v << 28 | 0x12345); /* flow label */
		put16(b + l3 + 4,
		      s->ip_len ? s->ip_len & 0xffff : end - l3 - 40);
		b[l3 + 6] = s->v6_ext ? v6_ext_nexthdr(s->v6_ext) : s->proto;
		b[l3 + 7] = s->ttl ? s->ttl : 64;
		memcpy(b + l3 + 8, src, 16);
		memcpy(b + l3 + 24, dst, 16);
		if (s->v6_ext) {
			__u8 *x = b + l3 + 40;

			x[0] = s->proto;
			x[1] = 0; /* 8 bytes */
			switch (s->v6_ext) {
			case V6_EXT_HOPOPTS:
			case V6_EXT_DSTOPTS:
				x[2] = 1; /* PadN, 4 bytes */
				x[3] = 4;
				break;
			case V6_EXT_ROUTING:
				x[2] = 3; /* RPL source route, no segments left
					   */
				break;
			case V6_EXT_FRAGMENT:
				put16(x + 2, 1); /* offset 0, M */
				put32(x + 4, 0xabcdef01);
				break;
			default:
				break;
			}
		}
	}

	/* L4 checksum, with the pseudo-header except for ICMPv4. */
	sum = 0;
	if (s->proto != IPPROTO_ICMP) {
		sum = csum_add(sum, src, alen);
		sum = csum_add(sum, dst, alen);
		sum += s->proto;
		sum += end - l4;
	}
	sum = csum_add(sum, b + l4, end - l4);
	{
		__u16 c = csum_fold(sum);
		size_t at = s->proto == IPPROTO_TCP ? 16 :
			    s->proto == IPPROTO_UDP ? 6 :
						      2;

		if (s->proto == IPPROTO_UDP && !c)
			c = 0xffff;
		put16(b + l4 + at, c);
	}
	if (end + s->trailer > PKT_MAX) {
		snprintf(err, errlen, "spec: trailer of %u bytes", s->trailer);
		return -1;
	}
	memset(b + end, 0xee, s->trailer); /* not covered by any length */
	end += s->trailer;
out:
	p->len = end;
	if (s->cut) {
		if (s->cut > end) {
			snprintf(err, errlen, "spec: cut at %u of %zu bytes",
				 s->cut, end);
			return -1;
		}
		p->len = s->cut;
	}
	return 0;
}

/* Offset of the first differing byte (or of the shorter length), -1 if the
 * two packets are the same. */
static inline long pkt_first_diff(const struct pkt *a, const struct pkt *b)
{
	__u32 i, n = a->len < b->len ? a->len : b->len;

	for (i = 0; i < n; i++)
		if (a->data[i] != b->data[i])
			return i;
	return a->len == b->len ? -1 : (long)n;
}

#endif
