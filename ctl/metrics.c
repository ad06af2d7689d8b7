// SPDX-License-Identifier: GPL-2.0-only
/* The status object in the Prometheus text format (metrics.h). */
#include "metrics.h"

#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>

#include "xdp_lb.h"

/* A numeric field of a service or back end, as one metric family. */
struct field {
	const char *name;  /* after xdp_lb_service_ or xdp_lb_backend_ */
	const char *type;  /* counter, gauge */
	const char *key;   /* in the status object */
	const char *help;
};

static const struct field svc_fields[] = {
	{ "packets_total", "counter", "packets",
	  "packets forwarded to the service's back ends" },
	{ "bytes_total", "counter", "bytes", "bytes forwarded" },
	{ "new_flows_total", "counter", "new_flows", "flows pinned" },
	{ "flows", "gauge", "flows", "live pinned flows at the last sweep" },
	{ "all_down", "gauge", "all_down",
	  "1 when every back end is down (last table kept)" },
	{ "table_rebuilds_total", "counter", "table_rebuilds",
	  "service tables built and swapped in" },
};

static const struct field be_fields[] = {
	{ "packets_total", "counter", "packets", "packets forwarded" },
	{ "bytes_total", "counter", "bytes", "bytes forwarded" },
	{ "new_flows_total", "counter", "new_flows", "flows pinned to it" },
	{ "flows", "gauge", "flows", "live pinned flows at the last sweep" },
	{ "weight", "gauge", "weight", "configured weight" },
	{ "effective_weight", "gauge", "effective_weight",
	  "weight the table is built with (health, load, slow start)" },
	{ "share_percent", "gauge", "share", "share of new flows, percent" },
	{ "actual_share_percent", "gauge", "actual_share",
	  "share of the service's live flows, percent" },
	{ "load_percent", "gauge", "load",
	  "load from its agent or live flows over capacity, percent" },
};

static const char *const be_states[] = { "active", "down", "draining",
					 "maint", "removing" };

/* One sample line being built: name{labels} value. */
struct line {
	char buf[768];
	size_t len;
};

static void put(struct line *l, const char *fmt, const char *s)
{
	int n = snprintf(l->buf + l->len, sizeof(l->buf) - l->len, fmt, s);

	if (n > 0)
		l->len += (size_t)n < sizeof(l->buf) - l->len ?
				  (size_t)n :
				  sizeof(l->buf) - l->len - 1;
}

/* ,name="value" with \, " and newline escaped (the first without ,). */
static void label(struct line *l, const char *name, const char *v)
{
	char esc[256];
	size_t i = 0;

	for (; *v && i < sizeof(esc) - 3; v++) {
		if (*v == '\\' || *v == '"' || *v == '\n')
			esc[i++] = '\\';
		esc[i++] = *v == '\n' ? 'n' : *v;
	}
	esc[i] = '\0';
	put(l, l->buf[l->len - 1] == '{' ? "%s" : ",%s", name);
	put(l, "=\"%s\"", esc);
}

static struct json_object *get(struct json_object *o, const char *key)
{
	struct json_object *v;

	return o && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

static const char *str(struct json_object *o, const char *key)
{
	struct json_object *v = get(o, key);

	return v ? json_object_get_string(v) : "";
}

static void emit_num(struct evbuffer *b, const struct line *l,
		     const char *num)
{
	if (l->buf[l->len - 1] == '{') /* no labels */
		evbuffer_add_printf(b, "%.*s %s\n", (int)l->len - 1, l->buf, num);
	else
		evbuffer_add_printf(b, "%.*s} %s\n", (int)l->len, l->buf, num);
}

/* Close the labels and write the line with v (a JSON number or boolean);
 * nothing when v is null or absent. */
static void emit(struct evbuffer *b, struct line *l, struct json_object *v)
{
	char num[40];

	if (!v)
		return;
	switch (json_object_get_type(v)) {
	case json_type_boolean:
		snprintf(num, sizeof(num), "%d", json_object_get_boolean(v));
		break;
	case json_type_int:
		snprintf(num, sizeof(num), "%llu",
			 (unsigned long long)json_object_get_uint64(v));
		break;
	case json_type_double:
		snprintf(num, sizeof(num), "%.10g", json_object_get_double(v));
		break;
	default:
		return;
	}
	emit_num(b, l, num);
}

static void start(struct line *l, const char *name)
{
	l->len = 0;
	put(l, "xdp_lb_%s{", name);
}

static void family(struct evbuffer *b, const char *name, const char *type,
		   const char *help)
{
	evbuffer_add_printf(b, "# HELP xdp_lb_%s %s\n# TYPE xdp_lb_%s %s\n",
			    name, help, name, type);
}

static void svc_labels(struct line *l, struct json_object *s)
{
	label(l, "service", str(s, "name"));
	label(l, "vip", str(s, "endpoint"));
	label(l, "mode", str(s, "mode"));
}

static void be_labels(struct line *l, struct json_object *s,
		      struct json_object *be)
{
	label(l, "service", str(s, "name"));
	label(l, "backend", str(be, "addr"));
}

/* A histogram (hist_json) with its labels: _bucket, _sum, _count. */
static void histogram(struct evbuffer *b, const char *name,
		      struct json_object *h, struct json_object *s)
{
	struct json_object *le = get(h, "le"), *bk = get(h, "buckets");
	char full[96], lev[32];
	struct line l;
	size_t i;

	if (!le || !bk)
		return;
	snprintf(full, sizeof(full), "%s_bucket", name);
	for (i = 0; i <= json_object_array_length(le); i++) {
		start(&l, full);
		if (s)
			label(&l, "service", str(s, "name"));
		if (i < json_object_array_length(le))
			snprintf(lev, sizeof(lev), "%g", json_object_get_double(
					json_object_array_get_idx(le, i)));
		else
			snprintf(lev, sizeof(lev), "+Inf");
		label(&l, "le", lev);
		emit(b, &l, i < json_object_array_length(le) ?
				    json_object_array_get_idx(bk, i) :
				    get(h, "count"));
	}
	snprintf(full, sizeof(full), "%s_sum", name);
	start(&l, full);
	if (s)
		label(&l, "service", str(s, "name"));
	emit(b, &l, get(h, "sum"));
	snprintf(full, sizeof(full), "%s_count", name);
	start(&l, full);
	if (s)
		label(&l, "service", str(s, "name"));
	emit(b, &l, get(h, "count"));
}

static void services(struct evbuffer *b, struct json_object *svcs)
{
	size_t f, i, n = json_object_array_length(svcs);
	char name[96];
	struct line l;

	for (f = 0; f < sizeof(svc_fields) / sizeof(svc_fields[0]); f++) {
		snprintf(name, sizeof(name), "service_%s", svc_fields[f].name);
		family(b, name, svc_fields[f].type, svc_fields[f].help);
		for (i = 0; i < n; i++) {
			struct json_object *s = json_object_array_get_idx(svcs, i);

			start(&l, name);
			svc_labels(&l, s);
			emit(b, &l, get(s, svc_fields[f].key));
		}
	}
	family(b, "probe_duration_seconds", "histogram",
	       "health probe latency per service");
	for (i = 0; i < n; i++) {
		struct json_object *s = json_object_array_get_idx(svcs, i);

		histogram(b, "probe_duration_seconds", get(s, "probe_latency"), s);
	}
}

/* fn(b, service, back end, arg) for every back end of every service. */
static void each_backend(struct evbuffer *b, struct json_object *svcs,
			 void (*fn)(struct evbuffer *, struct json_object *,
				    struct json_object *, const void *),
			 const void *arg)
{
	size_t i, j;

	for (i = 0; i < json_object_array_length(svcs); i++) {
		struct json_object *s = json_object_array_get_idx(svcs, i);
		struct json_object *bes = get(s, "backends");

		for (j = 0; bes && j < json_object_array_length(bes); j++)
			fn(b, s, json_object_array_get_idx(bes, j), arg);
	}
}

static void be_field(struct evbuffer *b, struct json_object *s,
		     struct json_object *be, const void *arg)
{
	const struct field *f = arg;
	char name[96];
	struct line l;

	snprintf(name, sizeof(name), "backend_%s", f->name);
	start(&l, name);
	be_labels(&l, s, be);
	emit(b, &l, get(be, f->key));
}

static void be_state(struct evbuffer *b, struct json_object *s,
		     struct json_object *be, const void *arg)
{
	const char *cur = str(be, "state");
	struct line l;
	size_t i;

	for (i = 0; i < sizeof(be_states) / sizeof(be_states[0]); i++) {
		start(&l, "backend_state");
		be_labels(&l, s, be);
		label(&l, "state", be_states[i]);
		emit_num(b, &l, strcmp(cur, be_states[i]) ? "0" : "1");
	}
}

static void be_health(struct evbuffer *b, struct json_object *s,
		      struct json_object *be, const void *arg)
{
	const char *h = str(be, "health");
	struct line l;

	if (!strcmp(h, "none"))
		return;
	start(&l, "backend_health_up");
	be_labels(&l, s, be);
	emit_num(b, &l, strcmp(h, "up") ? "0" : "1");
}

static void be_probes(struct evbuffer *b, struct json_object *s,
		      struct json_object *be, const void *arg)
{
	struct line l;

	if (!strcmp(str(be, "health"), "none"))
		return;
	start(&l, "backend_probes_total");
	be_labels(&l, s, be);
	label(&l, "result", "ok");
	emit(b, &l, get(be, "probes_ok"));
	start(&l, "backend_probes_total");
	be_labels(&l, s, be);
	label(&l, "result", "failed");
	emit(b, &l, get(be, "probes_failed"));
}

static void backends(struct evbuffer *b, struct json_object *svcs)
{
	char name[96];
	size_t f;

	for (f = 0; f < sizeof(be_fields) / sizeof(be_fields[0]); f++) {
		snprintf(name, sizeof(name), "backend_%s", be_fields[f].name);
		family(b, name, be_fields[f].type, be_fields[f].help);
		each_backend(b, svcs, be_field, &be_fields[f]);
	}
	family(b, "backend_state", "gauge",
	       "1 for the back end's state: active, down, draining, maint, removing");
	each_backend(b, svcs, be_state, NULL);
	family(b, "backend_health_up", "gauge",
	       "1 when its health probes pass (probed back ends)");
	each_backend(b, svcs, be_health, NULL);
	family(b, "backend_probes_total", "counter",
	       "health probe results by result (ok, failed)");
	each_backend(b, svcs, be_probes, NULL);
}

/* A top-level number (path a.b within st) as a gauge or counter without
 * labels, scaled by mul (microseconds to seconds: 1e-6). */
static void scalar(struct evbuffer *b, struct json_object *st,
		   const char *name, const char *type, const char *a,
		   const char *k, double mul, const char *help)
{
	struct json_object *v = k ? get(get(st, a), k) : get(st, a);
	struct line l;
	char num[40];

	if (!v)
		return;
	family(b, name, type, help);
	start(&l, name);
	if (mul == 1)
		emit(b, &l, v);
	else {
		snprintf(num, sizeof(num), "%.10g",
			 json_object_get_double(v) * mul);
		emit_num(b, &l, num);
	}
}

static void outcomes(struct evbuffer *b, struct json_object *st)
{
	struct json_object *o = get(st, "outcomes");
	struct line l;

	family(b, "outcome_packets_total", "counter",
	       "packets by the data path's outcome (reason)");
	json_object_object_foreach(o, reason, v) {
		start(&l, "outcome_packets_total");
		label(&l, "reason", reason);
		emit(b, &l, v);
	}
}

static void flow_tables(struct evbuffer *b, struct json_object *st)
{
	static const char *const fam[] = { "ipv4", "ipv6" };
	struct json_object *ft = get(st, "flow_table");
	const char *what[] = { "entries", "capacity" };
	char name[64];
	struct line l;
	size_t i, w;

	for (w = 0; w < 2; w++) {
		snprintf(name, sizeof(name), "flow_table_%s", what[w]);
		family(b, name, "gauge",
		       w ? "flow table size per family" :
			   "flow table entries per family at the last sweep");
		for (i = 0; i < 2; i++) {
			start(&l, name);
			label(&l, "family", fam[i]);
			emit(b, &l, get(get(ft, fam[i]), what[w]));
		}
	}
}

static void nat(struct evbuffer *b, struct json_object *st)
{
	if (!get(st, "nat"))
		return;
	scalar(b, st, "nat_mappings", "gauge", "nat", "mappings", 1,
	       "nat mappings (one per nat flow), at the last count");
	scalar(b, st, "nat_ports", "gauge", "nat", "ports_total", 1,
	       "nat source ports per back end and address");
	scalar(b, st, "nat_expired_total", "counter", "nat", "expired", 1,
	       "nat mappings released");
	scalar(b, st, "nat_orphans_total", "counter", "nat", "orphans", 1,
	       "nat mappings the orphan scan deleted");
}

void metrics_write(struct evbuffer *b, struct json_object *st)
{
	struct json_object *svcs = get(st, "services");
	struct line l;

	family(b, "build_info", "gauge", "the controller's version");
	start(&l, "build_info");
	label(&l, "version", str(st, "version"));
	label(&l, "interface", str(st, "interface"));
	emit_num(b, &l, "1");
	if (svcs) {
		services(b, svcs);
		backends(b, svcs);
	}
	outcomes(b, st);
	flow_tables(b, st);
	scalar(b, st, "flows_expired_total", "counter", "expired_flows", NULL,
	       1, "flows deleted by sweeps for idleness");
	nat(b, st);
	scalar(b, st, "sweep_duration_seconds", "gauge", "sweep_last_us", NULL,
	       1e-6, "duration of the last full flow sweep");
	scalar(b, st, "sweep_round_duration_seconds", "gauge", "sweep_round_us",
	       NULL, 1e-6, "wall time of the timer's last stepped sweep round");
	scalar(b, st, "sweep_step_max_seconds", "gauge", "sweep_step_max_us",
	       NULL, 1e-6, "longest single sweep step (the loop's stall)");
	scalar(b, st, "flow_counts_age_seconds", "gauge", "counts_age_ms", NULL,
	       1e-3, "age of the live flow counts");
	family(b, "event_loop_lag_seconds", "histogram",
	       "how late the controller's 250 ms tick ran");
	histogram(b, "event_loop_lag_seconds", get(get(st, "loop"), "lag"), NULL);
}
