/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * ICMP for services: echo requests to a VIP are answered here; errors about
 * a service flow (unreachable, fragmentation needed / packet too big, time
 * exceeded) are handed to the back end that owns the flow, found from the
 * packet the error quotes. The quoted packet is a reply as the client saw
 * it (VIP:port -> client:port), so the flow key is its mirror; the flow is
 * looked up, never pinned. In nat mode the quote is translated back to
 * what the back end sent.
 */
#ifndef XLB_ICMP_H
#define XLB_ICMP_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "consts.h"
#include "xdp_lb.h"
#include "settings.h"
#include "maps.h"
#include "parsing.h"
#include "csum.h"
#include "eth.h"
#include "vip.h"
#include "flow.h"

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

/* Echo request -> echo reply, in place, sent back where it came from. */
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
	eth_set_addrs(eth, eth->h_source, if_mac);
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
	eth_set_addrs(eth, eth->h_source, if_mac);
}

/*
 * An ICMP error about a nat flow (fv, NULL if none), from the client's
 * side: the quoted packet is a reply as the client saw it (VIP:vport ->
 * client:cport). The back end sent it as (back end:bport -> our address:nat
 * port), so the error goes to the back end with the quote translated back
 * to that, and every checksum kept right: the outer IP header (IPv4), the
 * quoted IP header (IPv4), a quoted UDP checksum, and the ICMP checksum
 * over all of it (ICMPv6: with its pseudo-header, which holds the outer
 * destination). oip: the error's IP header; q: the quoted one, ports its
 * first two words (checked), icsum: the ICMP checksum; v6: ICMPv6 in IPv6;
 * end: the error's IP end: nothing past it is rewritten (the checksums do
 * not cover it).
 */
static __always_inline int icmp_nat_quote(bool v6, void *oip, void *q,
					  __be16 *ports, __u16 *icsum,
					  void *data_end, void *end,
					  struct flow_value *fv,
					  struct lb_ctx *lc,
					  struct backend_info **bep)
{
	struct iphdr *o4 = oip, *q4 = q;
	struct ipv6hdr *o6 = oip, *q6 = q;
	int n = v6 ? 4 : 1; /* address words */
	__be32 *odst = v6 ? o6->daddr.in6_u.u6_addr32 : &o4->daddr;
	__be32 *qsrc = v6 ? q6->saddr.in6_u.u6_addr32 : &q4->saddr;
	__be32 *qdst = v6 ? q6->daddr.in6_u.u6_addr32 : &q4->daddr;
	__u16 *osum = v6 ? NULL : &o4->check;
	__u16 *qsum = v6 ? NULL : &q4->check;
	__u8 proto = v6 ? q6->nexthdr : q4->protocol;
	__u16 *ucsum = NULL, old_q = 0, old_u = 0;
	struct backend_info *be;
	struct lb_cfg *cfg;
	__u32 key = 0;

	/* the ICMP sum is always there: lets the compiler drop the NULL
	 * tests of addr_replace() and port_replace() for it (fewer branches
	 * for the verifier to walk) */
	__builtin_assume(icsum != NULL);
	cfg = bpf_map_lookup_elem(&xlb_cfg, &key);
	if (!fv || !fv->nat_port || !cfg)
		return -XLB_PASS_NOT_VIP; /* no mapping: not ours */
	be = bpf_map_lookup_elem(&backends, &fv->backend_id);
	if (!be || be->state != XLB_BE_ACTIVE ||
	    be->family != (v6 ? AF_INET6 : AF_INET))
		return -XLB_PASS_NOT_VIP;
	/* a quoted UDP sum, when quoted whole (IPv4: 0 means none) */
	if (proto == IPPROTO_UDP && (void *)(ports + 4) <= data_end &&
	    (void *)(ports + 4) <= end && (v6 || ports[3])) {
		ucsum = (__u16 *)&ports[3];
		old_u = *ucsum;
	}
	/* outer: to the back end */
	addr_replace(odst, be->addr, n, osum, v6 ? icsum : NULL, NULL);
	/* quote: back end:bport -> our address:nat port */
	if (qsum)
		old_q = *qsum;
	addr_replace(qsrc, be->addr, n, icsum, qsum, ucsum);
	addr_replace(qdst, v6 ? cfg->nat_src6 : &cfg->nat_src4, n, icsum, qsum,
		     ucsum);
	if (qsum) /* the quoted IPv4 header sum is ICMP payload too */
		csum_replace2(icsum, old_q, *qsum);
	if (be->port)
		port_replace(&ports[0], be->port, ucsum, icsum);
	port_replace(&ports[1], fv->nat_port, ucsum, icsum);
	if (ucsum) { /* and so is the quoted UDP sum */
		udp_zero_fix(ucsum, IPPROTO_UDP);
		csum_replace2(icsum, old_u, *ucsum);
	}
	lc->nat = true;
	lc->backend_id = fv->backend_id;
	*bep = be;
	return 0;
}

/*
 * ICMP to a VIP address: an echo request is answered; an error quoting a
 * service flow goes to that flow's back end. Anything else is not ours.
 */
static __always_inline int process_icmp4(struct hdr_cursor *c, void *data_end,
					 struct ethhdr *eth, struct iphdr *iph,
					 struct lb_ctx *lc,
					 struct backend_info **bep)
{
	struct icmphdr *ic = c->pos;
	struct flow_key_v4 fk = {};
	const struct vip_meta *vm;
	struct l4_info l4 = {};
	struct iphdr *in;
	__be16 *ports;
	__u32 pk;

	if ((void *)(ic + 1) > data_end || (void *)(ic + 1) > c->end)
		return -XLB_PASS_MALFORMED;
	if (ic->type == ICMP_ECHO && ic->code == 0) {
		vm = vip_find4(iph->daddr, 0, IPPROTO_ICMP);
		if (!vm)
			return -XLB_PASS_NOT_VIP;
		lc->svc_id = vm->svc_id;
		icmp4_echo_reply(eth, iph, ic);
		lc->echo = true;
		return 0;
	}
	if (ic->type != ICMP_DEST_UNREACH && ic->type != ICMP_TIME_EXCEEDED)
		return -XLB_PASS_NOT_L4;
	in = (void *)(ic + 1);
	if ((void *)(in + 1) > data_end || (void *)(in + 1) > c->end ||
	    in->version != 4 || in->ihl < 5)
		return -XLB_PASS_MALFORMED;
	/* a non-first fragment has data, not ports, after its header */
	if (in->frag_off & bpf_htons(IP_OFFSET))
		return -XLB_PASS_FRAGMENT;
	ports = (void *)in + in->ihl * 4;
	if ((void *)(ports + 2) > data_end || (void *)(ports + 2) > c->end)
		return -XLB_PASS_MALFORMED;
	if (in->protocol != IPPROTO_TCP && in->protocol != IPPROTO_UDP)
		return -XLB_PASS_NOT_VIP;
	vm = vip_find4(in->saddr, ports[0], in->protocol);
	if (!vm)
		return -XLB_PASS_NOT_VIP;
	lb_ctx_vip(lc, vm);
	lc->no_pin = true;
	lc->reason = XLB_TX_ICMP_ERROR;
	fk.src = in->daddr;
	fk.dst = in->saddr;
	fk.sport = ports[1];
	fk.dport = ports[0];
	fk.proto = in->protocol;
	if (vm->flags & XLB_VIP_F_NAT) {
		/* no entry: fv stays zero, no nat port: not ours */
		__u64 h = xlb_hash((const __u32 *)&fk, sizeof(fk) / 4), kw, m;
		struct flow_value fv = {};
		struct xlb_ft_bucket *b;
		__u32 idx;

		flow_find4(&fk, vm->svc_id, h, bpf_ktime_get_coarse_ns(), &b,
			   &idx, &kw, &m, &fv);
		return icmp_nat_quote(false, iph, in, ports, &ic->checksum,
				      data_end, c->end, &fv, lc, bep);
	}
	lc->seed = fk.src ^ ((__u32)fk.sport << 16 | fk.dport);
	pk = mask4(fk.src, XLB_VIP_PREFIX(vm->flags));
	return resolve_flow4(&fk, pk, lc, &l4, in->protocol, bep);
}

static __always_inline int process_icmp6(struct hdr_cursor *c, void *data_end,
					 struct ethhdr *eth,
					 struct ipv6hdr *ip6h, struct lb_ctx *lc,
					 struct backend_info **bep)
{
	struct icmp6hdr *ic = c->pos;
	struct flow_key_v6 fk = {};
	const struct vip_meta *vm;
	struct l4_info l4 = {};
	struct ipv6hdr *in;
	__be16 *ports;
	__u32 pk[4];

	if ((void *)(ic + 1) > data_end || (void *)(ic + 1) > c->end)
		return -XLB_PASS_MALFORMED;
	if (ic->icmp6_type == ICMPV6_ECHO_REQUEST && ic->icmp6_code == 0) {
		vm = vip_find6((__be32 *)&ip6h->daddr, 0, IPPROTO_ICMPV6);
		if (!vm)
			return -XLB_PASS_NOT_VIP;
		lc->svc_id = vm->svc_id;
		icmp6_echo_reply(eth, ip6h, ic);
		lc->echo = true;
		return 0;
	}
	if (ic->icmp6_type != ICMPV6_DEST_UNREACH &&
	    ic->icmp6_type != ICMPV6_PKT_TOOBIG &&
	    ic->icmp6_type != ICMPV6_TIME_EXCEED)
		return -XLB_PASS_NOT_L4;
	in = (void *)(ic + 1);
	ports = (void *)(in + 1);
	if ((void *)(ports + 2) > data_end || (void *)(ports + 2) > c->end ||
	    in->version != 6)
		return -XLB_PASS_MALFORMED;
	if (in->nexthdr != IPPROTO_TCP && in->nexthdr != IPPROTO_UDP)
		return -XLB_PASS_NOT_VIP;
	vm = vip_find6((__be32 *)&in->saddr, ports[0], in->nexthdr);
	if (!vm)
		return -XLB_PASS_NOT_VIP;
	lb_ctx_vip(lc, vm);
	lc->inner6 = true;
	lc->no_pin = true;
	lc->reason = XLB_TX_ICMP_ERROR;
	__builtin_memcpy(fk.src, &in->daddr, sizeof(fk.src));
	__builtin_memcpy(fk.dst, &in->saddr, sizeof(fk.dst));
	fk.sport = ports[1];
	fk.dport = ports[0];
	fk.proto = in->nexthdr;
	if (vm->flags & XLB_VIP_F_NAT) {
		/* no entry: fv stays zero, no nat port: not ours */
		__u64 h = xlb_hash((const __u32 *)&fk, sizeof(fk) / 4), m;
		struct flow_value fv = {};
		struct xlb_ft_bucket *b;
		struct xlb_ft_keys *k;
		struct ft_key key;
		__u32 idx;

		if (flow_find6(&fk, vm->svc_id, h, &b, &k, &idx, &key, &m) >= 0)
			ft_value(m, bpf_ktime_get_coarse_ns(), &fv);
		return icmp_nat_quote(true, ip6h, in, ports, &ic->icmp6_cksum,
				      data_end, c->end, &fv, lc, bep);
	}
	lc->seed = fk.src[0] ^ fk.src[1] ^ fk.src[2] ^ fk.src[3] ^
		   ((__u32)fk.sport << 16 | fk.dport);
	for (int i = 0; i < 4; i++)
		pk[i] = mask6_word(fk.src[i], XLB_VIP_PREFIX(vm->flags), i);
	return resolve_flow6(&fk, pk, lc, &l4, in->nexthdr, bep);
}

#endif
