// SPDX-License-Identifier: GPL-2.0-only
/*
 * The flow tables flows4 and flows6 from userspace (see flowtab.h,
 * xlb_flowtab.h).
 */
#include "flowtab.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#define LD(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define ST(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)

static bool cas(__u64 *p, __u64 old, __u64 new)
{
	return __atomic_compare_exchange_n(p, &old, new, false,
					   __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}

/* Store a flow's meta into a way this side claimed (busy): way 0's word
 * also carries the bucket's lock bit, which a CPU inserting into the
 * bucket may set or clear meanwhile: kept as it is. */
static void put_meta(__u64 *p, __u64 meta)
{
	__u64 cur = LD(p);

	while (!__atomic_compare_exchange_n(p, &cur,
					    XLB_FT_META_FLOW(meta) |
						    (cur & XLB_FT_LOCK),
					    false, __ATOMIC_ACQ_REL,
					    __ATOMIC_ACQUIRE))
		;
}

int xlb_ft_map(struct xlb_ft *ft, int fd, __u32 nbuckets)
{
	void *p;

	memset(ft, 0, sizeof(*ft));
	if (!nbuckets || (nbuckets & (nbuckets - 1)))
		return -EINVAL;
	ft->bytes = (size_t)nbuckets * sizeof(struct xlb_ft_bucket);
	p = mmap(NULL, ft->bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return -errno;
	ft->tab = p;
	ft->nbuckets = nbuckets;
	ft->mapped = true;
	return 0;
}

int xlb_ft6_map(struct xlb_ft *ft, int fd, int kfd, __u32 nbuckets)
{
	int ret = xlb_ft_map(ft, fd, nbuckets);
	void *p;

	if (ret)
		return ret;
	p = mmap(NULL, ft->bytes, PROT_READ | PROT_WRITE, MAP_SHARED, kfd, 0);
	if (p == MAP_FAILED) {
		ret = -errno;
		xlb_ft_unmap(ft);
		return ret;
	}
	ft->keys = p;
	return 0;
}

void xlb_ft6_use(struct xlb_ft *ft, struct xlb_ft_bucket *tab,
		 struct xlb_ft_keys *keys, __u32 nbuckets)
{
	xlb_ft_use(ft, tab, nbuckets);
	ft->keys = keys;
}

void xlb_ft_use(struct xlb_ft *ft, struct xlb_ft_bucket *tab, __u32 nbuckets)
{
	ft->tab = tab;
	ft->nbuckets = nbuckets;
	ft->bytes = (size_t)nbuckets * sizeof(*tab);
	ft->mapped = false;
	ft->keys = NULL;
}

void xlb_ft_unmap(struct xlb_ft *ft)
{
	if (ft->mapped && ft->tab)
		munmap(ft->tab, ft->bytes);
	if (ft->mapped && ft->keys)
		munmap(ft->keys, ft->bytes);
	memset(ft, 0, sizeof(*ft));
}

/* The address words of way w of ft (flows6), or NULL (flows4). */
static __u64 *ft_addr(const struct xlb_ft *ft, const struct xlb_ft_way *w)
{
	size_t i;

	if (!ft || !ft->keys)
		return NULL;
	i = w - &ft->tab[0].w[0];
	return ft->keys[i / XLB_FT_WAYS].a[i % XLB_FT_WAYS];
}

/* A consistent read of way w, and of its address words ka[2] if any. */
static bool ft_read(const struct xlb_ft_way *w, const __u64 *ka, __u64 *kw,
		    __u64 *meta, __u64 *a)
{
	__u64 k, m;
	int tries;

	for (tries = 0; tries < 2; tries++) {
		k = LD(&w->kw);
		if (!k)
			return false;
		m = XLB_FT_META_FLOW(LD(&w->meta));
		if (ka) {
			a[0] = LD(&ka[0]);
			a[1] = LD(&ka[1]);
		}
		if (!(k & XLB_FT_BUSY) && LD(&w->kw) == k) {
			*kw = k;
			*meta = m;
			return true;
		}
	}
	return false; /* a writer is inside: the flow is being replaced */
}

bool xlb_ft_read(const struct xlb_ft_way *w, __u64 *kw, __u64 *meta)
{
	return ft_read(w, NULL, kw, meta, NULL);
}

static void ft_addr_words(const __u64 *a, __be32 *addr)
{
	addr[0] = (__be32)a[0];
	addr[1] = (__be32)(a[0] >> 32);
	addr[2] = (__be32)a[1];
	addr[3] = (__be32)(a[1] >> 32);
}

bool xlb_ft_read_addr(const struct xlb_ft *ft, const struct xlb_ft_way *w,
		      __u64 *kw, __u64 *meta, __be32 *addr)
{
	__u64 a[2];

	if (!ft_read(w, ft_addr(ft, w), kw, meta, a))
		return false;
	if (ft->keys)
		ft_addr_words(a, addr);
	return true;
}

/* The way of bucket h holding kw (and, flows6, address a), or NULL. */
static struct xlb_ft_way *ft_find(const struct xlb_ft *ft, __u64 h,
				  __u64 kw, const __u64 *a, __u64 *meta)
{
	struct xlb_ft_bucket *b = xlb_ft_bucket(ft, h);
	__u64 k, m, x[2];
	int i;

	for (i = 0; i < XLB_FT_WAYS; i++) {
		if (LD(&b->w[i].kw) != kw ||
		    !ft_read(&b->w[i], ft_addr(ft, &b->w[i]), &k, &m, x) ||
		    k != kw || (a && (x[0] != a[0] || x[1] != a[1])))
			continue;
		*meta = m;
		return &b->w[i];
	}
	return NULL;
}

struct xlb_ft_way *xlb_ft_find(const struct xlb_ft *ft, __u64 h, __u64 kw,
			       __u64 *meta)
{
	return ft_find(ft, h, kw, NULL, meta);
}

struct xlb_ft_way *xlb_ft6_find(const struct xlb_ft *ft, __u64 h, __u64 kw,
				const __be32 *addr, __u64 *meta)
{
	__u64 a[2] = { xlb_ft6_addr(addr, 0), xlb_ft6_addr(addr, 1) };

	return ft_find(ft, h, kw, a, meta);
}

enum xlb_ft_del xlb_ft_del(const struct xlb_ft *ft, struct xlb_ft_way *w,
			   __u64 kw, __u64 meta)
{
	__u64 now, *ka = ft_addr(ft, w), a[2] = { 0, 0 };

	if (ka) { /* to put back, if a writer used the way meanwhile */
		a[0] = LD(&ka[0]);
		a[1] = LD(&ka[1]);
	}
	meta = XLB_FT_META_FLOW(meta);
	if (XLB_FT_META_FLOW(LD(&w->meta)) != meta || !cas(&w->kw, kw, 0))
		return LD(&w->kw) == kw ? XLB_FT_DEL_REVIVED : XLB_FT_DEL_GONE;
	now = XLB_FT_META_FLOW(LD(&w->meta));
	if (now == meta)
		return XLB_FT_DEL_DONE;
	/* a packet refreshed it between the check and the delete */
	if (!cas(&w->kw, 0, kw | XLB_FT_BUSY))
		return XLB_FT_DEL_LOST;
	if (ka) {
		ST(&ka[0], a[0]);
		ST(&ka[1], a[1]);
	}
	put_meta(&w->meta, now);
	ST(&w->kw, kw);
	return XLB_FT_DEL_REVIVED;
}

enum xlb_ft_del xlb_ft_delete(struct xlb_ft_way *w, __u64 kw, __u64 meta)
{
	return xlb_ft_del(NULL, w, kw, meta);
}

/* Put (kw, address a if flows6) -> meta into bucket h: its own way, a
 * free one, else false. */
static bool ft_place(const struct xlb_ft *ft, __u64 h, __u64 kw,
		     const __u64 *a, __u64 meta)
{
	struct xlb_ft_bucket *b = xlb_ft_bucket(ft, h);
	__u64 *ka, k, m, x[2];
	int i;

	for (i = 0; i < XLB_FT_WAYS; i++) {
		ka = ft_addr(ft, &b->w[i]);
		if (LD(&b->w[i].kw) == kw &&
		    (!a || (ft_read(&b->w[i], ka, &k, &m, x) &&
			    x[0] == a[0] && x[1] == a[1])) &&
		    cas(&b->w[i].kw, kw, kw | XLB_FT_BUSY))
			goto fill;
	}
	for (i = 0; i < XLB_FT_WAYS; i++)
		if (!LD(&b->w[i].kw) && cas(&b->w[i].kw, 0, kw | XLB_FT_BUSY))
			goto fill;
	return false;
fill:
	ka = ft_addr(ft, &b->w[i]);
	if (ka) {
		ST(&ka[0], a[0]);
		ST(&ka[1], a[1]);
	}
	put_meta(&b->w[i].meta, meta);
	ST(&b->w[i].kw, kw);
	return true;
}

bool xlb_ft_place(const struct xlb_ft *ft, __u64 h, __u64 kw, __u64 meta)
{
	return ft_place(ft, h, kw, NULL, meta);
}

bool xlb_ft6_place(const struct xlb_ft *ft, __u64 h, __u64 kw,
		   const __be32 *addr, __u64 meta)
{
	__u64 a[2] = { xlb_ft6_addr(addr, 0), xlb_ft6_addr(addr, 1) };

	return ft_place(ft, h, kw, a, meta);
}

__u32 xlb_ft_walk(const struct xlb_ft *ft, __u32 from, __u32 n,
		  xlb_ft_walk_fn fn, void *arg)
{
	__u32 end = from + n < from || from + n > ft->nbuckets ?
			    ft->nbuckets : from + n, i;
	__u64 kw, meta;
	__be32 addr[4];
	int j;

	for (i = from; i < end; i++)
		for (j = 0; j < XLB_FT_WAYS; j++)
			if (xlb_ft_read_addr(ft, &ft->tab[i].w[j], &kw, &meta,
					     addr))
				fn(arg, &ft->tab[i].w[j], kw, meta,
				   ft->keys ? addr : NULL);
	return end;
}

void xlb_ft_value(__u64 meta, __u64 now_ns, struct flow_value *v)
{
	memset(v, 0, sizeof(*v));
	v->backend_id = XLB_FT_META_BACKEND(meta);
	v->state = XLB_FT_META_STATE(meta);
	v->nat_port = XLB_FT_META_NATPORT(meta);
	v->last_seen = xlb_ft_last_ns(XLB_FT_META_SEEN(meta), now_ns);
}
