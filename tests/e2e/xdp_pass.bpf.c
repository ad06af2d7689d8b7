// SPDX-License-Identifier: GPL-2.0-only
/* Trivial XDP_PASS program for veth peers: native XDP_TX on a veth needs an
 * XDP program on its peer (see docs/testing.md). Test use only. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdp_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
