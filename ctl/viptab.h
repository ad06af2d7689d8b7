/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The VIP tables' builder (pure, no kernel): a set of VIP entries into the
 * open-addressed table the data path probes (include/xdp_lb.h, "The VIP
 * tables"; bpf/vip.h). One code for both families, through a small
 * description of the slot (struct viptab_fam). dp_vips.c writes the
 * tables; the unit tests check them.
 */
#ifndef XLB_VIPTAB_H
#define XLB_VIPTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

/* A family's slot: its size, the length of its key (the slot's first
 * bytes; all zero: empty) and its home slot. */
struct viptab_fam {
	size_t size;
	size_t key_len;
	__u32 (*home)(const void *slot, __u32 bits);
	int (*cmp)(const void *a, const void *b); /* of the keys, for qsort */
};

extern const struct viptab_fam viptab_v4; /* struct vip_slot4 */
extern const struct viptab_fam viptab_v6; /* struct vip_slot6 */

/*
 * Build the table of 2^bits slots in tab from n entries (slots with their
 * key and meta set; sorted here by key, so that the table is a function of
 * the set, not of the order of changes). Each entry goes to the first free
 * slot of its probe sequence. -EEXIST: a key twice; -ENOSPC: an entry
 * found no free slot within XLB_VIP_PROBES (tab is then unusable).
 */
int viptab_build(const struct viptab_fam *f, void *ents, size_t n, void *tab,
		 __u32 bits);
/* The slot of key (a slot whose key bytes are set) in tab, as the data
 * path probes it; NULL: not there. */
const void *viptab_find(const struct viptab_fam *f, const void *tab,
			__u32 bits, const void *key);
/* Copy the used slots of tab (2^bits) to out (room for 2^bits); returns
 * how many. */
size_t viptab_collect(const struct viptab_fam *f, const void *tab, __u32 bits,
		      void *out);
/* In the entry list ents (n, room for cap): set e (replacing the entry of
 * its key) or, with del, remove e's key. -ENOSPC: no room; a delete of a
 * key not there changes nothing. */
int viptab_edit(const struct viptab_fam *f, void *ents, size_t *n,
		size_t cap, const void *e, bool del);

#endif
