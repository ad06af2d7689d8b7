/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Prototype (issue 14, bench only): userspace side of the IPv6 flow
 * table layouts (bench/flowtab6.h): load bench/flowtab6.bpf.c, place
 * flows, and sweep, purge and count through the mmap'd arrays.
 */
#ifndef XLB_FT6_USER_H
#define XLB_FT6_USER_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "flowtab6.h"
#include "ft_user.h"

struct flowtab6;
struct xdp_lb;

struct ft6_opts {
	__u32 nbuckets;	    /* a power of two */
	__u32 layout;	    /* FT6_FP or FT6_WIDE */
	__u32 two_choice;   /* overflow into a second bucket (ft6_ovf) */
	__u32 counters;	    /* 1 (per service) or 3 (as the data path) */
	__u32 table_size;   /* service-table slots */
	__u8 if_mac[6];
	struct xdp_lb *share; /* reuse its svc_tables, backends */
};

struct ft6_inst {
	struct flowtab6 *skel;
	int prog;
	__u32 nbuckets, layout;
	bool two_choice;
	struct ft6_line *tab;	  /* the mmap'd ft6_flows */
	struct ft6_keyline *keys; /* the mmap'd ft6_keys (FT6_FP) */
	__u64 *ovf;		  /* the mmap'd ft6_ovf */
	size_t bytes, key_bytes, ovf_bytes;
};

int ft6_load(struct ft6_inst *fi, const struct ft6_opts *o);
void ft6_destroy(struct ft6_inst *fi);
/* The two address words as the data path loads them. */
void ft6_addr(const void *addr16, __u64 *a0, __u64 *a1);
/* Way i of bucket b: pointers to its kw, meta and address words. */
void ft6_way(struct ft6_inst *fi, __u32 b, __u32 i, __u64 **kw,
	     __u64 **meta, __u64 **a);
/* Place a flow as the data path would (setup only, no concurrency);
 * false if its bucket (and second bucket) is full. */
bool ft6_place(struct ft6_inst *fi, __u64 h, __u64 kw, __u64 a0, __u64 a1,
	       __u64 meta);
/* Events per CPU summed (flowtab6.bpf.c's enum ft6_event order). */
void ft6_events(struct ft6_inst *fi, __u64 *ev, int n);
/* As ft_sweep (ft_user.h), over this table. */
void ft6_sweep(struct ft6_inst *fi, __u16 now16, const __u16 *timeout,
	       __u32 purge_id, __u64 *counts, __u32 nb,
	       struct ft_sweep_res *res);
void ft6_clear(struct ft6_inst *fi);

#endif
