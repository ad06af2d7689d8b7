/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Prototype (issue 14, bench only): two IPv6 layouts of the cache-line
 * flow table (bench/flowtab.h has the IPv4 one and the rules), shared by
 * bench/flowtab6.bpf.c and userspace (bench/ft6_user.c,
 * tests/prog/test_flowtab6.c, bench/bench_pkt.c).
 *
 * An IPv6 flow's exact key is the client address (16 bytes), the client
 * port and the VIP's tag (vtag, which stands for VIP address, port and
 * protocol): 20 bytes, more than a 16-byte way holds. Both layouts keep
 * one 64-bit control word per way:
 *   kw  fingerprint (32 bits of the flow's hash) | sport << 32 |
 *       vtag << 48, bit 63 FT_BUSY while a writer fills the way; 0 empty.
 * and the address in two 64-bit words next to it (layout FT6_WIDE) or in
 * a second array (layout FT6_FP):
 *   FT6_FP   the bucket line is 4 ways of { kw, meta }, as IPv4's; the
 *            addresses of bucket b's 4 ways are line b of ft6_keys (one
 *            64-byte line). A hit reads 2 lines; a miss whose kw matches
 *            no way (every new flow, bar 2^-32) reads only the first.
 *   FT6_WIDE the bucket line is 2 ways of { kw, a0, a1, meta } (32 bytes):
 *            a hit reads 1 line, but a bucket has 2 ways, so full buckets
 *            come 2^x sooner: the two-choice overflow (flowtab.h ft_idx2,
 *            the ft6_ovf bitmap) goes with it.
 * Readers load kw, then meta and the address, then kw again, and accept
 * the way only if kw did not change and the address is theirs (the same
 * seqlock as IPv4's). A fingerprint is not a key, so two flows can have
 * one kw: a writer never replaces a way by another flow with the same kw
 * (it takes another victim or gives up), so a way never goes from kw X to
 * kw X under a reader. What remains is X -> Y -> X, two lock-serialised
 * replacements of one way within a reader's two loads of kw (a few ns).
 */
#ifndef XLB_FLOWTAB6_H
#define XLB_FLOWTAB6_H

#include "flowtab.h"

enum ft6_layout { FT6_FP = 0, FT6_WIDE = 1 };

/* Per-CPU events (ft_events): as IPv4's (insert, evict, busy, re-pick,
 * torn), and a kw that matched with another address (fingerprint hit). */
enum ft6_event { FT6_EV_INSERT, FT6_EV_EVICT, FT6_EV_BUSY, FT6_EV_REPICK,
		 FT6_EV_TORN, FT6_EV_FPHIT, FT6_EV_MAX };

struct ft6_nway {	/* FT6_FP: 16 bytes, 4 a line */
	__u64 kw;
	__u64 meta;
};

struct ft6_wway {	/* FT6_WIDE: 32 bytes, 2 a line */
	__u64 kw;
	__u64 a0, a1;	/* client address, as loaded (network order) */
	__u64 meta;
};

struct ft6_line {
	union {
		struct ft6_nway n[4];
		struct ft6_wway w[2];
	};
} __attribute__((aligned(64)));
_Static_assert(sizeof(struct ft6_line) == 64, "ft6_line is one line");

struct ft6_keyline {	/* FT6_FP: the addresses of one bucket's 4 ways */
	__u64 a[4][2];
} __attribute__((aligned(64)));
_Static_assert(sizeof(struct ft6_keyline) == 64, "ft6_keyline is one line");

static inline __u32 ft6_ways(__u32 layout)
{
	return layout == FT6_WIDE ? 2 : 4;
}

static inline __u64 ft6_kw(__u64 h, __u16 sport, __u16 vtag)
{
	return (__u64)(__u32)(h >> 32) | (__u64)sport << 32 |
	       (__u64)(vtag & 0x7fff) << 48;
}

/* One hash of the 5-tuple (src, dst: 4 words as loaded): the addresses
 * folded to 64 bits each, then flowtab.h's finaliser; low bits pick the
 * bucket, the high 32 the table slot and the fingerprint (flows of one
 * bucket share its low bits, not these). */
static inline __u64 ft6_hash(const __u32 *s, const __u32 *d, __u32 ports,
			     __u32 proto, __u64 seed)
{
	__u64 a = ((__u64)s[0] << 32 | s[1]) ^ seed;
	__u64 b = ((__u64)d[0] << 32 | d[1]) ^ ((__u64)d[2] << 32 | d[3]);

	a = (a ^ ((__u64)s[2] << 32 | s[3])) * 0x9e3779b97f4a7c15ull;
	a ^= a >> 29;
	a ^= b;
	return ft_hash((__u32)(a >> 32), (__u32)a, ports, proto, 0);
}

#endif
