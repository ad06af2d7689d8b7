// SPDX-License-Identifier: GPL-2.0-only
/*
 * Benchmark helper: fill a pinned xdp-lb flow table with N synthetic live
 * IPv4 flows (ESTABLISHED, last seen now) pinned to back-end id ID, so the
 * controller's sweep can be timed at scale.
 * Usage: fill_flows PIN_DIR N ID
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
	struct timespec ts;
	char path[512];
	__u32 n, id, i, j, count;
	__u64 now;
	int fd;

	if (argc != 4) {
		fprintf(stderr, "usage: fill_flows PIN_DIR N BACKEND_ID\n");
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
	keys = calloc(BATCH, sizeof(*keys));
	vals = calloc(BATCH, sizeof(*vals));
	if (!keys || !vals)
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
		}
		if (bpf_map_update_batch(fd, keys, vals, &count, NULL)) {
			fprintf(stderr, "fill_flows: update: %s\n",
				strerror(errno));
			return 1;
		}
	}
	printf("%u flows inserted\n", n);
	return 0;
}
