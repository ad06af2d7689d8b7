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
 * bench_pkt.c fills the flow table. xdp_cycle6 does the same for IPv6:
 * flow k has source fd00:13:: + (k >> 14) (the low 32-bit word of the
 * address) and the same source port.
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

/* target[0]: the program under test. Written by bench_pkt. The per-CPU
 * wrappers below run target[cpu & 1]: two CPUs can run two programs. */
struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u32);
} target SEC(".maps");

/* Flow k into the frame (IPv4), then the program under test (target[t]). */
static __always_inline int cycle4(struct xdp_md *ctx, __u32 k, __u32 t)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	struct ethhdr *eth = data;
	struct iphdr *iph = (void *)(eth + 1);
	struct tcphdr *th = (void *)(iph + 1); /* IHL 5: our own packets */

	if ((void *)(th + 1) > data_end)
		return XDP_ABORTED;
	k = (k * 0x9e3779b1u) & mask;
	iph->saddr = bpf_htonl(0xc6130000u + (k >> 14));
	th->source = bpf_htons(1024 + (k & 0x3fff));
	bpf_tail_call(ctx, &target, t);
	return XDP_ABORTED;
}

/* The same for IPv6 (no extension headers). */
static __always_inline int cycle6(struct xdp_md *ctx, __u32 k, __u32 t)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	struct ethhdr *eth = data;
	struct ipv6hdr *ip6h = (void *)(eth + 1);
	struct tcphdr *th = (void *)(ip6h + 1); /* our own packets */

	if ((void *)(th + 1) > data_end)
		return XDP_ABORTED;
	k = (k * 0x9e3779b1u) & mask;
	ip6h->saddr.in6_u.u6_addr32[3] = bpf_htonl(k >> 14);
	th->source = bpf_htons(1024 + (k & 0x3fff));
	bpf_tail_call(ctx, &target, t);
	return XDP_ABORTED;
}

SEC("xdp")
int xdp_cycle(struct xdp_md *ctx)
{
	return cycle4(ctx, seq++, 0);
}

/* xdp_cycle for Ethernet + IPv6 (no extension headers) + TCP frames;
 * seq, mask and target are shared with it. */
SEC("xdp")
int xdp_cycle6(struct xdp_md *ctx)
{
	return cycle6(ctx, seq++, 0);
}

/*
 * The wrappers for runs on several CPUs at once (bench_pkt -f): each CPU
 * counts in its own cache line (cseq[cpu * 16], set by bench_pkt: the CPUs start
 * far apart, so they make different flows). With one shared seq, both
 * CPUs would write one line on every packet, and that line's trips
 * between the CPUs would slow down whatever runs behind the wrapper,
 * the floor too.
 */
#define CSEQ_CPUS 64
#define CSEQ_STRIDE 16 /* u32s a 64-byte line */
__u32 cseq[CSEQ_CPUS * CSEQ_STRIDE] __attribute__((aligned(64))) = {};

SEC("xdp")
int xdp_cycle_cpu(struct xdp_md *ctx)
{
	__u32 c = bpf_get_smp_processor_id() & (CSEQ_CPUS - 1);

	return cycle4(ctx, cseq[c * CSEQ_STRIDE]++, c & 1);
}

SEC("xdp")
int xdp_cycle6_cpu(struct xdp_md *ctx)
{
	__u32 c = bpf_get_smp_processor_id() & (CSEQ_CPUS - 1);

	return cycle6(ctx, cseq[c * CSEQ_STRIDE]++, c & 1);
}

/*
 * Restoring wrapper, for the forwarding modes that change the packet in
 * ways the next iteration of a repeat run must not see: tunnel mode grows
 * the frame by an outer IPv4 header (bpf_xdp_adjust_head(-20)), nat mode
 * rewrites addresses, ports and checksums in place. Before every call of
 * the program under test, this one
 *  - undoes the tunnel: when the frame is Ethernet + IPv4 protocol 4
 *    (IPIP, i.e. last iteration's output), moves the start of the frame
 *    back by the 20 bytes of the outer header (bpf_xdp_adjust_head(+20));
 *  - writes the original frame (orig, RESTORE_LEN bytes, set by bench_pkt
 *    from the packet the run was started with) over the buffer: Ethernet
 *    header, IP addresses and checksum, ports and TCP checksum as built;
 *  - then makes the iteration flow k as xdp_cycle does (k = 0 with mask
 *    0: the packet as built, the same flow every time),
 * and tail-calls target[0]. The same wrapper runs in front of the floor,
 * so its cost can be subtracted. The inner packet of a tunnel is never
 * changed by the encapsulation, so copying the frame over it is the whole
 * undo. seq, mask and target are shared with xdp_cycle.
 */
#define RESTORE_LEN 60
__u8 orig[RESTORE_LEN] __attribute__((aligned(8))) = {};

SEC("xdp")
int xdp_restore(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	struct ethhdr *eth = data;
	struct iphdr *iph = (void *)(eth + 1);
	struct tcphdr *th;
	__u32 k = seq++;

	if ((void *)(iph + 1) > data_end)
		return XDP_ABORTED;
	if (eth->h_proto == bpf_htons(ETH_P_IP) &&
	    iph->protocol == IPPROTO_IPIP) {
		if (bpf_xdp_adjust_head(ctx, (int)sizeof(struct iphdr)))
			return XDP_ABORTED;
		data_end = (void *)(long)ctx->data_end;
		data = (void *)(long)ctx->data;
	}
	if (data + RESTORE_LEN > data_end)
		return XDP_ABORTED;
	/* 7 x 8 + 4 bytes (a byte-wise copy would be 120 instructions) */
	for (int i = 0; i < RESTORE_LEN / 8; i++)
		((__u64 *)data)[i] = ((__u64 *)orig)[i];
	((__u32 *)data)[RESTORE_LEN / 4 - 1] =
		((__u32 *)orig)[RESTORE_LEN / 4 - 1];
	iph = data + sizeof(struct ethhdr);
	th = (void *)(iph + 1); /* IHL 5: our own packets */
	k = (k * 0x9e3779b1u) & mask; /* mask 0: flow 0, as built */
	iph->saddr = bpf_htonl(0xc6130000u + (k >> 14));
	th->source = bpf_htons(1024 + (k & 0x3fff));
	bpf_tail_call(ctx, &target, 0);
	return XDP_ABORTED;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
