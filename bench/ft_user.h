/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Prototype (issue 14, bench only): userspace side of the cache-line flow
 * table (bench/flowtab.h): load bench/flowtab.bpf.c, build its inline VIP
 * table, place flows, and sweep, purge and count through the mmap'd array
 * (no syscall per entry, no lock: flowtab.h has the rules).
 */
#ifndef XLB_FT_USER_H
#define XLB_FT_USER_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "flowtab.h"

struct flowtab;
struct xdp_lb;

struct ft_opts {
	__u32 nbuckets;	    /* a power of two */
	__u32 vip_inline;   /* 1: inline VIP table, 0: vips_v4 hash map */
	__u32 counters;	    /* 0, 1 (per service), 2, 3 (as the data path) */
	__u32 table_size;   /* service-table slots */
	__u8 if_mac[6];
	struct xdp_lb *share; /* reuse its svc_tables, backends */
	int flows_fd;	      /* > 0: reuse this ft_flows */
	__u32 two_choice;     /* overflow into a second bucket (ft_ovf) */
};

struct ft_inst {
	struct flowtab *skel;
	int prog;
	__u32 nbuckets;
	struct ft_bucket *tab; /* the mmap'd ft_flows */
	size_t bytes;
	__u64 *ovf;	       /* the mmap'd ft_ovf, two_choice only */
	size_t ovf_bytes;
	bool two_choice;
};

int ft_load(struct ft_inst *fi, const struct ft_opts *o);
void ft_destroy(struct ft_inst *fi);
/* Add VIP addr:port/proto (network order) for service svc_id (>= 1) to
 * the inline table; -ENOSPC if it needs a longer probe than allowed. */
int ft_vip_add(struct ft_inst *fi, __u32 addr, __u16 port, __u8 proto,
	       __u32 svc_id, __u16 flags);
/* Place a flow as the data path would (no concurrency: setup only);
 * false if its bucket is full. */
bool ft_place(struct ft_inst *fi, __u64 h, __u64 kw, __u64 meta);
/* Events per CPU summed (flowtab.bpf.c's enum ft_event order). */
void ft_events(struct ft_inst *fi, __u64 *ev, int n);

/* The coarse clock as the data path reads it (16-bit last-seen units). */
__u16 ft_now16(void);

struct ft_sweep_res {
	__u64 live, expired, purged, torn; /* torn: reads retried */
};
/* Count live flows per back end (counts[id], ids < nb), expire flows
 * idle longer than timeout[state] units (0: never), purge flows of back
 * end purge_id (0: none); lock-free, through the mmap. */
void ft_sweep(struct ft_inst *fi, __u16 now16, const __u16 *timeout,
	      __u32 purge_id, __u64 *counts, __u32 nb,
	      struct ft_sweep_res *res);
/* Empty the table (no traffic meanwhile: bench only). */
void ft_clear(struct ft_inst *fi);

#endif
