/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The data path's maps in one table (name, what sets its size, pinned or
 * not) and the one preparation of the skeleton between open and load:
 * rodata, map sizes, the service-table template, pin paths. The controller
 * (dataplane.c), the packet tests and the benchmarks all load through it,
 * so a new map is one row here.
 */
#ifndef XLB_MAPS_H
#define XLB_MAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

struct xdp_lb;
struct bpf_map;

/* What a map's max_entries follows. */
enum xlb_map_size {
	XLB_SIZE_FIXED,	   /* the BPF source's own size */
	XLB_SIZE_SERVICES, /* max_services */
	XLB_SIZE_BACKENDS, /* max_backends */
	XLB_SIZE_FLOWS,	   /* max_flows */
	XLB_SIZE_FLOWTAB,  /* xlb_ft_buckets(max_flows): flows4's buckets */
};

struct xlb_map_def {
	const char *name;
	enum xlb_map_size size;
	bool pinned; /* under the interface's pin directory */
};

extern const struct xlb_map_def xlb_maps[];
extern const size_t xlb_nr_maps;

/* Map names pinned by earlier versions: detach removes them too. */
extern const char *const xlb_old_pins[];
extern const size_t xlb_nr_old_pins;

struct xlb_sizes {
	__u32 table_size; /* slots of every service table */
	__u32 max_flows;
	__u32 max_services;
	__u32 max_backends;
};

/* The default sizes (those of the BPF source). */
extern const struct xlb_sizes xlb_default_sizes;

/* Everything fixed before load. */
struct xlb_prep {
	struct xlb_sizes sz;
	__u8 if_mac[6];	     /* the external interface's MAC */
	__u32 nat_ifindex;   /* nat: the internal interface, or 0 */
	__u8 int_mac[6];     /* nat: its MAC */
	const char *pin_dir; /* NULL: no pinning */
};

/* The option name of a size source ("max_flows"), for messages. */
const char *xlb_size_name(enum xlb_map_size s);
/* The size a table row asks for under sz (FIXED: 0, keep the source's). */
__u32 xlb_map_want(const struct xlb_map_def *d, const struct xlb_sizes *sz);
/* The skeleton's map of a table row. */
struct bpf_map *xlb_map(struct xdp_lb *s, const struct xlb_map_def *d);

/* The inner-map templates of a prepared skeleton (fds, -1: none). */
struct xlb_tmpl {
	int svc;	/* service table: table_size slots */
	int vip4, vip6; /* VIP tables: 2^xlb_vip_bits(max_services) slots */
};

/*
 * Prepare an opened skeleton for load as p says. Fills t with the
 * inner-map templates, which must stay open until the load and be closed
 * after it (xlb_tmpl_close). Returns 0 or a negative errno (then t is
 * closed already).
 */
int xlb_skel_prepare(struct xdp_lb *s, const struct xlb_prep *p,
		     struct xlb_tmpl *t);
void xlb_tmpl_close(struct xlb_tmpl *t);
/*
 * Check the maps pinned under pin_dir against the sizes the prepared
 * skeleton s asks for (and the service tables against sz->table_size),
 * before libbpf tries to reuse them: on a mismatch, one line in err that
 * says what to do, and -EEXIST.
 */
int xlb_pins_check(struct xdp_lb *s, const char *pin_dir,
		   const struct xlb_sizes *sz, char *err, size_t errlen);
/* Open, prepare and load; returns the skeleton or NULL with errno set. */
struct xdp_lb *xlb_skel_open_load(const struct xlb_prep *p);

#endif
