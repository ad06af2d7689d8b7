// SPDX-License-Identifier: GPL-2.0-only
/*
 * Services and back ends as the controller sees them, kept equal to the
 * data plane's maps. Ids are indexes into the maps; a back end keeps its id
 * for as long as it exists, so flows pinned to it stay valid across weight
 * changes, reloads and controller restarts.
 */
#include "state.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "maglev.h"
#include "neigh.h"
#include "proc.h"
#include "state_int.h"

#define RESOLVE_TIMEOUT_MS 1000

static int fail(char *err, size_t errlen, int ret, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

struct be_ref;
static void probe_stop(struct lb_backend *b);
static void standby_cancel(struct lb_service *s);

/* A back end as it starts: full load factor, no ramp, not a standby. */
static void backend_init(struct lb_backend *b)
{
	memset(b, 0, sizeof(*b));
	b->factor = POLICY_ONE;
	b->ramp = POLICY_ONE;
}

__u64 (*state_clock)(void);

static __u64 now_ns(void)
{
	struct timespec ts;

	if (state_clock)
		return state_clock();
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static __s64 wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (__s64)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* b's health state begins now (added, probes restarted, or flipped). */
static void health_since_now(struct lb_backend *b)
{
	b->health_since_ns = now_ns();
	b->health_since_wall_ms = wall_ms();
	b->n_health_why = 0;
}

static int fail(char *err, size_t errlen, int ret, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return ret;
}

int state_init(struct lb_state *st, struct dp *dp, const char *config_path)
{
	memset(st, 0, sizeof(*st));
	st->dp = dp;
	st->resolve_timeout_ms = RESOLVE_TIMEOUT_MS;
	conntrack_timeouts_default(&st->timeouts);
	st->sweep_interval_s = LB_DEFAULT_SWEEP_INTERVAL;
	st->nat_scan_interval_s = LB_DEFAULT_NAT_SCAN_INTERVAL;
	st->drain_timeout_s = LB_DEFAULT_DRAIN_TIMEOUT;
	if (config_path)
		snprintf(st->config_path, sizeof(st->config_path), "%s",
			 config_path);
	st->svc_used = calloc(dp->max_services, 1);
	st->be_used = calloc(dp->max_backends, 1);
	st->table = calloc(dp->table_size, sizeof(*st->table));
	st->counts = calloc(dp->max_backends, sizeof(*st->counts));
	st->step_counts = calloc(dp->max_backends, sizeof(*st->step_counts));
	if (!st->svc_used || !st->be_used || !st->table || !st->counts ||
	    !st->step_counts) {
		state_free(st);
		return -ENOMEM;
	}
	return 0;
}

static void service_free(struct lb_service *s)
{
	standby_cancel(s);
	free(s->sb);
	free(s->be);
	free(s);
}

void state_free(struct lb_state *st)
{
	size_t i;

	for (i = 0; i < st->n_svc; i++) {
		size_t j;

		for (j = 0; j < st->svc[i]->n_be; j++)
			probe_stop(&st->svc[i]->be[j]);
		service_free(st->svc[i]);
	}
	free(st->svc);
	free(st->svc_used);
	free(st->be_used);
	free(st->table);
	free(st->counts);
	free(st->step_counts);
	memset(st, 0, sizeof(*st));
}

static int alloc_id(__u8 *used, __u32 max, __u32 *id)
{
	__u32 i;

	for (i = 0; i < max; i++) {
		if (!used[i]) {
			used[i] = 1;
			*id = i;
			return 0;
		}
	}
	return -ENOSPC;
}

static size_t free_ids(const __u8 *used, __u32 max)
{
	size_t n = 0;
	__u32 i;

	for (i = 0; i < max; i++)
		n += !used[i];
	return n;
}

static const char *svc_endpoint(const struct lb_service *s, char *buf,
				size_t len)
{
	return lb_endpoint_str(&s->vip, s->port, s->proto, buf, len);
}

struct lb_service *state_find_service(struct lb_state *st, const char *spec)
{
	struct lb_addr a;
	__u16 port;
	__u8 proto;
	size_t i;
	bool ep = !lb_endpoint_parse(spec, &a, &port, &proto);

	for (i = 0; i < st->n_svc; i++) {
		struct lb_service *s = st->svc[i];

		if (!strcmp(s->name, spec))
			return s;
		if (ep && lb_addr_eq(&s->vip, &a) && s->port == port &&
		    s->proto == proto)
			return s;
	}
	return NULL;
}

static struct lb_service *find_by_vip(struct lb_state *st,
				      const struct lb_addr *vip, __u16 port,
				      __u8 proto)
{
	size_t i;

	for (i = 0; i < st->n_svc; i++) {
		struct lb_service *s = st->svc[i];

		if (lb_addr_eq(&s->vip, vip) && s->port == port &&
		    s->proto == proto)
			return s;
	}
	return NULL;
}

static struct lb_backend *find_backend(struct lb_service *s,
				       const struct lb_addr *a)
{
	size_t i;

	for (i = 0; i < s->n_be; i++)
		if (lb_addr_eq(&s->be[i].addr, a))
			return &s->be[i];
	return NULL;
}

/* What a probe callback needs to find its back end again (the arrays
 * move when back ends come and go; ids do not). */
struct be_ref {
	struct lb_state *st;
	__u32 svc_id;
	__u32 be_id;
};

static struct lb_service *service_by_id(struct lb_state *st, __u32 id)
{
	size_t i;

	for (i = 0; i < st->n_svc; i++)
		if (st->svc[i]->id == id)
			return st->svc[i];
	return NULL;
}

static struct lb_backend *backend_by_id(struct lb_service *s, __u32 id)
{
	size_t i;

	for (i = 0; i < s->n_be; i++)
		if (s->be[i].id == id)
			return &s->be[i];
	return NULL;
}

static void service_health_changed(struct lb_state *st, struct lb_service *s);
static int service_rebuild(struct lb_state *st, struct lb_service *s);

/* Take in an agent's reply; true when the table must change. */
static bool agent_take(struct lb_service *s, struct lb_backend *b,
		       const struct agent_reply *r, bool own_probe)
{
	bool was_off = backend_agent_off(b), was_down = b->agent_down;
	enum agent_state keep = b->has_agent ? b->agent.state : AGENT_NONE;
	char ab[LB_ADDRSTRLEN];

	b->has_agent = true;
	b->agent = *r;
	if (r->state == AGENT_NONE)
		b->agent.state = keep; /* "75%" alone changes no state */
	if (own_probe && b->agent.state == AGENT_DOWN)
		b->agent_down = true;
	else if (b->agent.state == AGENT_UP || b->agent.state == AGENT_READY)
		b->agent_down = false;
	if (was_off != backend_agent_off(b) || was_down != b->agent_down) {
		pr_info("service %s: back end %s: agent says %s%s%s\n",
			s->name, lb_addr_str(&b->addr, ab, sizeof(ab)),
			agent_state_name(b->agent.state),
			r->desc[0] ? ": " : "", r->desc);
		return true;
	}
	return false;
}

static void on_probe(void *arg, bool ok, bool changed, bool up,
		     const char *detail)
{
	struct be_ref *ref = arg;
	struct lb_service *s = service_by_id(ref->st, ref->svc_id);
	struct lb_backend *b = s ? backend_by_id(s, ref->be_id) : NULL;
	const struct agent_reply *r;
	char ab[LB_ADDRSTRLEN];
	bool admin = false;

	if (!b)
		return;
	snprintf(b->health_detail, sizeof(b->health_detail), "%s", detail);
	r = health_probe_agent(b->probe);
	if (b->hc.type == HEALTH_AGENT && ok && r)
		admin = agent_take(s, b, r, false);
	if (!changed) {
		if (admin)
			service_rebuild(ref->st, s);
		return;
	}
	b->down = !up;
	if (up && s->load.slow_start)
		b->up_since = now_ns(); /* ramp up again */
	health_since_now(b);
	b->n_health_why = health_probe_history(
		b->probe, b->health_why, up ? b->hc.rise : b->hc.fall);
	if (!b->n_health_why) /* a rise or fall of 0 acts as 1 */
		b->n_health_why = health_probe_history(b->probe, b->health_why, 1);
	pr_info("service %s: back end %s is %s after %u %s probe%s in %llu ms (%s)\n",
		s->name, lb_addr_str(&b->addr, ab, sizeof(ab)),
		up ? "up" : "DOWN", b->n_health_why, up ? "good" : "failed",
		b->n_health_why == 1 ? "" : "s",
		(unsigned long long)(b->health_why[b->n_health_why - 1].end_ns -
				     b->health_why[0].start_ns) / 1000000,
		detail);
	service_health_changed(ref->st, s);
}

/* The separate agent probe: load and admin state, never health itself
 * (an agent that does not answer is not a failed back end, as in
 * HAProxy), except that an agent saying "down" takes it down. */
static void on_agent(void *arg, bool ok, bool changed, bool up,
		     const char *detail)
{
	struct be_ref *ref = arg;
	struct lb_service *s = service_by_id(ref->st, ref->svc_id);
	struct lb_backend *b = s ? backend_by_id(s, ref->be_id) : NULL;
	const struct agent_reply *r;
	bool was_down;

	(void)changed;
	(void)up;
	if (!b)
		return;
	snprintf(b->agent_detail, sizeof(b->agent_detail), "%s", detail);
	r = health_probe_agent(b->agent_probe);
	if (!r || (!ok && !strstr(detail, "agent: ")))
		return; /* unreachable or a bad reply: keep what we had */
	was_down = backend_is_down(b);
	if (!agent_take(s, b, r, true))
		return;
	if (was_down != backend_is_down(b))
		service_health_changed(ref->st, s);
	else
		service_rebuild(ref->st, s);
}

static void probe_stop(struct lb_backend *b)
{
	if (b->probe)
		health_probe_stop(b->probe);
	b->probe = NULL;
	free(b->ref);
	b->ref = NULL;
	if (b->agent_probe)
		health_probe_stop(b->agent_probe);
	b->agent_probe = NULL;
	free(b->agent_ref);
	b->agent_ref = NULL;
}

static struct be_ref *ref_new(struct lb_state *st, struct lb_service *s,
			      struct lb_backend *b)
{
	struct be_ref *ref = calloc(1, sizeof(*ref));

	if (ref) {
		ref->st = st;
		ref->svc_id = s->id;
		ref->be_id = b->id;
	}
	return ref;
}

/* (Re)start b's probes with its settings; a back end starts as up unless
 * start_down (a standby: it must pass its probes first). */
static void probe_start_as(struct lb_state *st, struct lb_service *s,
			   struct lb_backend *b, bool start_down)
{
	probe_stop(b);
	b->down = false;
	b->agent_down = false;
	b->has_agent = false;
	b->health_detail[0] = '\0';
	b->agent_detail[0] = '\0';
	health_since_now(b);
	if (!st->base)
		return;
	if (b->ac.type == HEALTH_AGENT && b->hc.type != HEALTH_AGENT) {
		b->agent_ref = ref_new(st, s, b);
		if (b->agent_ref)
			b->agent_probe = health_probe_start(st->base, &b->addr,
							    &b->ac, true,
							    on_agent,
							    b->agent_ref);
		if (!b->agent_probe)
			pr_warn("service %s: cannot start the agent probe of a back end\n",
				s->name);
	}
	if (b->hc.type == HEALTH_NONE)
		return;
	b->down = start_down;
	b->ref = ref_new(st, s, b);
	if (!b->ref)
		return;
	{
		/* tunnel mode: to the VIP through the back end's tunnel, as
		 * clients' packets go (the tc egress program) */
		bool tun = s->vip_flags & XLB_VIP_F_TUNNEL &&
			   b->hc.type != HEALTH_AGENT;
		struct health_cfg hc = b->hc;

		if (tun)
			hc.mark = XLB_PROBE_MARK | b->id;
		b->probe = health_probe_start(st->base, tun ? &s->vip : &b->addr,
					      &hc, !start_down, on_probe,
					      b->ref);
	}
	if (!b->probe) {
		pr_warn("service %s: cannot start the health probe of a back end\n",
			s->name);
		free(b->ref);
		b->ref = NULL;
		b->down = false;
	}
}

static void probe_start(struct lb_state *st, struct lb_service *s,
			struct lb_backend *b)
{
	probe_start_as(st, s, b, false);
}

static int backend_write(struct lb_state *st, struct lb_service *s,
			 const struct lb_backend *b);

/*
 * Build the service's table from its back ends and swap it in. Back ends
 * that are down leave the table and their slot in the map says DOWN, so
 * flows pinned to them are balanced again. If every back end that should
 * take traffic is down, the last table and states stay (fail-open): a
 * broken health check must not blackhole a whole service.
 */
static int service_rebuild(struct lb_state *st, struct lb_service *s)
{
	struct maglev_backend *mb;
	size_t i, candidates = 0, alive = 0;
	bool any = false, all_down;
	int ret;

	for (i = 0; i < s->n_be; i++) {
		const struct lb_backend *b = &s->be[i];

		if (b->removing || b->drained || !b->weight ||
		    backend_agent_off(b))
			continue;
		candidates++;
		alive += !backend_is_down(b);
	}
	all_down = candidates > 0 && alive == 0;
	if (all_down && !s->all_down)
		pr_warn("service %s: ALL %zu back ends are DOWN: keeping the last table (fail-open)\n",
			s->name, candidates);
	else if (!all_down && s->all_down)
		pr_info("service %s: %zu back ends up again\n", s->name, alive);
	s->all_down = all_down;
	for (i = 0; i < s->n_be; i++) {
		ret = backend_write(st, s, &s->be[i]);
		if (ret)
			return ret;
	}
	if (all_down)
		return 0;
	mb = calloc(s->n_be ? s->n_be : 1, sizeof(*mb));
	if (!mb)
		return -ENOMEM;
	for (i = 0; i < s->n_be; i++) {
		mb[i].addr = s->be[i].addr;
		mb[i].id = s->be[i].id;
		mb[i].weight = backend_effective_weight(&s->be[i]);
		any |= mb[i].weight > 0;
	}
	ret = maglev_build(mb, s->n_be, st->table, st->dp->table_size);
	free(mb);
	if (ret)
		return ret;
	if (!any)
		return dp_table_del(st->dp, s->id);
	return dp_table_set(st->dp, s->id, st->table);
}

/* A probe flipped: new table, and the flows of down back ends go so that
 * clients' retries land on healthy ones. */
static void service_health_changed(struct lb_state *st, struct lb_service *s)
{
	size_t i;
	long n;
	int ret;

	ret = service_rebuild(st, s);
	if (ret) {
		pr_warn("service %s: cannot rebuild the table: %s\n", s->name,
			strerror(-ret));
		return;
	}
	if (s->all_down)
		return;
	for (i = 0; i < s->n_be; i++) {
		if (!backend_is_down(&s->be[i]))
			continue;
		n = dp_flows_purge_backend(st->dp, s->be[i].id, NULL);
		if (n > 0)
			pr_info("service %s: deleted %ld flows of a down back end\n",
				s->name, n);
	}
}

static int backend_write(struct lb_state *st, struct lb_service *s,
			 const struct lb_backend *b)
{
	struct backend_info bi = {};

	memcpy(bi.mac, b->mac, 6);
	bi.state = backend_is_down(b) && !s->all_down ? XLB_BE_DOWN :
							  XLB_BE_ACTIVE;
	bi.family = b->addr.family;
	bi.svc_id = s->id;
	bi.port = htons(b->port);
	memcpy(bi.addr, b->addr.b, 16);
	return dp_backend_set(st->dp, b->id, &bi);
}

/* Insert keeping the array sorted by address. */
static struct lb_backend *backend_insert(struct lb_service *s,
					 const struct lb_backend *nb)
{
	struct lb_backend *be;
	size_t i;

	be = realloc(s->be, (s->n_be + 1) * sizeof(*be));
	if (!be)
		return NULL;
	s->be = be;
	for (i = 0; i < s->n_be && lb_addr_cmp(&be[i].addr, &nb->addr) < 0;
	     i++)
		;
	memmove(&be[i + 1], &be[i], (s->n_be - i) * sizeof(*be));
	be[i] = *nb;
	s->n_be++;
	return &be[i];
}

/* Take a back end out of the data plane: no new flows (the caller
 * rebuilds the table first), then the slot is cleared and its pinned flows
 * deleted, and only then is the id free for reuse. */
static void backend_release(struct lb_state *st, struct lb_backend *b)
{
	struct backend_info bi;
	long n;

	probe_stop(b);
	/* the slot as it was: its address and port name the nat mappings */
	if (dp_backend_get(st->dp, b->id, &bi))
		memset(&bi, 0, sizeof(bi));
	dp_backend_clear(st->dp, b->id);
	n = dp_flows_purge_backend(st->dp, b->id, &bi);
	if (n > 0)
		pr_info("removed %ld pinned flows of back end id %u\n", n,
			b->id);
	st->be_used[b->id] = 0;
}

static void backend_remove_at(struct lb_service *s, size_t i)
{
	memmove(&s->be[i], &s->be[i + 1], (s->n_be - i - 1) * sizeof(*s->be));
	s->n_be--;
}

static void service_remove(struct lb_state *st, struct lb_service *s)
{
	size_t i;

	dp_vip_del(st->dp, &s->vip, s->port, s->proto);
	dp_table_del(st->dp, s->id);
	for (i = 0; i < s->n_be; i++)
		backend_release(st, &s->be[i]);
	dp_stats_svc_clear(st->dp, s->id);
	st->svc_used[s->id] = 0;
	for (i = 0; i < st->n_svc; i++) {
		if (st->svc[i] == s) {
			memmove(&st->svc[i], &st->svc[i + 1],
				(st->n_svc - i - 1) * sizeof(*st->svc));
			st->n_svc--;
			break;
		}
	}
	service_free(s);
}

static struct lb_service *service_new(struct lb_state *st, const char *name,
				      const struct lb_addr *vip, __u16 port,
				      __u8 proto, __u32 id)
{
	struct lb_service *s, **arr;

	arr = realloc(st->svc, (st->n_svc + 1) * sizeof(*arr));
	if (!arr)
		return NULL;
	st->svc = arr;
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->vip = *vip;
	s->port = port;
	s->proto = proto;
	s->id = id;
	health_cfg_defaults(&s->health);
	s->health.type = HEALTH_NONE;
	s->health.port = port;
	st->svc_used[id] = 1;
	st->svc[st->n_svc++] = s;
	return s;
}

/* ---- re-adoption from pinned maps ---- */

static void adopt_vip(void *arg, const struct lb_addr *vip, __u16 port,
		      __u8 proto, __u32 svc_id)
{
	struct lb_state *st = arg;
	char name[LB_ENDPOINTSTRLEN];

	if (proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6)
		return; /* an echo marker, see sync_icmp() */
	if (svc_id >= st->dp->max_services || st->svc_used[svc_id])
		return;
	lb_endpoint_str(vip, port, proto, name, sizeof(name));
	service_new(st, name, vip, port, proto, svc_id);
}

int state_adopt(struct lb_state *st)
{
	struct backend_info bi;
	struct lb_backend nb;
	size_t i, n = 0;
	__u32 id;

	dp_vip_foreach(st->dp, adopt_vip, st);
	for (id = 0; id < st->dp->max_backends; id++) {
		if (dp_backend_get(st->dp, id, &bi) ||
		    bi.state != XLB_BE_ACTIVE)
			continue;
		for (i = 0; i < st->n_svc; i++)
			if (st->svc[i]->id == bi.svc_id)
				break;
		if (i == st->n_svc) {
			/* orphan: its service is gone */
			dp_backend_clear(st->dp, id);
			continue;
		}
		backend_init(&nb);
		nb.addr.family = bi.family;
		memcpy(nb.addr.b, bi.addr, 16);
		nb.id = id;
		memcpy(nb.mac, bi.mac, 6);
		/* Weight is not in the maps: recover it from the table share
		 * is not needed, the config sets it right after. Until then
		 * keep it in the table if it was. */
		nb.weight = LB_DEFAULT_WEIGHT;
		if (backend_insert(st->svc[i], &nb)) {
			st->be_used[id] = 1;
			n++;
		}
	}
	pr_info("re-adopted %zu services and %zu back ends from %s\n",
		st->n_svc, n, st->dp->pin_dir);
	return 0;
}

/* ---- ICMP echo markers ---- */

struct icmp_seen {
	struct lb_addr *a;
	size_t n, cap;
};

static void collect_icmp(void *arg, const struct lb_addr *vip, __u16 port,
			 __u8 proto, __u32 svc_id)
{
	struct icmp_seen *seen = arg;
	struct lb_addr *a;

	(void)port;
	(void)svc_id;
	if (proto != IPPROTO_ICMP && proto != IPPROTO_ICMPV6)
		return;
	if (seen->n == seen->cap) {
		seen->cap = seen->cap ? 2 * seen->cap : 16;
		a = realloc(seen->a, seen->cap * sizeof(*a));
		if (!a)
			return;
		seen->a = a;
	}
	seen->a[seen->n++] = *vip;
}

static __u8 icmp_proto(const struct lb_addr *a)
{
	return a->family == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6;
}

/* The balancer answers echo requests to every VIP address: one vips entry
 * (addr, port 0, ICMP) per address in use, none for addresses gone. */
static void sync_icmp(struct lb_state *st)
{
	struct icmp_seen seen = {};
	size_t i, j;

	dp_vip_foreach(st->dp, collect_icmp, &seen);
	for (i = 0; i < seen.n; i++) {
		for (j = 0; j < st->n_svc; j++)
			if (lb_addr_eq(&st->svc[j]->vip, &seen.a[i]))
				break;
		if (j == st->n_svc)
			dp_vip_del(st->dp, &seen.a[i], 0, icmp_proto(&seen.a[i]));
	}
	free(seen.a);
	for (i = 0; i < st->n_svc; i++) {
		const struct lb_service *s = st->svc[i];

		for (j = 0; j < i; j++)
			if (lb_addr_eq(&st->svc[j]->vip, &s->vip))
				break;
		if (j == i && dp_vip_set(st->dp, &s->vip, 0, icmp_proto(&s->vip),
					 s->id, 0))
			pr_warn("service %s: cannot answer ICMP echo\n",
				s->name);
	}
}

/* The flood guard's knobs as the data path wants them. */
static int write_cfg(struct lb_state *st)
{
	struct lb_cfg c = {};

	if (st->new_flow_rate) {
		c.flow_cost_ns = 1000000000ull / st->new_flow_rate;
		c.bucket_ns = c.flow_cost_ns * st->new_flow_burst;
	}
	if (st->dp->int_ifindex) {
		c.nat_port_min = st->nat_port_min;
		c.nat_port_max = st->nat_port_max;
		c.nat_src4 = st->nat_src4.w[0];
		memcpy(c.nat_src6, st->nat_src6.w, 16);
	}
	c.tun_src4 = st->tun_src4.w[0];
	c.tun_mask4 = st->tun_plen4 ?
			      htonl(~0u << (32 - st->tun_plen4)) :
			      0;
	for (int i = 0; i < 4; i++) {
		int bits = st->tun_plen6 - 32 * i;

		c.tun_src6[i] = st->tun_src6.w[i];
		c.tun_mask6[i] = bits >= 32 ? 0xffffffffu :
				 bits <= 0  ? 0 :
					      htonl(~0u << (32 - bits));
	}
	return dp_cfg_set(st->dp, &c);
}

/* ---- applying a configuration ---- */

/* The MAC frames to back end a go to: its own (dsr), or for a tunnel the
 * next hop's toward it, from the routing table. */
static int resolve_mac(struct lb_state *st, const struct lb_addr *a,
		       __u32 vip_flags, __u8 mac[6], char *err, size_t errlen)
{
	char ab[LB_ADDRSTRLEN], gb[LB_ADDRSTRLEN];
	bool nat = vip_flags & XLB_VIP_F_NAT;
	const char *ifname = nat ? st->dp->int_ifname : st->dp->ifname;
	int ifindex = nat ? st->dp->int_ifindex : st->dp->ifindex;
	struct lb_addr hop = *a;
	int ret;

	if (vip_flags & (XLB_VIP_F_TUNNEL | XLB_VIP_F_NAT)) {
		ret = neigh_next_hop(ifindex, a, &hop);
		if (ret)
			return fail(err, errlen, -ENETUNREACH,
				    "no route to back end %s through '%s': %s (add one, or set its mac: the next hop's)",
				    lb_addr_str(a, ab, sizeof(ab)), ifname,
				    strerror(-ret));
		ret = neigh_resolve(ifname, ifindex, &hop, mac,
				    st->resolve_timeout_ms);
		if (ret)
			return fail(err, errlen, -EHOSTUNREACH,
				    "cannot resolve the MAC of next hop %s toward back end %s on '%s': %s (set its mac)",
				    lb_addr_str(&hop, gb, sizeof(gb)),
				    lb_addr_str(a, ab, sizeof(ab)), ifname,
				    ret == -EHOSTUNREACH ? "no ARP/ND answer" :
							   strerror(-ret));
		return 0;
	}
	ret = neigh_resolve(st->dp->ifname, st->dp->ifindex, a, mac,
			    st->resolve_timeout_ms);
	if (ret)
		return fail(err, errlen, -EHOSTUNREACH,
			    "cannot resolve the MAC of back end %s on '%s': %s (is it on this link? set its mac)",
			    lb_addr_str(a, ab, sizeof(ab)), st->dp->ifname,
			    ret == -EHOSTUNREACH ? "no ARP/ND answer" :
						   strerror(-ret));
	return 0;
}

/* MACs for every back end of the new config, looked up before anything
 * changes: configured, else the one we already use, else resolved. */
static int plan_macs(struct lb_state *st, const struct lb_config *cfg,
		     __u8 (*macs)[6], char *err, size_t errlen)
{
	size_t i, j, k = 0;
	int ret;

	for (i = 0; i < cfg->n_services; i++) {
		const struct lb_service_cfg *sc = &cfg->services[i];
		struct lb_service *s =
			find_by_vip(st, &sc->vip, sc->port, sc->proto);

		for (j = 0; j < sc->n_backends; j++, k++) {
			const struct lb_backend_cfg *bc = &sc->backends[j];
			struct lb_backend *b = s ? find_backend(s, &bc->addr) :
						   NULL;

			if (bc->has_mac) {
				memcpy(macs[k], bc->mac, 6);
				continue;
			}
			if (b) {
				memcpy(macs[k], b->mac, 6);
				continue;
			}
			ret = resolve_mac(st, &bc->addr,
					  (sc->tunnel ? XLB_VIP_F_TUNNEL : 0) |
						  (sc->nat ? XLB_VIP_F_NAT : 0),
					  macs[k], err, errlen);
			if (ret)
				return ret;
		}
	}
	return 0;
}

static bool cfg_has_backend(const struct lb_service_cfg *sc,
			    const struct lb_addr *a)
{
	size_t j;

	for (j = 0; j < sc->n_backends; j++)
		if (lb_addr_eq(&sc->backends[j].addr, a))
			return true;
	return false;
}

static const struct lb_service_cfg *cfg_find(const struct lb_config *cfg,
					     const struct lb_service *s)
{
	size_t i;

	for (i = 0; i < cfg->n_services; i++) {
		const struct lb_service_cfg *sc = &cfg->services[i];

		if (lb_addr_eq(&sc->vip, &s->vip) && sc->port == s->port &&
		    sc->proto == s->proto)
			return sc;
	}
	return NULL;
}

/* Ids the new config needs beyond what it keeps, against what is free
 * once the removed services and back ends are gone. */
static int plan_capacity(struct lb_state *st, const struct lb_config *cfg,
			 char *err, size_t errlen)
{
	size_t need_svc = 0, need_be = 0, gone_svc = 0, gone_be = 0, i, j;

	for (i = 0; i < st->n_svc; i++) {
		struct lb_service *s = st->svc[i];
		const struct lb_service_cfg *sc = cfg_find(cfg, s);

		if (!sc) {
			gone_svc++;
			gone_be += s->n_be;
			continue;
		}
		for (j = 0; j < s->n_be; j++)
			gone_be += !cfg_has_backend(sc, &s->be[j].addr);
	}
	for (i = 0; i < cfg->n_services; i++) {
		const struct lb_service_cfg *sc = &cfg->services[i];
		struct lb_service *s =
			find_by_vip(st, &sc->vip, sc->port, sc->proto);

		need_svc += !s;
		for (j = 0; j < sc->n_backends; j++)
			need_be += !s || !find_backend(s, &sc->backends[j].addr);
	}
	if (need_svc > free_ids(st->svc_used, st->dp->max_services) + gone_svc)
		return fail(err, errlen, -ENOSPC,
			    "the config needs more services than max_services=%u",
			    st->dp->max_services);
	if (need_be > free_ids(st->be_used, st->dp->max_backends) + gone_be)
		return fail(err, errlen, -ENOSPC,
			    "the config needs more back ends than max_backends=%u",
			    st->dp->max_backends);
	return 0;
}

static const struct lb_backend_cfg *cfg_standby(const struct lb_service_cfg *sc,
					       const struct lb_addr *a)
{
	size_t i;

	for (i = 0; i < sc->n_standby; i++)
		if (lb_addr_eq(&sc->standby[i].addr, a))
			return &sc->standby[i];
	return NULL;
}

static void sync_standby(struct lb_state *st, struct lb_service *s,
			 const struct lb_service_cfg *sc);

/* Bring one existing service's back ends to what sc says. */
static int sync_backends(struct lb_state *st, struct lb_service *s,
			 const struct lb_service_cfg *sc, __u8 (*macs)[6],
			 bool *changed, bool fresh)
{
	struct lb_backend nb, *b;
	size_t i, j;
	int ret;

	/* Back ends no longer in the file drain, then go (state_sweep);
	 * standby back ends the scaler runs stay its business. */
	for (i = 0; i < s->n_be; i++) {
		b = &s->be[i];
		if (cfg_has_backend(sc, &b->addr) || b->removing ||
		    cfg_standby(sc, &b->addr))
			continue;
		b->removing = true;
		b->removing_since = now_ns();
		*changed = true;
	}
	for (j = 0; j < sc->n_backends; j++) {
		const struct lb_backend_cfg *bc = &sc->backends[j];

		b = find_backend(s, &bc->addr);
		if (b) {
			if (b->weight != bc->weight || b->removing ||
			    b->drained)
				*changed = true;
			b->weight = bc->weight;
			b->removing = false;
			b->drained = false;
			b->capacity = bc->capacity;
			b->standby = false;
			if (b->port != bc->port) {
				b->port = bc->port;
				ret = backend_write(st, s, b);
				if (ret)
					return ret;
				*changed = true;
			}
			if (memcmp(&b->hc, &bc->health, sizeof(b->hc)) ||
			    memcmp(&b->ac, &bc->agent, sizeof(b->ac)) ||
			    (!b->probe && b->hc.type != HEALTH_NONE)) {
				b->hc = bc->health;
				b->ac = bc->agent;
				probe_start(st, s, b);
				*changed = true;
			}
			if (memcmp(b->mac, macs[j], 6)) {
				memcpy(b->mac, macs[j], 6);
				ret = backend_write(st, s, b);
				if (ret)
					return ret;
			}
			continue;
		}
		backend_init(&nb);
		nb.addr = bc->addr;
		nb.weight = bc->weight;
		nb.hc = bc->health;
		nb.ac = bc->agent;
		nb.capacity = bc->capacity;
		nb.port = bc->port;
		if (s->load.slow_start && !fresh)
			nb.up_since = now_ns(); /* added to a running service */
		memcpy(nb.mac, macs[j], 6);
		ret = alloc_id(st->be_used, st->dp->max_backends, &nb.id);
		if (ret)
			return ret;
		dp_backend_clear(st->dp, nb.id);
		b = backend_insert(s, &nb);
		if (!b) {
			st->be_used[nb.id] = 0;
			return -ENOMEM;
		}
		ret = backend_write(st, s, b);
		if (ret)
			return ret;
		probe_start(st, s, b);
		*changed = true;
	}
	return 0;
}

int state_apply_config(struct lb_state *st, const struct lb_config *cfg,
		       char *err, size_t errlen)
{
	struct lb_service *s;
	__u8(*macs)[6];
	size_t i, j, k, total = 0;
	__u32 old_flags;
	bool changed;
	__u32 id;
	int ret;

	for (i = 0; i < cfg->n_services; i++) {
		const struct lb_service_cfg *sc = &cfg->services[i];
		bool v4 = sc->vip.family == AF_INET;

		if (!sc->nat)
			continue;
		if (!st->dp->int_ifindex)
			return fail(err, errlen, -EINVAL,
				    "service %s: mode nat needs an internal interface (xdp-lb attach %s --internal IFACE)",
				    sc->name, st->dp->ifname);
		if (!(v4 ? cfg->nat_src4.family || st->dp->int_addr4.family :
			   cfg->nat_src6.family || st->dp->int_addr6.family))
			return fail(err, errlen, -EINVAL,
				    "service %s: mode nat needs an %s source address: '%s' has none (set %s)",
				    sc->name, v4 ? "IPv4" : "IPv6",
				    st->dp->int_ifname,
				    v4 ? "nat_source" : "nat_source6");
	}
	if (cfg->table_size != st->dp->table_size ||
	    cfg->max_flows != st->dp->max_flows ||
	    cfg->max_services != st->dp->max_services ||
	    cfg->max_backends != st->dp->max_backends)
		return fail(err, errlen, -EINVAL,
			    "table_size, max_flows, max_services and max_backends cannot change while attached: detach and attach again");
	for (i = 0; i < cfg->n_services; i++)
		total += cfg->services[i].n_backends;
	macs = calloc(total ? total : 1, 6);
	if (!macs)
		return fail(err, errlen, -ENOMEM, "out of memory");
	ret = plan_capacity(st, cfg, err, errlen);
	if (!ret)
		ret = plan_macs(st, cfg, macs, err, errlen);
	if (ret)
		goto out;

	/* Everything is known to fit: now change the data plane. */
	st->timeouts = cfg->timeouts;
	st->sweep_interval_s = cfg->sweep_interval;
	st->nat_scan_interval_s = cfg->nat_scan_interval;
	st->drain_timeout_s = cfg->drain_timeout;
	st->new_flow_rate = cfg->new_flow_rate;
	st->new_flow_burst = cfg->new_flow_burst;
	st->tun_src4 = cfg->tun_src4;
	st->tun_src6 = cfg->tun_src6;
	st->tun_plen4 = cfg->tun_plen4;
	st->tun_plen6 = cfg->tun_plen6;
	st->nat_port_min = cfg->nat_port_min;
	st->nat_port_max = cfg->nat_port_max;
	st->nat_src4 = cfg->nat_src4.family ? cfg->nat_src4 :
					     st->dp->int_addr4;
	st->nat_src6 = cfg->nat_src6.family ? cfg->nat_src6 :
					     st->dp->int_addr6;
	ret = write_cfg(st);
	if (ret)
		goto fail_apply;
	for (i = 0; i < st->n_svc;) {
		if (cfg_find(cfg, st->svc[i])) {
			i++;
			continue;
		}
		pr_info("service %s: removed\n", st->svc[i]->name);
		service_remove(st, st->svc[i]);
	}
	for (i = 0, k = 0; i < cfg->n_services;
	     k += cfg->services[i].n_backends, i++) {
		const struct lb_service_cfg *sc = &cfg->services[i];

		s = find_by_vip(st, &sc->vip, sc->port, sc->proto);
		changed = false;
		if (!s) {
			ret = alloc_id(st->svc_used, st->dp->max_services, &id);
			if (ret)
				goto fail_apply;
			s = service_new(st, sc->name, &sc->vip, sc->port,
					sc->proto, id);
			if (!s) {
				st->svc_used[id] = 0;
				ret = -ENOMEM;
				goto fail_apply;
			}
			dp_stats_svc_clear(st->dp, id);
			changed = true;
			pr_info("service %s: added\n", sc->name);
		}
		snprintf(s->name, sizeof(s->name), "%s", sc->name);
		old_flags = s->vip_flags;
		s->vip_flags = (sc->persist ? XLB_VIP_F_SRC_IP |
						      (__u32)sc->persist_prefix
							      << XLB_VIP_PREFIX_SHIFT :
					      0) |
			       (sc->tunnel ? XLB_VIP_F_TUNNEL : 0) |
			       (sc->nat ? XLB_VIP_F_NAT : 0);
		s->health = sc->health;
		s->agent = sc->agent;
		if (memcmp(&s->load, &sc->load, sizeof(s->load)))
			s->next_eval = 0; /* evaluate at the next tick */
		s->load = sc->load;
		ret = sync_backends(st, s, sc, &macs[k], &changed, changed);
		if (!ret)
			sync_standby(st, s, sc);
		if (!ret && (old_flags ^ s->vip_flags) & XLB_VIP_F_TUNNEL)
			for (j = 0; j < s->n_be; j++) /* probes change path */
				if (!s->be[j].removing)
					probe_start(st, s, &s->be[j]);
		if (!ret)
			ret = service_rebuild(st, s);
		if (!ret)
			ret = dp_vip_set(st->dp, &s->vip, s->port, s->proto,
					 s->id, s->vip_flags);
		if (ret)
			goto fail_apply;
		if (changed)
			pr_info("service %s: %zu back ends, table rebuilt\n",
				s->name, s->n_be);
	}
	sync_icmp(st);
	ret = 0;
	goto out;
fail_apply:
	snprintf(err, errlen, "cannot apply the config to the data plane: %s",
		 strerror(-ret));
out:
	free(macs);
	return ret;
}

/* ---- runtime commands ---- */

static int get_service(struct lb_state *st, const char *spec,
		       struct lb_service **sp, char *err, size_t errlen)
{
	*sp = state_find_service(st, spec);
	if (!*sp)
		return fail(err, errlen, -ENOENT, "no service '%s'", spec);
	return 0;
}

static int parse_backend_addr(const struct lb_service *s, const char *addr,
			      struct lb_addr *a, char *err, size_t errlen)
{
	if (lb_addr_parse(addr, a))
		return fail(err, errlen, -EINVAL,
			    "'%s' is not an IPv4 or IPv6 address", addr);
	if (a->family != s->vip.family)
		return fail(err, errlen, -EINVAL,
			    "back end %s is not of the same family as service %s",
			    addr, s->name);
	return 0;
}

int state_service_add(struct lb_state *st, const char *name,
		      const char *endpoint, char *err, size_t errlen)
{
	struct lb_service *s;
	struct lb_addr vip;
	__u16 port;
	__u8 proto;
	__u32 id;
	int ret;

	if (!config_name_valid(name))
		return fail(err, errlen, -EINVAL,
			    "'%s' is not a valid service name (1-63 of A-Z a-z 0-9 _ . -)",
			    name);
	if (lb_endpoint_parse(endpoint, &vip, &port, &proto))
		return fail(err, errlen, -EINVAL,
			    "'%s' is not VIP:PORT/PROTO (IPv6 as [addr]:port/proto, proto tcp or udp)",
			    endpoint);
	if (state_find_service(st, name))
		return fail(err, errlen, -EEXIST,
			    "a service named '%s' exists already", name);
	s = find_by_vip(st, &vip, port, proto);
	if (s)
		return fail(err, errlen, -EEXIST,
			    "service '%s' has %s already", s->name, endpoint);
	if (alloc_id(st->svc_used, st->dp->max_services, &id))
		return fail(err, errlen, -ENOSPC,
			    "no room for another service (max_services=%u)",
			    st->dp->max_services);
	s = service_new(st, name, &vip, port, proto, id);
	if (!s) {
		st->svc_used[id] = 0;
		return fail(err, errlen, -ENOMEM, "out of memory");
	}
	dp_stats_svc_clear(st->dp, id);
	ret = dp_vip_set(st->dp, &vip, port, proto, id, 0);
	if (ret) {
		service_remove(st, s);
		return fail(err, errlen, ret, "cannot add the VIP: %s",
			    strerror(-ret));
	}
	sync_icmp(st);
	pr_info("service %s: added %s\n", name, endpoint);
	return 0;
}

int state_service_del(struct lb_state *st, const char *spec, char *err,
		      size_t errlen)
{
	struct lb_service *s;
	int ret;

	ret = get_service(st, spec, &s, err, errlen);
	if (ret)
		return ret;
	pr_info("service %s: removed\n", s->name);
	service_remove(st, s);
	sync_icmp(st);
	return 0;
}

int state_backend_add(struct lb_state *st, const char *spec,
		      const char *addr, __u32 weight, const char *mac,
		      char *err, size_t errlen)
{
	struct lb_service *s;
	struct lb_backend nb, *b;
	int ret;

	backend_init(&nb);
	ret = get_service(st, spec, &s, err, errlen);
	if (ret)
		return ret;
	ret = parse_backend_addr(s, addr, &nb.addr, err, errlen);
	if (ret)
		return ret;
	if (weight > LB_WEIGHT_MAX)
		return fail(err, errlen, -EINVAL,
			    "weight %u is out of range 0..%u", weight,
			    LB_WEIGHT_MAX);
	b = find_backend(s, &nb.addr);
	if (b && b->removing) {
		/* Added back while it drained for removal: keep it. */
		b->removing = false;
		b->drained = false;
		b->weight = weight;
		if (mac && !lb_mac_parse(mac, b->mac))
			backend_write(st, s, b);
		ret = service_rebuild(st, s);
		if (ret)
			return fail(err, errlen, ret,
				    "cannot rebuild the table: %s",
				    strerror(-ret));
		pr_info("service %s: back end %s kept, weight %u\n", s->name,
			addr, weight);
		return 0;
	}
	if (b)
		return fail(err, errlen, -EEXIST,
			    "service '%s' has back end %s already", s->name,
			    addr);
	if (mac) {
		if (lb_mac_parse(mac, nb.mac))
			return fail(err, errlen, -EINVAL,
				    "'%s' is not a MAC address (like 02:00:00:00:00:12)",
				    mac);
	} else {
		ret = resolve_mac(st, &nb.addr, s->vip_flags, nb.mac, err,
				  errlen);
		if (ret)
			return ret;
	}
	if (alloc_id(st->be_used, st->dp->max_backends, &nb.id))
		return fail(err, errlen, -ENOSPC,
			    "no room for another back end (max_backends=%u)",
			    st->dp->max_backends);
	nb.weight = weight;
	nb.hc = s->health;
	nb.ac = s->agent;
	if (s->load.slow_start)
		nb.up_since = now_ns();
	dp_backend_clear(st->dp, nb.id);
	b = backend_insert(s, &nb);
	if (!b) {
		st->be_used[nb.id] = 0;
		return fail(err, errlen, -ENOMEM, "out of memory");
	}
	probe_start(st, s, b);
	ret = backend_write(st, s, b);
	if (!ret)
		ret = service_rebuild(st, s);
	if (ret)
		return fail(err, errlen, ret, "cannot add the back end: %s",
			    strerror(-ret));
	pr_info("service %s: back end %s added, weight %u\n", s->name, addr,
		weight);
	return 0;
}

static int get_backend(struct lb_state *st, const char *spec,
		       const char *addr, struct lb_service **sp,
		       struct lb_backend **bp, char *err, size_t errlen)
{
	struct lb_addr a;
	int ret;

	ret = get_service(st, spec, sp, err, errlen);
	if (!ret)
		ret = parse_backend_addr(*sp, addr, &a, err, errlen);
	if (ret)
		return ret;
	*bp = find_backend(*sp, &a);
	if (!*bp)
		return fail(err, errlen, -ENOENT,
			    "service '%s' has no back end %s", (*sp)->name,
			    addr);
	return 0;
}

int state_backend_del(struct lb_state *st, const char *spec,
		      const char *addr, bool now, char *err, size_t errlen)
{
	struct lb_service *s;
	struct lb_backend *b;
	int ret;

	ret = get_backend(st, spec, addr, &s, &b, err, errlen);
	if (ret)
		return ret;
	if (!now) {
		if (!b->removing) {
			b->removing = true;
			b->removing_since = now_ns();
		}
		ret = service_rebuild(st, s);
		if (ret)
			return fail(err, errlen, ret,
				    "cannot rebuild the table: %s",
				    strerror(-ret));
		pr_info("service %s: back end %s draining before removal\n",
			s->name, addr);
		state_sweep(st); /* gone at once if nothing is pinned */
		return 0;
	}
	b->removing = true;
	ret = service_rebuild(st, s);
	if (ret)
		return fail(err, errlen, ret, "cannot rebuild the table: %s",
			    strerror(-ret));
	backend_release(st, b);
	backend_remove_at(s, b - s->be);
	pr_info("service %s: back end %s removed now\n", s->name, addr);
	return 0;
}

int state_backend_drain(struct lb_state *st, const char *spec,
			const char *addr, bool drain, char *err,
			size_t errlen)
{
	struct lb_service *s;
	struct lb_backend *b;
	int ret;

	ret = get_backend(st, spec, addr, &s, &b, err, errlen);
	if (ret)
		return ret;
	if (b->removing)
		return fail(err, errlen, -EBUSY,
			    "back end %s of '%s' is being removed", addr,
			    s->name);
	b->drained = drain;
	ret = service_rebuild(st, s);
	if (ret)
		return fail(err, errlen, ret, "cannot rebuild the table: %s",
			    strerror(-ret));
	pr_info("service %s: back end %s %s\n", s->name, addr,
		drain ? "draining" : "undrained");
	return 0;
}

/* Removals whose back end has no live flow left, or ran out of time. */
static void finish_removals(struct lb_state *st, __u64 now)
{
	char ab[LB_ADDRSTRLEN];
	size_t i, j;

	for (i = 0; i < st->n_svc; i++) {
		struct lb_service *s = st->svc[i];

		for (j = 0; j < s->n_be;) {
			struct lb_backend *b = &s->be[j];
			bool late = now - b->removing_since >
				    (__u64)st->drain_timeout_s * 1000000000ull;

			if (!b->removing || (st->counts[b->id] && !late)) {
				j++;
				continue;
			}
			pr_info("service %s: back end %s removed (%s)\n",
				s->name, lb_addr_str(&b->addr, ab, sizeof(ab)),
				late ? "drain timeout" : "drained");
			backend_release(st, b);
			backend_remove_at(s, j);
		}
	}
}

void state_sweep(struct lb_state *st)
{
	__u64 now = now_ns(), took;
	long n;

	n = dp_flows_sweep(st->dp, &st->timeouts, now, st->counts);
	took = now_ns() - now;
	st->counts_at = now + took;
	st->table_flows = st->dp->sweep_seen;
	st->sweep_last_us = took / 1000;
	if (st->sweep_last_us > st->sweep_max_us)
		st->sweep_max_us = st->sweep_last_us;
	if (n < 0) {
		pr_warn("flow sweep failed: %s\n", strerror(-n));
		return;
	}
	if (n > 0) {
		st->expired_total += n;
		pr_debug("flow sweep: %ld idle flows expired\n", n);
	}
	finish_removals(st, now);
}

int state_backend_weight(struct lb_state *st, const char *spec,
			 const char *addr, __u32 weight, char *err,
			 size_t errlen)
{
	struct lb_service *s;
	struct lb_backend *b;
	__u32 old;
	int ret;

	if (weight > LB_WEIGHT_MAX)
		return fail(err, errlen, -EINVAL,
			    "weight %u is out of range 0..%u", weight,
			    LB_WEIGHT_MAX);
	ret = get_backend(st, spec, addr, &s, &b, err, errlen);
	if (ret)
		return ret;
	if (b->removing)
		return fail(err, errlen, -EBUSY,
			    "back end %s of '%s' is being removed", addr,
			    s->name);
	old = b->weight;
	b->weight = weight;
	b->drained = false;
	ret = service_rebuild(st, s);
	if (ret) {
		b->weight = old;
		return fail(err, errlen, ret, "cannot rebuild the table: %s",
			    strerror(-ret));
	}
	pr_info("service %s: back end %s weight %u -> %u\n", s->name, addr,
		old, weight);
	return 0;
}

#define SWEEP_STEP_BATCHES 8 /* 32768 flows, about 10 ms, per loop turn */
/* status sweeps the tables itself up to this many entries (about 20 ms) */
#define STATUS_SWEEP_MAX_FLOWS 65536
/* nat orphan scan: 8192 mappings (one flow lookup each) per loop turn,
 * every nat_scan_interval (a deleted flow releases its mapping at once;
 * the scan is for flows evicted from the LRU table) */
#define NAT_SCAN_BATCHES 2

/* Start the orphan scan if one is due; true if it runs. */
static bool nat_scan_due(struct lb_state *st)
{
	__u64 now = now_ns();

	if (!st->dp->int_ifindex ||
	    (st->nat_scan_start &&
	     now - st->nat_scan_start <
		     (__u64)st->nat_scan_interval_s * 1000000000ull))
		return false;
	dp_nat_scan_begin(&st->nat_cur);
	st->nat_scan_start = now;
	st->nat_scanning = true;
	return true;
}

/* One step of the orphan scan; true while there is more. */
static bool nat_scan_step(struct lb_state *st)
{
	__u64 t0 = now_ns(), us;
	long n;

	n = dp_nat_scan_step(st->dp, &st->nat_cur, NAT_SCAN_BATCHES);
	if (n > 0)
		st->nat_orphans += n;
	else if (n < 0)
		pr_warn("nat mapping scan failed: %s\n", strerror(-n));
	us = (now_ns() - t0) / 1000;
	if (us > st->step_max_us)
		st->step_max_us = us;
	if (!st->nat_cur.done)
		return true;
	st->nat_scanning = false;
	st->nat_scan_us = (now_ns() - st->nat_scan_start) / 1000;
	return false;
}

bool state_sweep_step(struct lb_state *st)
{
	__u64 t0 = now_ns(), us;
	long n;

	if (st->nat_scanning)
		return nat_scan_step(st);
	if (!st->stepping) {
		dp_sweep_begin(&st->step_cur);
		memset(st->step_counts, 0,
		       sizeof(*st->step_counts) * st->dp->max_backends);
		st->step_start = t0;
		st->stepping = true;
	}
	n = dp_flows_sweep_step(st->dp, &st->step_cur, &st->timeouts,
				st->step_start, st->step_counts,
				SWEEP_STEP_BATCHES);
	if (n > 0)
		st->expired_total += n;
	else if (n < 0)
		pr_warn("flow sweep failed: %s\n", strerror(-n));
	us = (now_ns() - t0) / 1000;
	if (us > st->step_max_us)
		st->step_max_us = us;
	if (!st->step_cur.done)
		return true;
	st->stepping = false;
	if (n >= 0) {
		memcpy(st->counts, st->step_counts,
		       sizeof(*st->counts) * st->dp->max_backends);
		st->counts_at = now_ns();
		st->table_flows = st->step_cur.seen;
		st->step_round_us = (st->counts_at - st->step_start) / 1000;
		finish_removals(st, now_ns());
	}
	return nat_scan_due(st);
}

/* ---- load feedback, slow start and standby back ends ---- */

/* The back end's load in percent, if known: its agent's report, else its
 * live flows over its capacity. */
static bool backend_load_pct(const struct lb_state *st,
			     const struct lb_backend *b, __u32 *pct)
{
	__u64 p;

	if (b->has_agent && b->agent.has_load) {
		*pct = b->agent.load;
		return true;
	}
	if (!b->capacity)
		return false;
	p = st->counts[b->id] * 100 / b->capacity;
	*pct = p > AGENT_LOAD_MAX ? AGENT_LOAD_MAX : (__u32)p;
	return true;
}

/* One evaluation of the load policy and the ramps; true when an
 * effective weight changed (the caller rebuilds the table). */
static bool service_eval_load(struct lb_state *st, struct lb_service *s,
			      __u64 now)
{
	struct load_input *in;
	__u32 *f, *old;
	char ab[LB_ADDRSTRLEN];
	bool changed = false;
	size_t i;

	if (!s->n_be)
		return false;
	in = calloc(s->n_be, sizeof(*in));
	f = calloc(s->n_be, sizeof(*f));
	old = calloc(s->n_be, sizeof(*old));
	if (!in || !f || !old)
		goto out;
	for (i = 0; i < s->n_be; i++) {
		struct lb_backend *b = &s->be[i];

		old[i] = backend_effective_weight(b);
		in[i].in_table = old[i] > 0;
		in[i].weight = b->weight;
		in[i].flows = st->counts[b->id];
		in[i].has_load = backend_load_pct(st, b, &in[i].load);
		f[i] = b->factor;
	}
	policy_eval(&s->load, in, f, s->n_be);
	for (i = 0; i < s->n_be; i++) {
		struct lb_backend *b = &s->be[i];

		if (f[i] != b->factor)
			pr_info("service %s: back end %s load %s%u%s: share %u%% of its weight\n",
				s->name, lb_addr_str(&b->addr, ab, sizeof(ab)),
				in[i].has_load ? "" : "flows ",
				in[i].has_load ? in[i].load :
						 (__u32)in[i].flows,
				in[i].has_load ? "%" : "", f[i] / 10);
		b->factor = f[i];
		b->ramp = policy_ramp(&s->load, b->up_since, now);
		if (b->ramp == POLICY_ONE)
			b->up_since = 0;
		changed |= backend_effective_weight(b) != old[i];
	}
out:
	free(in);
	free(f);
	free(old);
	return changed;
}

/* What a standby's command callback needs to find it again. */
struct sb_ref {
	struct lb_state *st;
	__u32 svc_id;
	struct lb_addr addr;
};

static const char *const sb_names[] = {
	[SB_OFF] = "off",	  [SB_STARTING] = "starting",
	[SB_WAITING] = "waiting", [SB_ON] = "on",
	[SB_DRAINING] = "draining", [SB_STOPPING] = "stopping",
};

static struct lb_standby *standby_find(struct lb_service *s,
				       const struct lb_addr *a)
{
	size_t i;

	for (i = 0; i < s->n_sb; i++)
		if (lb_addr_eq(&s->sb[i].cfg.addr, a))
			return &s->sb[i];
	return NULL;
}

static void sb_set(struct lb_service *s, struct lb_standby *sb,
		   enum standby_state state, __u64 now, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* Enter a state and say so (log, status). */
static void sb_set(struct lb_service *s, struct lb_standby *sb,
		   enum standby_state state, __u64 now, const char *fmt, ...)
{
	char ab[LB_ADDRSTRLEN];
	va_list ap;

	sb->state = state;
	sb->since = now;
	va_start(ap, fmt);
	vsnprintf(sb->last, sizeof(sb->last), fmt, ap);
	va_end(ap);
	snprintf(s->scale_detail, sizeof(s->scale_detail), "%s: %s",
		 lb_addr_str(&sb->cfg.addr, ab, sizeof(ab)), sb->last);
	pr_info("service %s: standby %s %s: %s\n", s->name, ab,
		sb_names[state], sb->last);
}

static void on_sb_cmd(void *arg, int code, const char *what);

static bool sb_run(struct lb_state *st, struct lb_service *s,
		   struct lb_standby *sb, const char *cmd, const char *verb)
{
	char tag[96], ab[LB_ADDRSTRLEN];

	if (!st->base)
		return false;
	if (!sb->ref)
		sb->ref = calloc(1, sizeof(*sb->ref));
	if (!sb->ref)
		return false;
	sb->ref->st = st;
	sb->ref->svc_id = s->id;
	sb->ref->addr = sb->cfg.addr;
	snprintf(tag, sizeof(tag), "service %s: standby %s %s", s->name,
		 lb_addr_str(&sb->cfg.addr, ab, sizeof(ab)), verb);
	sb->proc = proc_run(st->base, cmd, s->scale.command_timeout, tag,
			    on_sb_cmd, sb->ref);
	return sb->proc != NULL;
}

static void sb_stop(struct lb_state *st, struct lb_service *s,
		    struct lb_standby *sb, __u64 now, const char *why)
{
	if (sb_run(st, s, sb, sb->cfg.stop, "stop"))
		sb_set(s, sb, SB_STOPPING, now, "%s; stop command running", why);
	else
		sb_set(s, sb, SB_OFF, now, "%s; cannot run the stop command",
		       why);
}

/* The start command succeeded: add it, out of the table until its
 * probes pass (a standby with no probes goes in at once). */
static void sb_add(struct lb_state *st, struct lb_service *s,
		   struct lb_standby *sb, __u64 now)
{
	struct lb_backend nb, *b;
	char err[256];
	int ret;

	backend_init(&nb);
	nb.addr = sb->cfg.addr;
	nb.weight = sb->cfg.weight;
	nb.hc = sb->cfg.health;
	nb.ac = sb->cfg.agent;
	nb.capacity = sb->cfg.capacity;
	nb.standby = true;
	if (s->load.slow_start)
		nb.up_since = now;
	if (sb->cfg.has_mac)
		memcpy(nb.mac, sb->cfg.mac, 6);
	else if (resolve_mac(st, &nb.addr, s->vip_flags, nb.mac, err,
			     sizeof(err))) {
		sb_stop(st, s, sb, now, err);
		return;
	}
	if (find_backend(s, &nb.addr) ||
	    alloc_id(st->be_used, st->dp->max_backends, &nb.id)) {
		sb_stop(st, s, sb, now, "no room for it (max_backends)");
		return;
	}
	dp_backend_clear(st->dp, nb.id);
	b = backend_insert(s, &nb);
	if (!b) {
		st->be_used[nb.id] = 0;
		sb_stop(st, s, sb, now, "out of memory");
		return;
	}
	probe_start_as(st, s, b, true);
	ret = backend_write(st, s, b);
	if (!ret)
		ret = service_rebuild(st, s);
	if (ret)
		pr_warn("service %s: cannot add the standby: %s\n", s->name,
			strerror(-ret));
	if (backend_is_down(b))
		sb_set(s, sb, SB_WAITING, now,
		       "started; waiting for its probes to pass");
	else
		sb_set(s, sb, SB_ON, now, "started; taking new flows");
}

static void on_sb_cmd(void *arg, int code, const char *what)
{
	struct sb_ref *ref = arg;
	struct lb_service *s = service_by_id(ref->st, ref->svc_id);
	struct lb_standby *sb = s ? standby_find(s, &ref->addr) : NULL;
	__u64 now = now_ns();

	if (!sb)
		return;
	sb->proc = NULL;
	if (sb->state == SB_STOPPING) {
		sb_set(s, sb, SB_OFF, now, "stop command: %s", what);
		return;
	}
	if (code) {
		sb_set(s, sb, SB_OFF, now, "start command failed: %s", what);
		return;
	}
	sb_add(ref->st, s, sb, now);
}

static void standby_cancel(struct lb_service *s)
{
	size_t i;

	for (i = 0; i < s->n_sb; i++) {
		proc_cancel(s->sb[i].proc);
		s->sb[i].proc = NULL;
		free(s->sb[i].ref);
		s->sb[i].ref = NULL;
	}
}

/* Standby entries from the config; running ones keep their state, a
 * back end that is one of them (re-adopted after a restart) is on. */
static void sync_standby(struct lb_state *st, struct lb_service *s,
			 const struct lb_service_cfg *sc)
{
	struct lb_standby *nsb = calloc(sc->n_standby ? sc->n_standby : 1,
					sizeof(*nsb));
	struct lb_backend *b;
	size_t i;

	(void)st;
	if (!nsb)
		return;
	for (i = 0; i < sc->n_standby; i++) {
		struct lb_standby *old = standby_find(s, &sc->standby[i].addr);

		if (old) {
			nsb[i] = *old;
			old->proc = NULL; /* moved */
			old->ref = NULL;
		}
		nsb[i].cfg = sc->standby[i];
		b = find_backend(s, &sc->standby[i].addr);
		if (b && !cfg_has_backend(sc, &b->addr)) {
			b->standby = true;
			b->capacity = sc->standby[i].capacity;
			if (nsb[i].state == SB_OFF)
				nsb[i].state = b->removing ? SB_DRAINING : SB_ON;
		}
	}
	standby_cancel(s); /* those no longer configured */
	for (i = 0; i < s->n_be; i++) {
		b = &s->be[i];
		if (b->standby && !cfg_standby(sc, &b->addr) &&
		    !cfg_has_backend(sc, &b->addr) && !b->removing) {
			b->removing = true; /* no longer a standby: drain */
			b->removing_since = now_ns();
		}
	}
	free(s->sb);
	s->sb = nsb;
	s->n_sb = sc->n_standby;
	s->scale = sc->scale;
}

/* Follow a running action; start or stop one when load says so. */
static void scaler_step(struct lb_state *st, struct lb_service *s, __u64 now)
{
	__u64 span = (__u64)s->scale.for_s * 1000000000ull;
	size_t i, active = 0, over = 0, under = 0;
	struct lb_standby *sb;
	struct lb_backend *b;
	bool busy = false;
	__u32 pct;

	for (i = 0; i < s->n_be; i++) {
		b = &s->be[i];
		if (!backend_effective_weight(b))
			continue;
		active++;
		if (backend_load_pct(st, b, &pct)) {
			over += pct >= s->scale.high;
			under += pct <= s->scale.low;
		}
	}
	s->over_since = active && over == active ?
				(s->over_since ? s->over_since : now) : 0;
	s->under_since = active && under == active ?
				 (s->under_since ? s->under_since : now) : 0;
	for (i = 0; i < s->n_sb; i++) {
		sb = &s->sb[i];
		b = find_backend(s, &sb->cfg.addr);
		switch (sb->state) {
		case SB_WAITING:
			if (!b) {
				sb_set(s, sb, SB_OFF, now, "gone while waiting");
			} else if (!backend_is_down(b)) {
				sb_set(s, sb, SB_ON, now,
				       "probes pass; taking new flows");
			} else if (now - sb->since >
				   (__u64)s->scale.ready_timeout * 1000000000ull) {
				b->removing = true;
				service_rebuild(st, s);
				backend_release(st, b);
				backend_remove_at(s, b - s->be);
				sb_stop(st, s, sb, now,
					"probes did not pass in ready_timeout");
			}
			break;
		case SB_DRAINING:
			if (!b) {
				sb_stop(st, s, sb, now, "drained");
			} else if (now - sb->since >
				   (__u64)s->scale.drain_timeout * 1000000000ull) {
				backend_release(st, b);
				backend_remove_at(s, b - s->be);
				sb_stop(st, s, sb, now, "drain timeout");
			}
			break;
		default:
			break;
		}
		busy |= sb->state != SB_OFF && sb->state != SB_ON;
	}
	if (busy)
		return; /* one scaling action at a time */
	if (s->over_since && now - s->over_since >= span) {
		for (i = 0; i < s->n_sb && s->sb[i].state != SB_OFF; i++)
			;
		if (i == s->n_sb) {
			snprintf(s->scale_detail, sizeof(s->scale_detail),
				 "overloaded, and every standby is running");
			return;
		}
		sb = &s->sb[i];
		s->over_since = 0;
		if (sb_run(st, s, sb, sb->cfg.start, "start"))
			sb_set(s, sb, SB_STARTING, now,
			       "every back end above %u%% for %u s; start command running",
			       s->scale.high, s->scale.for_s);
		else
			sb_set(s, sb, SB_OFF, now,
			       "cannot run the start command");
	} else if (s->under_since && now - s->under_since >= span) {
		for (i = s->n_sb; i > 0 && s->sb[i - 1].state != SB_ON; i--)
			;
		if (!i)
			return;
		sb = &s->sb[i - 1];
		b = find_backend(s, &sb->cfg.addr);
		s->under_since = 0;
		if (!b) {
			sb_stop(st, s, sb, now, "its back end is gone");
			return;
		}
		b->removing = true;
		b->removing_since = now;
		service_rebuild(st, s);
		sb_set(s, sb, SB_DRAINING, now,
		       "every back end below %u%% for %u s; draining",
		       s->scale.low, s->scale.for_s);
	}
}

void state_tick(struct lb_state *st)
{
	__u64 now = now_ns();
	size_t i;

	if (st->last_tick_ns) {
		__u64 gap_ms = (now - st->last_tick_ns) / 1000000;

		st->lag_last_ms = gap_ms > STATE_TICK_MS ? gap_ms - STATE_TICK_MS : 0;
		if (st->lag_last_ms > st->lag_max_ms)
			st->lag_max_ms = st->lag_last_ms;
	}
	st->last_tick_ns = now;

	for (i = 0; i < st->n_svc; i++) {
		struct lb_service *s = st->svc[i];
		int ret;

		if (now < s->next_eval)
			continue;
		s->next_eval = now + (__u64)s->load.interval_ms * 1000000ull;
		if (service_eval_load(st, s, now)) {
			ret = service_rebuild(st, s);
			if (ret)
				pr_warn("service %s: cannot rebuild the table: %s\n",
					s->name, strerror(-ret));
		}
		if (s->n_sb)
			scaler_step(st, s, now);
	}
}

/* ---- status ---- */

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
					__u64 wsum, __u64 live)
{
	struct json_object *o = json_object_new_object();
	char buf[LB_ADDRSTRLEN];
	struct lb_counters c;
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
	if (dp_stats_backend(st->dp, b->id, &c))
		memset(&c, 0, sizeof(c));
	add_counters(o, &c);
	return o;
}

static struct json_object *service_json(struct lb_state *st,
					const struct lb_service *s)
{
	struct json_object *o = json_object_new_object(), *arr;
	char buf[LB_ENDPOINTSTRLEN];
	struct lb_counters c;
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
	if (dp_stats_svc(st->dp, s->id, &c))
		memset(&c, 0, sizeof(c));
	add_counters(o, &c);
	arr = json_object_new_array();
	for (i = 0; i < s->n_be; i++)
		json_object_array_add(arr,
				      backend_json(st, &s->be[i], wsum, flows));
	json_object_object_add(o, "backends", arr);
	return o;
}

struct json_object *state_status_json(struct lb_state *st, bool fresh)
{
	static const char *const names[] = XLB_REASON_NAMES;
	struct reason_counters rc[XLB_REASON_MAX];
	struct json_object *o = json_object_new_object(), *arr, *r;
	char buf[32];
	size_t i;

	/* Fresh counts from a full sweep while that is quick; over a big
	 * table, those of the timer's last round (counts_age_ms old), so a
	 * status never holds the event loop for a whole sweep. */
	if (fresh || !st->counts_at || st->table_flows <= STATUS_SWEEP_MAX_FLOWS)
		state_sweep(st);
	json_object_object_add(o, "interface",
			       json_object_new_string(st->dp->ifname));
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
	json_object_object_add(o, "loop", r);
	json_object_object_add(o, "table_size",
			       json_object_new_int64(st->dp->table_size));
	json_object_object_add(o, "max_flows",
			       json_object_new_int64(st->dp->max_flows));
	arr = json_object_new_array();
	for (i = 0; i < st->n_svc; i++)
		json_object_array_add(arr, service_json(st, st->svc[i]));
	json_object_object_add(o, "services", arr);
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
		json_object_object_add(r, "mappings", json_object_new_int64(
						       dp_nat_count(st->dp)));
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
	if (!dp_stats_reasons(st->dp, rc))
		for (i = 0; i < XLB_REASON_MAX; i++)
			json_object_object_add(
				r, names[i],
				json_object_new_uint64(rc[i].packets));
	json_object_object_add(o, "outcomes", r);
	return o;
}
