/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Is a packet's destination a VIP? A probe of the open-addressed VIP table
 * (vip_tab4/vip_tab6, include/xdp_lb.h "The VIP tables"): array accesses
 * the verifier inlines, the key compared in full, at most XLB_VIP_PROBES
 * slots, and a packet that is not ours usually stops at its first, empty,
 * slot.
 */
#ifndef XLB_VIP_H
#define XLB_VIP_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "xdp_lb.h"
#include "xlb_hash.h"
#include "settings.h"
#include "maps.h"

/* The entry of IPv4 (addr, port, proto), or NULL: not a VIP. */
static __always_inline const struct vip_meta *vip_find4(__be32 addr,
							__be16 port,
							__u8 proto)
{
	__u64 key = xlb_vip_key4(addr, port, proto);
	__u32 mask = (1u << vip_bits) - 1, zero = 0, home, idx, i;
	struct vip_slot4 *s;
	void *tab;

	tab = bpf_map_lookup_elem(&vip_tab4, &zero);
	if (!tab)
		return NULL;
	home = xlb_vip_home4(key, vip_bits);
	for (i = 0; i < XLB_VIP_PROBES; i++) {
		idx = (home + i) & mask;
		s = bpf_map_lookup_elem(tab, &idx);
		if (!s || !s->key)
			return NULL;
		if (s->key == key)
			return &s->meta;
	}
	return NULL;
}

/* The entry of IPv6 (addr, port, proto), or NULL. addr: 4 words. */
static __always_inline const struct vip_meta *
vip_find6(const __be32 *addr, __be16 port, __u8 proto)
{
	__u32 a[4] = { addr[0], addr[1], addr[2], addr[3] };
	__u32 pp = xlb_vip_pp6(port, proto);
	__u32 mask = (1u << vip_bits) - 1, zero = 0, home, idx, i;
	struct vip_slot6 *s;
	void *tab;

	tab = bpf_map_lookup_elem(&vip_tab6, &zero);
	if (!tab)
		return NULL;
	home = xlb_vip_home6(a, pp, vip_bits);
	for (i = 0; i < XLB_VIP_PROBES; i++) {
		idx = (home + i) & mask;
		s = bpf_map_lookup_elem(tab, &idx);
		if (!s || !s->pp)
			return NULL;
		if (s->pp == pp && s->addr[0] == a[0] && s->addr[1] == a[1] &&
		    s->addr[2] == a[2] && s->addr[3] == a[3])
			return &s->meta;
	}
	return NULL;
}

#endif
