// SPDX-License-Identifier: GPL-2.0-only
/*
 * Prototype (issue 14, bench only): the userspace side of the cache-line
 * flow table. See ft_user.h and flowtab.h.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "xdp_lb.h"
#include "ft_user.h"
#include "flowtab.skel.h"
#include "xdp_lb.skel.h"

int ft_load(struct ft_inst *fi, const struct ft_opts *o)
{
	struct flowtab *s;
	int err = 0;

	memset(fi, 0, sizeof(*fi));
	if (!o->nbuckets || (o->nbuckets & (o->nbuckets - 1)))
		return -EINVAL;
	s = flowtab__open();
	if (!s)
		return -errno;
	s->rodata->ft_mask = o->nbuckets - 1;
	s->rodata->vip_inline = o->vip_inline;
	s->rodata->counters = o->counters;
	s->rodata->table_size = o->table_size;
	memcpy((void *)s->rodata->if_mac, o->if_mac, 6);
	s->rodata->two_choice = o->two_choice;
	err = bpf_map__set_max_entries(s->maps.ft_flows, o->nbuckets);
	err = err ?: bpf_map__set_max_entries(s->maps.ft_ovf,
					      (o->nbuckets + 63) / 64);
	if (!err && o->share) {
		struct xdp_lb *l = o->share;

		/* its vips_v4 is its own (filled by the caller) */
		err = bpf_map__reuse_fd(s->maps.svc_tables,
					       bpf_map__fd(l->maps.svc_tables));
		err = err ?: bpf_map__reuse_fd(s->maps.backends,
					       bpf_map__fd(l->maps.backends));
	}
	if (!err && o->flows_fd > 0)
		err = bpf_map__reuse_fd(s->maps.ft_flows, o->flows_fd);
	err = err ?: flowtab__load(s);
	if (err) {
		flowtab__destroy(s);
		return err;
	}
	fi->skel = s;
	fi->prog = bpf_program__fd(s->progs.xdp_ft);
	fi->nbuckets = o->nbuckets;
	fi->bytes = (size_t)o->nbuckets * sizeof(struct ft_bucket);
	fi->tab = mmap(NULL, fi->bytes, PROT_READ | PROT_WRITE, MAP_SHARED,
		       bpf_map__fd(s->maps.ft_flows), 0);
	if (fi->tab == MAP_FAILED) {
		err = -errno;
		flowtab__destroy(s);
		memset(fi, 0, sizeof(*fi));
		return err;
	}
	fi->two_choice = o->two_choice;
	fi->ovf_bytes = (o->nbuckets + 63) / 64 * 8;
	fi->ovf = mmap(NULL, fi->ovf_bytes, PROT_READ | PROT_WRITE, MAP_SHARED,
		       bpf_map__fd(s->maps.ft_ovf), 0);
	if (fi->ovf == MAP_FAILED) {
		err = -errno;
		munmap(fi->tab, fi->bytes);
		flowtab__destroy(s);
		memset(fi, 0, sizeof(*fi));
		return err;
	}
	return 0;
}

void ft_destroy(struct ft_inst *fi)
{
	if (fi->tab)
		munmap(fi->tab, fi->bytes);
	if (fi->ovf)
		munmap(fi->ovf, fi->ovf_bytes);
	flowtab__destroy(fi->skel);
	memset(fi, 0, sizeof(*fi));
}

int ft_vip_add(struct ft_inst *fi, __u32 addr, __u16 port, __u8 proto,
	       __u32 svc_id, __u16 flags)
{
	struct ft_vip *t = fi->skel->data_vips->ft_vips;
	__u64 key = ft_vip_key(addr, port, proto);
	__u32 s = ft_vip_hash(key), i;

	for (i = 0; i < FT_VIP_PROBES; i++) {
		struct ft_vip *v = &t[(s + i) & (FT_VIP_SLOTS - 1)];

		if (v->key && v->key != key)
			continue;
		v->svc_id = svc_id;
		v->vtag = svc_id;
		v->flags = flags;
		__atomic_store_n(&v->key, key, __ATOMIC_RELEASE);
		return 0;
	}
	return -ENOSPC;
}

static bool place_in(struct ft_bucket *b, __u64 kw, __u64 meta)
{
	for (int i = 0; i < FT_WAYS; i++) {
		if (b->w[i].kw && b->w[i].kw != kw)
			continue;
		b->w[i].meta = meta;
		b->w[i].kw = kw;
		return true;
	}
	return false;
}

bool ft_place(struct ft_inst *fi, __u64 h, __u64 kw, __u64 meta)
{
	__u32 mask = fi->nbuckets - 1, i1 = h & mask, i2 = ft_idx2(h, mask);

	if (place_in(&fi->tab[i1], kw, meta))
		return true;
	if (!fi->two_choice || i2 == i1 || !place_in(&fi->tab[i2], kw, meta))
		return false;
	fi->ovf[i1 / 64] |= 1ull << (i1 & 63);
	return true;
}

void ft_events(struct ft_inst *fi, __u64 *ev, int n)
{
	int ncpu = libbpf_num_possible_cpus();
	__u64 v[ncpu];

	for (__u32 k = 0; k < (__u32)n; k++) {
		ev[k] = 0;
		if (bpf_map_lookup_elem(bpf_map__fd(fi->skel->maps.ft_events),
					&k, v))
			continue;
		for (int c = 0; c < ncpu; c++)
			ev[k] += v[c];
	}
}

__u16 ft_now16(void)
{
	struct timespec ts;

	/* bpf_ktime_get_coarse_ns() is CLOCK_MONOTONIC_COARSE */
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return ((__u64)ts.tv_sec * 1000000000ull + ts.tv_nsec) >> FT_SEEN_SHIFT;
}

/*
 * One pass over the mmap'd buckets. A way is read as the data path reads
 * it (kw, meta, kw again; retried once if a writer was inside), and
 * deleted with cmpxchg(kw, key, 0): if a writer replaced the way since we
 * read it, the cmpxchg fails and the new flow stays.
 */
void ft_sweep(struct ft_inst *fi, __u16 now16, const __u16 *timeout,
	      __u32 purge_id, __u64 *counts, __u32 nb,
	      struct ft_sweep_res *res)
{
	struct ft_bucket *t = fi->tab;

	memset(res, 0, sizeof(*res));
	for (__u32 i = 0; i < fi->nbuckets; i++) {
		for (int w = 0; w < FT_WAYS; w++) {
			__u64 *kwp = &t[i].w[w].kw, k, m;
			int tries = 0;
			__u16 age, bid;
			__u8 st;

			do {
				k = __atomic_load_n(kwp, __ATOMIC_ACQUIRE);
				m = __atomic_load_n(&t[i].w[w].meta,
						    __ATOMIC_ACQUIRE);
			} while ((k & FT_BUSY ||
				  k != __atomic_load_n(kwp, __ATOMIC_ACQUIRE)) &&
				 ++tries < 2 && ++res->torn);
			if (!k || tries >= 2)
				continue;
			bid = FT_META_BACKEND(m);
			st = FT_META_STATE(m);
			age = now16 - FT_META_SEEN(m);
			if ((purge_id && bid == purge_id) ||
			    (timeout && timeout[st & 7] &&
			     age > timeout[st & 7])) {
				if (__atomic_compare_exchange_n(
					    kwp, &k, 0, false, __ATOMIC_ACQ_REL,
					    __ATOMIC_ACQUIRE)) {
					if (purge_id && bid == purge_id)
						res->purged++;
					else
						res->expired++;
				}
				continue;
			}
			res->live++;
			if (counts && bid < nb)
				counts[bid]++;
		}
	}
}

void ft_clear(struct ft_inst *fi)
{
	memset(fi->tab, 0, fi->bytes);
	if (fi->ovf)
		memset(fi->ovf, 0, fi->ovf_bytes);
}
