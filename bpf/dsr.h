/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Direct server return (L2): the frame goes back out of the interface it
 * came in on with the back end's MAC as destination and ours as source. IP
 * and L4 bytes are untouched; the back end holds the VIP and answers the
 * client directly.
 */
#ifndef XLB_DSR_H
#define XLB_DSR_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "xdp_lb.h"
#include "settings.h"
#include "eth.h"

static __always_inline int dsr_forward(struct ethhdr *eth,
				       const struct backend_info *be)
{
	eth_set_addrs(eth, be->mac, if_mac);
	return XDP_TX;
}

#endif
