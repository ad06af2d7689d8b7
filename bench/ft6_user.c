// SPDX-License-Identifier: GPL-2.0-only
/*
 * Prototype (issue 14, bench only): the userspace side of the IPv6 flow
 * table layouts. See ft6_user.h and flowtab6.h.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "xdp_lb.h"
#include "ft6_user.h"
#include "flowtab6.skel.h"
#include "xdp_lb.skel.h"

static void *map_mmap(struct bpf_map *m, size_t bytes)
{
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED,
		       bpf_map__fd(m), 0);

	return p == MAP_FAILED ? NULL : p;
}

static int ft6_open(struct flowtab6 *s, const struct ft6_opts *o)
{
	__u32 nb = o->nbuckets;
	int err;

	s->rodata->ft_mask = nb - 1;
	s->rodata->layout = o->layout;
	s->rodata->two_choice = o->two_choice;
	s->rodata->counters = o->counters;
	s->rodata->table_size = o->table_size;
	memcpy((void *)s->rodata->if_mac, o->if_mac, 6);
	err = bpf_map__set_max_entries(s->maps.ft6_flows, nb);
	err = err ?: bpf_map__set_max_entries(s->maps.ft6_keys,
					      o->layout == FT6_FP ? nb : 1);
	err = err ?: bpf_map__set_max_entries(s->maps.ft6_ovf, (nb + 63) / 64);
	if (!err && o->share) {
		struct xdp_lb *l = o->share;

		/* its vips_v6 is its own (filled by the caller) */
		err = bpf_map__reuse_fd(s->maps.svc_tables,
					       bpf_map__fd(l->maps.svc_tables));
		err = err ?: bpf_map__reuse_fd(s->maps.backends,
					       bpf_map__fd(l->maps.backends));
	}
	return err ?: flowtab6__load(s);
}

int ft6_load(struct ft6_inst *fi, const struct ft6_opts *o)
{
	struct flowtab6 *s;
	int err;

	memset(fi, 0, sizeof(*fi));
	if (!o->nbuckets || (o->nbuckets & (o->nbuckets - 1)) ||
	    o->layout > FT6_WIDE)
		return -EINVAL;
	s = flowtab6__open();
	if (!s)
		return -errno;
	err = ft6_open(s, o);
	if (err) {
		flowtab6__destroy(s);
		return err;
	}
	fi->skel = s;
	fi->prog = bpf_program__fd(s->progs.xdp_ft6);
	fi->nbuckets = o->nbuckets;
	fi->layout = o->layout;
	fi->two_choice = o->two_choice;
	fi->bytes = (size_t)o->nbuckets * sizeof(struct ft6_line);
	fi->key_bytes = (o->layout == FT6_FP ? (size_t)o->nbuckets : 1) *
			sizeof(struct ft6_keyline);
	fi->ovf_bytes = (o->nbuckets + 63) / 64 * 8;
	fi->tab = map_mmap(s->maps.ft6_flows, fi->bytes);
	fi->keys = map_mmap(s->maps.ft6_keys, fi->key_bytes);
	fi->ovf = map_mmap(s->maps.ft6_ovf, fi->ovf_bytes);
	if (!fi->tab || !fi->keys || !fi->ovf) {
		err = -errno;
		ft6_destroy(fi);
		return err;
	}
	return 0;
}

void ft6_destroy(struct ft6_inst *fi)
{
	if (fi->tab)
		munmap(fi->tab, fi->bytes);
	if (fi->keys)
		munmap(fi->keys, fi->key_bytes);
	if (fi->ovf)
		munmap(fi->ovf, fi->ovf_bytes);
	flowtab6__destroy(fi->skel);
	memset(fi, 0, sizeof(*fi));
}

void ft6_addr(const void *addr16, __u64 *a0, __u64 *a1)
{
	memcpy(a0, addr16, 8);
	memcpy(a1, (const char *)addr16 + 8, 8);
}

void ft6_way(struct ft6_inst *fi, __u32 b, __u32 i, __u64 **kw,
	     __u64 **meta, __u64 **a)
{
	struct ft6_line *l = &fi->tab[b];

	if (fi->layout == FT6_WIDE) {
		*kw = &l->w[i].kw;
		*meta = &l->w[i].meta;
		*a = &l->w[i].a0;
	} else {
		*kw = &l->n[i].kw;
		*meta = &l->n[i].meta;
		*a = fi->keys[b].a[i];
	}
}

static bool place_in(struct ft6_inst *fi, __u32 b, __u64 kw, __u64 a0,
		     __u64 a1, __u64 meta)
{
	for (__u32 i = 0; i < ft6_ways(fi->layout); i++) {
		__u64 *k, *m, *a;

		ft6_way(fi, b, i, &k, &m, &a);
		if (*k)
			continue;
		a[0] = a0;
		a[1] = a1;
		*m = meta;
		*k = kw;
		return true;
	}
	return false;
}

bool ft6_place(struct ft6_inst *fi, __u64 h, __u64 kw, __u64 a0, __u64 a1,
	       __u64 meta)
{
	__u32 mask = fi->nbuckets - 1, i1 = h & mask, i2 = ft_idx2(h, mask);

	if (place_in(fi, i1, kw, a0, a1, meta))
		return true;
	if (!fi->two_choice || i2 == i1 ||
	    !place_in(fi, i2, kw, a0, a1, meta))
		return false;
	fi->ovf[i1 / 64] |= 1ull << (i1 & 63);
	return true;
}

void ft6_events(struct ft6_inst *fi, __u64 *ev, int n)
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

/* One way, as ft_sweep does (ft_user.c): read kw, meta, kw; delete with
 * cmpxchg(kw, key, 0). The address is not needed to decide. */
static void sweep_way(__u64 *kwp, __u64 *mp, __u16 now16,
		      const __u16 *timeout, __u32 purge_id, __u64 *counts,
		      __u32 nb, struct ft_sweep_res *res)
{
	int tries = 0;
	__u64 k, m;
	__u16 age, bid;
	__u8 st;

	do {
		k = __atomic_load_n(kwp, __ATOMIC_ACQUIRE);
		m = __atomic_load_n(mp, __ATOMIC_ACQUIRE);
	} while ((k & FT_BUSY || k != __atomic_load_n(kwp, __ATOMIC_ACQUIRE)) &&
		 ++tries < 2 && ++res->torn);
	if (!k || tries >= 2)
		return;
	bid = FT_META_BACKEND(m);
	st = FT_META_STATE(m);
	age = now16 - FT_META_SEEN(m);
	if ((purge_id && bid == purge_id) ||
	    (timeout && timeout[st & 7] && age > timeout[st & 7])) {
		if (__atomic_compare_exchange_n(kwp, &k, 0, false,
						__ATOMIC_ACQ_REL,
						__ATOMIC_ACQUIRE)) {
			if (purge_id && bid == purge_id)
				res->purged++;
			else
				res->expired++;
		}
		return;
	}
	res->live++;
	if (counts && bid < nb)
		counts[bid]++;
}

void ft6_sweep(struct ft6_inst *fi, __u16 now16, const __u16 *timeout,
	       __u32 purge_id, __u64 *counts, __u32 nb,
	       struct ft_sweep_res *res)
{
	memset(res, 0, sizeof(*res));
	for (__u32 b = 0; b < fi->nbuckets; b++) {
		for (__u32 i = 0; i < ft6_ways(fi->layout); i++) {
			__u64 *k, *m, *a;

			ft6_way(fi, b, i, &k, &m, &a);
			sweep_way(k, m, now16, timeout, purge_id, counts, nb,
				  res);
		}
	}
}

void ft6_clear(struct ft6_inst *fi)
{
	memset(fi->tab, 0, fi->bytes);
	memset(fi->keys, 0, fi->key_bytes);
	memset(fi->ovf, 0, fi->ovf_bytes);
}
