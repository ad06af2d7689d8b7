// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * xdp-lb data path: pick a back end for each packet to a service (VIP),
 * keep a flow on the back end it started on, forward by direct server
 * return. Every packet leaves through one counted exit.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "consts.h"
#include "xdp_lb.h"
#include "jhash.h"
#include "maps.h"
#include "parsing.h"
#include "counters.h"

/* Set by the controller before load. */
const volatile __u32 table_size = XLB_DEFAULT_TABLE_SIZE;
const volatile __u8 if_mac[ETH_ALEN] = {};
/* nat: the internal interface (0: none) and its MAC. */
const volatile __u32 nat_ifindex = 0;
const volatile __u8 int_mac[ETH_ALEN] = {};

#include "csum.h"
#include "dsr.h"
#include "icmp.h"
#include "tunnel.h"
#include "nat.h"

/* What the address-family specific part found: the service, and the flow
 * pinned to a back end (or not). */
struct lb_ctx {
	__u32 svc_id;
	__u32 flow_hash;
	__u32 backend_id;
	__u32 reason;	 /* the exit's reason when forwarded */
	bool new_flow;	 /* pinned a new flow */
	bool persist;	 /* slot from the client address (src-ip) */
	bool no_pin;	 /* ICMP error: find the flow, never pin one */
	bool echo;	 /* answered in place (ICMP echo) */
	bool tunnel;	 /* forward encapsulated (vip flag) */
	bool inner6;	 /* the packet is IPv6 */
	__u32 seed;	 /* client address and ports, for the outer source */
	bool nat;	 /* two-armed NAT (vip flag) */
	__be16 nat_port; /* nat: the flow's port on our internal side */
	/* nat: what a new mapping records */
	int family;
	__be32 caddr[4], vaddr[4];
	__be16 cport, vport;
	__u8 proto;
	__u8 cmac[ETH_ALEN];
};

/*
 * The new-flow flood guard: a per-CPU token bucket in nanoseconds of
 * credit. Over the rate a new flow is still forwarded by the table, but not
 * pinned, so a SYN flood cannot evict established flows from the LRU.
 */
static __always_inline bool flood_allow(__u64 now)
{
	struct flood_state *f;
	struct lb_cfg *cfg;
	__u32 key = 0;
	__u64 credit;

	cfg = bpf_map_lookup_elem(&xlb_cfg, &key);
	if (!cfg || !cfg->flow_cost_ns)
		return true;
	f = bpf_map_lookup_elem(&flood, &key);
	if (!f)
		return true;
	credit = f->credit_ns + (now - f->last_ns);
	f->last_ns = now;
	if (credit > cfg->bucket_ns)
		credit = cfg->bucket_ns;
	if (credit < cfg->flow_cost_ns) {
		f->credit_ns = credit;
		return false;
	}
	f->credit_ns = credit - cfg->flow_cost_ns;
	return true;
}

/* Back end for a new flow: the service table's slot for the flow's hash. */
static __always_inline int pick_backend(struct lb_ctx *lc)
{
	__u32 slot, *id;
	void *table;

	table = bpf_map_lookup_elem(&svc_tables, &lc->svc_id);
	if (!table)
		return -XLB_DROP_NO_BACKEND;
	slot = lc->flow_hash % table_size;
	id = bpf_map_lookup_elem(table, &slot);
	if (!id || *id == XLB_NO_BACKEND)
		return -XLB_DROP_NO_BACKEND;
	lc->backend_id = *id;
	return 0;
}

/* TCP state seen from the client, and the coarse last-seen time. The entry
 * is written only when something changed, to keep the cache line clean. */
static __always_inline void flow_touch(struct flow_value *fv,
				       const struct l4_info *l4, __u8 proto,
				       __u64 now)
{
	__u8 state = fv->state;

	if (proto == IPPROTO_TCP) {
		if (l4->rst)
			state = XLB_FLOW_RST;
		else if (l4->fin)
			state = XLB_FLOW_FIN;
		else if (l4->syn && !l4->ack)
			state = XLB_FLOW_SYN;
		else if (l4->ack && state == XLB_FLOW_SYN)
			state = XLB_FLOW_ESTABLISHED;
	}
	if (state != fv->state)
		fv->state = state;
	if (now - fv->last_seen > NSEC_PER_SEC)
		fv->last_seen = now;
}

static __always_inline __u8 initial_state(const struct l4_info *l4, __u8 proto)
{
	if (proto != IPPROTO_TCP)
		return XLB_FLOW_NEW;
	if (l4->rst)
		return XLB_FLOW_RST;
	if (l4->fin)
		return XLB_FLOW_FIN;
	if (l4->syn && !l4->ack)
		return XLB_FLOW_SYN;
	return XLB_FLOW_ESTABLISHED;
}

/*
 * Resolve the back end for a flow: the pinned one if it is still usable,
 * otherwise a fresh pick that is pinned (insert or overwrite). The hash
 * that picks the slot (of the key_words-word flow key, or with src-ip
 * persistence of the pkey_words-word masked client address) is computed
 * on that path alone, not for a pinned flow.
 */
static __always_inline int resolve_flow(void *flows, void *key,
					__u32 key_words, const __u32 *pkey,
					__u32 pkey_words, struct lb_ctx *lc,
					const struct l4_info *l4, __u8 proto,
					struct backend_info **bep)
{
	struct flow_value *fv, nv = {};
	struct backend_info *be;
	__u64 now = bpf_ktime_get_coarse_ns();
	int ret;

	fv = bpf_map_lookup_elem(flows, key);
	if (fv) {
		be = bpf_map_lookup_elem(&backends, &fv->backend_id);
		if (be && be->state == XLB_BE_ACTIVE &&
		    be->svc_id == lc->svc_id && (!lc->nat || fv->nat_port)) {
			lc->nat_port = fv->nat_port;
			lc->backend_id = fv->backend_id;
			if (!lc->no_pin)
				flow_touch(fv, l4, proto, now);
			*bep = be;
			return 0;
		}
		/* The back end was removed: pick again. */
	}
	if (lc->persist)
		lc->flow_hash = jhash2(pkey, pkey_words, XLB_HASH_SEED);
	else
		lc->flow_hash = jhash2(key, key_words, XLB_HASH_SEED);
	ret = pick_backend(lc);
	if (ret < 0)
		return ret;
	be = bpf_map_lookup_elem(&backends, &lc->backend_id);
	if (!be || be->state != XLB_BE_ACTIVE)
		return -XLB_DROP_NO_BACKEND;
	*bep = be;
	if (lc->no_pin)
		return 0;
	if (!flood_allow(now)) {
		if (lc->nat) /* no mapping: cannot be forwarded at all */
			return -XLB_DROP_NAT_FLOOD;
		lc->reason = XLB_TX_UNPINNED;
		return 0;
	}
	if (lc->nat) {
		ret = nat_alloc(be, lc->vport, lc->proto, lc->family, lc->caddr,
				lc->cport, lc->vaddr, lc->cmac, &lc->nat_port);
		if (ret < 0)
			return ret;
		nv.nat_port = lc->nat_port;
	}
	nv.backend_id = lc->backend_id;
	nv.state = initial_state(l4, proto);
	nv.last_seen = now;
	bpf_map_update_elem(flows, key, &nv, BPF_ANY);
	lc->new_flow = true;
	return 0;
}

/* The client address masked to the persistence prefix (IPv4). */
static __always_inline __be32 mask4(__be32 a, __u32 plen)
{
	if (plen >= 32)
		return a;
	if (!plen)
		return 0;
	return a & bpf_htonl(~0u << (32 - plen));
}

/* One 32-bit word of an IPv6 address masked to plen (word i). */
static __always_inline __be32 mask6_word(__be32 w, __u32 plen, int i)
{
	__u32 bits = plen > 32 * i ? plen - 32 * i : 0;

	return mask4(w, bits > 32 ? 32 : bits);
}

/*
 * ICMP to a VIP address: an echo request is answered; an error quoting a
 * service flow goes to that flow's back end (looked up, never pinned).
 * Anything else is not ours.
 */
static __always_inline int process_icmp4(struct hdr_cursor *c, void *data_end,
					 struct ethhdr *eth, struct iphdr *iph,
					 struct lb_ctx *lc,
					 struct backend_info **bep)
{
	struct icmphdr *ic = c->pos;
	struct flow_key_v4 fk = {};
	struct vip_key_v4 vk = {};
	struct l4_info l4 = {};
	struct iphdr *in;
	struct vip_meta *vm;
	__be16 *ports;
	__u32 pk;

	if ((void *)(ic + 1) > data_end)
		return -XLB_PASS_MALFORMED;
	if (ic->type == ICMP_ECHO && ic->code == 0) {
		vk.addr = iph->daddr;
		vk.proto = IPPROTO_ICMP;
		vm = bpf_map_lookup_elem(&vips_v4, &vk);
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
	if ((void *)(in + 1) > data_end || in->version != 4 || in->ihl < 5)
		return -XLB_PASS_MALFORMED;
	ports = (void *)in + in->ihl * 4;
	if ((void *)(ports + 2) > data_end)
		return -XLB_PASS_MALFORMED;
	if (in->protocol != IPPROTO_TCP && in->protocol != IPPROTO_UDP)
		return -XLB_PASS_NOT_VIP;
	vk.addr = in->saddr;
	vk.port = ports[0];
	vk.proto = in->protocol;
	vm = bpf_map_lookup_elem(&vips_v4, &vk);
	if (!vm)
		return -XLB_PASS_NOT_VIP;
	lc->svc_id = vm->svc_id;
	lc->persist = vm->flags & XLB_VIP_F_SRC_IP;
	lc->tunnel = vm->flags & XLB_VIP_F_TUNNEL;
	lc->no_pin = true;
	lc->reason = XLB_TX_ICMP_ERROR;
	if (vm->flags & XLB_VIP_F_NAT) {
		struct flow_key_v4 nk = { .src = in->daddr, .dst = in->saddr,
					  .sport = ports[1], .dport = ports[0],
					  .proto = in->protocol };
		__u16 *ucsum = NULL, old, old_u = 0;
		struct flow_value *fv;
		struct backend_info *be;
		struct lb_cfg *cfg;
		__u32 key = 0;

		fv = bpf_map_lookup_elem(&flows_v4, &nk);
		cfg = bpf_map_lookup_elem(&xlb_cfg, &key);
		if (!fv || !fv->nat_port || !cfg)
			return -XLB_PASS_NOT_VIP; /* no mapping: not ours */
		be = bpf_map_lookup_elem(&backends, &fv->backend_id);
		if (!be || be->state != XLB_BE_ACTIVE || be->family != AF_INET)
			return -XLB_PASS_NOT_VIP;
		if (in->protocol == IPPROTO_UDP &&
		    (void *)(ports + 4) <= data_end && ports[3]) {
			ucsum = (__u16 *)&ports[3];
			old_u = *ucsum;
		}
		/* outer: to the back end */
		addr_replace(&iph->daddr, be->addr, 1, &iph->check, NULL);
		/* quote: back end:bport -> our address:nat port */
		old = in->check;
		icmp_addr(&in->saddr, be->addr, 1, &ic->checksum, &in->check,
			  ucsum);
		icmp_addr(&in->daddr, &cfg->nat_src4, 1, &ic->checksum,
			  &in->check, ucsum);
		icmp_sum_word(&ic->checksum, old, in->check);
		if (be->port) {
			if (ucsum)
				csum_replace2(ucsum, ports[0], be->port);
			icmp_word(&ports[0], be->port, &ic->checksum);
		}
		if (ucsum)
			csum_replace2(ucsum, ports[1], fv->nat_port);
		icmp_word(&ports[1], fv->nat_port, &ic->checksum);
		if (ucsum) { /* the quoted UDP sum is ICMP payload too */
			udp_zero_fix(ucsum, IPPROTO_UDP);
			icmp_sum_word(&ic->checksum, old_u, *ucsum);
		}
		lc->nat = true;
		lc->backend_id = fv->backend_id;
		*bep = be;
		return 0;
	}
	fk.src = in->daddr;
	fk.dst = in->saddr;
	fk.sport = ports[1];
	fk.dport = ports[0];
	fk.proto = in->protocol;
	lc->seed = fk.src ^ ((__u32)fk.sport << 16 | fk.dport);
	pk = mask4(fk.src, XLB_VIP_PREFIX(vm->flags));
	return resolve_flow(&flows_v4, &fk, sizeof(fk) / 4, &pk, 1, lc, &l4,
			    in->protocol, bep);
}

static __always_inline int process_icmp6(struct hdr_cursor *c, void *data_end,
					 struct ethhdr *eth,
					 struct ipv6hdr *ip6h, struct lb_ctx *lc,
					 struct backend_info **bep)
{
	struct icmp6hdr *ic = c->pos;
	struct flow_key_v6 fk = {};
	struct vip_key_v6 vk = {};
	struct l4_info l4 = {};
	struct ipv6hdr *in;
	struct vip_meta *vm;
	__be16 *ports;
	__u32 pk[4];

	if ((void *)(ic + 1) > data_end)
		return -XLB_PASS_MALFORMED;
	if (ic->icmp6_type == ICMPV6_ECHO_REQUEST && ic->icmp6_code == 0) {
		__builtin_memcpy(vk.addr, &ip6h->daddr, sizeof(vk.addr));
		vk.proto = IPPROTO_ICMPV6;
		vm = bpf_map_lookup_elem(&vips_v6, &vk);
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
	if ((void *)(ports + 2) > data_end || in->version != 6)
		return -XLB_PASS_MALFORMED;
	if (in->nexthdr != IPPROTO_TCP && in->nexthdr != IPPROTO_UDP)
		return -XLB_PASS_NOT_VIP;
	__builtin_memcpy(vk.addr, &in->saddr, sizeof(vk.addr));
	vk.port = ports[0];
	vk.proto = in->nexthdr;
	vm = bpf_map_lookup_elem(&vips_v6, &vk);
	if (!vm)
		return -XLB_PASS_NOT_VIP;
	lc->svc_id = vm->svc_id;
	lc->persist = vm->flags & XLB_VIP_F_SRC_IP;
	lc->tunnel = vm->flags & XLB_VIP_F_TUNNEL;
	lc->inner6 = true;
	lc->no_pin = true;
	lc->reason = XLB_TX_ICMP_ERROR;
	if (vm->flags & XLB_VIP_F_NAT) {
		struct flow_key_v6 nk = { .sport = ports[1], .dport = ports[0],
					  .proto = in->nexthdr };
		__u16 *ucsum = NULL, old_u = 0;
		struct flow_value *fv;
		struct backend_info *be;
		struct lb_cfg *cfg;
		__u32 key = 0;

		__builtin_memcpy(nk.src, &in->daddr, sizeof(nk.src));
		__builtin_memcpy(nk.dst, &in->saddr, sizeof(nk.dst));
		fv = bpf_map_lookup_elem(&flows_v6, &nk);
		cfg = bpf_map_lookup_elem(&xlb_cfg, &key);
		if (!fv || !fv->nat_port || !cfg)
			return -XLB_PASS_NOT_VIP; /* no mapping: not ours */
		be = bpf_map_lookup_elem(&backends, &fv->backend_id);
		if (!be || be->state != XLB_BE_ACTIVE ||
		    be->family != AF_INET6)
			return -XLB_PASS_NOT_VIP;
		if (in->nexthdr == IPPROTO_UDP &&
		    (void *)(ports + 4) <= data_end) {
			ucsum = (__u16 *)&ports[3];
			old_u = *ucsum;
		}
		/* outer: to the back end (in the ICMPv6 pseudo-header) */
		icmp_addr(ip6h->daddr.in6_u.u6_addr32, be->addr, 4,
			  &ic->icmp6_cksum, NULL, NULL);
		/* quote: back end:bport -> our address:nat port */
		icmp_addr(in->saddr.in6_u.u6_addr32, be->addr, 4,
			  &ic->icmp6_cksum, NULL, ucsum);
		icmp_addr(in->daddr.in6_u.u6_addr32, cfg->nat_src6, 4,
			  &ic->icmp6_cksum, NULL, ucsum);
		if (be->port) {
			if (ucsum)
				csum_replace2(ucsum, ports[0], be->port);
			icmp_word(&ports[0], be->port, &ic->icmp6_cksum);
		}
		if (ucsum)
			csum_replace2(ucsum, ports[1], fv->nat_port);
		icmp_word(&ports[1], fv->nat_port, &ic->icmp6_cksum);
		if (ucsum) {
			udp_zero_fix(ucsum, IPPROTO_UDP);
			icmp_sum_word(&ic->icmp6_cksum, old_u, *ucsum);
		}
		lc->nat = true;
		lc->backend_id = fv->backend_id;
		*bep = be;
		return 0;
	}
	__builtin_memcpy(fk.src, &in->daddr, sizeof(fk.src));
	__builtin_memcpy(fk.dst, &in->saddr, sizeof(fk.dst));
	fk.sport = ports[1];
	fk.dport = ports[0];
	fk.proto = in->nexthdr;
	lc->seed = fk.src[0] ^ fk.src[1] ^ fk.src[2] ^ fk.src[3] ^
		   ((__u32)fk.sport << 16 | fk.dport);
	for (int i = 0; i < 4; i++)
		pk[i] = mask6_word(fk.src[i], XLB_VIP_PREFIX(vm->flags), i);
	return resolve_flow(&flows_v6, &fk, sizeof(fk) / 4, pk, 4, lc, &l4,
			    in->nexthdr, bep);
}

static __always_inline int process_ipv4(struct hdr_cursor *c, void *data_end,
					struct ethhdr *eth, struct lb_ctx *lc,
					struct backend_info **bep)
{
	struct flow_key_v4 fk = {};
	struct vip_key_v4 vk = {};
	struct l4_info l4 = {};
	struct vip_meta *vm;
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
	vk.addr = iph->daddr;
	vk.port = l4.dport;
	vk.proto = proto;
	vm = bpf_map_lookup_elem(&vips_v4, &vk);
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
	ret = resolve_flow(&flows_v4, &fk, sizeof(fk) / 4, &pk, 1, lc, &l4,
			   proto, bep);
	if (ret < 0 || !lc->nat)
		return ret;
	return nat_rewrite4(iph, c->pos, data_end, proto, *bep, lc->nat_port);
}

static __always_inline int process_ipv6(struct hdr_cursor *c, void *data_end,
					struct ethhdr *eth, struct lb_ctx *lc,
					struct backend_info **bep)
{
	struct flow_key_v6 fk = {};
	struct vip_key_v6 vk = {};
	struct l4_info l4 = {};
	struct ipv6hdr *ip6h;
	struct vip_meta *vm;
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
	__builtin_memcpy(vk.addr, &ip6h->daddr, sizeof(vk.addr));
	vk.port = l4.dport;
	vk.proto = proto;
	vm = bpf_map_lookup_elem(&vips_v6, &vk);
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
	ret = resolve_flow(&flows_v6, &fk, sizeof(fk) / 4, pk, 4, lc, &l4,
			   proto, bep);
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
	       reason == XLB_DROP_NAT_FLOOD;
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
			count_lb(&stats_svc, lc.svc_id, bytes, false);
		}
	} else if (lc.echo) {
		action = XDP_TX;
		reason = XLB_TX_ICMP_ECHO;
	} else if (be) {
		reason = lc.reason;
		if (lc.nat) {
			action = nat_redirect(eth, be);
			if (reason != XLB_TX_ICMP_ERROR)
				reason = XLB_REDIRECT_NAT;
		}
		else if (!lc.tunnel)
			action = dsr_forward(eth, be);
		else if ((ret = tunnel_forward(ctx, l2len, lc.inner6, be,
					       lc.seed)) >= 0)
			action = ret;
		else
			action = XDP_DROP, reason = -ret;
		count_lb(&stats_svc, lc.svc_id, bytes, lc.new_flow);
		count_lb(&stats_backend, lc.backend_id, bytes, lc.new_flow);
	}
	count_reason(reason, bytes);
	return action;
}

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
		o->nexthdr = inner6 ? IPPROTO_IPV6_ : IPPROTO_IPIP_;
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
		o->protocol = IPPROTO_IPIP_;
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

char LICENSE[] SEC("license") = "Dual BSD/GPL";
