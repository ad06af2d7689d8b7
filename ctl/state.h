/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The controller's model of services and back ends, and the operations on
 * it. Every operation validates first and only then writes the data plane,
 * so a rejected change leaves forwarding exactly as it was.
 */
#ifndef XLB_STATE_H
#define XLB_STATE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include <json-c/json.h>

#include "addr.h"
#include "config.h"
#include "conntrack.h"
#include "dataplane.h"
#include "health.h"
#include "hist.h"
#include "agent.h"
#include "policy.h"

struct proc;

struct lb_backend {
	struct lb_addr addr;
	__u32 id; /* index into the backends map */
	__u32 weight; /* configured */
	__u8 mac[6];
	bool drained;	      /* operator drain: no new flows */
	bool down;	      /* failed its health checks */
	struct health_cfg hc; /* its probe settings (type NONE: none) */
	struct health_probe *probe;
	struct be_ref *ref;   /* what the probe callback gets */
	char health_detail[96];
	/* health: when it last changed (or began), and the probe results
	 * that changed it (oldest first) */
	__u64 health_since_ns;	  /* CLOCK_MONOTONIC */
	__s64 health_since_wall_ms; /* CLOCK_REALTIME */
	struct health_result health_why[HEALTH_HISTORY];
	__u32 n_health_why;
	bool removing;	      /* deleted: drains, then goes */
	__u64 removing_since; /* CLOCK_MONOTONIC ns */
	/* load feedback */
	struct health_cfg ac;	   /* agent probe (type NONE: none) */
	struct health_probe *agent_probe;
	struct be_ref *agent_ref;
	bool has_agent;		   /* agent: a good reply came */
	struct agent_reply agent;  /* the last good reply */
	char agent_detail[96];
	bool agent_down;	   /* agent said down (own agent probe) */
	__u32 capacity;		   /* flows that make 100%, 0: not set */
	__u32 factor;		   /* load factor, permille */
	struct policy_mem pmem;	   /* the load policy's memory */
	__u32 ramp;		   /* slow-start ramp, permille */
	__u64 up_since;		   /* slow start began (ns), 0: none */
	bool standby;		   /* started by the scaler */
	__u16 port;		   /* nat: its port, 0: the VIP's */
	__u64 probes_ok, probes_failed; /* health probe results */
};

/* Out of the table by an agent's drain or maint. */
static inline bool backend_agent_off(const struct lb_backend *b)
{
	return b->has_agent && (b->agent.state == AGENT_DRAIN ||
				b->agent.state == AGENT_MAINT);
}

/* In the table unless down: not drained, weight > 0, not off by its
 * agent, not being removed. The data path reads it as XLB_BE_F_NO_NEW. */
static inline bool backend_takes_new(const struct lb_backend *b)
{
	return !b->removing && !b->drained && b->weight &&
	       !backend_agent_off(b);
}

static inline bool backend_is_down(const struct lb_backend *b)
{
	return b->down || b->agent_down;
}

/* The weight the table is built with: configured x health x load x ramp. */
static inline __u32 backend_effective_weight(const struct lb_backend *b)
{
	if (b->drained || b->removing || backend_is_down(b) ||
	    backend_agent_off(b))
		return 0;
	return policy_weight(b->weight, b->factor, b->ramp);
}

enum standby_state {
	SB_OFF = 0,   /* not running */
	SB_STARTING,  /* start command running */
	SB_WAITING,   /* added, waiting for its probes to pass */
	SB_ON,	      /* taking new flows */
	SB_DRAINING,  /* no new flows, waiting for its flows to end */
	SB_STOPPING,  /* removed, stop command running */
};

struct lb_standby {
	struct lb_backend_cfg cfg;
	enum standby_state state;
	__u64 since;	     /* entered this state (ns) */
	struct proc *proc;   /* the running command */
	struct sb_ref *ref;
	char last[128];	     /* the last thing that happened */
};

struct lb_service {
	char name[LB_NAME_MAX];
	struct lb_addr vip;
	__u16 port;
	__u8 proto;
	__u32 id; /* index into svc_tables and the stats_svc_* maps */
	bool all_down; /* every back end failed: last table kept (fail-open) */
	__u32 vip_flags;	  /* vip_meta.flags: persistence */
	struct health_cfg health; /* for back ends added at runtime */
	struct health_cfg agent;  /* for back ends added at runtime */
	struct load_policy load;
	__u64 next_eval;	  /* next load evaluation (ns) */
	struct lb_backend *be; /* sorted by address */
	size_t n_be;
	struct lb_standby *sb;	  /* standby back ends, config order */
	size_t n_sb;
	struct lb_scale_cfg scale;
	__u64 over_since, under_since; /* ns, 0: not now */
	char scale_detail[192];	  /* the scaler's last step */
	__u64 rebuilds;		  /* tables swapped in */
	/* the table's fingerprint (state_cluster.c), read from the map once
	 * per table: valid until the next rebuild */
	__u64 fp;
	int fp_ret;
	bool fp_valid;
	struct lb_hist probe_hist; /* its health probes' latency */
	bool announce;		  /* route the VIP while it can serve */
};

/* The VIP routes this controller keeps in the announce table
 * (state_cluster.c, docs/cluster.md). */
struct lb_announce {
	struct lb_announce_cfg cfg;
	bool configured;       /* cfg came from a config */
	bool drained;	       /* `node drain`: every route withdrawn */
	struct lb_addr *have;  /* the routes in place */
	size_t n_have;
	__u64 refreshed_ns;    /* routes last re-added (CLOCK_MONOTONIC) */
	int last_err;	       /* the last route change that failed */
	char err_vip[LB_ADDRSTRLEN];
};

struct event_base;

struct lb_state {
	struct dp *dp;
	struct event_base *base; /* for health probes; NULL: no probes */
	struct lb_service **svc; /* in the order they were added */
	size_t n_svc;
	__u8 *svc_used; /* [max_services] */
	__u8 *be_used;	/* [max_backends] */
	__u32 *table;	/* scratch, table_size entries */
	__u64 *counts;	/* live flows per back-end id, from the last sweep */
	char config_path[PATH_MAX];
	int resolve_timeout_ms;
	struct flow_timeouts timeouts;
	__u32 sweep_interval_s;
	__u32 nat_scan_interval_s;
	__u32 drain_timeout_s;
	__u32 new_flow_rate;   /* flood guard, per CPU; 0: off */
	__u32 new_flow_burst;
	struct lb_addr tun_src4, tun_src6; /* tunnel outer sources */
	__u8 tun_plen4, tun_plen6;
	__u16 nat_port_min, nat_port_max;
	struct lb_addr nat_src4, nat_src6; /* family 0: none */
	/* nat mappings deleted by the orphan scan (flows evicted from the
	 * table); the scan's cursor, start and last duration */
	__u64 nat_orphans;
	__u64 nat_mappings; /* counted by the last scan or status */
	struct dp_nat_scan nat_cur;
	bool nat_scanning;
	__u64 nat_scan_start, nat_scan_us;
	__u64 expired_total; /* flows deleted for idleness */
	__u64 sweep_last_us; /* how long the last full sweep took */
	__u64 sweep_max_us;
	/* The timer's sweep runs in steps between other events. */
	struct dp_sweep step_cur;
	bool stepping;
	__u64 step_start;
	__u64 *step_counts;   /* live flows counted so far this round */
	__u64 step_max_us;    /* longest single step: the loop's stall */
	__u64 step_round_us;  /* wall time of the last stepped round */
	/* counts[] were computed at counts_at (ns) over table_flows entries;
	 * status sweeps again only if that table is small */
	__u64 counts_at, table_flows;
	__u64 table_flows6; /* of them IPv6 */
	/* event loop lag, from the tick: last and largest (ms) */
	__u64 last_tick_ns;
	__u32 lag_last_ms, lag_max_ms;
	struct lb_hist lag_hist;
	struct xlb_http *http; /* the HTTP listener (http.c), NULL: none */
	struct lb_announce ann;
};

int state_init(struct lb_state *st, struct dp *dp, const char *config_path);
void state_free(struct lb_state *st);
/* Rebuild the model from the pinned maps (ids kept, so are the flows). */
int state_adopt(struct lb_state *st);
/* Make the running state equal to cfg, changing only what differs. */
int state_apply_config(struct lb_state *st, const struct lb_config *cfg,
		       char *err, size_t errlen);

/* Find a service by name or "VIP:PORT/PROTO"; NULL if none. */
struct lb_service *state_find_service(struct lb_state *st, const char *spec);

int state_service_add(struct lb_state *st, const char *name,
		      const char *endpoint, char *err, size_t errlen);
int state_service_del(struct lb_state *st, const char *spec, char *err,
		      size_t errlen);
/* mac may be NULL: resolved from the neighbour table. */
int state_backend_add(struct lb_state *st, const char *spec,
		      const char *addr, __u32 weight, const char *mac,
		      char *err, size_t errlen);
/* Without now: drain, and remove once no live flow is left (or after
 * drain_timeout). With now: remove at once, deleting its flows. */
int state_backend_del(struct lb_state *st, const char *spec,
		      const char *addr, bool now, char *err, size_t errlen);
/* drain: no new flows, pinned ones continue; undrain: back to its weight. */
int state_backend_drain(struct lb_state *st, const char *spec,
			const char *addr, bool drain, char *err,
			size_t errlen);
/* Expire idle flows, count live ones, finish removals: all at once (for
 * status and commands). */
void state_sweep(struct lb_state *st);
/* The same, one bounded step at a time (for the timer); returns true while
 * the round has more steps to run. */
bool state_sweep_step(struct lb_state *st);
int state_backend_weight(struct lb_state *st, const char *spec,
			 const char *addr, __u32 weight, char *err,
			 size_t errlen);

/* Every STATE_TICK_MS from the loop: load policy, slow-start ramps,
 * scaling; and the loop's lag (how much later than planned the tick ran). */
#define STATE_TICK_MS 250
void state_tick(struct lb_state *st);

/* ---- several nodes (state_cluster.c) ---- */
/* Take the announce settings of a config: routes move when the table or
 * protocol changed. */
void state_announce_config(struct lb_state *st,
			   const struct lb_announce_cfg *cfg);
/* Make the routes in place equal to those wanted: a VIP is routed while
 * the node is not drained and one of its announce services can serve. */
void state_announce_sync(struct lb_state *st);
/* At start: the drain mark of an earlier run, and routes of ours that no
 * VIP wants any more deleted. */
void state_announce_start(struct lb_state *st);
/* On SIGTERM/SIGINT: withdraw every route if withdraw_on_exit. */
void state_announce_exit(struct lb_state *st);
/* `node drain` / `node undrain`. */
int state_node_drain(struct lb_state *st, bool drain, char *err,
		     size_t errlen);
/* The node and per-service parts of status: announce, fingerprint. */
void state_cluster_json(struct lb_state *st, struct json_object *o);
void state_cluster_service_json(struct lb_state *st,
				const struct lb_service *s,
				struct json_object *o);

/* The whole state, as `status --json` prints it. Caller puts it. */
/* The status object. fresh: sweep the tables first whatever their size
 * (otherwise only up to STATUS_SWEEP_MAX_FLOWS entries; beyond, the counts
 * are the timer's last round's, counts_age_ms old). */
struct json_object *state_status_json(struct lb_state *st, bool fresh);
/* The same object from what the last sweep counted: no sweep, no walk of
 * the nat mappings unless walk (what /metrics serves). */
struct json_object *state_status_build(struct lb_state *st, bool walk);

#endif
