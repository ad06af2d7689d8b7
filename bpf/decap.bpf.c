// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Back-end side of tunnel mode (`xdp-lb decap attach IFACE`): strip the
 * outer header of IPv4-in-IPv4, IPv6-in-IPv6 and IPv4-in-IPv6 packets sent
 * by xdp-lb and pass the inner packet (to the VIP the back end holds on a
 * loopback address) to the kernel, which answers the client directly. This
 * program is the tunnel's far end: a back end needs no ipip or ip6_tunnel
 * module. Everything else passes untouched.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "consts.h"

enum { DECAP_DONE = 0, DECAP_PASSED, DECAP_MAX };

/* decap_stats: per-CPU packets decapsulated / passed untouched. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, DECAP_MAX);
	__type(key, __u32);
	__type(value, __u64);
} decap_stats SEC(".maps");

static __always_inline int count(__u32 what)
{
	__u64 *n = bpf_map_lookup_elem(&decap_stats, &what);

	if (n)
		*n += 1;
	return XDP_PASS;
}

/* Strip room bytes after an L2 header of l2len bytes (constant). */
static __always_inline int strip(struct xdp_md *ctx, const __u32 l2len,
				 int room, __u16 inner_proto)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u8 l2[18];
	__be16 *type;

	if (data + l2len + room > data_end || data + sizeof(l2) > data_end)
		return count(DECAP_PASSED);
	__builtin_memcpy(l2, data, sizeof(l2));
	if (bpf_xdp_adjust_head(ctx, room))
		return count(DECAP_PASSED);
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	if (data + l2len > data_end)
		return count(DECAP_PASSED);
	__builtin_memcpy(data, l2, l2len);
	type = data + l2len - 2;
	*type = bpf_htons(inner_proto);
	return count(DECAP_DONE);
}

static __always_inline int decap(struct xdp_md *ctx, const __u32 l2len,
				 __u16 proto)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;

	if (proto == ETH_P_IP) {
		struct iphdr *iph = data + l2len;

		if ((void *)(iph + 1) > data_end || iph->ihl != 5 ||
		    iph->protocol != IPPROTO_IPIP ||
		    (iph->frag_off & bpf_htons(IP_MF | IP_OFFSET)))
			return count(DECAP_PASSED);
		return strip(ctx, l2len, sizeof(*iph), ETH_P_IP);
	}
	if (proto == ETH_P_IPV6) {
		struct ipv6hdr *ip6h = data + l2len;

		if ((void *)(ip6h + 1) > data_end)
			return count(DECAP_PASSED);
		if (ip6h->nexthdr == IPPROTO_IPIP)
			return strip(ctx, l2len, sizeof(*ip6h), ETH_P_IP);
		if (ip6h->nexthdr == IPPROTO_IPV6)
			return strip(ctx, l2len, sizeof(*ip6h), ETH_P_IPV6);
	}
	return count(DECAP_PASSED);
}

SEC("xdp")
int xdp_decap(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct vlan_hdr *vlan;
	__u16 proto;

	if ((void *)(eth + 1) > data_end)
		return count(DECAP_PASSED);
	proto = bpf_ntohs(eth->h_proto);
	if (proto == ETH_P_8021Q || proto == ETH_P_8021AD) {
		vlan = (void *)(eth + 1);
		if ((void *)(vlan + 1) > data_end)
			return count(DECAP_PASSED);
		return decap(ctx, 18,
			     bpf_ntohs(vlan->h_vlan_encapsulated_proto));
	}
	return decap(ctx, 14, proto);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
