/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The controller's side of the flow tables flows4 and flows6
 * (include/xlb_flowtab.h):
 * the mmap'd bucket array, a consistent read of a way, find by key,
 * delete-if-unchanged and a walk over a range of buckets. No syscall per
 * flow, no lock: the rules are in xlb_flowtab.h. Shared by ctl/dp_flows.c,
 * bench/fill_flows.c and the tests (tests/unit/test_flowtab.c works on a
 * plain buffer, tests/prog on the real map).
 */
#ifndef XLB_CTL_FLOWTAB_H
#define XLB_CTL_FLOWTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <linux/types.h>

#include "xdp_lb.h"
#include "xlb_hash.h"
#include "xlb_flowtab.h"

struct xlb_ft {
	struct xlb_ft_bucket *tab;
	struct xlb_ft_keys *keys; /* flows6: the addresses (flows4: NULL) */
	__u32 nbuckets; /* a power of two */
	size_t bytes;
	bool mapped; /* tab is an mmap of the map (else the caller's) */
};

/* mmap the flows4 map fd with nbuckets buckets. 0 or -errno. */
int xlb_ft_map(struct xlb_ft *ft, int fd, __u32 nbuckets);
/* Use a buffer (tests): nbuckets buckets at tab. */
void xlb_ft_use(struct xlb_ft *ft, struct xlb_ft_bucket *tab, __u32 nbuckets);
void xlb_ft_unmap(struct xlb_ft *ft);
/* flows6: mmap its two maps (fd the buckets, kfd the keys). 0 or -errno. */
int xlb_ft6_map(struct xlb_ft *ft, int fd, int kfd, __u32 nbuckets);
/* flows6 on buffers (tests). */
void xlb_ft6_use(struct xlb_ft *ft, struct xlb_ft_bucket *tab,
		 struct xlb_ft_keys *keys, __u32 nbuckets);

/* The data path's hash of an IPv4 flow (addresses, ports in network
 * order): its low bits name the bucket. */
static inline __u64 xlb_ft_hash4(__be32 src, __be32 dst, __be16 sport,
				 __be16 dport, __u8 proto)
{
	struct flow_key_v4 k = { .src = src, .dst = dst, .sport = sport,
				 .dport = dport, .proto = proto };
	__u32 w[sizeof(k) / 4];

	/* through a copy: reading the key's 16-bit fields as words would
	 * break the aliasing rules (the compiler may read before it wrote) */
	memcpy(w, &k, sizeof(w));
	return xlb_hash(w, sizeof(k) / 4);
}

/* The data path's hash of an IPv6 flow: its low bits name the bucket,
 * its high half is the fingerprint in kw (xlb_ft6_kw). */
static inline __u64 xlb_ft_hash6(const __be32 *src, const __be32 *dst,
				 __be16 sport, __be16 dport, __u8 proto)
{
	struct flow_key_v6 k = { .sport = sport, .dport = dport,
				 .proto = proto };
	__u32 w[sizeof(k) / 4];

	memcpy(k.src, src, sizeof(k.src));
	memcpy(k.dst, dst, sizeof(k.dst));
	memcpy(w, &k, sizeof(w));
	return xlb_hash(w, sizeof(k) / 4);
}

static inline struct xlb_ft_bucket *xlb_ft_bucket(const struct xlb_ft *ft,
						  __u64 h)
{
	return &ft->tab[h & (ft->nbuckets - 1)];
}

/* Read way w as the data path does (kw, meta, kw; once more if a writer
 * was inside). true with *kw, *meta if it holds a flow. */
bool xlb_ft_read(const struct xlb_ft_way *w, __u64 *kw, __u64 *meta);
/* xlb_ft_read() of a way of ft, flows6 with its address (addr[4], kw,
 * meta and address, kw again; flows4: addr untouched). */
bool xlb_ft_read_addr(const struct xlb_ft *ft, const struct xlb_ft_way *w,
		      __u64 *kw, __u64 *meta, __be32 *addr);
/* flows6: the way of bucket h holding flow (kw, addr), or NULL. */
struct xlb_ft_way *xlb_ft6_find(const struct xlb_ft *ft, __u64 h, __u64 kw,
				const __be32 *addr, __u64 *meta);
/* flows6: xlb_ft_place() with the address. */
bool xlb_ft6_place(const struct xlb_ft *ft, __u64 h, __u64 kw,
		   const __be32 *addr, __u64 meta);
/* The way of bucket h holding key kw (and *meta), or NULL. */
struct xlb_ft_way *xlb_ft_find(const struct xlb_ft *ft, __u64 h, __u64 kw,
			       __u64 *meta);

enum xlb_ft_del {
	XLB_FT_DEL_GONE,    /* the way holds another flow (or none) now */
	XLB_FT_DEL_DONE,    /* deleted */
	XLB_FT_DEL_REVIVED, /* used again before the delete: put back */
	XLB_FT_DEL_LOST,    /* used again, and the way taken meanwhile */
};
/* Delete flow kw from way w if its meta is still meta (what the caller
 * decided on): cmpxchg(kw, key, 0) loses to a writer that replaced the
 * way. If a packet changed meta around the delete, the flow is put back
 * (its new meta) when its way is still free. */
enum xlb_ft_del xlb_ft_delete(struct xlb_ft_way *w, __u64 kw, __u64 meta);
/* xlb_ft_delete() of a way of ft (flows6: a put-back restores the
 * address too). */
enum xlb_ft_del xlb_ft_del(const struct xlb_ft *ft, struct xlb_ft_way *w,
			   __u64 kw, __u64 meta);

/* Put flow kw -> meta into bucket h: its own way, a free one, else false
 * (setup and tests: no replacement of live flows). */
bool xlb_ft_place(const struct xlb_ft *ft, __u64 h, __u64 kw, __u64 meta);

/* fn(arg, way, kw, meta, addr) for every flow in buckets [from, from +
 * n) (clipped to the table), addr its client address (flows6; flows4:
 * NULL); returns the next bucket to walk (nbuckets at the end). fn may
 * delete the way. */
typedef void (*xlb_ft_walk_fn)(void *arg, struct xlb_ft_way *w, __u64 kw,
			       __u64 meta, const __be32 *addr);
__u32 xlb_ft_walk(const struct xlb_ft *ft, __u32 from, __u32 n,
		  xlb_ft_walk_fn fn, void *arg);

/* A way's flow as a flow_value (last_seen in ns of now_ns's clock). */
void xlb_ft_value(__u64 meta, __u64 now_ns, struct flow_value *v);

#endif
