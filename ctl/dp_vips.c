// SPDX-License-Identifier: GPL-2.0-only
/*
 * The VIP tables (vip_tab4, vip_tab6): every change reads the current
 * table, edits its entry list, builds a whole new table (viptab.c) in a
 * new inner map and swaps it in with one update of the outer map. A packet
 * sees the old table or the new one, never a half-built one; the kernel
 * frees the old one after the packets that use it are done (RCU), as with
 * the service tables. Reading the pinned table each time (no copy kept
 * here) makes re-adoption and `xdp-lb upgrade` need nothing more.
 */
#include "dataplane.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "viptab.h"
#include "xlb_hash.h"
#include "xdp_lb.skel.h"

/* One family's table as the controller handles it. */
struct vt {
	const struct viptab_fam *f;
	int outer;  /* vip_tab4 or vip_tab6 */
	__u32 bits; /* 2^bits slots */
	void *tab;  /* the slots */
	void *ents; /* the used ones, n of them (room for all slots + 1) */
	size_t n;
};

static int vt_init(struct dp *dp, struct vt *v, bool v6)
{
	memset(v, 0, sizeof(*v));
	v->f = v6 ? &viptab_v6 : &viptab_v4;
	v->outer = bpf_map__fd(v6 ? dp->skel->maps.vip_tab6 :
				    dp->skel->maps.vip_tab4);
	v->bits = xlb_vip_bits(dp->max_services);
	v->tab = calloc(1u << v->bits, v->f->size);
	v->ents = calloc((1u << v->bits) + 1, v->f->size);
	return v->tab && v->ents ? 0 : -ENOMEM;
}

static void vt_fini(struct vt *v)
{
	free(v->tab);
	free(v->ents);
}

/* The slots of array fd, all of them: a batch, or one by one where the
 * kernel has no batch operations for arrays. */
static int slots_read(int fd, const struct vt *v)
{
	__u32 count = 1u << v->bits, *keys, i, out;
	int ret;

	keys = calloc(count, sizeof(*keys));
	if (!keys)
		return -ENOMEM;
	ret = bpf_map_lookup_batch(fd, NULL, &out, keys, v->tab, &count, NULL);
	if (ret && (errno != ENOENT || count != 1u << v->bits)) {
		for (i = 0, ret = 0; i < 1u << v->bits && !ret; i++)
			ret = bpf_map_lookup_elem(
				fd, &i, (__u8 *)v->tab + i * v->f->size);
		ret = ret ? -errno : 0;
	} else {
		ret = 0;
	}
	free(keys);
	return ret;
}

/* The current table's entries into v->ents (none if no table yet). */
static int vt_read(struct vt *v)
{
	__u32 key = 0, id;
	int fd, ret;

	if (bpf_map_lookup_elem(v->outer, &key, &id))
		return errno == ENOENT ? 0 : -errno;
	fd = bpf_map_get_fd_by_id(id);
	if (fd < 0)
		return -errno;
	ret = slots_read(fd, v);
	close(fd);
	if (!ret)
		v->n = viptab_collect(v->f, v->tab, v->bits, v->ents);
	return ret;
}

/* Build v->ents into a new inner map and swap it in. */
static int vt_write(struct vt *v)
{
	__u32 count = 1u << v->bits, *keys, i;
	int inner, ret;

	ret = viptab_build(v->f, v->ents, v->n, v->tab, v->bits);
	if (ret)
		return ret;
	inner = bpf_map_create(BPF_MAP_TYPE_ARRAY, "vip_table", sizeof(__u32),
			       v->f->size, count, NULL);
	if (inner < 0)
		return -errno;
	keys = malloc(count * sizeof(*keys));
	if (!keys) {
		close(inner);
		return -ENOMEM;
	}
	for (i = 0; i < count; i++)
		keys[i] = i;
	ret = bpf_map_update_batch(inner, keys, v->tab, &count, NULL);
	if (ret) /* no batch ops for arrays on this kernel */
		for (i = 0, ret = 0; i < 1u << v->bits && !ret; i++)
			ret = bpf_map_update_elem(
				inner, &i, (__u8 *)v->tab + i * v->f->size, 0);
	free(keys);
	i = 0;
	if (!ret)
		ret = bpf_map_update_elem(v->outer, &i, &inner, 0);
	ret = ret ? -errno : 0;
	close(inner);
	return ret;
}

/* The slot of (vip, port, proto) with its meta, in *v6's family. */
static void slot_of(const struct lb_addr *vip, __u16 port, __u8 proto,
		    const struct vip_meta *meta, struct vip_slot4 *s4,
		    struct vip_slot6 *s6)
{
	memset(s4, 0, sizeof(*s4));
	memset(s6, 0, sizeof(*s6));
	if (vip->family == AF_INET) {
		s4->key = xlb_vip_key4(vip->w[0], htons(port), proto);
		s4->meta = *meta;
		return;
	}
	memcpy(s6->addr, vip->b, 16);
	s6->pp = xlb_vip_pp6(htons(port), proto);
	s6->meta = *meta;
}

/* Set (or with del, remove) one VIP: read, edit, build, swap. */
static int vip_change(struct dp *dp, const struct lb_addr *vip, __u16 port,
		      __u8 proto, const struct vip_meta *meta, bool del)
{
	bool v6 = vip->family != AF_INET;
	struct vip_slot4 s4;
	struct vip_slot6 s6;
	size_t before;
	struct vt v;
	int ret;

	slot_of(vip, port, proto, meta, &s4, &s6);
	ret = vt_init(dp, &v, v6);
	if (!ret)
		ret = vt_read(&v);
	before = v.n;
	if (!ret)
		ret = viptab_edit(v.f, v.ents, &v.n, (1u << v.bits) + 1,
				  v6 ? (void *)&s6 : (void *)&s4, del);
	if (!ret && !(del && v.n == before))
		ret = vt_write(&v);
	vt_fini(&v);
	return ret;
}

int dp_vip_set(struct dp *dp, const struct lb_addr *vip, __u16 port,
	       __u8 proto, __u32 svc_id, __u32 flags)
{
	struct vip_meta meta = { .svc_id = svc_id, .flags = flags };

	return vip_change(dp, vip, port, proto, &meta, false);
}

int dp_vip_del(struct dp *dp, const struct lb_addr *vip, __u16 port,
	       __u8 proto)
{
	struct vip_meta meta = {};

	return vip_change(dp, vip, port, proto, &meta, true);
}

/* fn for every entry of one family's table (from a copy: fn may change
 * the tables). */
static int vip_foreach_fam(struct dp *dp, bool v6,
			   void (*fn)(void *arg, const struct lb_addr *vip,
				      __u16 port, __u8 proto, __u32 svc_id),
			   void *arg)
{
	struct lb_addr a;
	struct vt v;
	size_t i;
	int ret;

	ret = vt_init(dp, &v, v6);
	if (!ret)
		ret = vt_read(&v);
	for (i = 0; !ret && i < v.n; i++) {
		memset(&a, 0, sizeof(a));
		if (!v6) {
			const struct vip_slot4 *s = (struct vip_slot4 *)v.ents + i;

			a.family = AF_INET;
			a.w[0] = (__u32)s->key;
			fn(arg, &a, ntohs((__u16)(s->key >> 32)),
			   (__u8)(s->key >> 48), s->meta.svc_id);
		} else {
			const struct vip_slot6 *s = (struct vip_slot6 *)v.ents + i;

			a.family = AF_INET6;
			memcpy(a.b, s->addr, 16);
			fn(arg, &a, ntohs((__u16)s->pp), (__u8)(s->pp >> 16),
			   s->meta.svc_id);
		}
	}
	vt_fini(&v);
	return ret;
}

int dp_vip_foreach(struct dp *dp,
		   void (*fn)(void *arg, const struct lb_addr *vip, __u16 port,
			      __u8 proto, __u32 svc_id),
		   void *arg)
{
	int ret = vip_foreach_fam(dp, false, fn, arg);

	return ret ? ret : vip_foreach_fam(dp, true, fn, arg);
}
