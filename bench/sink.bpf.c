// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Counting sink for bench/pps.sh: attached (native XDP) to the generator's
 * veth, counts every frame that comes back through the path under test in
 * a per-CPU array and drops it. Its presence is also what lets the
 * balancer's XDP_TX on the peer veth work. bench/gen.c may attach it to a
 * second interface too (-S: the nat scenario's internal link, where it is
 * also what lets the balancer's XDP_REDIRECT into the peer veth work);
 * frames received there are counted in slot 1. Bench use only.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} count SEC(".maps");

/* Set by bench/gen.c: the second interface (0: none). */
__u32 second_ifindex = 0;

SEC("xdp")
int xdp_sink(struct xdp_md *ctx)
{
	__u32 k = second_ifindex && ctx->ingress_ifindex == second_ifindex;
	__u64 *c = bpf_map_lookup_elem(&count, &k);

	if (c)
		(*c)++;
	return XDP_DROP;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
