/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the pieces of the state layer share; not an API (that is state.h).
 *
 *   state.c         the model: ids, lookups, services and back ends as
 *                   they come and go, tables, re-adoption from pins
 *   state_config.c  reconcile: a config planned, checked, then applied
 *   state_cmd.c     runtime commands (service/backend add, del, ...)
 *   state_probe.c   health and agent probes and their callbacks
 *   state_sweep.c   flow sweeps, nat orphan scans, finished removals
 *   state_scale.c   load policy, slow start, the standby scaler, the tick
 *   state_status.c  the status object
 */
#ifndef XLB_STATE_INT_H
#define XLB_STATE_INT_H

#include <stdarg.h>
#include <time.h>
#include <linux/types.h>

#include "state.h"

/* The clock the state layer runs on (CLOCK_MONOTONIC ns): load
 * evaluations, ramps, drains, the scaler. NULL: the system's; a test sets
 * its own to step time. */
extern __u64 (*state_clock)(void);

static inline __u64 now_ns(void)
{
	struct timespec ts;

	if (state_clock)
		return state_clock();
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static inline __s64 wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (__s64)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Write one line to err; returns ret. */
int state_err(char *err, size_t errlen, int ret, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* ---- the model (state.c) ---- */

/* A back end as it starts: full load factor, no ramp, not a standby. */
void backend_init(struct lb_backend *b);
/* Slow start begins now (if s has one): up_since and the ramp's start. */
void backend_ramp_begin(const struct lb_service *s, struct lb_backend *b);
/* b's health state begins now (added, probes restarted, or flipped). */
void health_since_now(struct lb_backend *b);
int alloc_id(__u8 *used, __u32 max, __u32 *id);
size_t free_ids(const __u8 *used, __u32 max);
struct lb_service *find_by_vip(struct lb_state *st, const struct lb_addr *vip,
			       __u16 port, __u8 proto);
struct lb_backend *find_backend(struct lb_service *s, const struct lb_addr *a);
struct lb_service *service_by_id(struct lb_state *st, __u32 id);
struct lb_backend *backend_by_id(struct lb_service *s, __u32 id);
struct lb_service *service_new(struct lb_state *st, const char *name,
			       const struct lb_addr *vip, __u16 port,
			       __u8 proto, __u32 id);
/* Out of the data plane, its back ends released, its id free. */
void service_remove(struct lb_state *st, struct lb_service *s);
/* Write b's slot in the backends map as the model has it. */
int backend_write(struct lb_state *st, struct lb_service *s,
		  const struct lb_backend *b);
/* Build s's table from its back ends and swap it in (fail-open when every
 * back end is down). */
int service_rebuild(struct lb_state *st, struct lb_service *s);
/* A probe flipped: rebuild, and delete the flows of down back ends. */
void service_health_changed(struct lb_state *st, struct lb_service *s);
/* Add nb (its settings filled in) to s: see state.c. The caller rebuilds
 * the table. */
int backend_add(struct lb_state *st, struct lb_service *s,
		const struct lb_backend *nb, bool start_down,
		struct lb_backend **out);
/* Remove b from s now: see state.c. b is gone unless it fails. */
int backend_remove_now(struct lb_state *st, struct lb_service *s,
		       struct lb_backend *b);
/* Its slot cleared, its flows deleted, its id free (b stays in s). */
void backend_release(struct lb_state *st, struct lb_backend *b);

/* ---- probes (state_probe.c) ---- */

void probe_stop(struct lb_backend *b);
/* (Re)start b's probes; it starts as up unless start_down. */
void probe_start_as(struct lb_state *st, struct lb_service *s,
		    struct lb_backend *b, bool start_down);
void probe_start(struct lb_state *st, struct lb_service *s,
		 struct lb_backend *b);

/* ---- reconcile (state_config.c) ---- */

/* The MAC frames to back end a go to. */
int resolve_mac(struct lb_state *st, const struct lb_addr *a, __u32 vip_flags,
		__u8 mac[6], char *err, size_t errlen);
/* One ICMP echo marker per VIP address in use, none for those gone. */
void sync_icmp(struct lb_state *st);
bool cfg_has_backend(const struct lb_service_cfg *sc, const struct lb_addr *a);
const struct lb_backend_cfg *cfg_standby(const struct lb_service_cfg *sc,
					 const struct lb_addr *a);

/* ---- load and scaler (state_scale.c) ---- */

extern const char *const sb_names[];
/* The back end's load in percent, if known. */
bool backend_load_pct(const struct lb_state *st, const struct lb_backend *b,
		      __u32 *pct);
/* Kill the service's running standby commands. */
void standby_cancel(struct lb_service *s);
/* Standby entries from the config. */
void sync_standby(struct lb_state *st, struct lb_service *s,
		  const struct lb_service_cfg *sc);

#endif
