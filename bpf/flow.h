/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Flow pinning: a packet of a known flow goes to the back end the flow is
 * pinned to (flows4 or flows6, the cache-line tables of flowtab.h) while
 * that back end is active; a new flow
 * takes the service table's slot for its hash and is pinned there, unless
 * the new-flow flood guard is over its rate. A packet that opens a new
 * connection on an existing entry (flow_opens_new()) is a new flow too:
 * picked from the current table, its entry replaced. The flow's TCP state
 * and last-seen time are kept for the controller's sweep.
 */
#ifndef XLB_FLOW_H
#define XLB_FLOW_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "consts.h"
#include "xdp_lb.h"
#include "settings.h"
#include "maps.h"
#include "xlb_hash.h"
#include "parsing.h"
#include "nat.h"
#include "flowtab.h"

/* What the address-family specific part found: the service, and the flow
 * pinned to a back end (or not). */
struct lb_ctx {
	__u32 svc_id;
	__u64 flow_hash; /* xlb_hash() of the flow, or of the masked client */
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

/* What the service's VIP entry says about the packet's flow. */
static __always_inline void lb_ctx_vip(struct lb_ctx *lc,
				       const struct vip_meta *vm)
{
	lc->svc_id = vm->svc_id;
	lc->persist = vm->flags & XLB_VIP_F_SRC_IP;
	lc->tunnel = vm->flags & XLB_VIP_F_TUNNEL;
}

/*
 * The new-flow flood guard: a per-CPU token bucket in nanoseconds of
 * credit. Over the rate a new flow is still forwarded by the table, but not
 * pinned, so a SYN flood cannot evict established flows from the table.
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
	slot = xlb_slot(lc->flow_hash, table_size);
	id = bpf_map_lookup_elem(table, &slot);
	if (!id || *id == XLB_NO_BACKEND)
		return -XLB_DROP_NO_BACKEND;
	lc->backend_id = *id;
	return 0;
}

/* TCP state seen from the client after this packet. */
static __always_inline __u8 flow_next_state(__u8 state,
					    const struct l4_info *l4,
					    __u8 proto)
{
	if (proto != IPPROTO_TCP)
		return state;
	if (l4->rst)
		return XLB_FLOW_RST;
	if (l4->fin)
		return XLB_FLOW_FIN;
	if (l4->syn && !l4->ack)
		return XLB_FLOW_SYN;
	if (l4->ack && (state == XLB_FLOW_SYN || state == XLB_FLOW_PICKUP))
		return XLB_FLOW_ESTABLISHED;
	return state;
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
	return XLB_FLOW_PICKUP;
}

/* A SYN that meets an entry in SYN state seen less than this long ago is
 * a retransmission of that entry's opening SYN (Linux resends it after 1,
 * then 2 s; last_seen is refreshed at most once a second). */
#define XLB_SYN_RETX_NS (3 * NSEC_PER_SEC)
/* UDP has no SYN: a datagram on an entry idle longer than this is a new
 * flow for a back end that takes no new flows. */
#define XLB_UDP_NEW_NS (60 * NSEC_PER_SEC)

/*
 * Does this packet open a new connection on an existing entry fv, pinned
 * to the usable back end be? Then it is picked from the current table like
 * a miss, and the entry replaced. TCP: a SYN without ACK (and without
 * RST/FIN) opens a connection. On an entry closed by FIN or RST it is
 * always new (the client reuses its port), and on a PICKUP entry (one
 * packet that opened nothing: a guess from the table) too. On an entry
 * whose back end takes no new flows it is new unless it is the entry's
 * own opening SYN again: state SYN and seen within XLB_SYN_RETX_NS. On a SYN or
 * established entry of a back end that takes new flows it stays. UDP: a
 * datagram is new when the back end takes no new flows and the entry was
 * idle longer than XLB_UDP_NEW_NS. docs/modes.md has the reasoning.
 */
static __always_inline bool flow_opens_new(const struct flow_value *fv,
					   const struct backend_info *be,
					   const struct l4_info *l4,
					   __u8 proto, __u64 now)
{
	bool takes_new = !(be->flags & XLB_BE_F_NO_NEW);
	__u64 age = now > fv->last_seen ? now - fv->last_seen : 0;

	if (proto == IPPROTO_UDP)
		return !takes_new && age > XLB_UDP_NEW_NS;
	if (!l4->syn || l4->ack || l4->rst || l4->fin)
		return false;
	if (fv->state == XLB_FLOW_FIN || fv->state == XLB_FLOW_RST ||
	    fv->state == XLB_FLOW_PICKUP)
		return true;
	if (takes_new)
		return false;
	return fv->state != XLB_FLOW_SYN || age >= XLB_SYN_RETX_NS;
}

/* Can this packet open a new connection on an entry pinned to be at all
 * (flow_opens_new()'s cheap half: false means it does not)? TCP: a SYN
 * without ACK, RST or FIN; UDP: a back end that takes no new flows. */
static __always_inline bool flow_may_open(const struct backend_info *be,
					  const struct l4_info *l4, __u8 proto)
{
	if (proto == IPPROTO_UDP)
		return be->flags & XLB_BE_F_NO_NEW;
	return l4->syn && !l4->ack && !l4->rst && !l4->fin;
}

/*
 * nat: the new flow's port. A flow that opened again on the back end its
 * entry had keeps its port (the back end's TIME_WAIT for it accepts the new
 * SYN: what nat_time_wait keeps the entry for); on another back end it
 * gets a fresh mapping and the old one goes.
 */
static __always_inline int nat_port_for(struct lb_ctx *lc,
					const struct backend_info *be,
					__u32 old_id, __be16 old_port)
{
	struct backend_info *old_be;
	int ret;

	if (old_port && old_id == lc->backend_id) {
		lc->nat_port = old_port;
		return 0;
	}
	ret = nat_alloc(be, lc->vport, lc->proto, lc->family, lc->caddr,
			lc->cport, lc->vaddr, lc->cmac, &lc->nat_port);
	if (ret < 0 || !old_port)
		return ret;
	old_be = bpf_map_lookup_elem(&backends, &old_id);
	if (old_be)
		nat_free(old_be, lc->vport, lc->proto, lc->family, lc->caddr,
			 lc->cport, old_port);
	return 0;
}

/*
 * Is the back end the flow's entry (its meta word, flows4 or flows6) is
 * pinned to still the one to use? Then 1, with lc and *bep set (the caller
 * touches the entry). Else 0: the flow is picked again, *old_id and
 * *old_port say what the entry had (the back end was removed or is down,
 * or the packet opens a new connection on it). Decided from the meta
 * word's scalars; the entry's flow_value (its last-seen in ns) is made
 * only for a packet that may open a new connection (flow_may_open()).
 */
static __always_inline int flow_keep(__u64 meta, struct lb_ctx *lc,
				     const struct l4_info *l4, __u8 proto,
				     __u64 now, struct backend_info **bep,
				     __u32 *old_id, __be16 *old_port)
{
	__u32 bid = XLB_FT_META_BACKEND(meta);
	__be16 np = XLB_FT_META_NATPORT(meta);
	struct backend_info *be;
	struct flow_value fv;

	be = bpf_map_lookup_elem(&backends, &bid);
	*old_id = bid;
	if (!be || be->state != XLB_BE_ACTIVE || be->svc_id != lc->svc_id ||
	    (lc->nat && !np))
		return 0; /* the back end was removed: pick again */
	if (!lc->no_pin && flow_may_open(be, l4, proto)) {
		ft_value(meta, now, &fv);
		if (flow_opens_new(&fv, be, l4, proto, now)) {
			*old_port = np;
			return 0;
		}
	}
	lc->nat_port = np;
	lc->backend_id = bid;
	*bep = be;
	return 1;
}

/* What flow_pick() says to do with the flow's entry. */
enum flow_pin {
	FLOW_PIN_NONE,	 /* nothing (ICMP error, or unpinned, no entry) */
	FLOW_PIN_STORE,	 /* store *nv (insert, or replace the entry) */
	FLOW_PIN_DELETE, /* unpinned: the old entry must not carry the rest
			  * of this connection */
};

/*
 * A fresh pick for the flow (a miss, or an entry picked again): the
 * service table's slot for lc->flow_hash (with src-ip persistence the
 * hash of the pkey_words-word masked client address), the flood guard,
 * the nat port. Returns a negative reason or an enum flow_pin, with *bep
 * set and, for FLOW_PIN_STORE, *nv the entry to store.
 */
static __always_inline int flow_pick(struct lb_ctx *lc, const __u32 *pkey,
				     __u32 pkey_words,
				     const struct l4_info *l4, __u8 proto,
				     __u64 now, __u32 old_id, __be16 old_port,
				     struct backend_info **bep,
				     struct flow_value *nv)
{
	struct backend_info *be;
	int ret;

	if (lc->persist)
		lc->flow_hash = xlb_hash(pkey, pkey_words);
	ret = pick_backend(lc);
	if (ret < 0)
		return ret;
	be = bpf_map_lookup_elem(&backends, &lc->backend_id);
	if (!be || be->state != XLB_BE_ACTIVE)
		return -XLB_DROP_NO_BACKEND;
	*bep = be;
	if (lc->no_pin)
		return FLOW_PIN_NONE;
	if (!flood_allow(now)) {
		if (lc->nat) /* no mapping: cannot be forwarded at all */
			return -XLB_DROP_NAT_FLOOD;
		lc->reason = XLB_TX_UNPINNED;
		return old_id != XLB_NO_BACKEND ? FLOW_PIN_DELETE :
						  FLOW_PIN_NONE;
	}
	if (lc->nat) {
		ret = nat_port_for(lc, be, old_id, old_port);
		if (ret < 0)
			return ret;
		nv->nat_port = lc->nat_port;
	}
	nv->backend_id = lc->backend_id;
	nv->state = initial_state(l4, proto);
	nv->last_seen = now;
	lc->new_flow = true;
	return FLOW_PIN_STORE;
}

/* Is IPv4 flow fk of service svc_id (flow hash h) in flows4? Then true,
 * its flow_value in *fv; *b its bucket (NULL: none), *idx its index,
 * *kw its key word, *meta its meta word. */
static __always_inline bool flow_find4(const struct flow_key_v4 *fk,
				       __u32 svc_id, __u64 h, __u64 now,
				       struct xlb_ft_bucket **b, __u32 *idx,
				       __u64 *kw, __u64 *meta,
				       struct flow_value *fv)
{
	*kw = xlb_ft_kw(fk->src, fk->sport, svc_id);
	*b = ft_bucket(h, idx);
	if (!*b || !ft_find(*b, *kw, meta))
		return false;
	ft_value(*meta, now, fv);
	return true;
}

/* After ft_insert()/ft6_insert() returned ret for the flow's new meta:
 * unpinned (busy), or another CPU's pin first (its back end). */
static __always_inline int ft_stored(struct lb_ctx *lc, int ret, __u64 meta,
				     __u64 now, struct backend_info **bep)
{
	struct flow_value fv = {};
	struct backend_info *be;

	if (ret == FT_INS_BUSY) {
		lc->new_flow = false;
		lc->reason = XLB_TX_UNPINNED;
	} else if (ret == FT_INS_OTHER) {
		/* another CPU pinned the flow first: its back end */
		ft_value(meta, now, &fv);
		be = bpf_map_lookup_elem(&backends, &fv.backend_id);
		lc->new_flow = false;
		if (be && be->state == XLB_BE_ACTIVE &&
		    be->svc_id == lc->svc_id && (!lc->nat || fv.nat_port)) {
			lc->backend_id = fv.backend_id;
			lc->nat_port = fv.nat_port;
			*bep = be;
		}
	}
	return 0;
}

/*
 * Resolve the back end for an IPv4 flow (flows4, the cache-line table):
 * as resolve_flow(). The flow hash names the bucket (and, on a miss, the
 * slot). Two CPUs that pick the same new flow at once agree on the entry
 * the first one stored (ft_insert); a bucket lock that stays taken leaves
 * the flow unpinned (tx_unpinned).
 */
static __always_inline int resolve_flow4(const struct flow_key_v4 *fk,
					 __u32 pk, struct lb_ctx *lc,
					 const struct l4_info *l4, __u8 proto,
					 struct backend_info **bep)
{
	__u64 now = bpf_ktime_get_coarse_ns(), kw, meta = 0, expect = 0;
	__u64 h = xlb_hash((const __u32 *)fk, sizeof(*fk) / 4);
	struct flow_value nv = {};
	__u32 old_id = XLB_NO_BACKEND, idx;
	struct xlb_ft_bucket *b;
	__be16 old_port = 0;
	int ret;

	kw = xlb_ft_kw(fk->src, fk->sport, lc->svc_id);
	b = ft_bucket(h, &idx);
	if (!b)
		return -XLB_DROP_NO_BACKEND;
	if (ft_find(b, kw, &meta)) {
		if (flow_keep(meta, lc, l4, proto, now, bep, &old_id,
			      &old_port)) {
			if (!lc->no_pin)
				ft_touch(b, kw, meta,
					 flow_next_state(XLB_FT_META_STATE(meta),
							 l4, proto),
					 now);
			return 0;
		}
		expect = meta; /* ft_insert masks the lock bit */
	}
	lc->flow_hash = h;
	ret = flow_pick(lc, &pk, 1, l4, proto, now, old_id, old_port, bep,
			&nv);
	if (ret == FLOW_PIN_DELETE)
		ft_delete(b, kw);
	if (ret != FLOW_PIN_STORE)
		return ret < 0 ? ret : 0;
	meta = xlb_ft_meta(nv.backend_id, nv.nat_port, xlb_ft_seen(now),
			   nv.state);
	{
		struct ft_key key = { .kw = kw, .expect = expect };

		ret = ft_insert(b, NULL, &key, &meta);
	}
	return ft_stored(lc, ret, meta, now, bep);
}

/* Is IPv6 flow fk of service svc_id (flow hash h) in flows6? Then its
 * way (else -1) with *meta its meta word; *b its bucket (NULL: none), *k
 * the bucket's keys line, *idx its index, *key the flow's key there. */
static __always_inline int flow_find6(const struct flow_key_v6 *fk,
				      __u32 svc_id, __u64 h,
				      struct xlb_ft_bucket **b,
				      struct xlb_ft_keys **k, __u32 *idx,
				      struct ft_key *key, __u64 *meta)
{
	key->kw = xlb_ft6_kw(h, fk->sport, svc_id);
	key->a0 = xlb_ft6_addr(fk->src, 0);
	key->a1 = xlb_ft6_addr(fk->src, 1);
	*b = ft6_bucket(h, idx, k);
	if (!*b || !*k)
		return -1;
	return ft6_find(*b, *k, key, meta);
}

/* Resolve the back end for an IPv6 flow (flows6): as resolve_flow4(),
 * pk the client address masked for src-ip persistence. */
static __always_inline int resolve_flow6(const struct flow_key_v6 *fk,
					 const __u32 *pk, struct lb_ctx *lc,
					 const struct l4_info *l4, __u8 proto,
					 struct backend_info **bep)
{
	__u64 now = bpf_ktime_get_coarse_ns(), meta = 0;
	__u64 h = xlb_hash((const __u32 *)fk, sizeof(*fk) / 4);
	__u32 old_id = XLB_NO_BACKEND, idx;
	struct flow_value nv = {};
	struct ft_key key = {};
	struct xlb_ft_bucket *b;
	struct xlb_ft_keys *k;
	__be16 old_port = 0;
	int ret, way;

	way = flow_find6(fk, lc->svc_id, h, &b, &k, &idx, &key, &meta);
	if (!b || !k)
		return -XLB_DROP_NO_BACKEND;
	if (way >= 0) {
		if (flow_keep(meta, lc, l4, proto, now, bep, &old_id,
			      &old_port)) {
			if (!lc->no_pin)
				ft6_touch(
					b, way, &key, meta,
					flow_next_state(XLB_FT_META_STATE(meta),
							l4, proto),
					now);
			return 0;
		}
		key.expect = meta;
	}
	lc->flow_hash = h;
	ret = flow_pick(lc, pk, 4, l4, proto, now, old_id, old_port, bep, &nv);
	if (ret == FLOW_PIN_DELETE)
		ft6_delete(b, way, &key);
	if (ret != FLOW_PIN_STORE)
		return ret < 0 ? ret : 0;
	meta = xlb_ft_meta(nv.backend_id, nv.nat_port, xlb_ft_seen(now),
			   nv.state);
	ret = ft_insert(b, k, &key, &meta);
	return ft_stored(lc, ret, meta, now, bep);
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

#endif
