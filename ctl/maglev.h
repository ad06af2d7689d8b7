/* SPDX-License-Identifier: GPL-2.0-only */
/* Weighted Maglev: builds a service table from back ends and weights. */
#ifndef XLB_MAGLEV_H
#define XLB_MAGLEV_H

#include <stddef.h>
#include <linux/types.h>

#include "addr.h"

struct maglev_backend {
	struct lb_addr addr; /* identity: the table depends on it, not on order */
	__u32 id;	     /* value written into the table slots */
	__u32 weight;	     /* 0 = gets no slot */
};

/*
 * Fill table[0..size-1] with back-end ids. size must be prime and larger
 * than n. Each back end with weight > 0 gets a number of slots proportional
 * to its weight (largest-remainder rounding, so counts are exact within one
 * slot, and every back end with weight > 0 gets at least one slot). The
 * result depends only on the set of (addr, weight) pairs and size: the
 * order of the input array does not matter, and ids only name the result.
 * If no back end has weight > 0 the table is filled with XLB_NO_BACKEND.
 * Returns 0, or -EINVAL (bad size, duplicate address) / -ENOMEM.
 */
int maglev_build(const struct maglev_backend *backends, size_t n,
		 __u32 *table, __u32 size);

#endif
