// SPDX-License-Identifier: GPL-2.0-only
/* Back-end MAC resolution through rtnetlink (libnl-route). */
#include "neigh.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <netlink/netlink.h>
#include <netlink/route/neighbour.h>
#include <netlink/route/route.h>

static int lookup(struct nl_sock *sk, int ifindex, const struct lb_addr *a,
		  __u8 mac[6])
{
	struct nl_cache *cache = NULL;
	struct rtnl_neigh *n;
	struct nl_addr *dst, *ll;
	int ret = -ENOENT, state;

	if (rtnl_neigh_alloc_cache(sk, &cache) < 0)
		return -EIO;
	dst = nl_addr_build(a->family, a->b, a->family == AF_INET ? 4 : 16);
	if (!dst) {
		nl_cache_free(cache);
		return -ENOMEM;
	}
	n = rtnl_neigh_get(cache, ifindex, dst);
	if (n) {
		state = rtnl_neigh_get_state(n);
		ll = rtnl_neigh_get_lladdr(n);
		if (ll && nl_addr_get_len(ll) == 6 &&
		    (state & (NUD_REACHABLE | NUD_STALE | NUD_DELAY |
			      NUD_PROBE | NUD_PERMANENT | NUD_NOARP))) {
			memcpy(mac, nl_addr_get_binary_addr(ll), 6);
			ret = 0;
		}
		rtnl_neigh_put(n);
	}
	nl_addr_put(dst);
	nl_cache_free(cache);
	return ret;
}

/* One datagram to the discard port makes the kernel resolve the address. */
static void trigger(const char *ifname, const struct lb_addr *a)
{
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6,
				   .sin6_port = htons(9) };
	struct sockaddr_in s4 = { .sin_family = AF_INET,
				  .sin_port = htons(9) };
	int fd;

	fd = socket(a->family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return;
	setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname, strlen(ifname));
	if (a->family == AF_INET) {
		memcpy(&s4.sin_addr, a->b, 4);
		sendto(fd, "", 0, 0, (struct sockaddr *)&s4, sizeof(s4));
	} else {
		memcpy(&s6.sin6_addr, a->b, 16);
		sendto(fd, "", 0, 0, (struct sockaddr *)&s6, sizeof(s6));
	}
	close(fd);
}

int neigh_resolve(const char *ifname, int ifindex, const struct lb_addr *addr,
		  __u8 mac[6], int timeout_ms)
{
	struct timespec ts = { .tv_nsec = 20 * 1000 * 1000 };
	struct nl_sock *sk;
	int ret, waited;

	sk = nl_socket_alloc();
	if (!sk)
		return -ENOMEM;
	if (nl_connect(sk, NETLINK_ROUTE) < 0) {
		nl_socket_free(sk);
		return -EIO;
	}
	ret = lookup(sk, ifindex, addr, mac);
	for (waited = 0; ret == -ENOENT && waited < timeout_ms; waited += 20) {
		if (waited % 500 == 0)
			trigger(ifname, addr);
		nanosleep(&ts, NULL);
		ret = lookup(sk, ifindex, addr, mac);
	}
	nl_socket_free(sk);
	return ret == -ENOENT ? -EHOSTUNREACH : ret;
}

struct best_route {
	struct nl_addr *dst;
	int ifindex;
	int best_len;
	bool found, has_gw;
	struct lb_addr gw;
};

static void consider(struct nl_object *obj, void *arg)
{
	struct rtnl_route *r = (struct rtnl_route *)obj;
	struct best_route *b = arg;
	struct rtnl_nexthop *nh;
	struct nl_addr *rd = rtnl_route_get_dst(r), *gw;
	int plen = rd ? (int)nl_addr_get_prefixlen(rd) : 0;

	if (rtnl_route_get_table(r) != RT_TABLE_MAIN ||
	    rtnl_route_get_type(r) != RTN_UNICAST ||
	    rtnl_route_get_nnexthops(r) < 1)
		return;
	nh = rtnl_route_nexthop_n(r, 0);
	if (rtnl_route_nh_get_ifindex(nh) != b->ifindex)
		return;
	if (rd && plen && nl_addr_cmp_prefix(rd, b->dst))
		return;
	if (b->found && plen <= b->best_len)
		return;
	b->found = true;
	b->best_len = plen;
	gw = rtnl_route_nh_get_gateway(nh);
	b->has_gw = gw != NULL;
	if (gw) {
		memset(&b->gw, 0, sizeof(b->gw));
		b->gw.family = nl_addr_get_family(gw);
		memcpy(b->gw.b, nl_addr_get_binary_addr(gw),
		       nl_addr_get_len(gw) > 16 ? 16 : nl_addr_get_len(gw));
	}
}

int neigh_next_hop(int ifindex, const struct lb_addr *addr,
		   struct lb_addr *next_hop)
{
	struct best_route b = { .ifindex = ifindex };
	struct nl_cache *cache = NULL;
	struct nl_sock *sk;
	int ret = 0;

	sk = nl_socket_alloc();
	if (!sk)
		return -ENOMEM;
	if (nl_connect(sk, NETLINK_ROUTE) < 0 ||
	    rtnl_route_alloc_cache(sk, addr->family, 0, &cache) < 0) {
		nl_socket_free(sk);
		return -EIO;
	}
	b.dst = nl_addr_build(addr->family, addr->b,
			      addr->family == AF_INET ? 4 : 16);
	if (!b.dst) {
		ret = -ENOMEM;
		goto out;
	}
	nl_cache_foreach(cache, consider, &b);
	if (!b.found)
		ret = -ENETUNREACH;
	else
		*next_hop = b.has_gw ? b.gw : *addr;
	nl_addr_put(b.dst);
out:
	nl_cache_free(cache);
	nl_socket_free(sk);
	return ret;
}
