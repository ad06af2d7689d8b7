/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The data plane: loads the XDP program, attaches it through libxdp, pins
 * and re-adopts its maps. The only code that writes the maps. In three
 * files: load and attach (dataplane.c, with the map table of maps.h), the
 * map accessors (dp_maps.c), the flow-table walks (dp_flows.c).
 */
#ifndef XLB_DATAPLANE_H
#define XLB_DATAPLANE_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include <xdp/libxdp.h>

#include "addr.h"
#include "xdp_lb.h"
#include "flowtab.h"

struct xdp_lb;

struct dp_opts {
	const char *ifname;
	enum xdp_attach_mode mode; /* XDP_MODE_NATIVE or XDP_MODE_SKB */
	__u32 table_size;
	__u32 max_flows;
	__u32 max_services;
	__u32 max_backends;
	const char *int_ifname; /* nat: the internal interface, or NULL */
};

struct dp {
	struct xdp_lb *skel;
	struct xdp_program *xprog;
	char ifname[IF_NAMESIZE];
	char pin_dir[128];
	int ifindex;
	int nr_cpus;
	bool adopted;  /* maps were re-adopted from pins */
	bool replaced; /* an attached xdp-lb program was replaced */
	__u32 table_size;
	__u32 max_flows;
	__u32 max_services;
	__u32 max_backends;
	/* nat: the internal interface (int_ifindex 0: none) */
	char int_ifname[IF_NAMESIZE];
	int int_ifindex;
	struct xdp_program *xprog_int;
	struct lb_addr int_addr4, int_addr6; /* its first addresses */
	/* sweeps: expired flows found in use again before their delete, put
	 * back; and those a packet re-created in between (not put back) */
	__u64 sweep_revived, sweep_lost;
	__u64 nat_released; /* mappings of deleted flows, released at once */
	__u64 sweep_seen;   /* entries the last full sweep walked */
	enum xdp_attach_mode mode; /* how the program is attached */
	/* the interfaces as the link watch last saw them (dp_links.c) */
	struct dp_link {
		bool gone;	  /* no interface of that name now */
		__u64 since_ms;	  /* wall clock of the last change, 0: none */
		__u32 lost, back; /* times it went, came back re-attached */
		char detail[160]; /* the last change, one line */
	} ext_link, int_link;
	__u64 sweep_seen6;  /* of them in flows6 */
	struct xlb_ft ft4;  /* flows4, mmap'd (dp_open .. dp_close) */
	struct xlb_ft ft6;  /* flows6 and flows6_keys, mmap'd */
};

/* ---- load and attach (dataplane.c) ---------------------------------- */

/* Load, pin (or re-adopt pins) and attach. On error writes one line to err
 * and leaves the interface as it was. */
int dp_open(struct dp *dp, const struct dp_opts *o, char *err, size_t errlen);
/* Options to load a new program against an attached xdp-lb's pins (the
 * sizes it was made with, its attach mode). */
int dp_read_meta(const char *ifname, struct dp_opts *o, char *err,
		 size_t errlen);
/* Release our handles; the program stays attached, the maps pinned. */
void dp_close(struct dp *dp);
/* Remove the program from ifname and delete its pins. */
int dp_detach(const char *ifname, char *err, size_t errlen);
/* Pin directory for an interface. */
void dp_pin_dir(const char *ifname, char *buf, size_t len);
/* The XDP program attached to ifindex: id 0 if none, else its name and
 * mode. Returns 0 or a negative errno. */
int dp_attached_prog(int ifindex, __u32 *id, char *name, size_t len,
		     enum xdp_attach_mode *mode);
const char *dp_mode_str(enum xdp_attach_mode m);
/* The tc egress probe program on dp->ifindex; the size record (with
 * dp->int_ifindex). 0 or a negative errno. */
int dp_tc_attach(struct dp *dp);
int dp_write_meta(struct dp *dp);

/* ---- interfaces that go and come back (dp_links.c) -------------------- */

/* Compare the interfaces' names with what the kernel has now: one gone is
 * marked and logged; one back (a new ifindex under the same name) gets the
 * loaded program attached again, and, for nat's internal one, its tx_ports
 * slot and the size record rewritten. Returns true if anything changed. */
bool dp_links_check(struct dp *dp);
struct json_object;
/* {"external": {...}, "internal": {...}} into o as "links". */
void dp_links_json(const struct dp *dp, struct json_object *o);

/* ---- map accessors (dp_maps.c) ---------------------------------------- */

/* The VIP tables (dp_vips.c). flags: vip_meta.flags (XLB_VIP_F_*,
 * persistence prefix). -ENOSPC: the table has no room for it within
 * XLB_VIP_PROBES slots (more max_services makes the tables bigger). */
int dp_vip_set(struct dp *dp, const struct lb_addr *vip, __u16 port,
	       __u8 proto, __u32 svc_id, __u32 flags);
/* The run-time knobs (xlb_cfg[0]). */
int dp_cfg_set(struct dp *dp, const struct lb_cfg *cfg);
int dp_vip_del(struct dp *dp, const struct lb_addr *vip, __u16 port,
	       __u8 proto);
/* Call fn for every VIP in the maps (re-adoption). */
int dp_vip_foreach(struct dp *dp,
		   void (*fn)(void *arg, const struct lb_addr *vip, __u16 port,
			      __u8 proto, __u32 svc_id),
		   void *arg);

/* Swap in a complete new table for svc_id (table_size entries). */
int dp_table_set(struct dp *dp, __u32 svc_id, const __u32 *table);
/* Remove a service's table: its new flows are dropped (no back end). */
int dp_table_del(struct dp *dp, __u32 svc_id);
/* Read a service's current table into table (table_size entries). */
int dp_table_get(struct dp *dp, __u32 svc_id, __u32 *table);

int dp_backend_set(struct dp *dp, __u32 id, const struct backend_info *bi);
int dp_backend_get(struct dp *dp, __u32 id, struct backend_info *bi);
/* Mark id unused and take its counters into its service's carry
 * (dp_stats_backend_take). */
int dp_backend_clear(struct dp *dp, __u32 id);

/* ---- counters (dp_stats.c; the figures they make: counters.h) --------- */

int dp_stats_svc_drop(struct dp *dp, __u32 svc_id, struct lb_counters *out);
int dp_stats_svc_carry(struct dp *dp, __u32 svc_id, struct lb_counters *out);
int dp_stats_backend(struct dp *dp, __u32 id, struct lb_counters *out);
/* Read and zero id's entry, adding it to svc_id's carry (>= max_services:
 * none) and to the forwarded carry. */
int dp_stats_backend_take(struct dp *dp, __u32 id, __u32 svc_id);
/* stats_reason as the data path counts it (out[XLB_TX_FORWARDED]: the
 * carry; failed: the XLB_REASON_FWD_FAILED slot). */
int dp_stats_reasons(struct dp *dp, struct reason_counters out[XLB_REASON_MAX],
		     struct reason_counters *failed);
/* Zero a service's drops and carry (its id is new or reused). */
int dp_stats_svc_clear(struct dp *dp, __u32 svc_id);

/* ---- flow-table walks (dp_flows.c) ------------------------------------ */

/* Delete every flow pinned to back end id, and their nat mappings (bi: the
 * back end as it was, if its slot is already cleared; NULL: read the
 * slot); returns how many flows. */
long dp_flows_purge_backend(struct dp *dp, __u32 id,
			    const struct backend_info *bi);
/* The same for n back ends in one walk of each table (a service's whole
 * set: its removal costs one walk, not one per back end); bis[i] for
 * ids[i], or NULL. */
long dp_flows_purge_backends(struct dp *dp, const __u32 *ids,
			     const struct backend_info *bis, size_t n);
struct flow_timeouts;
/* Expire the flow (kw, meta) in way w of flow table ft (&dp->ft4 or
 * &dp->ft6) if it is idle past its timeout at now: 1 deleted (its nat
 * mapping released), 0 not expired, -1 used again around the delete
 * (counted in sweep_revived/_lost). */
int dp_flow_expire(struct dp *dp, const struct xlb_ft *ft,
		   struct xlb_ft_way *w, __u64 kw, __u64 meta,
		   const struct flow_timeouts *to, __u64 now);
/* Walk both flow tables: delete flows idle past their timeout (none if to
 * is NULL) and count live[id] = live flows pinned to back end id (array of
 * max_backends, zeroed here). Returns the number of flows deleted, or
 * -errno. It is dp_flows_sweep_step() below, run until done. */
long dp_flows_sweep(struct dp *dp, const struct flow_timeouts *to, __u64 now,
		    __u64 *live);

/* The same sweep in steps, so the event loop is never held long: a cursor
 * over flows4 then flows6 (their buckets, through the mmap). */
struct dp_sweep {
	int map; /* 0: flows4, 1: flows6 */
	__u32 pos; /* the next bucket */
	bool first;
	bool done;
	__u64 token;
	__u64 seen; /* entries walked this round */
	__u64 seen6; /* of them in flows6 */
};

void dp_sweep_begin(struct dp_sweep *c);
/* Up to max_batches batches of 4096 flows (flows4: 1024 buckets of 4
 * ways): expire idle ones, add live ones
 * to live[] (not zeroed here). Returns flows deleted or -errno; c->done
 * once both tables were walked. */
long dp_flows_sweep_step(struct dp *dp, struct dp_sweep *c,
			 const struct flow_timeouts *to, __u64 now,
			 __u64 *live, int max_batches);

/* nat mappings (nat_rev entries) now. */
long dp_nat_count(struct dp *dp);
/* The orphan scan: delete nat mappings whose flow is gone (evicted from
 * the LRU table, or deleted by a path that did not release its mapping) or
 * now has another port. A flow deleted by a sweep or a purge has its
 * mapping released at once; this catches the rest. In steps of up to
 * max_batches batches of 4096 mappings (one flow lookup each); returns the
 * mappings deleted or -errno, c->done at the end. */
struct dp_nat_scan {
	bool first;
	bool done;
	__u64 token;
	__u64 kept; /* mappings walked and left in place */
};
void dp_nat_scan_begin(struct dp_nat_scan *c);
long dp_nat_scan_step(struct dp *dp, struct dp_nat_scan *c, int max_batches);
/* The whole scan at once; returns how many, or a negative errno. */
long dp_nat_sweep(struct dp *dp);

#endif
