// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Benchmark wrapper: makes every BPF_PROG_TEST_RUN iteration a different
 * flow. BPF_PROG_TEST_RUN with `repeat` runs the program on the same
 * buffer; this program rewrites the IPv4 source address and TCP source
 * port of that buffer from a counter, then tail-calls the program under
 * test (target[0]). Iteration seq is flow k = (seq * odd) & mask: with
 * mask = 2^19 - 1 a permutation of flows 0..2^19-1 that jumps around the
 * table (hits over 2^19 flows), with mask = 2^30 - 1 a flow never seen
 * before on every iteration (new flows). Flow k has source
 * 198.19.0.0 + (k >> 14) and source port 1024 + (k & 0x3fff), as
 * bench_pkt.c fills the flow table.
 * Checksums are not updated (nothing under test checks them). The same
 * wrapper runs in front of the floor, so its cost can be subtracted.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "consts.h"

/* Set by bench_pkt before a run; one CPU runs the test, no atomics. */
__u32 seq = 0;
__u32 mask = 0;

/* target[0]: the program under test. Written by bench_pkt. */
struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} target SEC(".maps");

SEC("xdp")
int xdp_cycle(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	struct ethhdr *eth = data;
	struct iphdr *iph = (void *)(eth + 1);
	struct tcphdr *th = (void *)(iph + 1); /* IHL 5: our own packets */
	__u32 k = seq++;

	if ((void *)(th + 1) > data_end)
		return XDP_ABORTED;
	k = (k * 0x9e3779b1u) & mask;
	iph->saddr = bpf_htonl(0xc6130000u + (k >> 14));
	th->source = bpf_htons(1024 + (k & 0x3fff));
	bpf_tail_call(ctx, &target, 0);
	return XDP_ABORTED;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
