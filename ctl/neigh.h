/* SPDX-License-Identifier: GPL-2.0-only */
/* Back-end MAC resolution from the interface's neighbour table. */
#ifndef XLB_NEIGH_H
#define XLB_NEIGH_H

#include <linux/types.h>

#include "addr.h"

/*
 * Find the MAC of addr on ifindex. If the neighbour table has no usable
 * entry, send one UDP datagram to addr (port 9, discard) out of ifname to
 * trigger ARP/ND and poll the table until timeout_ms. Returns 0, or
 * -EHOSTUNREACH when nothing answered, or another negative errno.
 */
int neigh_resolve(const char *ifname, int ifindex, const struct lb_addr *addr,
		  __u8 mac[6], int timeout_ms);

/*
 * The next hop toward addr out of ifindex, from the main routing table
 * (longest prefix): the route's gateway, or addr itself when it is on the
 * link. -ENETUNREACH when no route leaves through ifindex.
 */
int neigh_next_hop(int ifindex, const struct lb_addr *addr,
		   struct lb_addr *next_hop);

#endif
