/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The data path's settings: read-only data the controller sets through the
 * skeleton (skel->rodata) between open and load, so the verifier sees them
 * as constants. Defined here, once: the one translation unit of an object
 * includes this header (directly or through the headers that read them).
 */
#ifndef XLB_SETTINGS_H
#define XLB_SETTINGS_H

#include "vmlinux.h"
#include "consts.h"
#include "xdp_lb.h"

/* Slots in every service table (svc_tables' inner maps). */
const volatile __u32 table_size = XLB_DEFAULT_TABLE_SIZE;
/* log2 of the slots of each VIP table (vip_tab4/vip_tab6's inner maps). */
const volatile __u32 vip_bits = XLB_DEFAULT_VIP_BITS;
/* Buckets of the IPv4 flow table flows4, minus one (a power of two - 1). */
const volatile __u32 flow_mask = XLB_DEFAULT_MAX_FLOWS / 4 - 1;
/* The MAC of the interface the program is attached to. */
const volatile __u8 if_mac[ETH_ALEN] = {};
/* nat: the internal interface (0: none) and its MAC. */
const volatile __u32 nat_ifindex = 0;
const volatile __u8 int_mac[ETH_ALEN] = {};

#endif
