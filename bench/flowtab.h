/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Prototype (issue 14, bench only): a flow table laid out in cache lines,
 * shared by bench/flowtab.bpf.c (the data path side) and userspace
 * (bench/ft_sweep.c, bench/bench_ft.c, tests/prog/test_flowtab.c).
 *
 * The table is a BPF_MAP_TYPE_ARRAY with BPF_F_MMAPABLE (so its values
 * start on a page and every bucket is one 64-byte line) of FT_WAYS-way
 * buckets. A way is 16 bytes:
 *   kw   one 64-bit word: client address, client port and the VIP's tag
 *        (index + 1 in the VIP table; it stands for VIP address, port and
 *        protocol), bit 63 FT_BUSY while a writer fills the way; 0 = empty.
 *        Enough for an exact IPv4 key: no fingerprint, no second line.
 *   meta one 64-bit word: back-end id, nat port, coarse last-seen (units of
 *        2^30 ns, ~1.07 s, 16 bits: wraps after 19.5 h), flow state.
 * Both are written with single 64-bit stores or atomics, so neither is
 * ever torn; what must not tear is the pair. The rules:
 *  - A reader (BPF, any CPU) loads kw, and on a match meta, then kw again;
 *    it accepts the pair only if kw did not change (seqlock with the key
 *    as the sequence: a writer sets FT_BUSY with a cmpxchg before touching
 *    meta and stores the final kw after it; x86 is TSO, so loads are not
 *    reordered with loads nor stores with stores; a weakly ordered
 *    machine needs load-acquire/store-release, BPF has them since 6.15).
 *  - Writers that insert or replace (BPF) hold a stripe lock (ft_locks,
 *    cmpxchg 0 -> 1, bounded spin) for the bucket, look for the key again
 *    under it (so two CPUs never insert one flow twice), claim the way
 *    with cmpxchg(kw, seen, key | FT_BUSY), store meta, store key.
 *  - Userspace never locks: it deletes with cmpxchg(kw, key, 0), which
 *    fails if a writer replaced the way meanwhile (and a BPF claim fails
 *    if userspace emptied the way first: it retries on the empty way).
 *    It reads kw, meta, kw as the data path does before it decides.
 *  - The data path refreshes meta (state, last-seen) with
 *    cmpxchg(meta, old, new) only when something changed: a replaced way
 *    has another meta, so the cmpxchg fails instead of writing over it.
 */
#ifndef XLB_FLOWTAB_H
#define XLB_FLOWTAB_H

#ifndef __bpf__
#include <linux/types.h>
#endif

#define FT_WAYS 4
#define FT_BUSY (1ull << 63)
#define FT_LOCKS 1024		/* insert stripe locks (a power of two) */
#define FT_VIP_SLOTS 256	/* inline VIP table (a power of two) */
#define FT_VIP_PROBES 4		/* longest probe the builder allows */
#define FT_SEEN_SHIFT 30	/* last-seen unit: 2^30 ns */
#define FT_HASH_SEED 0x9e3779b9ull /* the same on every node */

struct ft_way {
	__u64 kw;
	__u64 meta;
};

struct ft_bucket {
	struct ft_way w[FT_WAYS];
} __attribute__((aligned(64)));
_Static_assert(sizeof(struct ft_bucket) == 64, "ft_bucket is one line");

/* kw: src (network order, as loaded) | sport << 32 | vtag << 48 */
static inline __u64 ft_kw(__u32 src, __u16 sport, __u16 vtag)
{
	return (__u64)src | (__u64)sport << 32 | (__u64)(vtag & 0x7fff) << 48;
}

static inline __u64 ft_meta(__u16 backend, __u16 nat_port, __u16 seen,
			    __u8 state)
{
	return (__u64)backend | (__u64)nat_port << 16 | (__u64)seen << 32 |
	       (__u64)state << 48;
}

#define FT_META_BACKEND(m) ((__u16)(m))
#define FT_META_NATPORT(m) ((__u16)((m) >> 16))
#define FT_META_SEEN(m) ((__u16)((m) >> 32))
#define FT_META_STATE(m) ((__u8)((m) >> 48))
/* prototype: what a dsr way keeps in the nat-port field */
#define FT_TAG(h) ((__u16)((h) >> 16))

/*
 * One hash of the 5-tuple, shared by the bucket (low bits) and the
 * service-table slot (high 32 bits, scaled to the table without a
 * division). Seeded (the same seed on every node: the table pick stays a
 * pure function of the flow). Multiply-xorshift (a 64-bit finaliser),
 * ~10 instructions instead of jhash2's ~110.
 */
static inline __u64 ft_hash(__u32 src, __u32 dst, __u32 ports, __u32 proto,
			    __u64 seed)
{
	__u64 a = ((__u64)src << 32 | dst) ^ seed;
	__u64 b = (__u64)ports << 8 | proto;

	a ^= b * 0x9e3779b97f4a7c15ull;
	a *= 0xff51afd7ed558ccdull;
	a ^= a >> 32;
	a *= 0xc4ceb9fe1a85ec53ull;
	a ^= a >> 29;
	return a;
}

/* Two-choice variant: the second bucket a flow may overflow to (bits of
 * the hash that neither the first bucket nor, much, the slot use). A
 * first bucket that overflowed has its bit set in ft_ovf (sticky here;
 * a switched data path would have the sweep clear it), so a lookup
 * reads the second line only for flows of such buckets. */
static inline __u32 ft_idx2(__u64 h, __u32 mask)
{
	return (__u32)((h >> 24) ^ (h >> 44)) & mask;
}

static inline __u32 ft_slot(__u64 h, __u32 size)
{
	return (__u32)(((h >> 32) * size) >> 32);
}

/* Inline VIP table: open addressing, linear probe of at most
 * FT_VIP_PROBES slots from ft_vip_hash(); built whole by userspace. */
struct ft_vip {
	__u64 key;	/* addr | port << 32 | proto << 48 | 1 << 56 */
	__u32 svc_id;
	__u16 vtag;	/* index + 1 */
	__u16 flags;
};
_Static_assert(sizeof(struct ft_vip) == 16, "ft_vip size");

static inline __u64 ft_vip_key(__u32 addr, __u16 port, __u8 proto)
{
	return (__u64)addr | (__u64)port << 32 | (__u64)proto << 48 |
	       1ull << 56;
}

static inline __u32 ft_vip_hash(__u64 key)
{
	return (__u32)((key * 0x9e3779b97f4a7c15ull) >> 56);
}

#endif
