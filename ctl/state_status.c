// SPDX-License-Identifier: GPL-2.0-only
/* The status object: `xdp-lb status --json` and the status page. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "counters.h"
#include "state_int.h"
#include "version.h"

/* status sweeps the tables itself up to this many entries (about 20 ms) */
#define STATUS_SWEEP_MAX_FLOWS 65536

static void add_counters(struct json_object *o, const struct lb_counters *c)
{
	json_object_object_add(o, "packets", json_object_new_uint64(c->packets));
	json_object_object_add(o, "bytes", json_object_new_uint64(c->bytes));
	json_object_object_add(o, "new_flows",
			       json_object_new_uint64(c->new_flows));
}

static const char *backend_state(const struct lb_backend *b)
{
	if (b->removing)
		return "removing";
	if (backend_is_down(b))
		return "down";
	if (b->drained || !b->weight)
		return "draining";
	if (backend_agent_off(b))
		return b->agent.state == AGENT_MAINT ? "maint" : "draining";
	return "active";
}

/* "2026-12-03T21:04:05.123Z" */
static struct json_object *json_wall_time(__s64 ms)
{
	time_t t = ms / 1000;
	struct tm tm;
	char buf[40];

	gmtime_r(&t, &tm);
	snprintf(buf + strftime(buf, 24, "%Y-%m-%dT%H:%M:%S", &tm), 16,
		 ".%03dZ", (int)(ms % 1000));
	return json_object_new_string(buf);
}

static struct json_object *probe_json(const struct health_result *r)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "at", json_wall_time(r->end_wall_ms));
	json_object_object_add(o, "at_ms", json_object_new_int64(r->end_wall_ms));
	json_object_object_add(o, "ok", json_object_new_boolean(r->ok));
	json_object_object_add(o, "ms", json_object_new_int64(
					(r->end_ns - r->start_ns) / 1000000));
	json_object_object_add(o, "late_ms", json_object_new_int64(r->late_ms));
	json_object_object_add(o, "detail", json_object_new_string(r->detail));
	return o;
}

/* When health last changed, what changed it, the recent probes. */
static void health_json(struct json_object *o, const struct lb_backend *b)
{
	struct health_result h[HEALTH_HISTORY];
	struct json_object *a;
	size_t i, n;

	json_object_object_add(o, "health_since",
			       json_wall_time(b->health_since_wall_ms));
	json_object_object_add(o, "health_since_ms", json_object_new_int64(
						      b->health_since_wall_ms));
	json_object_object_add(o, "health_since_mono_ms", json_object_new_int64(
					b->health_since_ns / 1000000));
	a = json_object_new_array();
	for (i = 0; i < b->n_health_why; i++)
		json_object_array_add(a, probe_json(&b->health_why[i]));
	json_object_object_add(o, "health_changed_by", a);
	n = b->probe ? health_probe_history(b->probe, h, HEALTH_HISTORY) : 0;
	json_object_object_add(o, "last_probe_ms",
			       n ? json_object_new_int64(h[n - 1].end_wall_ms) :
				   NULL);
	a = json_object_new_array();
	for (i = 0; i < n; i++)
		json_object_array_add(a, probe_json(&h[i]));
	json_object_object_add(o, "probes", a);
}

static struct json_object *backend_json(struct lb_state *st,
					const struct lb_backend *b,
					__u64 wsum, __u64 live,
					const struct lb_counters *c)
{
	struct json_object *o = json_object_new_object();
	char buf[LB_ADDRSTRLEN];
	__u32 pct;

	json_object_object_add(o, "addr", json_object_new_string(lb_addr_str(
						  &b->addr, buf, sizeof(buf))));
	json_object_object_add(o, "mac", json_object_new_string(lb_mac_str(
						 b->mac, buf, sizeof(buf))));
	json_object_object_add(o, "id", json_object_new_int64(b->id));
	json_object_object_add(o, "weight", json_object_new_int64(b->weight));
	json_object_object_add(o, "effective_weight",
			       json_object_new_int64(backend_effective_weight(b)));
	json_object_object_add(
		o, "share",
		json_object_new_double(
			wsum ? 100.0 * backend_effective_weight(b) / wsum : 0));
	json_object_object_add(o, "state",
			       json_object_new_string(backend_state(b)));
	json_object_object_add(o, "flows",
			       json_object_new_uint64(st->counts[b->id]));
	json_object_object_add(
		o, "actual_share",
		json_object_new_double(live ? 100.0 * st->counts[b->id] / live :
					      0));
	json_object_object_add(o, "health",
			       json_object_new_string(
				       b->hc.type == HEALTH_NONE ? "none" :
				       b->down		       ? "down" :
								 "up"));
	json_object_object_add(o, "health_detail",
			       json_object_new_string(b->health_detail));
	if (b->hc.type != HEALTH_NONE)
		health_json(o, b);
	json_object_object_add(o, "load_factor",
			       json_object_new_double(b->factor / 10.0));
	json_object_object_add(o, "slow_start",
			       json_object_new_double(b->ramp / 10.0));
	json_object_object_add(o, "load",
			       backend_load_pct(st, b, &pct) ?
				       json_object_new_int64(pct) :
				       NULL);
	json_object_object_add(o, "capacity",
			       b->capacity ? json_object_new_int64(b->capacity) :
					     NULL);
	json_object_object_add(o, "standby", json_object_new_boolean(b->standby));
	if (b->hc.type == HEALTH_AGENT || b->ac.type == HEALTH_AGENT) {
		struct json_object *a = json_object_new_object();

		json_object_object_add(a, "state", json_object_new_string(
				b->has_agent ? agent_state_name(b->agent.state) :
					       "none"));
		json_object_object_add(a, "load",
				       b->has_agent && b->agent.has_load ?
					       json_object_new_int64(
						       b->agent.load) :
					       NULL);
		json_object_object_add(a, "detail", json_object_new_string(
				b->hc.type == HEALTH_AGENT ? b->health_detail :
							     b->agent_detail));
		json_object_object_add(o, "agent", a);
	}
	json_object_object_add(o, "probes_ok",
			       json_object_new_uint64(b->probes_ok));
	json_object_object_add(o, "probes_failed",
			       json_object_new_uint64(b->probes_failed));
	add_counters(o, c);
	return o;
}

static const char *svc_endpoint(const struct lb_service *s, char *buf,
				size_t len)
{
	return lb_endpoint_str(&s->vip, s->port, s->proto, buf, len);
}

/* A service's counters (counters.h): its back ends' entries into be[] (a
 * failed read: zero), its total into *c; the back ends' sum added to
 * *be_sum. */
static void service_counters(struct lb_state *st, const struct lb_service *s,
			     struct lb_counters *be, struct lb_counters *c,
			     struct lb_counters *be_sum)
{
	struct lb_counters drop, carry;
	size_t i;

	for (i = 0; i < s->n_be; i++) {
		if (dp_stats_backend(st->dp, s->be[i].id, &be[i]))
			memset(&be[i], 0, sizeof(be[i]));
		xlb_counters_add(be_sum, &be[i]);
	}
	if (dp_stats_svc_drop(st->dp, s->id, &drop))
		memset(&drop, 0, sizeof(drop));
	if (dp_stats_svc_carry(st->dp, s->id, &carry))
		memset(&carry, 0, sizeof(carry));
	xlb_svc_total(c, &drop, &carry, be, s->n_be);
}

static struct json_object *service_json(struct lb_state *st,
					const struct lb_service *s,
					struct lb_counters *be_sum)
{
	struct json_object *o = json_object_new_object(), *arr;
	char buf[LB_ENDPOINTSTRLEN];
	struct lb_counters c, *be, c0 = {};
	__u64 wsum = 0, flows = 0;
	size_t i;

	for (i = 0; i < s->n_be; i++) {
		wsum += backend_effective_weight(&s->be[i]);
		flows += st->counts[s->be[i].id];
	}
	json_object_object_add(o, "name", json_object_new_string(s->name));
	json_object_object_add(o, "vip", json_object_new_string(lb_addr_str(
						 &s->vip, buf, sizeof(buf))));
	json_object_object_add(o, "port", json_object_new_int(s->port));
	json_object_object_add(o, "proto",
			       json_object_new_string(lb_proto_str(s->proto)));
	json_object_object_add(o, "endpoint", json_object_new_string(
						      svc_endpoint(s, buf, sizeof(buf))));
	json_object_object_add(o, "flows", json_object_new_uint64(flows));
	json_object_object_add(o, "all_down", json_object_new_boolean(s->all_down));
	if (s->vip_flags & XLB_VIP_F_SRC_IP)
		snprintf(buf, sizeof(buf), "src-ip/%u",
			 XLB_VIP_PREFIX(s->vip_flags));
	else
		snprintf(buf, sizeof(buf), "none");
	json_object_object_add(o, "persistence", json_object_new_string(buf));
	json_object_object_add(o, "mode", json_object_new_string(
				       s->vip_flags & XLB_VIP_F_TUNNEL ? "tunnel" :
				       s->vip_flags & XLB_VIP_F_NAT	 ? "nat" :
									   "dsr"));
	json_object_object_add(o, "load_policy",
			       json_object_new_boolean(s->load.enabled));
	json_object_object_add(o, "slow_start",
			       json_object_new_int64(s->load.slow_start));
	if (s->n_sb) {
		struct json_object *sc = json_object_new_object(), *sba;
		__u64 now = now_ns();

		json_object_object_add(sc, "high",
				       json_object_new_int64(s->scale.high));
		json_object_object_add(sc, "low",
				       json_object_new_int64(s->scale.low));
		json_object_object_add(sc, "for",
				       json_object_new_int64(s->scale.for_s));
		json_object_object_add(
			sc, "over_for",
			json_object_new_double(
				s->over_since ? (now - s->over_since) / 1e9 : 0));
		json_object_object_add(
			sc, "under_for",
			json_object_new_double(
				s->under_since ? (now - s->under_since) / 1e9 :
						 0));
		json_object_object_add(sc, "last",
				       json_object_new_string(s->scale_detail));
		sba = json_object_new_array();
		for (i = 0; i < s->n_sb; i++) {
			struct json_object *x = json_object_new_object();

			json_object_object_add(
				x, "addr",
				json_object_new_string(lb_addr_str(
					&s->sb[i].cfg.addr, buf, sizeof(buf))));
			json_object_object_add(
				x, "state",
				json_object_new_string(sb_names[s->sb[i].state]));
			json_object_object_add(
				x, "for",
				json_object_new_double(
					s->sb[i].since ?
						(now - s->sb[i].since) / 1e9 :
						0));
			json_object_object_add(
				x, "last", json_object_new_string(s->sb[i].last));
			json_object_array_add(sba, x);
		}
		json_object_object_add(sc, "standby", sba);
		json_object_object_add(o, "scale", sc);
	}
	json_object_object_add(o, "table_rebuilds",
			       json_object_new_uint64(s->rebuilds));
	json_object_object_add(o, "probe_latency", hist_json(&s->probe_hist));
	be = calloc(s->n_be ? s->n_be : 1, sizeof(*be));
	if (be)
		service_counters(st, s, be, &c, be_sum);
	else
		memset(&c, 0, sizeof(c));
	add_counters(o, &c);
	arr = json_object_new_array();
	for (i = 0; i < s->n_be; i++) /* no memory: counters shown zero */
		json_object_array_add(arr,
				      backend_json(st, &s->be[i], wsum, flows,
						   be ? &be[i] : &c0));
	free(be);
	json_object_object_add(o, "backends", arr);
	state_cluster_service_json(st, s, o);
	return o;
}

/* The flow tables per family: entries at the last sweep, capacity. */
static struct json_object *flow_table_json(const struct lb_state *st)
{
	struct json_object *o = json_object_new_object(), *f;
	int i;

	for (i = 0; i < 2; i++) {
		f = json_object_new_object();
		json_object_object_add(f, "entries", json_object_new_uint64(
				i ? st->table_flows6 :
				    st->table_flows - st->table_flows6));
		json_object_object_add(f, "capacity", json_object_new_uint64(
						      st->dp->max_flows));
		json_object_object_add(o, i ? "ipv6" : "ipv4", f);
	}
	return o;
}

struct json_object *state_status_json(struct lb_state *st, bool fresh)
{
	bool walk = fresh || !st->counts_at ||
		    st->table_flows <= STATUS_SWEEP_MAX_FLOWS;

	/* Fresh counts from a full sweep while that is quick; over a big
	 * table, those of the timer's last round (counts_age_ms old), so a
	 * status never holds the event loop for a whole sweep. */
	if (walk)
		state_sweep(st);
	return state_status_build(st, walk);
}

struct json_object *state_status_build(struct lb_state *st, bool walk)
{
	static const char *const names[] = XLB_REASON_NAMES;
	struct reason_counters rc[XLB_REASON_MAX], failed;
	struct json_object *o = json_object_new_object(), *arr, *r;
	struct lb_counters be_sum = {};
	char buf[32];
	size_t i;

	json_object_object_add(o, "version", json_object_new_string(XLB_VERSION));
	json_object_object_add(o, "interface",
			       json_object_new_string(st->dp->ifname));
	dp_links_json(st->dp, o);
	json_object_object_add(o, "now", json_wall_time(wall_ms()));
	json_object_object_add(o, "now_ms", json_object_new_int64(wall_ms()));
	json_object_object_add(o, "now_mono_ms",
			       json_object_new_int64(now_ns() / 1000000));
	r = json_object_new_object();
	json_object_object_add(r, "tick_ms", json_object_new_int64(STATE_TICK_MS));
	json_object_object_add(r, "lag_last_ms",
			       json_object_new_int64(st->lag_last_ms));
	json_object_object_add(r, "lag_max_ms",
			       json_object_new_int64(st->lag_max_ms));
	json_object_object_add(r, "lag", hist_json(&st->lag_hist));
	json_object_object_add(o, "loop", r);
	json_object_object_add(o, "table_size",
			       json_object_new_int64(st->dp->table_size));
	json_object_object_add(o, "max_flows",
			       json_object_new_int64(st->dp->max_flows));
	arr = json_object_new_array();
	for (i = 0; i < st->n_svc; i++)
		json_object_array_add(arr,
				      service_json(st, st->svc[i], &be_sum));
	json_object_object_add(o, "services", arr);
	state_cluster_json(st, o);
	r = json_object_new_object();
	json_object_object_add(r, "new_flow_rate",
			       json_object_new_int64(st->new_flow_rate));
	json_object_object_add(r, "new_flow_burst",
			       json_object_new_int64(st->new_flow_burst));
	json_object_object_add(o, "flood_guard", r);
	if (st->dp->int_ifindex) {
		char ab[LB_ADDRSTRLEN];

		r = json_object_new_object();
		json_object_object_add(r, "internal", json_object_new_string(
						       st->dp->int_ifname));
		if (walk) { /* mappings <= flows: as quick as the sweep */
			long n = dp_nat_count(st->dp);

			if (n >= 0)
				st->nat_mappings = n;
		}
		json_object_object_add(r, "mappings", json_object_new_uint64(
						       st->nat_mappings));
		json_object_object_add(r, "ports_total", json_object_new_int64(
				st->nat_port_max - st->nat_port_min + 1));
		json_object_object_add(r, "expired", json_object_new_uint64(
				st->dp->nat_released + st->nat_orphans));
		json_object_object_add(r, "orphans",
				       json_object_new_uint64(st->nat_orphans));
		json_object_object_add(r, "scan_us",
				       json_object_new_uint64(st->nat_scan_us));
		snprintf(buf, sizeof(buf), "%u-%u", st->nat_port_min,
			 st->nat_port_max);
		json_object_object_add(r, "ports", json_object_new_string(buf));
		json_object_object_add(r, "source", json_object_new_string(
				st->nat_src4.family ?
					lb_addr_str(&st->nat_src4, ab, sizeof(ab)) :
					""));
		json_object_object_add(r, "source6", json_object_new_string(
				st->nat_src6.family ?
					lb_addr_str(&st->nat_src6, ab, sizeof(ab)) :
					""));
		json_object_object_add(o, "nat", r);
	}
	json_object_object_add(o, "expired_flows",
			       json_object_new_uint64(st->expired_total));
	json_object_object_add(o, "sweep_revived",
			       json_object_new_uint64(st->dp->sweep_revived));
	json_object_object_add(o, "sweep_lost",
			       json_object_new_uint64(st->dp->sweep_lost));
	json_object_object_add(o, "table_flows",
			       json_object_new_uint64(st->table_flows));
	json_object_object_add(o, "flow_table", flow_table_json(st));
	json_object_object_add(o, "counts_age_ms", json_object_new_uint64(
				(now_ns() - st->counts_at) / 1000000));
	json_object_object_add(o, "sweep_last_us",
			       json_object_new_uint64(st->sweep_last_us));
	json_object_object_add(o, "sweep_max_us",
			       json_object_new_uint64(st->sweep_max_us));
	json_object_object_add(o, "sweep_step_max_us",
			       json_object_new_uint64(st->step_max_us));
	json_object_object_add(o, "sweep_round_us",
			       json_object_new_uint64(st->step_round_us));
	r = json_object_new_object();
	if (!dp_stats_reasons(st->dp, rc, &failed)) {
		xlb_reasons_derive(rc, &failed, &be_sum);
		for (i = 0; i < XLB_REASON_MAX; i++)
			json_object_object_add(
				r, names[i],
				json_object_new_uint64(rc[i].packets));
	}
	json_object_object_add(o, "outcomes", r);
	return o;
}
