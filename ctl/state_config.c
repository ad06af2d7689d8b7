// SPDX-License-Identifier: GPL-2.0-only
/*
 * Reconcile: make the running state equal to a configuration, changing
 * only what differs. Everything that can fail without writing (sizes, ids,
 * MACs) is planned first; only then is the data plane changed.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "neigh.h"
#include "state_int.h"

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
void sync_icmp(struct lb_state *st)
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

/* The MAC frames to back end a go to: its own (dsr), or for a tunnel the
 * next hop's toward it, from the routing table. */
int resolve_mac(struct lb_state *st, const struct lb_addr *a,
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
			return state_err(err, errlen, -ENETUNREACH,
					 "no route to back end %s through '%s': %s (add one, or set its mac: the next hop's)",
					 lb_addr_str(a, ab, sizeof(ab)), ifname,
					 strerror(-ret));
		ret = neigh_resolve(ifname, ifindex, &hop, mac,
				    st->resolve_timeout_ms);
		if (ret)
			return state_err(err, errlen, -EHOSTUNREACH,
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
		return state_err(err, errlen, -EHOSTUNREACH,
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

bool cfg_has_backend(const struct lb_service_cfg *sc,
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
/* Ids the config needs against ids free once it applies. A removed
 * service frees its ids at once; a back end dropped from a service that
 * stays drains first (state_sweep frees it), so its id is not free yet. */
static int plan_capacity(struct lb_state *st, const struct lb_config *cfg,
			 char *err, size_t errlen)
{
	size_t need_svc = 0, need_be = 0, gone_svc = 0, gone_be = 0, held = 0;
	size_t i, j, free_be;

	for (i = 0; i < st->n_svc; i++) {
		struct lb_service *s = st->svc[i];
		const struct lb_service_cfg *sc = cfg_find(cfg, s);

		if (!sc) {
			gone_svc++;
			gone_be += s->n_be;
			continue;
		}
		for (j = 0; j < s->n_be; j++)
			held += !cfg_has_backend(sc, &s->be[j].addr) &&
				!cfg_standby(sc, &s->be[j].addr);
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
		return state_err(err, errlen, -ENOSPC,
				 "the config needs more services than max_services=%u",
				 st->dp->max_services);
	free_be = free_ids(st->be_used, st->dp->max_backends) + gone_be;
	if (need_be > free_be)
		return state_err(err, errlen, -ENOSPC,
				 "the config needs %zu new back ends, %zu ids are free of max_backends=%u (%zu held by back ends draining out: wait for them or raise max_backends)",
				 need_be, free_be, st->dp->max_backends, held);
	return 0;
}

const struct lb_backend_cfg *cfg_standby(const struct lb_service_cfg *sc,
					const struct lb_addr *a)
{
	size_t i;

	for (i = 0; i < sc->n_standby; i++)
		if (lb_addr_eq(&sc->standby[i].addr, a))
			return &sc->standby[i];
	return NULL;
}

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
				/* one that is down (re-adopted down) starts so */
				probe_start_as(st, s, b, b->down);
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
		if (!fresh) /* added to a running service */
			backend_ramp_begin(s, &nb);
		memcpy(nb.mac, macs[j], 6);
		ret = backend_add(st, s, &nb, false, &b);
		if (ret)
			return ret;
		*changed = true;
	}
	return 0;
}

/* What the data plane cannot do, before anything changes: nat without an
 * internal interface or a source address, other map sizes. */
static int check_fits(struct lb_state *st, const struct lb_config *cfg,
		      char *err, size_t errlen)
{
	size_t i;

	for (i = 0; i < cfg->n_services; i++) {
		const struct lb_service_cfg *sc = &cfg->services[i];
		bool v4 = sc->vip.family == AF_INET;

		if (!sc->nat)
			continue;
		if (!st->dp->int_ifindex)
			return state_err(err, errlen, -EINVAL,
					 "service %s: mode nat needs an internal interface (xdp-lb attach %s --internal IFACE)",
					 sc->name, st->dp->ifname);
		if (!(v4 ? cfg->nat_src4.family || st->dp->int_addr4.family :
			   cfg->nat_src6.family || st->dp->int_addr6.family))
			return state_err(err, errlen, -EINVAL,
					 "service %s: mode nat needs an %s source address: '%s' has none (set %s)",
					 sc->name, v4 ? "IPv4" : "IPv6",
					 st->dp->int_ifname,
					 v4 ? "nat_source" : "nat_source6");
	}
	if (cfg->table_size != st->dp->table_size ||
	    cfg->max_flows != st->dp->max_flows ||
	    cfg->max_services != st->dp->max_services ||
	    cfg->max_backends != st->dp->max_backends)
		return state_err(err, errlen, -EINVAL,
				 "table_size, max_flows, max_services and max_backends cannot change while attached: detach and attach again");
	return 0;
}

/* The global settings, and the data path's knobs written. */
static int apply_globals(struct lb_state *st, const struct lb_config *cfg)
{
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
	state_announce_config(st, &cfg->announce);
	return write_cfg(st);
}

static __u32 vip_flags_of(const struct lb_service_cfg *sc)
{
	return (sc->persist ? XLB_VIP_F_SRC_IP | (__u32)sc->persist_prefix
							 << XLB_VIP_PREFIX_SHIFT :
			      0) |
	       (sc->tunnel ? XLB_VIP_F_TUNNEL : 0) |
	       (sc->nat ? XLB_VIP_F_NAT : 0);
}

/* Bring one service to what sc says (added if new), macs: its back ends'. */
static int apply_service(struct lb_state *st, const struct lb_service_cfg *sc,
			 __u8 (*macs)[6])
{
	struct lb_service *s = find_by_vip(st, &sc->vip, sc->port, sc->proto);
	bool changed = false;
	__u32 old_flags, id;
	size_t j;
	int ret;

	if (!s) {
		ret = alloc_id(st->svc_used, st->dp->max_services, &id);
		if (ret)
			return ret;
		s = service_new(st, sc->name, &sc->vip, sc->port, sc->proto, id);
		if (!s) {
			st->svc_used[id] = 0;
			return -ENOMEM;
		}
		dp_stats_svc_clear(st->dp, id);
		changed = true;
		pr_info("service %s: added\n", sc->name);
	}
	snprintf(s->name, sizeof(s->name), "%s", sc->name);
	old_flags = s->vip_flags;
	s->vip_flags = vip_flags_of(sc);
	s->health = sc->health;
	s->agent = sc->agent;
	if (memcmp(&s->load, &sc->load, sizeof(s->load)))
		s->next_eval = 0; /* evaluate at the next tick */
	s->load = sc->load;
	s->announce = sc->announce;
	ret = sync_backends(st, s, sc, macs, &changed, changed);
	if (ret)
		return ret;
	sync_standby(st, s, sc);
	if ((old_flags ^ s->vip_flags) & XLB_VIP_F_TUNNEL)
		for (j = 0; j < s->n_be; j++) /* probes change path */
			if (!s->be[j].removing)
				probe_start(st, s, &s->be[j]);
	ret = service_rebuild(st, s);
	if (!ret)
		ret = dp_vip_set(st->dp, &s->vip, s->port, s->proto, s->id,
				 s->vip_flags);
	if (!ret && changed)
		pr_info("service %s: %zu back ends, table rebuilt\n", s->name,
			s->n_be);
	return ret;
}

int state_apply_config(struct lb_state *st, const struct lb_config *cfg,
		       char *err, size_t errlen)
{
	__u8(*macs)[6];
	size_t i, k, total = 0;
	int ret;

	ret = check_fits(st, cfg, err, errlen);
	if (ret)
		return ret;
	for (i = 0; i < cfg->n_services; i++)
		total += cfg->services[i].n_backends;
	macs = calloc(total ? total : 1, 6);
	if (!macs)
		return state_err(err, errlen, -ENOMEM, "out of memory");
	ret = plan_capacity(st, cfg, err, errlen);
	if (!ret)
		ret = plan_macs(st, cfg, macs, err, errlen);
	if (ret)
		goto out;

	/* Everything is known to fit: now change the data plane. */
	ret = apply_globals(st, cfg);
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
		ret = apply_service(st, &cfg->services[i], &macs[k]);
		if (ret)
			goto fail_apply;
	}
	sync_icmp(st);
	state_announce_sync(st);
	ret = 0;
	goto out;
fail_apply:
	snprintf(err, errlen, "cannot apply the config to the data plane: %s",
		 strerror(-ret));
out:
	free(macs);
	return ret;
}
