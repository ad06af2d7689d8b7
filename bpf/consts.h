/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The few constants vmlinux.h does not carry. */
#ifndef XLB_CONSTS_H
#define XLB_CONSTS_H

#define ETH_ALEN 6
#define ETH_HLEN 14
#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD
#define ETH_P_8021Q 0x8100
#define ETH_P_8021AD 0x88A8

#define AF_INET 2
#define AF_INET6 10

/* IPv6 extension headers (vmlinux.h has only the IPPROTO_* enum). */
#define IPPROTO_HOPOPTS 0
#define IPPROTO_ROUTING 43
#define IPPROTO_FRAGMENT 44
#define IPPROTO_DSTOPTS 60
#define IPPROTO_MH 135
#define IPPROTO_ICMPV6 58

#define IP_MF 0x2000
#define IP_OFFSET 0x1fff

#define NSEC_PER_SEC 1000000000ull

#define TC_ACT_OK 0
#define TC_ACT_SHOT 2

#endif
