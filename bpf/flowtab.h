/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The data path's side of the flow tables flows4 and flows6 (the layout and the
 * concurrency rules are in include/xlb_flowtab.h): find a flow in its
 * bucket (an inlined array access and XLB_FT_WAYS compares, no helper
 * call), refresh its meta word, delete it, and insert or replace a flow
 * under the bucket's lock (a bit of the bucket's own line) into its own
 * way, a free way, else the bucket's oldest way (by last-seen: CLOCK-like
 * aging, no LRU lists).
 */
#ifndef XLB_BPF_FLOWTAB_H
#define XLB_BPF_FLOWTAB_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "xdp_lb.h"
#include "xlb_flowtab.h"
#include "settings.h"
#include "maps.h"

#define FT_RD(x) (*(volatile __u64 *)&(x))
#define FT_WR(x, v) (*(volatile __u64 *)&(x) = (v))
/* tries of the bucket lock before the flow goes unpinned */
#define FT_LOCK_SPINS 8

/* The bucket of flow hash h. */
static __always_inline struct xlb_ft_bucket *ft_bucket(__u64 h, __u32 *idx)
{
	*idx = (__u32)h & flow_mask;
	return bpf_map_lookup_elem(&flows4, idx);
}

/* Is key kw in bucket b? Then true with *meta its meta word as stored
 * (way 0's may carry the bucket lock: XLB_FT_META_* mask it), read
 * consistently (kw, meta, kw: a way replaced under us is a miss, and the
 * insert decides). No way index comes out: the verifier would walk the
 * rest of the program once per way otherwise; the rare writers below
 * look for the key again. */
static __always_inline bool ft_find(struct xlb_ft_bucket *b, __u64 kw,
				    __u64 *meta)
{
	for (int i = 0; i < XLB_FT_WAYS; i++) {
		if (FT_RD(b->w[i].kw) != kw)
			continue;
		*meta = FT_RD(b->w[i].meta);
		return FT_RD(b->w[i].kw) == kw;
	}
	return false;
}

/* The flow_value a way's meta stands for, at now. */
static __always_inline void ft_value(__u64 meta, __u64 now,
				     struct flow_value *fv)
{
	fv->backend_id = XLB_FT_META_BACKEND(meta);
	fv->state = XLB_FT_META_STATE(meta);
	fv->pad = 0;
	fv->nat_port = XLB_FT_META_NATPORT(meta);
	fv->last_seen = xlb_ft_last_ns(XLB_FT_META_SEEN(meta), now);
}

/* A hit: the new state and last-seen, written (cmpxchg on the meta word
 * as read, the lock bit kept as read) only when the state changed or the
 * last-seen is about a second old. A state change restarts the idle
 * time. */
static __always_inline __u64 ft_meta_next(__u64 meta, __u8 state, __u64 now)
{
	__u32 seen = xlb_ft_seen(now);

	if (state == XLB_FT_META_STATE(meta) &&
	    ((seen - XLB_FT_META_SEEN(meta)) & XLB_FT_SEEN_MASK) <
		    XLB_FT_SEEN_REFRESH)
		return meta;
	return xlb_ft_meta(XLB_FT_META_BACKEND(meta),
			   XLB_FT_META_NATPORT(meta), seen, state) |
	       (meta & XLB_FT_LOCK);
}

static __always_inline void ft_touch(struct xlb_ft_bucket *b, __u64 kw,
				     __u64 meta, __u8 state, __u64 now)
{
	__u64 nm = ft_meta_next(meta, state, now);

	if (nm == meta)
		return;
	for (int i = 0; i < XLB_FT_WAYS; i++)
		if (FT_RD(b->w[i].kw) == kw) {
			__sync_val_compare_and_swap(&b->w[i].meta, meta, nm);
			break;
		}
}

/* Delete flow kw from bucket b, unless another flow took its way. */
static __always_inline void ft_delete(struct xlb_ft_bucket *b, __u64 kw)
{
	for (int i = 0; i < XLB_FT_WAYS; i++)
		if (FT_RD(b->w[i].kw) == kw) {
			__sync_val_compare_and_swap(&b->w[i].kw, kw, 0);
			break;
		}
}

enum ft_ins {
	FT_INS_DONE,  /* stored */
	FT_INS_OTHER, /* another CPU stored the flow first: *meta is its */
	FT_INS_BUSY,  /* the lock stayed taken: not stored */
};

/* Claim way w (holding old) for kw, fill it (flows6: its address a0, a1
 * into ka first) with meta (way 0: with the lock bit, held by the
 * caller); false if userspace emptied and someone else took it
 * meanwhile. */
static __always_inline bool ft_claim(struct xlb_ft_way *w, __u64 *ka,
				     __u64 old, __u64 kw, __u64 a0, __u64 a1,
				     __u64 meta)
{
	if (__sync_val_compare_and_swap(&w->kw, old, kw | XLB_FT_BUSY) != old &&
	    (!old || __sync_val_compare_and_swap(&w->kw, 0, kw | XLB_FT_BUSY)))
		return false;
	if (ka) {
		FT_WR(ka[0], a0);
		FT_WR(ka[1], a1);
	}
	FT_WR(w->meta, meta);
	FT_WR(w->kw, kw);
	return true;
}

/* Take bucket b's lock (bit XLB_FT_LOCK of way 0's meta): true if taken
 * within FT_LOCK_SPINS tries. */
static __always_inline bool ft_lock(struct xlb_ft_bucket *b)
{
	__u64 m;

	for (int i = 0; i < FT_LOCK_SPINS; i++) {
		m = FT_RD(b->w[0].meta);
		if (!(m & XLB_FT_LOCK) &&
		    __sync_val_compare_and_swap(&b->w[0].meta, m,
						m | XLB_FT_LOCK) == m)
			return true;
	}
	return false;
}

static __always_inline void ft_unlock(struct xlb_ft_bucket *b)
{
	__sync_fetch_and_and(&b->w[0].meta, ~XLB_FT_LOCK);
}

/*
 * Store kw -> *meta in bucket b under its lock. A global function:
 * verified once, not once per path that inserts. The caller decided on
 * the flow having meta expect (0: no entry; the lock bit does not count);
 * if the key is there now with another meta, another CPU was first: FT_INS_OTHER
 * with *meta set to its. Else the key's own way, a free way, or the
 * way least worth keeping: a closed flow (FIN, RST) before a pickup
 * (one packet that opened nothing) before any other, the oldest of its
 * class first. So a churn of short connections replaces its own closed
 * entries, not an idle long-lived flow that shares their bucket.
 */
#define FT_CLASS_SHIFT 25 /* above last-seen's 24 bits + 1 */

/* A way's class for replacement: 2 closed, 1 pickup, 0 live. */
static __always_inline __u32 ft_class(__u8 state)
{
	if (state == XLB_FLOW_FIN || state == XLB_FLOW_RST)
		return 2;
	return state == XLB_FLOW_PICKUP;
}

/* ---- flows6, and what flows4 shares with it ---- */

/* A flow in flows4 or flows6: its key word, flows6's address halves,
 * and the meta the caller decided on (0: no entry; ft_insert's expect). */
struct ft_key {
	__u64 kw, a0, a1, expect;
};

/* Is way i of keys line k (flows6) address a0, a1? (v4: k NULL, yes) */
static __always_inline bool ft_addr_is(const struct xlb_ft_keys *k, int i,
				       __u64 a0, __u64 a1)
{
	return !k || (FT_RD(k->a[i & (XLB_FT_WAYS - 1)][0]) == a0 &&
		      FT_RD(k->a[i & (XLB_FT_WAYS - 1)][1]) == a1);
}

/*
 * ft_find() for flows6, a global function (verified once: inlined, its
 * compares of kw and address would multiply the verifier's paths through
 * the rest of the program): the way holding flow fk, or -1. kw, meta and
 * the address, kw again; a way of our kw with another address is passed
 * over. The callers index the bucket with the way & (XLB_FT_WAYS - 1).
 */
__noinline int ft6_find(struct xlb_ft_bucket *b, struct xlb_ft_keys *k,
			const struct ft_key *fk, __u64 *meta)
{
	if (!b || !k || !fk || !meta)
		return -1;
	*meta = 0;
	for (int i = 0; i < XLB_FT_WAYS; i++) {
		__u64 m;
		bool same;

		if (FT_RD(b->w[i].kw) != fk->kw)
			continue;
		m = FT_RD(b->w[i].meta);
		same = ft_addr_is(k, i, fk->a0, fk->a1);
		if (FT_RD(b->w[i].kw) != fk->kw)
			return -1; /* replaced under us: the insert decides */
		if (same) {
			*meta = m;
			return i;
		}
	}
	return -1;
}

/*
 * ft_insert() of either family, one global function (verified once for
 * both): flows6 passes its keys line k (flows4: NULL), fk the flow (key
 * word, flows6's address, the meta its caller decided on). A way with
 * our kw but another address is another flow (a fingerprint collision):
 * never a victim, so a way never goes from kw X to kw X under a reader.
 */
__noinline int ft_insert(struct xlb_ft_bucket *b, struct xlb_ft_keys *k,
			 const struct ft_key *fk, __u64 *meta)
{
	__u32 victim = 0, age, oldest = 0, seen;
	/* oldest: the best victim's class << FT_CLASS_SHIFT | its age + 1 */
	int i, ret = FT_INS_DONE;
	__u64 kv, kw, m;

	if (!b || !meta || !fk)
		return FT_INS_BUSY;
	kw = fk->kw;
	seen = XLB_FT_META_SEEN(*meta); /* the new flow's: now */
	if (!ft_lock(b))
		return FT_INS_BUSY;
	for (i = 0; i < XLB_FT_WAYS; i++) {
		kv = FT_RD(b->w[i].kw);
		if (kv == kw) {
			if (!ft_addr_is(k, i, fk->a0, fk->a1))
				continue; /* another flow of our kw */
			m = XLB_FT_META_FLOW(FT_RD(b->w[i].meta));
			if (m != XLB_FT_META_FLOW(fk->expect)) {
				*meta = m;
				ret = FT_INS_OTHER;
			}
			victim = i;
			oldest = 4u << FT_CLASS_SHIFT;
			break;
		}
		if (kv & XLB_FT_BUSY) /* userspace putting a flow back */
			continue;
		if (kv) {
			m = FT_RD(b->w[i].meta);
			age = ft_class(XLB_FT_META_STATE(m)) << FT_CLASS_SHIFT |
			      (((seen - XLB_FT_META_SEEN(m)) &
				XLB_FT_SEEN_MASK) + 1);
		} else {
			age = 3u << FT_CLASS_SHIFT; /* free: first */
		}
		if (age > oldest) {
			oldest = age;
			victim = i;
		}
	}
	victim &= XLB_FT_WAYS - 1;
	if (ret == FT_INS_DONE &&
	    (!oldest || !ft_claim(&b->w[victim], k ? k->a[victim] : NULL,
				  FT_RD(b->w[victim].kw), kw, fk->a0, fk->a1,
				  *meta | (victim ? 0 : XLB_FT_LOCK))))
		ret = FT_INS_BUSY;
	ft_unlock(b);
	return ret;
}

/* The flows6 bucket of flow hash h, and its keys line *k. */
static __always_inline struct xlb_ft_bucket *ft6_bucket(__u64 h, __u32 *idx,
							struct xlb_ft_keys **k)
{
	*idx = (__u32)h & flow_mask;
	*k = bpf_map_lookup_elem(&flows6_keys, idx);
	return bpf_map_lookup_elem(&flows6, idx);
}

/* ft_touch() for flows6, of way i that ft6_find() found. */
static __always_inline void ft6_touch(struct xlb_ft_bucket *b, int i,
				      const struct ft_key *fk, __u64 meta,
				      __u8 state, __u64 now)
{
	__u64 nm = ft_meta_next(meta, state, now);

	i &= XLB_FT_WAYS - 1;
	if (nm != meta && FT_RD(b->w[i].kw) == fk->kw)
		__sync_val_compare_and_swap(&b->w[i].meta, meta, nm);
}

/* ft_delete() for flows6, of way i that ft6_find() found. */
static __always_inline void ft6_delete(struct xlb_ft_bucket *b, int i,
				       const struct ft_key *fk)
{
	__sync_val_compare_and_swap(&b->w[i & (XLB_FT_WAYS - 1)].kw, fk->kw,
				    0);
}

#endif
