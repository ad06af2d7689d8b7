/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Host routes for announced VIPs, through rtnetlink (libnl-route): added
 * to and deleted from one kernel table, marked with a protocol number of
 * our own, so a routing daemon can import them and nothing else is ever
 * touched.
 */
#ifndef XLB_ROUTE_H
#define XLB_ROUTE_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "addr.h"

/* Every function returns 0 (or a count) or a negative libnl error code,
 * which route_strerror() names. */
const char *route_strerror(int err);
/* Add (or replace) the /32 or /128 route of a in table, protocol proto,
 * through device ifindex; or delete it (add false: a route already gone
 * is not an error). */
int route_host_set(const struct lb_addr *a, __u32 table, __u8 proto,
		   int ifindex, bool add);
/* Delete every host route of table with protocol proto through device
 * ifindex whose address is not one of keep[]: what an earlier controller
 * of that interface left (a controller of another interface keeps its
 * own). Returns how many went. */
int route_host_prune(__u32 table, __u8 proto, int ifindex,
		     const struct lb_addr *keep, size_t n_keep);

#endif
