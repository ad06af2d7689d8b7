/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Ethernet header rewrite for a frame we send on. */
#ifndef XLB_ETH_H
#define XLB_ETH_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "consts.h"

/*
 * Address the frame to dst, from src (one of our MACs, in rodata: see
 * settings.h). src is copied byte by byte: a memcpy from const volatile
 * data would fold to its compile-time value, all zeros.
 */
static __always_inline void eth_set_addrs(struct ethhdr *eth, const __u8 *dst,
					  const volatile __u8 *src)
{
	__builtin_memcpy(eth->h_dest, dst, ETH_ALEN);
	for (int i = 0; i < ETH_ALEN; i++)
		eth->h_source[i] = src[i];
}

#endif
