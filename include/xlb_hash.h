/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The hashes the data path and the controller must compute alike: the flow
 * hash that picks a new flow's service-table slot, and the VIP tables'
 * slot hash. Both are multiply-xorshift hashes (a few multiplies, no
 * table, no loop over bytes): issue 14 measured jhash2 at ~110
 * instructions against ~10. The flow hash is seeded with XLB_HASH_SEED,
 * fixed, so that two nodes of a cluster running the same version pick
 * the same back end for the same flow (docs/cluster.md).
 */
#ifndef XLB_HASH_H
#define XLB_HASH_H

#ifdef __bpf__
/* types from vmlinux.h, included first */
#else
#include <linux/types.h>
#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif
#endif

#include "xdp_lb.h"

#define XLB_HASH_MUL 0x9e3779b97f4a7c15ull /* 2^64 / golden ratio, odd */

/* The 64-bit finaliser of MurmurHash3: every input bit reaches every
 * output bit. */
static __always_inline __u64 xlb_mix64(__u64 h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return h;
}

/*
 * Hash of n 32-bit words (n a compile-time constant: the loop unrolls):
 * pairs of words folded in by xor and a multiply by an odd constant (a
 * bijection of each pair for fixed others, so keys that differ in one
 * pair never collide before the finaliser), then xlb_mix64().
 */
static __always_inline __u64 xlb_hash(const __u32 *w, __u32 n)
{
	__u64 h = (__u64)XLB_HASH_SEED << 32 | n;
	__u32 i;

	for (i = 0; i + 1 < n; i += 2)
		h = (h ^ ((__u64)w[i] << 32 | w[i + 1])) * XLB_HASH_MUL;
	if (n & 1)
		h = (h ^ w[n - 1]) * XLB_HASH_MUL;
	return xlb_mix64(h);
}

/* The slot of hash h in a table of size slots: the high 32 bits scaled to
 * the size by a multiply (no division; Lemire's fastrange). */
static __always_inline __u32 xlb_slot(__u64 h, __u32 size)
{
	return (__u32)(((h >> 32) * size) >> 32);
}

/* ---- the VIP tables (vip_tab4, vip_tab6) ---- */

/* The key word of an IPv4 VIP slot (port in network order, as in the
 * packet); never 0, which marks an empty slot. */
static __always_inline __u64 xlb_vip_key4(__be32 addr, __be16 port,
					  __u8 proto)
{
	return (__u64)addr | (__u64)port << 32 | (__u64)proto << 48 |
	       1ull << 56;
}

/* The port/proto word of an IPv6 VIP slot; never 0 (0: empty slot). */
static __always_inline __u32 xlb_vip_pp6(__be16 port, __u8 proto)
{
	return (__u32)port | (__u32)proto << 16 | 1u << 24;
}

/* First slot to probe for a key (bits: log2 of the table's slots). */
static __always_inline __u32 xlb_vip_home4(__u64 key, __u32 bits)
{
	return (__u32)((key * XLB_HASH_MUL) >> (64 - bits));
}

static __always_inline __u32 xlb_vip_home6(const __be32 *a, __u32 pp,
					   __u32 bits)
{
	__u64 h = ((__u64)a[0] << 32 | a[1]) * XLB_HASH_MUL;

	h = (h ^ ((__u64)a[2] << 32 | a[3])) * XLB_HASH_MUL;
	h = (h ^ pp) * XLB_HASH_MUL;
	return (__u32)(h >> (64 - bits));
}

/* log2 of the slots of each VIP table for max_services services: at
 * least XLB_VIP_SLOTS_PER_SVC slots a service (a family holds at most
 * two entries a service, its VIP and its address's echo entry: at most a
 * quarter full), and at least 64. */
static __always_inline __u32 xlb_vip_bits(__u32 max_services)
{
	__u32 bits = 6;

	while (bits < 24 && (1u << bits) < max_services * XLB_VIP_SLOTS_PER_SVC)
		bits++;
	return bits;
}

#endif
