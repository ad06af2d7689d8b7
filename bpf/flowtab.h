/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The data path's side of the IPv4 flow table flows4 (the layout and the
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
static __always_inline void ft_touch(struct xlb_ft_bucket *b, __u64 kw,
				     __u64 meta, __u8 state, __u64 now)
{
	__u32 seen = xlb_ft_seen(now);
	__u64 nm;

	if (state == XLB_FT_META_STATE(meta) &&
	    ((seen - XLB_FT_META_SEEN(meta)) & XLB_FT_SEEN_MASK) <
		    XLB_FT_SEEN_REFRESH)
		return;
	nm = xlb_ft_meta(XLB_FT_META_BACKEND(meta), XLB_FT_META_NATPORT(meta),
			 seen, state) | (meta & XLB_FT_LOCK);
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

/* Claim way w (holding old) for kw, fill it with meta (way 0: with the
 * lock bit, held by the caller); false if userspace emptied and someone
 * else took it meanwhile. */
static __always_inline bool ft_claim(struct xlb_ft_way *w, __u64 old,
				     __u64 kw, __u64 meta)
{
	if (__sync_val_compare_and_swap(&w->kw, old, kw | XLB_FT_BUSY) != old &&
	    (!old || __sync_val_compare_and_swap(&w->kw, 0, kw | XLB_FT_BUSY)))
		return false;
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
 * if the key is there now with another meta, another CPU was first:
 * FT_INS_OTHER with *meta set to its. Else the key's own way, a free way, or the way least worth
 * keeping: a closed flow (FIN, RST) before a pickup (one packet that
 * opened nothing) before any other, the oldest of its class first. So a
 * churn of short connections replaces its own closed entries, not an idle
 * long-lived flow that shares their bucket.
 */
#define FT_CLASS_SHIFT 25 /* above last-seen's 24 bits + 1 */

/* A way's class for replacement: 2 closed, 1 pickup, 0 live. */
static __always_inline __u32 ft_class(__u8 state)
{
	if (state == XLB_FLOW_FIN || state == XLB_FLOW_RST)
		return 2;
	return state == XLB_FLOW_PICKUP;
}

__noinline int ft_insert(struct xlb_ft_bucket *b, __u64 kw, __u64 *meta,
			 __u64 expect)
{
	__u32 victim = 0, age, oldest = 0, seen;
	/* oldest: the best victim's class << FT_CLASS_SHIFT | its age + 1 */
	int i, ret = FT_INS_DONE;
	__u64 k, m;

	if (!b || !meta)
		return FT_INS_BUSY;
	seen = XLB_FT_META_SEEN(*meta); /* the new flow's: now */
	if (!ft_lock(b))
		return FT_INS_BUSY;
	for (i = 0; i < XLB_FT_WAYS; i++) {
		k = FT_RD(b->w[i].kw);
		if (k == kw) {
			m = XLB_FT_META_FLOW(FT_RD(b->w[i].meta));
			if (m != XLB_FT_META_FLOW(expect)) {
				*meta = m;
				ret = FT_INS_OTHER;
			}
			victim = i;
			oldest = 4u << FT_CLASS_SHIFT;
			break;
		}
		if (k & XLB_FT_BUSY) /* userspace putting a flow back */
			continue;
		if (k) {
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
	    (!oldest || !ft_claim(&b->w[victim], FT_RD(b->w[victim].kw), kw,
				  *meta | (victim ? 0 : XLB_FT_LOCK))))
		ret = FT_INS_BUSY;
	ft_unlock(b);
	return ret;
}

#endif
