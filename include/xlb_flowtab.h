/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The IPv4 flow table (flows4): a BPF_MAP_TYPE_ARRAY with BPF_F_MMAPABLE of
 * buckets, each one 64-byte cache line of XLB_FT_WAYS ways, shared by the
 * data path (bpf/flow.h, bpf/flowtab.h) and the controller, which reads
 * and deletes through the mmap'd array (ctl/flowtab.c). A flow lives in
 * bucket xlb_hash(flow_key_v4) & (buckets - 1): the same hash whose high
 * half picks a new flow's service-table slot. The table has
 * xlb_ft_buckets(max_flows) buckets, XLB_FT_ROOM ways a flow: max_flows
 * flows fill half of its ways; a flow whose bucket is full replaces the
 * bucket's oldest way (by last-seen).
 *
 * A way is 16 bytes, two words, each written with one 64-bit store or
 * atomic (never torn); what must not tear is the pair:
 *   kw   client address | client port << 32 | service tag << 48 (the
 *        service id + 1: it stands for VIP address, port and protocol),
 *        bit 63 XLB_FT_BUSY while a writer fills the way; 0 = empty.
 *   meta back-end id (16 bits) | nat port << 16 | last-seen << 32 (24
 *        bits, units of 2^XLB_FT_SEEN_SHIFT ns of bpf_ktime_get_coarse_ns)
 *        | state << 56 (enum flow_state, 7 bits); bit 63 of way 0's meta
 *        is the bucket's lock, XLB_FT_LOCK, not part of the flow.
 * The rules:
 *  - A reader (BPF on any CPU, or the controller) loads kw, meta, kw again
 *    and accepts the pair only if kw did not change and is not busy
 *    (a seqlock with the key as the sequence: a writer claims a way with
 *    cmpxchg(kw, seen, key | BUSY), stores meta, then stores key; x86 is
 *    TSO; a weakly ordered machine needs load-acquire/store-release).
 *  - The data path inserts and replaces under the bucket's lock, bit 63 of
 *    way 0's meta (XLB_FT_LOCK: cmpxchg clear -> set, bounded spin; busy:
 *    the flow is forwarded unpinned and counted), and looks for the key
 *    again under it, so two CPUs never insert one flow twice. The lock
 *    sits in the line the insert writes anyway: a separate lock array
 *    would be one more line moving between inserting CPUs (two CPUs
 *    inserting at once lost 1.35x with one, docs/benchmarks.md). Every
 *    writer of a way 0 meta keeps the bit as it finds it (cmpxchg, or the
 *    lock holder's own store); readers mask it (XLB_FT_META_*).
 *  - Deletes (the controller's sweep and purge, the data path's flood
 *    guard) take no lock: cmpxchg(kw, key, 0), which fails if a writer
 *    replaced the way meanwhile; a claim that meets a way emptied under
 *    it retries on the empty way.
 *  - A hit refreshes meta (state, last-seen) with cmpxchg(meta, old, new),
 *    only when the state changed or the last-seen is about a second old;
 *    a replaced way has another meta, so the cmpxchg fails harmlessly.
 */
#ifndef XLB_FT_LAYOUT_H
#define XLB_FT_LAYOUT_H

#ifdef __bpf__
/* types from vmlinux.h, included first */
#else
#include <linux/types.h>
#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif
#endif

#define XLB_FT_WAYS 4
#define XLB_FT_BUSY (1ull << 63)
#define XLB_FT_LOCK (1ull << 63) /* in w[0].meta: the bucket's insert lock */
/* last-seen unit 2^26 ns (67 ms); 24 bits wrap after 2^50 ns (13 days),
 * beyond the longest flow timeout the config allows (a week) */
#define XLB_FT_SEEN_SHIFT 26
#define XLB_FT_SEEN_MASK 0xffffffu
/* a hit rewrites an unchanged state's last-seen after this many units
 * (16: 1.07 s) */
#define XLB_FT_SEEN_REFRESH 16

struct xlb_ft_way {
	__u64 kw;
	__u64 meta;
};

struct xlb_ft_bucket {
	struct xlb_ft_way w[XLB_FT_WAYS];
} __attribute__((aligned(64)));
_Static_assert(sizeof(struct xlb_ft_bucket) == 64, "one line a bucket");

/* Ways a flow of max_flows: with one bucket choice and flows spread at
 * random, max_flows flows in as many ways would not find room for ~20% of
 * them (a bucket holds four); in twice as many ways ~3.7%, in half of
 * max_flows ~0.4% (docs/modes.md). */
#define XLB_FT_ROOM 2

/* Buckets for max_flows flows: max_flows * XLB_FT_ROOM / XLB_FT_WAYS
 * rounded up to a power of two (at least 1). */
static __always_inline __u32 xlb_ft_buckets(__u32 max_flows)
{
	__u32 per = XLB_FT_WAYS / XLB_FT_ROOM, n = 1;
	__u32 want = max_flows / per + (max_flows % per != 0);

	while (n < want && n < (1u << 30))
		n <<= 1;
	return n;
}

/* The key word (src and sport in network order, as in the packet). */
static __always_inline __u64 xlb_ft_kw(__be32 src, __be16 sport, __u32 svc_id)
{
	return (__u64)src | (__u64)sport << 32 |
	       (__u64)((svc_id + 1) & 0x7fff) << 48;
}

#define XLB_FT_KW_SRC(k) ((__be32)(k))
#define XLB_FT_KW_SPORT(k) ((__be16)((k) >> 32))
#define XLB_FT_KW_SVC(k) ((__u32)(((k) >> 48) & 0x7fff) - 1)

static __always_inline __u64 xlb_ft_meta(__u32 backend, __be16 nat_port,
					 __u32 seen, __u8 state)
{
	return (__u64)(backend & 0xffff) | (__u64)nat_port << 16 |
	       (__u64)(seen & XLB_FT_SEEN_MASK) << 32 | (__u64)state << 56;
}

#define XLB_FT_META_BACKEND(m) ((__u32)((m) & 0xffff))
#define XLB_FT_META_NATPORT(m) ((__be16)((m) >> 16))
#define XLB_FT_META_SEEN(m) ((__u32)((m) >> 32) & XLB_FT_SEEN_MASK)
#define XLB_FT_META_STATE(m) ((__u8)(((m) >> 56) & 0x7f))
/* A meta word without the bucket lock bit: what the flow's meta is. */
#define XLB_FT_META_FLOW(m) ((m) & ~XLB_FT_LOCK)

/* The last-seen units of a coarse-clock time in ns. */
static __always_inline __u32 xlb_ft_seen(__u64 now_ns)
{
	return (__u32)(now_ns >> XLB_FT_SEEN_SHIFT) & XLB_FT_SEEN_MASK;
}

/* The last-seen time in ns (of now_ns's clock) of a way with last-seen
 * seen: the start of its unit, so at most one unit (67 ms) early. */
static __always_inline __u64 xlb_ft_last_ns(__u32 seen, __u64 now_ns)
{
	__u64 units = now_ns >> XLB_FT_SEEN_SHIFT;
	__u32 age = (xlb_ft_seen(now_ns) - seen) & XLB_FT_SEEN_MASK;

	return units > age ? (units - age) << XLB_FT_SEEN_SHIFT : 0;
}

/*
 * The IPv6 flow table (flows6) has the same buckets, ways, meta word and
 * rules; a way's kw holds a 32-bit fingerprint of the flow hash (its
 * high half, h >> 32) where IPv4 has the client address, and the client
 * addresses of bucket b's ways are line b of a second array (flows6_keys,
 * also BPF_F_MMAPABLE): way i's address is keys[b].a[i]. A reader loads
 * kw, then meta and the address, then kw again, and accepts the way only
 * if kw did not change, is not busy, and the address is its own. A
 * writer fills the address after its claim, before meta and kw. Two
 * flows of a bucket may share a kw (a fingerprint collision): readers
 * compare every way whose kw matches, and a writer never replaces a way
 * by another flow with the same kw (it takes another victim or leaves
 * the flow unpinned), so a way never goes from kw X to kw X under a
 * reader.
 */
struct xlb_ft_keys {
	__u64 a[XLB_FT_WAYS][2]; /* xlb_ft6_addr() of each way's address */
} __attribute__((aligned(64)));
_Static_assert(sizeof(struct xlb_ft_keys) == 64, "one line a bucket");

/* The key word of an IPv6 flow of hash h (sport in network order). */
static __always_inline __u64 xlb_ft6_kw(__u64 h, __be16 sport, __u32 svc_id)
{
	return xlb_ft_kw((__be32)(h >> 32), sport, svc_id);
}

/* Half i (0, 1) of address a (four words as in the packet) as a way
 * stores it. */
static __always_inline __u64 xlb_ft6_addr(const __be32 *a, int i)
{
	return (__u64)a[2 * i] | (__u64)a[2 * i + 1] << 32;
}

#endif
