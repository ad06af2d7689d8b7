// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Packet generator for bench/pps.sh, run by bench/gen.c with
 * BPF_PROG_TEST_RUN and BPF_F_TEST_XDP_LIVE_FRAMES: every iteration writes
 * a whole 60-byte TCP frame (a template from bench/gen.c, the pages of live
 * frames are recycled without re-initialisation and come back from the
 * balancer with rewritten MACs), makes it flow (seq & mask) and returns
 * XDP_TX, which in live-frame mode transmits out of the ingress interface.
 * Flow f has source 198.19.0.0 + (f >> 8) and source port 1024 + (f & 255);
 * the IPv4 and TCP checksums are updated incrementally from the template's
 * (flow 0), so the kernel path (conntrack) sees valid packets. xdp_gen6
 * does the same with a 74-byte IPv6 frame (gen -6). Bench use only.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define HDR_LEN 54 /* Ethernet + IPv4 (IHL 5) + TCP (doff 5) */

/* Written by bench/gen.c before each run; one CPU runs the test. */
__u8 tmpl[64] = {};
__u32 seq = 0;
__u32 mask = 0;
__u64 sent = 0;
__u8 tmpl6[80] = {}; /* xdp_gen6's template */

static __always_inline __u16 csum_plus(__u16 csum_be, __u32 add)
{
	__u32 sum = (~bpf_ntohs(csum_be) & 0xffff) + add;

	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return bpf_htons(~sum & 0xffff);
}

SEC("xdp")
int xdp_gen(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	struct ethhdr *eth = data;
	struct iphdr *iph = (void *)(eth + 1);
	struct tcphdr *th = (void *)(iph + 1);
	__u32 f = seq++ & mask, d, e;

	if ((void *)th + sizeof(*th) > data_end || data + HDR_LEN > data_end)
		return XDP_ABORTED;
	__builtin_memcpy(data, tmpl, HDR_LEN);
	d = f >> 8;   /* low 16-bit word of the source address: 0 -> d */
	e = f & 0xff; /* source port: 1024 -> 1024 + e */
	iph->saddr = bpf_htonl(bpf_ntohl(iph->saddr) + d);
	iph->check = csum_plus(iph->check, d);
	th->source = bpf_htons(1024 + e);
	th->check = csum_plus(th->check, d + e);
	sent++;
	return XDP_TX;
}

#define HDR_LEN6 74 /* Ethernet + IPv6 + TCP (doff 5) */

/* xdp_gen for IPv6 (gen -6): a 74-byte TCP frame from tmpl6; flow f has
 * source fd00:19:: + (f >> 8) in its last 16-bit word and source port
 * 1024 + (f & 255); the TCP checksum (its pseudo-header has the source)
 * updated as xdp_gen's. */
SEC("xdp")
int xdp_gen6(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	struct ethhdr *eth = data;
	struct ipv6hdr *ip6h = (void *)(eth + 1);
	struct tcphdr *th = (void *)(ip6h + 1);
	__u32 f = seq++ & mask, d, e;

	if ((void *)th + sizeof(*th) > data_end || data + HDR_LEN6 > data_end)
		return XDP_ABORTED;
	__builtin_memcpy(data, tmpl6, HDR_LEN6);
	d = f >> 8;
	e = f & 0xff;
	ip6h->saddr.in6_u.u6_addr32[3] =
		bpf_htonl(bpf_ntohl(ip6h->saddr.in6_u.u6_addr32[3]) + d);
	th->source = bpf_htons(1024 + e);
	th->check = csum_plus(th->check, d + e);
	sent++;
	return XDP_TX;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
