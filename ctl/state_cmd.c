// SPDX-License-Identifier: GPL-2.0-only
/*
 * Runtime commands from the control socket: services and back ends added,
 * deleted, drained and weighted while traffic flows. Each validates first;
 * a rejected command leaves the data plane as it was.
 */
#include <errno.h>
#include <string.h>

#include "events.h"
#include "log.h"
#include "state_int.h"

static int get_service(struct lb_state *st, const char *spec,
		       struct lb_service **sp, char *err, size_t errlen)
{
	*sp = state_find_service(st, spec);
	if (!*sp)
		return state_err(err, errlen, -ENOENT, "no service '%s'", spec);
	return 0;
}

static int parse_backend_addr(const struct lb_service *s, const char *addr,
			      struct lb_addr *a, char *err, size_t errlen)
{
	if (lb_addr_parse(addr, a))
		return state_err(err, errlen, -EINVAL,
				 "'%s' is not an IPv4 or IPv6 address", addr);
	if (a->family != s->vip.family)
		return state_err(err, errlen, -EINVAL,
				 "back end %s is not of the same family as service %s",
				 addr, s->name);
	return 0;
}

/* Rebuild s's table; on failure say so in err. */
static int rebuild(struct lb_state *st, struct lb_service *s, char *err,
		   size_t errlen)
{
	int ret = service_rebuild(st, s);

	if (ret)
		return state_err(err, errlen, ret,
				 "cannot rebuild the table: %s",
				 strerror(-ret));
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
		return state_err(err, errlen, -EINVAL,
				 "'%s' is not a valid service name (1-63 of A-Z a-z 0-9 _ . -)",
				 name);
	if (lb_endpoint_parse(endpoint, &vip, &port, &proto))
		return state_err(err, errlen, -EINVAL,
				 "'%s' is not VIP:PORT/PROTO (IPv6 as [addr]:port/proto, proto tcp or udp)",
				 endpoint);
	if (state_find_service(st, name))
		return state_err(err, errlen, -EEXIST,
				 "a service named '%s' exists already", name);
	s = find_by_vip(st, &vip, port, proto);
	if (s)
		return state_err(err, errlen, -EEXIST,
				 "service '%s' has %s already", s->name, endpoint);
	if (alloc_id(st->svc_used, st->dp->max_services, &id))
		return state_err(err, errlen, -ENOSPC,
				 "no room for another service (max_services=%u)",
				 st->dp->max_services);
	s = service_new(st, name, &vip, port, proto, id);
	if (!s) {
		st->svc_used[id] = 0;
		return state_err(err, errlen, -ENOMEM, "out of memory");
	}
	dp_stats_svc_clear(st->dp, id);
	ret = dp_vip_set(st->dp, &vip, port, proto, id, 0);
	if (ret) {
		service_remove(st, s);
		return state_err(err, errlen, ret, "cannot add the VIP: %s",
				 ret == -ENOSPC ?
					 "no free slot near its place in the VIP table (a larger max_services makes the table larger)" :
					 strerror(-ret));
	}
	sync_icmp(st);
	pr_info("service %s: added %s\n", name, endpoint);
	events_add("service", name, NULL, "added %s", endpoint);
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
	events_add("service", s->name, NULL, "removed");
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
		return state_err(err, errlen, -EINVAL,
				 "weight %u is out of range 0..%u", weight,
				 LB_WEIGHT_MAX);
	ret = mac ? lb_mac_parse(mac, nb.mac) : 0;
	if (ret)
		return state_err(err, errlen, -EINVAL, "'%s' is %s", mac,
				 lb_mac_problem(ret));
	b = find_backend(s, &nb.addr);
	if (b && b->removing) {
		/* Added back while it drained for removal: keep it. */
		b->removing = false;
		b->drained = false;
		b->weight = weight;
		if (mac) {
			memcpy(b->mac, nb.mac, sizeof(b->mac));
			backend_write(st, s, b);
		}
		ret = rebuild(st, s, err, errlen);
		if (ret)
			return ret;
		pr_info("service %s: back end %s kept, weight %u\n", s->name,
			addr, weight);
		return 0;
	}
	if (b)
		return state_err(err, errlen, -EEXIST,
				 "service '%s' has back end %s already", s->name,
				 addr);
	if (!mac) {
		ret = resolve_mac(st, &nb.addr, s->vip_flags, nb.mac, err,
				  errlen);
		if (ret)
			return ret;
	}
	nb.weight = weight;
	nb.hc = s->health;
	nb.ac = s->agent;
	backend_ramp_begin(s, &nb);
	ret = backend_add(st, s, &nb, false, &b);
	if (ret == -ENOSPC)
		return state_err(err, errlen, ret,
				 "no room for another back end (max_backends=%u)",
				 st->dp->max_backends);
	if (ret == -ENOMEM)
		return state_err(err, errlen, ret, "out of memory");
	if (!ret)
		ret = service_rebuild(st, s);
	if (ret)
		return state_err(err, errlen, ret, "cannot add the back end: %s",
				 strerror(-ret));
	pr_info("service %s: back end %s added, weight %u\n", s->name, addr,
		weight);
	events_add("add", s->name, addr, "added, weight %u", weight);
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
		return state_err(err, errlen, -ENOENT,
				 "service '%s' has no back end %s", (*sp)->name,
				 addr);
	return 0;
}

/* Drain and weight do not apply to a back end on its way out. */
static int not_removing(const struct lb_service *s, const struct lb_backend *b,
			const char *addr, char *err, size_t errlen)
{
	if (b->removing)
		return state_err(err, errlen, -EBUSY,
				 "back end %s of '%s' is being removed", addr,
				 s->name);
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
		ret = rebuild(st, s, err, errlen);
		if (ret)
			return ret;
		pr_info("service %s: back end %s draining before removal\n",
			s->name, addr);
		events_add("remove", s->name, addr, "draining before removal");
		state_sweep(st); /* gone at once if nothing is pinned */
		return 0;
	}
	ret = backend_remove_now(st, s, b);
	if (ret)
		return state_err(err, errlen, ret,
				 "cannot rebuild the table: %s",
				 strerror(-ret));
	pr_info("service %s: back end %s removed now\n", s->name, addr);
	events_add("remove", s->name, addr, "removed now");
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
	if (!ret)
		ret = not_removing(s, b, addr, err, errlen);
	if (ret)
		return ret;
	b->drained = drain;
	ret = rebuild(st, s, err, errlen);
	if (ret)
		return ret;
	pr_info("service %s: back end %s %s\n", s->name, addr,
		drain ? "draining" : "undrained");
	events_add(drain ? "drain" : "undrain", s->name, addr, "%s",
		  drain ? "draining" : "undrained");
	return 0;
}

int state_backend_weight(struct lb_state *st, const char *spec,
			 const char *addr, __u32 weight, char *err,
			 size_t errlen)
{
	struct lb_service *s;
	struct lb_backend *b;
	bool was_drained;
	__u32 old;
	int ret;

	if (weight > LB_WEIGHT_MAX)
		return state_err(err, errlen, -EINVAL,
				 "weight %u is out of range 0..%u", weight,
				 LB_WEIGHT_MAX);
	ret = get_backend(st, spec, addr, &s, &b, err, errlen);
	if (!ret)
		ret = not_removing(s, b, addr, err, errlen);
	if (ret)
		return ret;
	old = b->weight;
	was_drained = b->drained;
	b->weight = weight;
	b->drained = false;
	ret = rebuild(st, s, err, errlen);
	if (ret) { /* the table did not change: neither does the back end */
		b->weight = old;
		b->drained = was_drained;
		backend_write(st, s, b); /* its slot's XLB_BE_F_NO_NEW too */
		return ret;
	}
	pr_info("service %s: back end %s weight %u -> %u\n", s->name, addr,
		old, weight);
	events_add("weight", s->name, addr, "weight %u -> %u", old, weight);
	return 0;
}
