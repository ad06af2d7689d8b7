// SPDX-License-Identifier: GPL-2.0-only
/*
 * Issue 14's prototype (bench/flowtab.bpf.c) as a live XDP program, for
 * bench/pps.sh: loads it with its own maps (2^20 buckets, counters 1 by
 * default), one service VIP:80/tcp whose 65,537 table slots name back ends
 * 1..3 in turn, the back ends' MAC BE_MAC, attaches it in native mode to
 * IFACE and exits (the attachment keeps program and maps; `ip link set
 * dev IFACE xdpdrv off` removes them). Bench only.
 * Usage: ft_attach IFACE VIP BE_MAC IF_MAC [COUNTERS] [VIP_INLINE]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>

#include "xdp_lb.h"
#include "ft_user.h"
#include "flowtab.skel.h"

static int die(const char *what, int err)
{
	fprintf(stderr, "ft_attach: %s: %s\n", what, strerror(err));
	return 1;
}

static int mac_parse(const char *s, __u8 *mac)
{
	return sscanf(s, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &mac[0], &mac[1],
		      &mac[2], &mac[3], &mac[4], &mac[5]) == 6 ? 0 : -1;
}

int main(int argc, char **argv)
{
	struct ft_opts o = { .nbuckets = 1u << 20, .vip_inline = 1,
			     .counters = 1,
			     .table_size = XLB_DEFAULT_TABLE_SIZE };
	struct vip_meta vm = { .svc_id = 1 };
	struct vip_key_v4 vk = { .proto = IPPROTO_TCP };
	__u8 be_mac[6];
	__u32 i, svc = 1, *ids, *keys, n;
	struct ft_inst fi;
	int ifindex, inner, err;

	if (argc < 5 || inet_pton(AF_INET, argv[2], &vk.addr) != 1 ||
	    mac_parse(argv[3], be_mac) || mac_parse(argv[4], o.if_mac)) {
		fprintf(stderr, "usage: ft_attach IFACE VIP BE_MAC IF_MAC "
				"[COUNTERS] [VIP_INLINE]\n");
		return 2;
	}
	ifindex = if_nametoindex(argv[1]);
	if (!ifindex)
		return die(argv[1], errno);
	if (argc > 5)
		o.counters = atoi(argv[5]);
	if (argc > 6)
		o.vip_inline = atoi(argv[6]);
	err = ft_load(&fi, &o);
	if (err)
		return die("load", -err);
	for (i = 1; i <= 3; i++) {
		struct backend_info bi = { .state = XLB_BE_ACTIVE,
					   .family = AF_INET, .svc_id = svc };

		memcpy(bi.mac, be_mac, 6);
		bi.addr[0] = htonl(0xc6120100u + 10 + i);
		if (bpf_map_update_elem(bpf_map__fd(fi.skel->maps.backends), &i,
					&bi, 0))
			return die("backends", errno);
	}
	n = XLB_DEFAULT_TABLE_SIZE;
	ids = calloc(n, sizeof(*ids));
	keys = calloc(n, sizeof(*keys));
	if (!ids || !keys)
		return die("table", ENOMEM);
	for (i = 0; i < n; i++) {
		keys[i] = i;
		ids[i] = 1 + i % 3;
	}
	inner = bpf_map_create(BPF_MAP_TYPE_ARRAY, "ft_svc", 4, 4, n, NULL);
	if (inner < 0 || bpf_map_update_batch(inner, keys, ids, &n, NULL) ||
	    bpf_map_update_elem(bpf_map__fd(fi.skel->maps.svc_tables), &svc,
				&inner, 0))
		return die("service table", errno);
	vk.port = htons(80);
	if (bpf_map_update_elem(bpf_map__fd(fi.skel->maps.vips_v4), &vk, &vm,
				0) ||
	    ft_vip_add(&fi, vk.addr, vk.port, IPPROTO_TCP, svc, 0))
		return die("VIP", errno ?: ENOSPC);
	if (bpf_xdp_attach(ifindex, fi.prog, XDP_FLAGS_DRV_MODE, NULL))
		return die("attach", errno);
	return 0;
}
