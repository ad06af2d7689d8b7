/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Two-armed NAT. Toward a back end (external interface in, internal out):
 * destination VIP:port -> back end:port, source client:port -> our
 * internal address:a port of our own, chosen per flow from the port range
 * (xlb_cfg, the config's nat_ports) so that no two flows to one back end
 * share it (nat_rev holds the mapping; BPF_NOEXIST makes the choice
 * race-free across CPUs). Replies (internal in, external out) are
 * translated back from nat_rev. Checksums are fixed incrementally
 * (csum.h); a UDP checksum of 0 (IPv4: none) stays 0. ICMP errors about
 * a nat flow are in icmp.h.
 */
#ifndef XLB_NAT_H
#define XLB_NAT_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "consts.h"
#include "xdp_lb.h"
#include "settings.h"
#include "maps.h"
#include "xlb_hash.h"
#include "parsing.h"
#include "csum.h"
#include "eth.h"

#define NAT_TRIES 16

/*
 * A port for a new flow toward back end be: insert the reply mapping with
 * the first free port from the cursor of the back end's address and port
 * (nat_next), which then moves past it. One cursor for all CPUs and
 * services (an atomic add claims the start): the back end's ports are
 * handed out in order, so a freed port is reused as late as possible (the back end's
 * TIME_WAIT for it is most likely gone) and its used ports lie behind the
 * cursor, so the search finds a free one until the range is nearly full.
 * If NAT_TRIES ports in a row are taken (long-lived flows opened one after
 * another), the cursor moves past them and NAT_TRIES more are tried from a
 * random place. 0 and *port set, or a negative reason.
 */
static __always_inline int nat_alloc(const struct backend_info *be,
				     __be16 vport, __u8 proto, int family,
				     const __be32 *caddr, __be16 cport,
				     const __be32 *vaddr,
				     const __u8 *cmac, __be16 *port)
{
	struct nat_value v = {};
	struct nat_key k = {};
	struct lb_cfg *cfg;
	__u32 key = 0, span, start, *next;

	__builtin_memcpy(k.baddr, be->addr, sizeof(k.baddr));
	k.bport = be->port ? be->port : vport;
	k.proto = proto;
	k.family = family;
	/* the cursor of this back-end address and port: words 0-4 of the
	 * key (address, then port and the lport still 0) */
	key = xlb_hash((const __u32 *)&k, 5) & (XLB_NAT_CURSORS - 1);
	next = bpf_map_lookup_elem(&nat_next, &key);
	key = 0;
	cfg = bpf_map_lookup_elem(&xlb_cfg, &key);
	if (!cfg || !next || !cfg->nat_port_min || !nat_ifindex ||
	    cfg->nat_port_max < cfg->nat_port_min)
		return -XLB_DROP_NAT_OFF;
	/* the internal interface is gone: no port for a flow that cannot
	 * be sent anywhere */
	key = XLB_PORT_INT;
	if (!bpf_map_lookup_elem(&tx_ports, &key))
		return -XLB_DROP_NAT_NO_IFACE;
	span = cfg->nat_port_max - cfg->nat_port_min + 1;
	start = __sync_fetch_and_add(next, 1) % span;
	for (int i = 0; i < 4; i++) {
		if (family == AF_INET && i)
			break;
		v.caddr[i] = caddr[i];
		v.vaddr[i] = vaddr[i];
	}
	v.cport = cport;
	v.vport = vport;
	__builtin_memcpy(v.cmac, cmac, ETH_ALEN);
	for (__u32 i = 0; i < 2 * NAT_TRIES; i++) {
		__u32 p;

		if (i == NAT_TRIES) { /* from a random place: (start + i) */
			__sync_fetch_and_add(next, NAT_TRIES);
			start = bpf_get_prandom_u32() % span + span - NAT_TRIES;
		}
		p = cfg->nat_port_min + (start + i) % span;
		k.lport = bpf_htons(p);
		if (!bpf_map_update_elem(&nat_rev, &k, &v, BPF_NOEXIST)) {
			*port = k.lport;
			if (i && i < NAT_TRIES) /* past the ports taken */
				__sync_fetch_and_add(next, i);
			return 0;
		}
	}
	return -XLB_DROP_NAT_NO_PORT;
}

/* Delete the mapping of port toward back end be if it is still this
 * client's (a flow that moved to another back end). */
static __always_inline void nat_free(const struct backend_info *be,
				     __be16 vport, __u8 proto, int family,
				     const __be32 *caddr, __be16 cport,
				     __be16 port)
{
	struct nat_value *v;
	struct nat_key k = {};

	__builtin_memcpy(k.baddr, be->addr, sizeof(k.baddr));
	k.bport = be->port ? be->port : vport;
	k.lport = port;
	k.proto = proto;
	k.family = family;
	v = bpf_map_lookup_elem(&nat_rev, &k);
	if (v && v->cport == cport && v->caddr[0] == caddr[0] &&
	    v->caddr[3] == caddr[3])
		bpf_map_delete_elem(&nat_rev, &k);
}

/* Rewrite a client's packet toward back end be (IPv4). */
static __always_inline int nat_rewrite4(struct iphdr *iph, void *l4,
					void *data_end, __u8 proto,
					const struct backend_info *be,
					__be16 nat_port)
{
	struct tcphdr *th = l4; /* ports sit at the same place in UDP */
	__u16 *sum = l4_csum(l4, data_end, proto, false);
	struct lb_cfg *cfg;
	__u32 key = 0;

	cfg = bpf_map_lookup_elem(&xlb_cfg, &key);
	if (!cfg || (void *)((__be16 *)l4 + 2) > data_end)
		return -XLB_DROP_NAT_OFF;
	addr_replace(&iph->daddr, be->addr, 1, &iph->check, sum, NULL);
	addr_replace(&iph->saddr, &cfg->nat_src4, 1, &iph->check, sum, NULL);
	if (be->port)
		port_replace(&th->dest, be->port, sum, NULL);
	port_replace(&th->source, nat_port, sum, NULL);
	udp_zero_fix(sum, proto);
	return 0;
}

static __always_inline int nat_rewrite6(struct ipv6hdr *ip6h, void *l4,
					void *data_end, __u8 proto,
					const struct backend_info *be,
					__be16 nat_port)
{
	struct tcphdr *th = l4;
	__u16 *sum = l4_csum(l4, data_end, proto, true);
	struct lb_cfg *cfg;
	__u32 key = 0;

	cfg = bpf_map_lookup_elem(&xlb_cfg, &key);
	if (!cfg || (void *)((__be16 *)l4 + 2) > data_end)
		return -XLB_DROP_NAT_OFF;
	addr_replace(ip6h->daddr.in6_u.u6_addr32, be->addr, 4, NULL, sum, NULL);
	addr_replace(ip6h->saddr.in6_u.u6_addr32, cfg->nat_src6, 4, NULL, sum,
		     NULL);
	if (be->port)
		port_replace(&th->dest, be->port, sum, NULL);
	port_replace(&th->source, nat_port, sum, NULL);
	udp_zero_fix(sum, proto);
	return 0;
}

/* Out of the internal interface to the back end's MAC: XDP_REDIRECT, or
 * XDP_DROP when its tx_ports slot is empty (the interface was deleted):
 * the fallback action of bpf_redirect_map, instead of XDP_ABORTED. */
static __always_inline int nat_redirect(struct ethhdr *eth,
					const struct backend_info *be)
{
	eth_set_addrs(eth, be->mac, int_mac);
	return bpf_redirect_map(&tx_ports, XLB_PORT_INT, XDP_DROP);
}

/*
 * A packet on the internal interface: a reply to one of our mappings is
 * translated back and sent out of the external interface to the client's
 * side (XDP_REDIRECT, or XDP_DROP when that interface is gone); anything
 * else is the kernel's, untouched, counted by the reason it is not ours:
 * parsed as strictly as the client side (parsing.h), so a malformed
 * header, a fragment or an extension header is never translated.
 */
static __always_inline int nat_reply(struct xdp_md *ctx, __u32 *reason)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	struct hdr_cursor c = { .pos = data };
	struct l4_info l4 = {};
	struct iphdr *iph = NULL;
	struct ipv6hdr *ip6h = NULL;
	struct nat_value *v;
	struct nat_key k = {};
	struct ethhdr *eth;
	struct tcphdr *th;
	__u16 *sum;
	int ret;

	ret = parse_eth(&c, data_end, &eth);
	if (ret == ETH_P_IP)
		ret = parse_ipv4(&c, data_end, &iph);
	else if (ret == ETH_P_IPV6)
		ret = parse_ipv6(&c, data_end, &ip6h);
	else if (ret >= 0)
		ret = -XLB_PASS_NOT_IP;
	if (ret >= 0)
		ret = parse_l4(&c, data_end, ret, &l4);
	if (ret < 0) {
		*reason = -ret;
		return XDP_PASS;
	}
	th = c.pos; /* ports sit at the same place in UDP */
	if ((void *)((__be16 *)th + 2) > data_end)
		return XDP_PASS; /* checked by parse_l4; for the verifier */
	k.bport = l4.sport;
	k.lport = l4.dport;
	k.proto = ret;
	if (iph) {
		k.baddr[0] = iph->saddr;
		k.family = AF_INET;
	} else if (ip6h) {
		__builtin_memcpy(k.baddr, &ip6h->saddr, sizeof(k.baddr));
		k.family = AF_INET6;
	}
	v = bpf_map_lookup_elem(&nat_rev, &k);
	if (!v) {
		*reason = XLB_PASS_NOT_VIP;
		return XDP_PASS;
	}
	sum = l4_csum(th, data_end, k.proto, !iph);
	if (iph) {
		addr_replace(&iph->saddr, v->vaddr, 1, &iph->check, sum, NULL);
		addr_replace(&iph->daddr, v->caddr, 1, &iph->check, sum, NULL);
	} else if (ip6h) {
		addr_replace(ip6h->saddr.in6_u.u6_addr32, v->vaddr, 4, NULL,
			     sum, NULL);
		addr_replace(ip6h->daddr.in6_u.u6_addr32, v->caddr, 4, NULL,
			     sum, NULL);
	}
	port_replace(&th->source, v->vport, sum, NULL);
	port_replace(&th->dest, v->cport, sum, NULL);
	udp_zero_fix(sum, k.proto);
	eth_set_addrs(eth, v->cmac, if_mac);
	if (bpf_redirect_map(&tx_ports, XLB_PORT_EXT, XDP_DROP) !=
	    XDP_REDIRECT) {
		*reason = XLB_DROP_NAT_NO_IFACE;
		return XDP_DROP;
	}
	*reason = XLB_REDIRECT_NAT_REPLY;
	return XDP_REDIRECT;
}

#endif
