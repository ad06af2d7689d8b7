/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Direct server return (L2): the frame goes back out of the interface it
 * came in on with the back end's MAC as destination and ours as source. IP
 * and L4 bytes are untouched; the back end holds the VIP and answers the
 * client directly.
 */
#ifndef XLB_DSR_H
#define XLB_DSR_H

static __always_inline int dsr_forward(struct ethhdr *eth,
				       const struct backend_info *be)
{
	__builtin_memcpy(eth->h_dest, be->mac, ETH_ALEN);
	for (int i = 0; i < ETH_ALEN; i++) /* memcpy would fold if_mac to 0 */
		eth->h_source[i] = if_mac[i];
	return XDP_TX;
}

#endif
