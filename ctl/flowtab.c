// SPDX-License-Identifier: GPL-2.0-only
/*
 * The IPv4 flow table from userspace (see flowtab.h, xlb_flowtab.h).
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

void xlb_ft_use(struct xlb_ft *ft, struct xlb_ft_bucket *tab, __u32 nbuckets)
{
	ft->tab = tab;
	ft->nbuckets = nbuckets;
	ft->bytes = (size_t)nbuckets * sizeof(*tab);
	ft->mapped = false;
}

void xlb_ft_unmap(struct xlb_ft *ft)
{
	if (ft->mapped && ft->tab)
		munmap(ft->tab, ft->bytes);
	memset(ft, 0, sizeof(*ft));
}

bool xlb_ft_read(const struct xlb_ft_way *w, __u64 *kw, __u64 *meta)
{
	__u64 k, m;
	int tries;

	for (tries = 0; tries < 2; tries++) {
		k = LD(&w->kw);
		if (!k)
			return false;
		m = XLB_FT_META_FLOW(LD(&w->meta));
		if (!(k & XLB_FT_BUSY) && LD(&w->kw) == k) {
			*kw = k;
			*meta = m;
			return true;
		}
	}
	return false; /* a writer is inside: the flow is being replaced */
}

struct xlb_ft_way *xlb_ft_find(const struct xlb_ft *ft, __u64 h, __u64 kw,
			       __u64 *meta)
{
	struct xlb_ft_bucket *b = xlb_ft_bucket(ft, h);
	__u64 k, m;
	int i;

	for (i = 0; i < XLB_FT_WAYS; i++) {
		if (LD(&b->w[i].kw) != kw || !xlb_ft_read(&b->w[i], &k, &m) ||
		    k != kw)
			continue;
		*meta = m;
		return &b->w[i];
	}
	return NULL;
}

enum xlb_ft_del xlb_ft_delete(struct xlb_ft_way *w, __u64 kw, __u64 meta)
{
	__u64 now;

	meta = XLB_FT_META_FLOW(meta);
	if (XLB_FT_META_FLOW(LD(&w->meta)) != meta || !cas(&w->kw, kw, 0))
		return LD(&w->kw) == kw ? XLB_FT_DEL_REVIVED : XLB_FT_DEL_GONE;
	now = XLB_FT_META_FLOW(LD(&w->meta));
	if (now == meta)
		return XLB_FT_DEL_DONE;
	/* a packet refreshed it between the check and the delete */
	if (!cas(&w->kw, 0, kw | XLB_FT_BUSY))
		return XLB_FT_DEL_LOST;
	put_meta(&w->meta, now);
	ST(&w->kw, kw);
	return XLB_FT_DEL_REVIVED;
}

bool xlb_ft_place(const struct xlb_ft *ft, __u64 h, __u64 kw, __u64 meta)
{
	struct xlb_ft_bucket *b = xlb_ft_bucket(ft, h);
	int i;

	for (i = 0; i < XLB_FT_WAYS; i++)
		if (LD(&b->w[i].kw) == kw &&
		    cas(&b->w[i].kw, kw, kw | XLB_FT_BUSY))
			goto fill;
	for (i = 0; i < XLB_FT_WAYS; i++)
		if (!LD(&b->w[i].kw) && cas(&b->w[i].kw, 0, kw | XLB_FT_BUSY))
			goto fill;
	return false;
fill:
	put_meta(&b->w[i].meta, meta);
	ST(&b->w[i].kw, kw);
	return true;
}

__u32 xlb_ft_walk(const struct xlb_ft *ft, __u32 from, __u32 n,
		  void (*fn)(void *arg, struct xlb_ft_way *w, __u64 kw,
			     __u64 meta),
		  void *arg)
{
	__u32 end = from + n < from || from + n > ft->nbuckets ?
			    ft->nbuckets : from + n, i;
	__u64 kw, meta;
	int j;

	for (i = from; i < end; i++)
		for (j = 0; j < XLB_FT_WAYS; j++)
			if (xlb_ft_read(&ft->tab[i].w[j], &kw, &meta))
				fn(arg, &ft->tab[i].w[j], kw, meta);
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
