// SPDX-License-Identifier: GPL-2.0-only
/*
 * Benchmark helper: fill a pinned xdp-lb IPv4 flow table (flows4, through
 * its mmap, ctl/flowtab.c) with N synthetic live flows (ESTABLISHED, last
 * seen now) to the VIP of back end ID's service, pinned to back end ID,
 * so the controller's sweep can be timed at scale. Flows are clients
 * 198.19.0.0/16, ports 1024.., taken in order; a flow whose bucket is
 * full is skipped (the next one is tried), so exactly N flows are in the
 * table and a second run with a larger N keeps the first ones. With
 * "nat", every flow also gets a source port and its reply mapping in
 * nat_rev (back-end addresses 198.18.16.0 + k / 65536, port k % 65536),
 * as a nat-mode flow has.
 * Usage: fill_flows PIN_DIR N ID [nat]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "xdp_lb.h"
#include "../ctl/flowtab.h" /* not bench/flowtab.h, the prototype */

static int pinned(const char *dir, const char *name)
{
	char path[512];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = bpf_obj_get(path);
	if (fd < 0)
		fprintf(stderr, "fill_flows: %s: %s\n", path, strerror(errno));
	return fd;
}

/* The IPv4 VIP of service svc (vip_tab4's current table). */
static int vip_of(const char *dir, __u32 svc, struct flow_key_v4 *fk)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info), zero = 0, id, i;
	struct vip_slot4 s;
	int outer = pinned(dir, "vip_tab4"), inner;

	if (outer < 0 || bpf_map_lookup_elem(outer, &zero, &id))
		return -1;
	inner = bpf_map_get_fd_by_id(id);
	if (inner < 0 || bpf_obj_get_info_by_fd(inner, &info, &len))
		return -1;
	for (i = 0; i < info.max_entries; i++) {
		__u8 proto;

		if (bpf_map_lookup_elem(inner, &i, &s) || !s.key ||
		    s.meta.svc_id != svc)
			continue;
		proto = (__u8)(s.key >> 48);
		if (proto != 6 && proto != 17)
			continue;
		fk->dst = (__u32)s.key;
		fk->dport = (__u16)(s.key >> 32);
		fk->proto = proto;
		return 0;
	}
	fprintf(stderr, "fill_flows: service %u has no IPv4 VIP\n", svc);
	return -1;
}

static int map4(const char *dir, struct xlb_ft *ft)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	int fd = pinned(dir, "flows4"), ret;

	if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len))
		return -1;
	ret = xlb_ft_map(ft, fd, info.max_entries);
	if (ret)
		fprintf(stderr, "fill_flows: mmap flows4: %s\n", strerror(-ret));
	return ret;
}

int main(int argc, char **argv)
{
	struct flow_key_v4 fk = {};
	struct backend_info bi;
	struct nat_key nk = {};
	struct nat_value nv = {};
	struct xlb_ft ft;
	struct timespec ts;
	int be_fd, nat_fd = -1;
	__u32 n, id, k, placed = 0;
	__u64 meta;
	__be16 lport = 0;

	if (argc != 4 && (argc != 5 || strcmp(argv[4], "nat"))) {
		fprintf(stderr, "usage: fill_flows PIN_DIR N BACKEND_ID [nat]\n");
		return 2;
	}
	n = strtoul(argv[2], NULL, 10);
	id = strtoul(argv[3], NULL, 10);
	be_fd = pinned(argv[1], "backends");
	if (be_fd < 0 || bpf_map_lookup_elem(be_fd, &id, &bi) ||
	    vip_of(argv[1], bi.svc_id, &fk) || map4(argv[1], &ft))
		return 1;
	if (argc == 5 && (nat_fd = pinned(argv[1], "nat_rev")) < 0)
		return 1;
	/* bpf_ktime_get_coarse_ns() is CLOCK_MONOTONIC_COARSE */
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	for (k = 0; placed < n && k < 0x40000000u; k++) {
		/* clients in 198.19.0.0/16 and on, ports 1024.. */
		fk.src = __builtin_bswap32(0xc6130000u + (k >> 14));
		fk.sport = __builtin_bswap16(1024 + (k & 0x3fff));
		if (nat_fd >= 0)
			lport = __builtin_bswap16(placed & 0xffff);
		meta = xlb_ft_meta(id, lport,
				   xlb_ft_seen((__u64)ts.tv_sec * 1000000000ull +
					       ts.tv_nsec),
				   XLB_FLOW_ESTABLISHED);
		if (!xlb_ft_place(&ft, xlb_ft_hash4(fk.src, fk.dst, fk.sport,
						    fk.dport, fk.proto),
				  xlb_ft_kw(fk.src, fk.sport, bi.svc_id), meta))
			continue; /* bucket full: the next client */
		if (nat_fd >= 0) {
			nk.baddr[0] = __builtin_bswap32(0xc6121000u +
							(placed >> 16));
			nk.bport = fk.dport;
			nk.lport = lport;
			nk.proto = fk.proto;
			nk.family = 2; /* AF_INET */
			nv.caddr[0] = fk.src;
			nv.vaddr[0] = fk.dst;
			nv.cport = fk.sport;
			nv.vport = fk.dport;
			if (bpf_map_update_elem(nat_fd, &nk, &nv, 0)) {
				fprintf(stderr, "fill_flows: nat_rev: %s\n",
					strerror(errno));
				return 1;
			}
		}
		placed++;
	}
	xlb_ft_unmap(&ft);
	printf("%u flows%s inserted\n", placed,
	       nat_fd >= 0 ? " and mappings" : "");
	return placed == n ? 0 : 1;
}
