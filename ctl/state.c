// SPDX-License-Identifier: GPL-2.0-only
/*
 * Services and back ends as the controller sees them, kept equal to the
 * data plane's maps. Ids are indexes into the maps; a back end keeps its id
 * for as long as it exists, so flows pinned to it stay valid across weight
 * changes, reloads and controller restarts.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "events.h"
#include "log.h"
#include "maglev.h"
#include "state_int.h"
#include "text.h"

#define RESOLVE_TIMEOUT_MS 1000

__u64 (*state_clock)(void);

int state_err(char *err, size_t errlen, int ret, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	text_oneline(err, errlen);
	return ret;
}

/* A back end as it starts: full load factor, no ramp, not a standby. */
void backend_init(struct lb_backend *b)
{
	memset(b, 0, sizeof(*b));
	b->factor = POLICY_ONE;
	b->ramp = POLICY_ONE;
}

/* Slow start begins now, at the ramp's start: the first table that has b
 * (added, or up again) gives it 5% of its weight, and status says so at
 * once, not only after the next load evaluation. */
void backend_ramp_begin(const struct lb_service *s, struct lb_backend *b)
{
	if (!s->load.slow_start)
		return;
	b->up_since = now_ns();
	b->ramp = policy_ramp(&s->load, b->up_since, b->up_since);
}

/* b's health state begins now (added, probes restarted, or flipped). */
void health_since_now(struct lb_backend *b)
{
	b->health_since_ns = now_ns();
	b->health_since_wall_ms = wall_ms();
	b->n_health_why = 0;
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
	free(st->ann.have);
	memset(st, 0, sizeof(*st));
}

int alloc_id(__u8 *used, __u32 max, __u32 *id)
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

size_t free_ids(const __u8 *used, __u32 max)
{
	size_t n = 0;
	__u32 i;

	for (i = 0; i < max; i++)
		n += !used[i];
	return n;
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

struct lb_service *find_by_vip(struct lb_state *st,
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

struct lb_backend *find_backend(struct lb_service *s,
				const struct lb_addr *a)
{
	size_t i;

	for (i = 0; i < s->n_be; i++)
		if (lb_addr_eq(&s->be[i].addr, a))
			return &s->be[i];
	return NULL;
}

struct lb_service *service_by_id(struct lb_state *st, __u32 id)
{
	size_t i;

	for (i = 0; i < st->n_svc; i++)
		if (st->svc[i]->id == id)
			return st->svc[i];
	return NULL;
}

struct lb_backend *backend_by_id(struct lb_service *s, __u32 id)
{
	size_t i;

	for (i = 0; i < s->n_be; i++)
		if (s->be[i].id == id)
			return &s->be[i];
	return NULL;
}

int backend_write(struct lb_state *st, struct lb_service *s,
		  const struct lb_backend *b)
{
	struct backend_info bi = {};

	memcpy(bi.mac, b->mac, 6);
	bi.state = backend_is_down(b) && !s->all_down ? XLB_BE_DOWN :
							  XLB_BE_ACTIVE;
	if (!backend_takes_new(b))
		bi.flags |= XLB_BE_F_NO_NEW;
	bi.family = b->addr.family;
	bi.svc_id = s->id;
	bi.port = htons(b->port);
	memcpy(bi.addr, b->addr.b, 16);
	return dp_backend_set(st->dp, b->id, &bi);
}

/*
 * Build the service's table from its back ends and swap it in. Back ends
 * that are down leave the table and their slot in the map says DOWN, so
 * flows pinned to them are balanced again. If every back end that should
 * take traffic is down, the last table and states stay (fail-open): a
 * broken health check must not blackhole a whole service.
 */
int service_rebuild(struct lb_state *st, struct lb_service *s)
{
	struct maglev_backend *mb;
	size_t i, candidates = 0, alive = 0;
	bool any = false, all_down;
	int ret;

	for (i = 0; i < s->n_be; i++) {
		const struct lb_backend *b = &s->be[i];

		if (!backend_takes_new(b))
			continue;
		candidates++;
		alive += !backend_is_down(b);
	}
	all_down = candidates > 0 && alive == 0;
	if (all_down && !s->all_down) {
		pr_warn("service %s: ALL %zu back ends are DOWN: keeping the last table (fail-open)\n",
			s->name, candidates);
		events_add("down", s->name, NULL,
			  "ALL %zu back ends are DOWN: last table kept",
			  candidates);
	} else if (!all_down && s->all_down) {
		pr_info("service %s: %zu back ends up again\n", s->name, alive);
		events_add("up", s->name, NULL, "%zu back ends up again", alive);
	}
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
	ret = any ? dp_table_set(st->dp, s->id, st->table) :
		    dp_table_del(st->dp, s->id);
	s->fp_valid = false;
	if (!ret) {
		s->rebuilds++;
		events_add("rebuild", s->name, NULL, "table rebuilt (%zu back ends)",
			  s->n_be);
	}
	return ret;
}

/* A probe flipped: new table, and the flows of down back ends go so that
 * clients' retries land on healthy ones. */
void service_health_changed(struct lb_state *st, struct lb_service *s)
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
	state_announce_sync(st); /* the VIP's route follows health */
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
void backend_release(struct lb_state *st, struct lb_backend *b)
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

/*
 * Add nb (address, weight, MAC, probe settings filled in) to s: a free id,
 * its slot cleared (counters too), its place in the sorted array, its
 * probes started, then its slot written. The probes start first because
 * they set the state the back end begins in (a standby starts down until
 * they pass), and the slot's first write must carry that state: written
 * before, a standby's slot would say ACTIVE until the next rebuild. The
 * caller rebuilds the table. Returns 0 with *out set, -ENOSPC (no free
 * id), -ENOMEM, or the slot write's error (the back end is then in s).
 */
int backend_add(struct lb_state *st, struct lb_service *s,
		const struct lb_backend *nb, bool start_down,
		struct lb_backend **out)
{
	struct lb_backend *b;
	__u32 id;

	*out = NULL;
	if (alloc_id(st->be_used, st->dp->max_backends, &id))
		return -ENOSPC;
	dp_backend_clear(st->dp, id);
	b = backend_insert(s, nb);
	if (!b) {
		st->be_used[id] = 0;
		return -ENOMEM;
	}
	b->id = id;
	probe_start_as(st, s, b, start_down);
	*out = b;
	return backend_write(st, s, b);
}

/*
 * Remove b from s now: out of the table first (no new flows), then its
 * slot cleared, its pinned flows deleted and its id freed. If the table
 * cannot be rebuilt nothing else happens (the old table may still name
 * b) and b stays, marked for removal. b points to nothing afterwards.
 */
int backend_remove_now(struct lb_state *st, struct lb_service *s,
		       struct lb_backend *b)
{
	bool out = b->removing; /* a removal drains out of the table */
	int ret;

	b->removing = true;
	if (!out) {
		ret = service_rebuild(st, s);
		if (ret)
			return ret;
	}
	backend_release(st, b);
	backend_remove_at(s, b - s->be);
	return 0;
}

/* backend_release() for every back end of s, with one walk of the flow
 * tables for all (a service of thousands of back ends goes in
 * milliseconds, not seconds of a blocked loop). */
static void service_release_backends(struct lb_state *st,
				     struct lb_service *s)
{
	struct backend_info *bis = calloc(s->n_be, sizeof(*bis));
	__u32 *ids = calloc(s->n_be, sizeof(*ids));
	size_t i;
	long n;

	if (!bis || !ids) { /* one walk each, as before */
		free(bis);
		free(ids);
		for (i = 0; i < s->n_be; i++)
			backend_release(st, &s->be[i]);
		return;
	}
	for (i = 0; i < s->n_be; i++) {
		probe_stop(&s->be[i]);
		ids[i] = s->be[i].id;
		if (dp_backend_get(st->dp, ids[i], &bis[i]))
			memset(&bis[i], 0, sizeof(bis[i]));
		dp_backend_clear(st->dp, ids[i]);
	}
	n = dp_flows_purge_backends(st->dp, ids, bis, s->n_be);
	if (n > 0)
		pr_info("service %s: removed %ld pinned flows of %zu back ends\n",
			s->name, n, s->n_be);
	for (i = 0; i < s->n_be; i++)
		st->be_used[ids[i]] = 0;
	free(bis);
	free(ids);
}

void service_remove(struct lb_state *st, struct lb_service *s)
{
	size_t i;

	dp_vip_del(st->dp, &s->vip, s->port, s->proto);
	dp_table_del(st->dp, s->id);
	service_release_backends(st, s);
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

struct lb_service *service_new(struct lb_state *st, const char *name,
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
		    bi.state == XLB_BE_UNUSED)
			continue;
		for (i = 0; i < st->n_svc; i++)
			if (st->svc[i]->id == bi.svc_id)
				break;
		if (i == st->n_svc ||
		    (bi.state != XLB_BE_ACTIVE && bi.state != XLB_BE_DOWN)) {
			/* orphan (its service is gone) or unknown: cleared */
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
		/* down when the controller stopped: stays down (its probes
		 * start from down) rather than taking new flows at once */
		nb.down = bi.state == XLB_BE_DOWN;
		if (backend_insert(st->svc[i], &nb)) {
			st->be_used[id] = 1;
			n++;
		}
	}
	pr_info("re-adopted %zu services and %zu back ends from %s\n",
		st->n_svc, n, st->dp->pin_dir);
	return 0;
}
