// SPDX-License-Identifier: GPL-2.0-only
/*
 * The map table and the skeleton's preparation (see maps.h).
 */
#include "maps.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "xdp_lb.h"
#include "xlb_hash.h"
#include "xlb_flowtab.h"
#include "xdp_lb.skel.h"

/* clang-format off */
const struct xlb_map_def xlb_maps[] = {
	{ "vip_tab4",	   XLB_SIZE_FIXED,    true },
	{ "vip_tab6",	   XLB_SIZE_FIXED,    true },
	{ "svc_tables",	   XLB_SIZE_SERVICES, true },
	{ "stats_svc_drop",  XLB_SIZE_SERVICES, true },
	{ "stats_svc_carry", XLB_SIZE_SERVICES, true },
	{ "backends",	   XLB_SIZE_BACKENDS, true },
	{ "stats_backend", XLB_SIZE_BACKENDS, true },
	{ "flows4",	   XLB_SIZE_FLOWTAB,  true },
	{ "flows6",	   XLB_SIZE_FLOWTAB,  true },
	{ "flows6_keys",   XLB_SIZE_FLOWTAB,  true },
	{ "nat_rev",	   XLB_SIZE_FLOWS,    true },
	{ "stats_reason",  XLB_SIZE_FIXED,    true },
	{ "xlb_meta",	   XLB_SIZE_FIXED,    true },
	{ "xlb_cfg",	   XLB_SIZE_FIXED,    true },
	{ "flood",	   XLB_SIZE_FIXED,    true },
	{ "nat_next",	   XLB_SIZE_FIXED,    true },
	/* written at every attach; a pinned devmap is refused for reuse by
	 * libbpf ("parameter mismatch") */
	{ "tx_ports",	   XLB_SIZE_FIXED,    false },
};
/* clang-format on */
const size_t xlb_nr_maps = sizeof(xlb_maps) / sizeof(xlb_maps[0]);

/* tx_ports was pinned once; nat_cursor was the per-CPU cursor of nat
 * ports before nat_next; vips_v4/vips_v6 were the VIP hash maps before the
 * VIP tables (vip_tab4/vip_tab6); flows_v4 and flows_v6 the LRU flow
 * tables before flows4 and flows6; stats_svc counted every packet of a
 * service before the derived counters (stats_svc_drop, stats_svc_carry);
 * flow_locks held the flow tables' insert stripe locks before the lock
 * bit in each bucket. */
const char *const xlb_old_pins[] = { "tx_ports", "nat_cursor", "vips_v4",
				     "vips_v6", "flows_v4", "flows_v6",
				     "stats_svc", "flow_locks" };
const size_t xlb_nr_old_pins = sizeof(xlb_old_pins) / sizeof(xlb_old_pins[0]);

const struct xlb_sizes xlb_default_sizes = {
	.table_size = XLB_DEFAULT_TABLE_SIZE,
	.max_flows = XLB_DEFAULT_MAX_FLOWS,
	.max_services = XLB_DEFAULT_MAX_SERVICES,
	.max_backends = XLB_DEFAULT_MAX_BACKENDS,
};

const char *xlb_size_name(enum xlb_map_size s)
{
	switch (s) {
	case XLB_SIZE_SERVICES:
		return "max_services";
	case XLB_SIZE_BACKENDS:
		return "max_backends";
	case XLB_SIZE_FLOWS:
		return "max_flows";
	case XLB_SIZE_FLOWTAB:
		return "buckets for max_flows";
	default:
		return "size";
	}
}

__u32 xlb_map_want(const struct xlb_map_def *d, const struct xlb_sizes *sz)
{
	switch (d->size) {
	case XLB_SIZE_SERVICES:
		return sz->max_services;
	case XLB_SIZE_BACKENDS:
		return sz->max_backends;
	case XLB_SIZE_FLOWS:
		return sz->max_flows;
	case XLB_SIZE_FLOWTAB:
		return xlb_ft_buckets(sz->max_flows);
	default:
		return 0;
	}
}

struct bpf_map *xlb_map(struct xdp_lb *s, const struct xlb_map_def *d)
{
	return bpf_object__find_map_by_name(s->obj, d->name);
}

/* Is every map of the object in the table? A map added to the BPF source
 * without a row fails every load, the packet tests first. */
static int table_complete(struct xdp_lb *s)
{
	struct bpf_map *map;
	size_t i;

	bpf_object__for_each_map(map, s->obj) {
		if (bpf_map__is_internal(map))
			continue;
		for (i = 0; i < xlb_nr_maps; i++)
			if (!strcmp(bpf_map__name(map), xlb_maps[i].name))
				break;
		if (i == xlb_nr_maps) {
			fprintf(stderr, "map %s is not in the map table (ctl/maps.c)\n",
				bpf_map__name(map));
			return -ENOENT;
		}
	}
	return 0;
}

static int set_sizes_and_pins(struct xdp_lb *s, const struct xlb_prep *p)
{
	char path[300];
	struct bpf_map *map;
	size_t i;
	__u32 want;
	int err;

	err = table_complete(s);
	if (err)
		return err;
	for (i = 0; i < xlb_nr_maps; i++) {
		map = xlb_map(s, &xlb_maps[i]);
		if (!map)
			return -ENOENT;
		want = xlb_map_want(&xlb_maps[i], &p->sz);
		if (want && bpf_map__set_max_entries(map, want))
			return -EINVAL;
		if (!p->pin_dir || !xlb_maps[i].pinned)
			continue;
		snprintf(path, sizeof(path), "%s/%s", p->pin_dir,
			 xlb_maps[i].name);
		err = bpf_map__set_pin_path(map, path);
		if (err)
			return err;
	}
	return 0;
}

/* Compare a pinned map's size with the requested one before libbpf tries to
 * reuse it, so the message says what to do. */
static int check_pinned(const char *path, const char *what, __u32 want,
			char *err, size_t errlen)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	int fd;

	fd = bpf_obj_get(path);
	if (fd < 0)
		return 0; /* not pinned yet */
	if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
		close(fd);
		return 0;
	}
	close(fd);
	if (info.max_entries != want) {
		snprintf(err, errlen,
			 "pinned map %s was created with %s=%u, the config asks for %u: detach the interface first to change sizes",
			 path, what, info.max_entries, want);
		return -EEXIST;
	}
	return 0;
}

static int check_pinned_table_size(const char *dir, __u32 want,
				   __u32 max_services, char *err,
				   size_t errlen)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info), key, inner_id;
	char path[256];
	int outer, inner, ret = 0;

	snprintf(path, sizeof(path), "%s/svc_tables", dir);
	outer = bpf_obj_get(path);
	if (outer < 0)
		return 0;
	for (key = 0; key < max_services; key++) {
		if (bpf_map_lookup_elem(outer, &key, &inner_id))
			continue;
		inner = bpf_map_get_fd_by_id(inner_id);
		if (inner < 0)
			continue;
		if (!bpf_obj_get_info_by_fd(inner, &info, &len) &&
		    info.max_entries != want) {
			snprintf(err, errlen,
				 "pinned service tables have table_size=%u, the config asks for %u: detach the interface first to change sizes",
				 info.max_entries, want);
			ret = -EEXIST;
		}
		close(inner);
		break;
	}
	close(outer);
	return ret;
}

/* Pins of a layout this program cannot use (the VIP hash maps, replaced
 * by the VIP tables; the LRU flow tables, replaced by flows4 and flows6):
 * loading against them would leave the services or flows behind in maps
 * no program reads. stats_svc (every packet of a service, before the
 * derived counters): its stats_reason counts tx_forwarded, whose slot is
 * now the controller's carry. */
static int check_old_layout(const char *pin_dir, char *err, size_t errlen)
{
	static const char *const gone[] = { "vips_v4", "vips_v6", "flows_v4",
					    "flows_v6", "stats_svc" };
	char path[256];
	size_t i;

	for (i = 0; i < sizeof(gone) / sizeof(gone[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", pin_dir, gone[i]);
		if (access(path, F_OK))
			continue;
		snprintf(err, errlen,
			 "the maps pinned at %s are from an older xdp-lb (%s is gone from this version): detach and attach again",
			 pin_dir, gone[i]);
		return -EEXIST;
	}
	return 0;
}

int xlb_pins_check(struct xdp_lb *s, const char *pin_dir,
		   const struct xlb_sizes *sz, char *err, size_t errlen)
{
	const struct xlb_map_def *d;
	char path[256];
	size_t i;
	int ret;

	ret = check_old_layout(pin_dir, err, errlen);
	if (ret)
		return ret;
	/* The stripe locks of an earlier version: no longer used (a program
	 * that still runs keeps its map; the lock bits of flows4 are clear
	 * at rest, so both versions read the table alike). */
	snprintf(path, sizeof(path), "%s/flow_locks", pin_dir);
	unlink(path);

	for (i = 0; i < xlb_nr_maps; i++) {
		d = &xlb_maps[i];
		if (!d->pinned)
			continue;
		snprintf(path, sizeof(path), "%s/%s", pin_dir, d->name);
		ret = check_pinned(path, xlb_size_name(d->size),
				   bpf_map__max_entries(xlb_map(s, d)),
				   err, errlen);
		if (ret && d->size == XLB_SIZE_FIXED) {
			snprintf(err, errlen,
				 "the maps pinned at %s are from an older xdp-lb (%s has another size): detach and attach again",
				 pin_dir, d->name);
		}
		if (ret)
			return ret;
	}
	return check_pinned_table_size(pin_dir, sz->table_size,
				       sz->max_services, err, errlen);
}

void xlb_tmpl_close(struct xlb_tmpl *t)
{
	if (t->svc >= 0)
		close(t->svc);
	if (t->vip4 >= 0)
		close(t->vip4);
	if (t->vip6 >= 0)
		close(t->vip6);
	t->svc = t->vip4 = t->vip6 = -1;
}

/* An inner-map template of value_size and slots, handed to libbpf for
 * outer (see xlb_skel_prepare); its fd in *fd. */
static int set_tmpl(struct bpf_map *outer, const char *name,
		    __u32 value_size, __u32 slots, int *fd)
{
	int err;

	*fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, name, sizeof(__u32),
			     value_size, slots, NULL);
	if (*fd < 0)
		return -errno;
	err = bpf_map__set_inner_map_fd(outer, *fd);
	return err;
}

int xlb_skel_prepare(struct xdp_lb *s, const struct xlb_prep *p,
		     struct xlb_tmpl *t)
{
	__u32 vip_bits = xlb_vip_bits(p->sz.max_services);
	int err;

	t->svc = t->vip4 = t->vip6 = -1;
	s->rodata->table_size = p->sz.table_size;
	s->rodata->vip_bits = vip_bits;
	s->rodata->flow_mask = xlb_ft_buckets(p->sz.max_flows) - 1;
	memcpy((void *)s->rodata->if_mac, p->if_mac, 6);
	s->rodata->nat_ifindex = p->nat_ifindex;
	memcpy((void *)s->rodata->int_mac, p->int_mac, 6);
	err = set_sizes_and_pins(s, p);
	if (err)
		return err;
	/*
	 * The inner-map templates decide the size every inner map must have:
	 * the kernel accepts only service tables of exactly table_size slots
	 * in svc_tables, and VIP tables of 2^vip_bits slots in vip_tab4/6.
	 * bpf_map__set_max_entries(bpf_map__inner_map(...)) crashes libbpf
	 * 1.1 (the template's obj is NULL), so hand libbpf templates of the
	 * right size by fd instead.
	 */
	err = set_tmpl(s->maps.svc_tables, "svc_table_tmpl", sizeof(__u32),
		       p->sz.table_size, &t->svc);
	if (!err)
		err = set_tmpl(s->maps.vip_tab4, "vip_tab4_tmpl",
			       sizeof(struct vip_slot4), 1u << vip_bits,
			       &t->vip4);
	if (!err)
		err = set_tmpl(s->maps.vip_tab6, "vip_tab6_tmpl",
			       sizeof(struct vip_slot6), 1u << vip_bits,
			       &t->vip6);
	if (err)
		xlb_tmpl_close(t);
	return err;
}

struct xdp_lb *xlb_skel_open_load(const struct xlb_prep *p)
{
	struct xlb_tmpl t;
	struct xdp_lb *s;
	int err;

	s = xdp_lb__open();
	if (!s)
		return NULL;
	err = xlb_skel_prepare(s, p, &t);
	if (err)
		goto fail;
	err = xdp_lb__load(s);
	xlb_tmpl_close(&t);
	if (err)
		goto fail;
	return s;
fail:
	xdp_lb__destroy(s);
	errno = -err;
	return NULL;
}
