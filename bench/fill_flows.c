// SPDX-License-Identifier: GPL-2.0-only
/*
 * Benchmark helper: fill a pinned xdp-lb flow table with N synthetic live
 * IPv4 flows (ESTABLISHED, last seen now) pinned to back-end id ID, so the
 * controller's sweep can be timed at scale. With "nat", every flow also
 * gets a source port and its reply mapping in nat_rev (back-end addresses
 * 198.18.16.0 + k / 65536, port k % 65536), as a nat-mode flow has.
 * Usage: fill_flows PIN_DIR N ID [nat]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>

#include "xdp_lb.h"

#define BATCH 8192

int main(int argc, char **argv)
{
	struct flow_key_v4 *keys;
	struct flow_value *vals;
	struct nat_key *nks;
	struct nat_value *nvs;
	int nat_fd = -1;
	struct timespec ts;
	char path[512];
	__u32 n, id, i, j, count;
	__u64 now;
	int fd;

	if (argc != 4 && (argc != 5 || strcmp(argv[4], "nat"))) {
		fprintf(stderr, "usage: fill_flows PIN_DIR N BACKEND_ID [nat]\n");
		return 2;
	}
	n = strtoul(argv[2], NULL, 10);
	id = strtoul(argv[3], NULL, 10);
	snprintf(path, sizeof(path), "%s/flows_v4", argv[1]);
	fd = bpf_obj_get(path);
	if (fd < 0) {
		fprintf(stderr, "fill_flows: %s: %s\n", path, strerror(errno));
		return 1;
	}
	if (argc == 5) {
		snprintf(path, sizeof(path), "%s/nat_rev", argv[1]);
		nat_fd = bpf_obj_get(path);
		if (nat_fd < 0) {
			fprintf(stderr, "fill_flows: %s: %s\n", path,
				strerror(errno));
			return 1;
		}
	}
	keys = calloc(BATCH, sizeof(*keys));
	vals = calloc(BATCH, sizeof(*vals));
	nks = calloc(BATCH, sizeof(*nks));
	nvs = calloc(BATCH, sizeof(*nvs));
	if (!keys || !vals || !nks || !nvs)
		return 1;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (__u64)ts.tv_sec * 1000000000ull + ts.tv_nsec;
	for (i = 0; i < n; i += count) {
		count = n - i < BATCH ? n - i : BATCH;
		for (j = 0; j < count; j++) {
			__u32 k = i + j;

			memset(&keys[j], 0, sizeof(keys[j]));
			/* clients in 198.19.0.0/16, ports 1024.. */
			keys[j].src = __builtin_bswap32(0xc6130000u | (k >> 14));
			keys[j].dst = __builtin_bswap32(0xc6120064u);
			keys[j].sport = __builtin_bswap16(1024 + (k & 0x3fff));
			keys[j].dport = __builtin_bswap16(80);
			keys[j].proto = 6;
			vals[j].backend_id = id;
			vals[j].state = XLB_FLOW_ESTABLISHED;
			vals[j].last_seen = now;
			if (nat_fd < 0)
				continue;
			vals[j].nat_port = __builtin_bswap16(k & 0xffff);
			memset(&nks[j], 0, sizeof(nks[j]));
			memset(&nvs[j], 0, sizeof(nvs[j]));
			nks[j].baddr[0] =
				__builtin_bswap32(0xc6121000u + (k >> 16));
			nks[j].bport = keys[j].dport;
			nks[j].lport = vals[j].nat_port;
			nks[j].proto = 6;
			nks[j].family = 2; /* AF_INET */
			nvs[j].caddr[0] = keys[j].src;
			nvs[j].vaddr[0] = keys[j].dst;
			nvs[j].cport = keys[j].sport;
			nvs[j].vport = keys[j].dport;
		}
		if (bpf_map_update_batch(fd, keys, vals, &count, NULL) ||
		    (nat_fd >= 0 &&
		     bpf_map_update_batch(nat_fd, nks, nvs, &count, NULL))) {
			fprintf(stderr, "fill_flows: update: %s\n",
				strerror(errno));
			return 1;
		}
	}
	printf("%u flows%s inserted\n", n, nat_fd >= 0 ? " and mappings" : "");
	return 0;
}
