// SPDX-License-Identifier: GPL-2.0-only
/* Addresses, endpoints and MACs: parsing and formatting. */
#include "addr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int lb_addr_parse(const char *s, struct lb_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (!s || !*s)
		return -EINVAL;
	if (inet_pton(AF_INET, s, a->b) == 1) {
		a->family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, a->b) == 1) {
		a->family = AF_INET6;
		return 0;
	}
	return -EINVAL;
}

const char *lb_addr_str(const struct lb_addr *a, char *buf, size_t len)
{
	if (!inet_ntop(a->family, a->b, buf, len))
		snprintf(buf, len, "?");
	return buf;
}

bool lb_addr_eq(const struct lb_addr *a, const struct lb_addr *b)
{
	return a->family == b->family && !memcmp(a->b, b->b, sizeof(a->b));
}

int lb_addr_cmp(const struct lb_addr *a, const struct lb_addr *b)
{
	if (a->family != b->family)
		return a->family == AF_INET ? -1 : 1;
	return memcmp(a->b, b->b, sizeof(a->b));
}

int lb_proto_parse(const char *s, __u8 *proto)
{
	if (!strcasecmp(s, "tcp"))
		*proto = IPPROTO_TCP;
	else if (!strcasecmp(s, "udp"))
		*proto = IPPROTO_UDP;
	else
		return -EINVAL;
	return 0;
}

const char *lb_proto_str(__u8 proto)
{
	switch (proto) {
	case IPPROTO_TCP:
		return "tcp";
	case IPPROTO_UDP:
		return "udp";
	default:
		return "?";
	}
}

int lb_u32_parse(const char *s, __u32 min, __u32 max, __u32 *out)
{
	unsigned long long v;
	char *end;

	if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end)
		return -EINVAL;
	if (errno || v < min || v > max)
		return -ERANGE;
	*out = (__u32)v;
	return 0;
}

int lb_endpoint_parse(const char *s, struct lb_addr *a, __u16 *port,
		      __u8 *proto)
{
	char buf[LB_ENDPOINTSTRLEN];
	char *host, *p, *slash;
	__u32 v;

	if (!s || strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	slash = strrchr(buf, '/');
	if (!slash)
		return -EINVAL;
	*slash = '\0';
	if (lb_proto_parse(slash + 1, proto))
		return -EINVAL;
	if (buf[0] == '[') {
		host = buf + 1;
		p = strchr(host, ']');
		if (!p || p[1] != ':')
			return -EINVAL;
		*p = '\0';
		p += 2;
		if (lb_addr_parse(host, a) || a->family != AF_INET6)
			return -EINVAL;
	} else {
		host = buf;
		p = strrchr(buf, ':');
		if (!p)
			return -EINVAL;
		*p++ = '\0';
		if (lb_addr_parse(host, a) || a->family != AF_INET)
			return -EINVAL;
	}
	if (lb_u32_parse(p, 1, 65535, &v))
		return -EINVAL;
	*port = (__u16)v;
	return 0;
}

const char *lb_endpoint_str(const struct lb_addr *a, __u16 port, __u8 proto,
			    char *buf, size_t len)
{
	char ab[LB_ADDRSTRLEN];

	lb_addr_str(a, ab, sizeof(ab));
	if (a->family == AF_INET6)
		snprintf(buf, len, "[%s]:%u/%s", ab, port, lb_proto_str(proto));
	else
		snprintf(buf, len, "%s:%u/%s", ab, port, lb_proto_str(proto));
	return buf;
}

static int hex_digit(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* Exactly six pairs of hex digits separated by ':' (no signs, no spaces,
 * no single digits: sscanf's %x took "-1" and " 0"), then unicast. */
int lb_mac_parse(const char *s, __u8 mac[6])
{
	__u8 m[6], any = 0;
	int i, hi, lo;

	if (!s || strlen(s) != 17)
		return -EINVAL;
	for (i = 0; i < 6; i++) {
		hi = hex_digit(s[i * 3]);
		lo = hex_digit(s[i * 3 + 1]);
		if (hi < 0 || lo < 0 || (i < 5 && s[i * 3 + 2] != ':'))
			return -EINVAL;
		m[i] = (__u8)(hi << 4 | lo);
		any |= m[i];
	}
	if (!any || (m[0] & 1)) /* all-zero; group bit: multicast, broadcast */
		return -EADDRNOTAVAIL;
	memcpy(mac, m, 6);
	return 0;
}

const char *lb_mac_problem(int err)
{
	return err == -EADDRNOTAVAIL ?
		       "not a unicast MAC address (broadcast, multicast and all-zero are refused)" :
		       "not a MAC address (like 02:00:00:00:00:12)";
}

const char *lb_mac_str(const __u8 mac[6], char *buf, size_t len)
{
	snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1],
		 mac[2], mac[3], mac[4], mac[5]);
	return buf;
}
