// SPDX-License-Identifier: GPL-2.0-only
/*
 * tc ingress on a router's veth: forget the flow hash that veth carries
 * over from the sending socket, so that the kernel's multipath hash
 * (fib_multipath_hash_policy=1) is computed from the packet's L4 tuple,
 * as on a real NIC (see docs/cluster.md). Test use only.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("tc")
int tc_rehash(struct __sk_buff *skb)
{
	bpf_set_hash_invalid(skb);
	return 0; /* TC_ACT_OK */
}

char LICENSE[] SEC("license") = "GPL";
