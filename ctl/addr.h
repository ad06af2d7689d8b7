/* SPDX-License-Identifier: GPL-2.0-only */
/* Addresses, endpoints and MACs: parsing and formatting. */
#ifndef XLB_ADDR_H
#define XLB_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>

/* An IPv4 or IPv6 address; IPv4 lives in b[0..3], the rest is zero. */
struct lb_addr {
	int family; /* AF_INET or AF_INET6 */
	union {
		__u8 b[16];
		__be32 w[4];
	};
};

#define LB_ADDRSTRLEN 46	/* INET6_ADDRSTRLEN */
#define LB_ENDPOINTSTRLEN 64	/* "[addr]:port/proto" */
#define LB_MACSTRLEN 18

/* Parse "198.18.0.1" or "fd00::1"; returns 0 or -EINVAL. */
int lb_addr_parse(const char *s, struct lb_addr *a);
/* Format into buf (at least LB_ADDRSTRLEN); returns buf. */
const char *lb_addr_str(const struct lb_addr *a, char *buf, size_t len);
bool lb_addr_eq(const struct lb_addr *a, const struct lb_addr *b);
/* Total order: IPv4 before IPv6, then bytewise. */
int lb_addr_cmp(const struct lb_addr *a, const struct lb_addr *b);

/* Parse "tcp"/"udp" into IPPROTO_*; returns 0 or -EINVAL. */
int lb_proto_parse(const char *s, __u8 *proto);
const char *lb_proto_str(__u8 proto);

/* Parse "VIP:PORT/PROTO", IPv6 as "[addr]:port/proto"; 0 or -EINVAL. */
int lb_endpoint_parse(const char *s, struct lb_addr *a, __u16 *port,
		      __u8 *proto);
const char *lb_endpoint_str(const struct lb_addr *a, __u16 port, __u8 proto,
			    char *buf, size_t len);

/* Parse "02:00:00:00:00:12": six hex pairs, a unicast address. 0,
 * -EINVAL (not a MAC) or -EADDRNOTAVAIL (broadcast, multicast, all-zero). */
int lb_mac_parse(const char *s, __u8 mac[6]);
/* "not a MAC address (like ...)" or "not a unicast MAC address (...)". */
const char *lb_mac_problem(int err);
const char *lb_mac_str(const __u8 mac[6], char *buf, size_t len);

/* Parse a decimal unsigned integer within [min, max]; 0 or -EINVAL/-ERANGE. */
int lb_u32_parse(const char *s, __u32 min, __u32 max, __u32 *out);

#endif
