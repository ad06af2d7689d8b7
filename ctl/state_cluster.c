// SPDX-License-Identifier: GPL-2.0-only
/*
 * Several balancer nodes behind ECMP (docs/cluster.md): the VIP routes
 * this controller keeps in the announce table for a routing daemon to
 * export, gated by health and by `node drain`; and the table fingerprint
 * that shows two nodes pick the same back end for every flow.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api.h"
#include "log.h"
#include "route.h"
#include "state_int.h"

/* Back ends that take new flows now (up, weighted, not drained). */
static size_t backends_up(const struct lb_service *s)
{
	size_t i, n = 0;

	for (i = 0; i < s->n_be; i++)
		n += backend_effective_weight(&s->be[i]) > 0;
	return n;
}

static ssize_t have_index(const struct lb_announce *a,
			  const struct lb_addr *vip)
{
	size_t i;

	for (i = 0; i < a->n_have; i++)
		if (lb_addr_eq(&a->have[i], vip))
			return i;
	return -1;
}

/* How long until s's back ends have kept their health for hold_ms (0:
 * they have): a table still changing is not the other nodes' table. */
static __u64 settle_ms(const struct lb_state *st, const struct lb_service *s)
{
	__u64 now = now_ns(), hold = st->ann.cfg.hold_ms * 1000000ull, last = 0;
	size_t i;

	for (i = 0; i < s->n_be; i++)
		if (s->be[i].health_since_ns > last)
			last = s->be[i].health_since_ns;
	return now - last >= hold ? 0 : (hold - (now - last)) / 1000000;
}

/* Does some service of this VIP want it routed? One that is routed
 * stays while it can serve; a new one waits for its health to settle. */
static bool vip_wanted(const struct lb_state *st, const struct lb_addr *vip)
{
	bool routed = have_index(&st->ann, vip) >= 0;
	size_t i;

	if (st->ann.drained)
		return false;
	for (i = 0; i < st->n_svc; i++) {
		const struct lb_service *s = st->svc[i];

		if (s->announce && lb_addr_eq(&s->vip, vip) && backends_up(s) &&
		    (routed || !settle_ms(st, s)))
			return true;
	}
	return false;
}

static void route_failed(struct lb_announce *a, const struct lb_addr *vip,
			 int ret, const char *what)
{
	char buf[LB_ADDRSTRLEN];

	lb_addr_str(vip, buf, sizeof(buf));
	if (a->last_err != ret || strcmp(a->err_vip, buf))
		pr_warn("announce: cannot %s the route of %s in table %u: %s\n",
			what, buf, a->cfg.table, route_strerror(ret));
	a->last_err = ret;
	snprintf(a->err_vip, sizeof(a->err_vip), "%s", buf);
}

static void withdraw(struct lb_state *st, size_t i)
{
	struct lb_announce *a = &st->ann;
	char buf[LB_ADDRSTRLEN];
	int ret;

	ret = route_host_set(&a->have[i], a->cfg.table, a->cfg.protocol, 0,
			     false);
	if (ret) {
		route_failed(a, &a->have[i], ret, "delete");
		return;
	}
	pr_info("announce: %s withdrawn (table %u)\n",
		lb_addr_str(&a->have[i], buf, sizeof(buf)), a->cfg.table);
	a->have[i] = a->have[--a->n_have];
}

static void announce(struct lb_state *st, const struct lb_addr *vip)
{
	struct lb_announce *a = &st->ann;
	char buf[LB_ADDRSTRLEN];
	struct lb_addr *h;
	int ret;

	h = realloc(a->have, (a->n_have + 1) * sizeof(*h));
	if (!h)
		return;
	a->have = h;
	ret = route_host_set(vip, a->cfg.table, a->cfg.protocol,
			     st->dp->ifindex, true);
	if (ret) {
		route_failed(a, vip, ret, "add");
		return;
	}
	if (a->last_err && !strcmp(a->err_vip,
				   lb_addr_str(vip, buf, sizeof(buf))))
		a->last_err = 0;
	pr_info("announce: %s routed (table %u)\n",
		lb_addr_str(vip, buf, sizeof(buf)), a->cfg.table);
	a->have[a->n_have++] = *vip;
}

/* The kernel deletes a route whose device goes down, and anyone may flush
 * the table: the routes in place are added again every so often. */
#define ANNOUNCE_REFRESH_NS (2 * 1000000000ull)

static void refresh(struct lb_state *st)
{
	struct lb_announce *a = &st->ann;
	__u64 now = now_ns();
	size_t i;
	int ret;

	if (now - a->refreshed_ns < ANNOUNCE_REFRESH_NS)
		return;
	a->refreshed_ns = now;
	for (i = 0; i < a->n_have; i++) {
		ret = route_host_set(&a->have[i], a->cfg.table, a->cfg.protocol,
				     st->dp->ifindex, true);
		if (ret)
			route_failed(a, &a->have[i], ret, "refresh");
	}
}

void state_announce_sync(struct lb_state *st)
{
	struct lb_announce *a = &st->ann;
	size_t i;

	if (!a->configured)
		return;
	refresh(st);
	for (i = a->n_have; i-- > 0;)
		if (!vip_wanted(st, &a->have[i]))
			withdraw(st, i);
	for (i = 0; i < st->n_svc; i++) {
		const struct lb_service *s = st->svc[i];

		if (have_index(a, &s->vip) < 0 && vip_wanted(st, &s->vip))
			announce(st, &s->vip);
	}
}

void state_announce_config(struct lb_state *st,
			   const struct lb_announce_cfg *cfg)
{
	struct lb_announce *a = &st->ann;

	if (a->configured && (a->cfg.table != cfg->table ||
			      a->cfg.protocol != cfg->protocol)) {
		bool drained = a->drained;

		a->drained = true; /* out of the old table */
		state_announce_sync(st);
		a->drained = drained;
	}
	a->cfg = *cfg;
	a->configured = true;
}

/* The drain mark outlives the controller: /run/xdp-lb/IFACE.drained. */
static void drain_mark_path(const struct lb_state *st, char *buf,
			    size_t len)
{
	snprintf(buf, len, "%s/%s.drained", XLB_RUN_DIR, st->dp->ifname);
}

void state_announce_start(struct lb_state *st)
{
	struct lb_announce *a = &st->ann;
	char path[PATH_MAX];
	int ret;

	drain_mark_path(st, path, sizeof(path));
	if (!access(path, F_OK)) {
		a->drained = true;
		pr_info("node drained (%s): no VIP announced until `xdp-lb node undrain`\n",
			path);
	}
	state_announce_sync(st);
	ret = route_host_prune(a->cfg.table, a->cfg.protocol, st->dp->ifindex,
			       a->have, a->n_have);
	if (ret < 0)
		pr_warn("announce: cannot clear old routes of table %u: %s\n",
			a->cfg.table, route_strerror(ret));
	else if (ret)
		pr_info("announce: %d route(s) of an earlier run withdrawn\n",
			ret);
}

void state_announce_exit(struct lb_state *st)
{
	struct lb_announce *a = &st->ann;

	if (!a->configured || !a->n_have)
		return;
	if (!a->cfg.withdraw_on_exit) {
		pr_info("announce: %zu route(s) stay in table %u (withdraw_on_exit is off)\n",
			a->n_have, a->cfg.table);
		return;
	}
	a->drained = true;
	state_announce_sync(st);
}

int state_node_drain(struct lb_state *st, bool drain, char *err,
		     size_t errlen)
{
	char path[PATH_MAX];
	int fd;

	drain_mark_path(st, path, sizeof(path));
	if (drain) {
		fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
		if (fd < 0)
			return state_err(err, errlen, -errno,
					 "cannot write the drain mark %s: %s",
					 path, strerror(errno));
		close(fd);
	} else if (unlink(path) && errno != ENOENT) {
		return state_err(err, errlen, -errno,
				 "cannot remove the drain mark %s: %s", path,
				 strerror(errno));
	}
	if (st->ann.drained != drain)
		pr_info("node %s\n", drain ? "drained: withdrawing every VIP" :
					     "undrained: announcing again");
	st->ann.drained = drain;
	state_announce_sync(st);
	return 0;
}

/* ---- status ---- */

void state_cluster_json(struct lb_state *st, struct json_object *o)
{
	const struct lb_announce *a = &st->ann;
	struct json_object *r = json_object_new_object(), *arr;
	char buf[LB_ADDRSTRLEN];
	size_t i;

	json_object_object_add(r, "drained", json_object_new_boolean(a->drained));
	json_object_object_add(r, "table", json_object_new_int64(a->cfg.table));
	json_object_object_add(r, "protocol",
			       json_object_new_int64(a->cfg.protocol));
	json_object_object_add(r, "hold_ms", json_object_new_int64(a->cfg.hold_ms));
	json_object_object_add(r, "withdraw_on_exit",
			       json_object_new_boolean(a->cfg.withdraw_on_exit));
	arr = json_object_new_array();
	for (i = 0; i < a->n_have; i++)
		json_object_array_add(arr, json_object_new_string(lb_addr_str(
					      &a->have[i], buf, sizeof(buf))));
	json_object_object_add(r, "routes", arr);
	json_object_object_add(r, "error", json_object_new_string(
		a->last_err ? route_strerror(a->last_err) : ""));
	json_object_object_add(o, "node", r);
}

/* Why s's VIP is (not) announced. */
static bool announce_why(const struct lb_state *st, const struct lb_service *s,
			 char *buf, size_t len)
{
	const struct lb_announce *a = &st->ann;
	bool routed = have_index(a, &s->vip) >= 0;
	size_t up = backends_up(s);
	char vb[LB_ADDRSTRLEN];

	if (!s->announce)
		snprintf(buf, len, "announce is off for this service");
	else if (a->drained)
		snprintf(buf, len, "node drained");
	else if (!up)
		snprintf(buf, len, "no back end up%s", routed ?
			 " (another service of the vip keeps it routed)" : "");
	else if (!routed && settle_ms(st, s))
		snprintf(buf, len, "health settling: %llu ms to go (hold_ms)",
			 (unsigned long long)settle_ms(st, s));
	else if (!routed)
		snprintf(buf, len, "route not added: %s",
			 a->last_err && !strcmp(a->err_vip,
						lb_addr_str(&s->vip, vb,
							    sizeof(vb))) ?
				 route_strerror(a->last_err) :
				 "pending");
	else
		snprintf(buf, len, "%zu of %zu back ends up", up, s->n_be);
	return s->announce && routed;
}

/*
 * A hash (64-bit FNV-1a) of the table in the map, slot by slot, naming each
 * slot's back end by its address (ids differ from node to node): equal on
 * every node with the same back ends and weights.
 */
static int table_fingerprint_read(struct lb_state *st, struct lb_service *s,
				  __u64 *out)
{
	__u64 h = 0xcbf29ce484222325ull;
	__u32 i, j, n = st->dp->table_size;
	const struct lb_backend *b = NULL;
	__u32 *t = calloc(n, sizeof(*t));
	__u8 rec[17];
	int ret;

	if (!t)
		return -ENOMEM;
	ret = dp_table_get(st->dp, s->id, t);
	for (i = 0; !ret && i < n; i++) {
		if (!b || b->id != t[i])
			b = backend_by_id(s, t[i]);
		memset(rec, b ? 0 : 0xff, sizeof(rec));
		if (b) {
			rec[0] = b->addr.family;
			memcpy(rec + 1, b->addr.b,
			       b->addr.family == AF_INET ? 4 : 16);
		}
		for (j = 0; j < sizeof(rec); j++)
			h = (h ^ rec[j]) * 0x100000001b3ull;
	}
	free(t);
	*out = h;
	return ret;
}

/* The same, read from the map once per table (service_rebuild clears
 * fp_valid), not on every status: the map takes a syscall per slot, and
 * status is polled. */
static int table_fingerprint(struct lb_state *st, struct lb_service *s,
			     __u64 *out)
{
	if (!s->fp_valid) {
		s->fp_ret = table_fingerprint_read(st, s, &s->fp);
		s->fp_valid = true;
	}
	*out = s->fp;
	return s->fp_ret;
}

void state_cluster_service_json(struct lb_state *st,
				const struct lb_service *s,
				struct json_object *o)
{
	struct json_object *r = json_object_new_object();
	char buf[160];
	__u64 fp;
	bool routed = announce_why(st, s, buf, sizeof(buf));

	json_object_object_add(r, "enabled", json_object_new_boolean(s->announce));
	json_object_object_add(r, "announced", json_object_new_boolean(routed));
	json_object_object_add(r, "why", json_object_new_string(buf));
	json_object_object_add(o, "announce", r);
	if (table_fingerprint(st, (struct lb_service *)s, &fp))
		snprintf(buf, sizeof(buf), "none");
	else
		snprintf(buf, sizeof(buf), "%016llx", (unsigned long long)fp);
	json_object_object_add(o, "fingerprint", json_object_new_string(buf));
}
