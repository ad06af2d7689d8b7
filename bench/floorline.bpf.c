// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The floor plus one flow line: the least any balancer that keeps a flow's
 * state in one cache line of a hashed table pays a packet. xdp_floor_line
 * parses as bench/floor.bpf.c does, hashes the flow's key words as the data
 * path does (xlb_hash of flow_key_v4's four words), reads the flow's 64-byte
 * line of an array of FL_LINES lines (inlined lookup) and compares its four
 * ways' key words with the flow's; a flow not found is written into the
 * first empty way (the warm-up, so that the timed packets are hits). Then
 * it swaps the MACs and returns XDP_TX, as the floor. One per-CPU count of
 * what the line said (found, inserted, full), which bench/pps.sh reads to
 * check that the timed packets were hits. No clock, VIP lookup, back end
 * or other counter: a bound, not a load balancer. FL_LINES: 2^19 lines
 * (32 MiB, the data path's flows4 at the default max_flows) unless the
 * build sets it (floorline4.bpf.o: 2^16 lines, 4 MiB). Bench use only
 * (bench/pps.sh, scenarios line and line4). Its parse and MAC swap repeat
 * bench/floor.bpf.c's on purpose: the floor's code is every ratio's
 * baseline, so it stays byte for byte as it was measured (sharing them
 * through an inline function changed its instructions).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "consts.h"
#include "xlb_hash.h"

#ifndef FL_LINES
#define FL_LINES (1u << 19)
#endif

struct fl_line {
	__u64 w[8]; /* four ways: key word, then a value word */
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, FL_LINES);
	__type(key, __u32);
	__type(value, struct fl_line);
} lines SEC(".maps");

/* packets whose flow the line had, inserted, could not take (full) */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 3);
	__type(key, __u32);
	__type(value, __u64);
} fl_stats SEC(".maps");

SEC("xdp")
int xdp_floor_line(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	struct ethhdr *eth = data;
	__u32 key[4], idx, k = 0;
	struct fl_line *l;
	struct iphdr *iph;
	struct tcphdr *th;
	__u8 tmp[ETH_ALEN];
	__u64 kw, *n;
	int i;

	if ((void *)(eth + 1) > data_end)
		return XDP_PASS;
	if (eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	iph = (void *)(eth + 1);
	if ((void *)(iph + 1) > data_end || iph->version != 4 || iph->ihl < 5)
		return XDP_PASS;
	if ((void *)iph + iph->ihl * 4 > data_end)
		return XDP_PASS;
	if (iph->protocol != IPPROTO_TCP)
		return XDP_PASS;
	th = (void *)iph + iph->ihl * 4;
	if ((void *)(th + 1) > data_end || th->doff < 5)
		return XDP_PASS;
	/* flow_key_v4's words: the ports as the struct lays them out */
	key[0] = iph->saddr;
	key[1] = iph->daddr;
	key[2] = (__u32)th->dest << 16 | th->source;
	key[3] = IPPROTO_TCP;
	idx = (__u32)xlb_hash(key, 4) & (FL_LINES - 1);
	l = bpf_map_lookup_elem(&lines, &idx);
	if (!l)
		return XDP_PASS;
	kw = (__u64)iph->saddr << 32 | (__u32)th->source << 16 | 1;
	for (i = 0; i < 4; i++)
		if (l->w[2 * i] == kw)
			break;
	if (i == 4) { /* the flow's first packet (warm-up) */
		k = 2;
		for (i = 0; i < 4; i++)
			if (!l->w[2 * i]) {
				l->w[2 * i] = kw;
				k = 1;
				break;
			}
	}
	n = bpf_map_lookup_elem(&fl_stats, &k);
	if (n)
		(*n)++;
	__builtin_memcpy(tmp, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, tmp, ETH_ALEN);
	return XDP_TX;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
