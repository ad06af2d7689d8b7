// SPDX-License-Identifier: GPL-2.0-only
/* Host routes for announced VIPs through rtnetlink (libnl-route). */
#include "route.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/rtnetlink.h>

#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/route.h>

static struct nl_sock *route_sock(void)
{
	struct nl_sock *sk = nl_socket_alloc();

	if (sk && nl_connect(sk, NETLINK_ROUTE)) {
		nl_socket_free(sk);
		return NULL;
	}
	return sk;
}

static int addr_len(const struct lb_addr *a)
{
	return a->family == AF_INET ? 4 : 16;
}

/* The route's identity and, to add it, its next hop: the device. */
static struct rtnl_route *host_route(const struct lb_addr *a, __u32 table,
				     __u8 proto, int ifindex)
{
	struct rtnl_route *r = rtnl_route_alloc();
	struct rtnl_nexthop *nh;
	struct nl_addr *dst;

	if (!r)
		return NULL;
	dst = nl_addr_build(a->family, a->b, addr_len(a));
	if (!dst) {
		rtnl_route_put(r);
		return NULL;
	}
	nl_addr_set_prefixlen(dst, addr_len(a) * 8);
	rtnl_route_set_family(r, a->family);
	rtnl_route_set_dst(r, dst);
	nl_addr_put(dst);
	rtnl_route_set_table(r, table);
	rtnl_route_set_protocol(r, proto);
	rtnl_route_set_type(r, RTN_UNICAST);
	if (ifindex) {
		rtnl_route_set_scope(r, RT_SCOPE_LINK);
		nh = rtnl_route_nh_alloc();
		if (!nh) {
			rtnl_route_put(r);
			return NULL;
		}
		rtnl_route_nh_set_ifindex(nh, ifindex);
		rtnl_route_add_nexthop(r, nh);
	}
	return r;
}

int route_host_set(const struct lb_addr *a, __u32 table, __u8 proto,
		   int ifindex, bool add)
{
	struct nl_sock *sk = route_sock();
	struct rtnl_route *r;
	int ret;

	if (!sk)
		return -NLE_BAD_SOCK;
	r = host_route(a, table, proto, add ? ifindex : 0);
	if (!r) {
		nl_socket_free(sk);
		return -NLE_NOMEM;
	}
	if (add)
		ret = rtnl_route_add(sk, r, NLM_F_CREATE | NLM_F_REPLACE);
	else
		ret = rtnl_route_delete(sk, r, 0);
	if (!add && ret == -NLE_OBJ_NOTFOUND)
		ret = 0;
	rtnl_route_put(r);
	nl_socket_free(sk);
	return ret;
}

const char *route_strerror(int err)
{
	return nl_geterror(err);
}

struct prune {
	struct nl_sock *sk;
	__u32 table;
	__u8 proto;
	int ifindex;
	const struct lb_addr *keep;
	size_t n_keep;
	int deleted, err;
};

static void prune_one(struct nl_object *obj, void *arg)
{
	struct rtnl_route *r = (struct rtnl_route *)obj;
	struct prune *p = arg;
	struct nl_addr *dst = rtnl_route_get_dst(r);
	struct lb_addr a = {};
	size_t i;
	int ret;

	struct rtnl_nexthop *nh = rtnl_route_nexthop_n(r, 0);

	if (rtnl_route_get_table(r) != p->table ||
	    rtnl_route_get_protocol(r) != p->proto || !dst || !nh ||
	    rtnl_route_nh_get_ifindex(nh) != p->ifindex)
		return;
	a.family = nl_addr_get_family(dst);
	if ((a.family != AF_INET && a.family != AF_INET6) ||
	    nl_addr_get_len(dst) != (unsigned int)addr_len(&a) ||
	    nl_addr_get_prefixlen(dst) != (unsigned int)addr_len(&a) * 8)
		return;
	memcpy(a.b, nl_addr_get_binary_addr(dst), addr_len(&a));
	for (i = 0; i < p->n_keep; i++)
		if (lb_addr_eq(&p->keep[i], &a))
			return;
	ret = rtnl_route_delete(p->sk, r, 0);
	if (ret < 0 && ret != -NLE_OBJ_NOTFOUND)
		p->err = ret;
	else
		p->deleted++;
}

int route_host_prune(__u32 table, __u8 proto, int ifindex,
		     const struct lb_addr *keep, size_t n_keep)
{
	struct prune p = { .table = table, .proto = proto, .ifindex = ifindex,
			   .keep = keep, .n_keep = n_keep };
	struct nl_cache *cache = NULL;
	int ret;

	p.sk = route_sock();
	if (!p.sk)
		return -NLE_BAD_SOCK;
	ret = rtnl_route_alloc_cache(p.sk, AF_UNSPEC, 0, &cache);
	if (ret < 0) {
		nl_socket_free(p.sk);
		return ret;
	}
	nl_cache_foreach(cache, prune_one, &p);
	nl_cache_free(cache);
	nl_socket_free(p.sk);
	return p.err ? p.err : p.deleted;
}
