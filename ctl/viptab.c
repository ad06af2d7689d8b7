// SPDX-License-Identifier: GPL-2.0-only
/*
 * The VIP tables' builder (viptab.h).
 */
#include "viptab.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "xdp_lb.h"
#include "xlb_hash.h"

static __u32 home4(const void *slot, __u32 bits)
{
	const struct vip_slot4 *s = slot;

	return xlb_vip_home4(s->key, bits);
}

static __u32 home6(const void *slot, __u32 bits)
{
	const struct vip_slot6 *s = slot;

	return xlb_vip_home6(s->addr, s->pp, bits);
}

static int cmp4(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(__u64));
}

static int cmp6(const void *a, const void *b)
{
	return memcmp(a, b, offsetof(struct vip_slot6, meta));
}

const struct viptab_fam viptab_v4 = {
	.size = sizeof(struct vip_slot4),
	.key_len = sizeof(__u64),
	.home = home4,
	.cmp = cmp4,
};

const struct viptab_fam viptab_v6 = {
	.size = sizeof(struct vip_slot6),
	.key_len = offsetof(struct vip_slot6, meta),
	.home = home6,
	.cmp = cmp6,
};

static bool slot_empty(const struct viptab_fam *f, const void *s)
{
	const __u8 *b = s;
	size_t i;

	for (i = 0; i < f->key_len; i++)
		if (b[i])
			return false;
	return true;
}

int viptab_build(const struct viptab_fam *f, void *ents, size_t n, void *tab,
		 __u32 bits)
{
	__u32 mask = (1u << bits) - 1, home, i;
	__u8 *e = ents, *t = tab, *s;
	size_t k;

	qsort(ents, n, f->size, f->cmp);
	memset(tab, 0, f->size << bits);
	for (k = 0; k < n; k++, e += f->size) {
		if (slot_empty(f, e))
			return -EINVAL;
		if (k && !memcmp(e, e - f->size, f->key_len))
			return -EEXIST;
		home = f->home(e, bits);
		for (i = 0; i < XLB_VIP_PROBES; i++) {
			s = t + ((home + i) & mask) * f->size;
			if (slot_empty(f, s)) {
				memcpy(s, e, f->size);
				break;
			}
		}
		if (i == XLB_VIP_PROBES)
			return -ENOSPC;
	}
	return 0;
}

const void *viptab_find(const struct viptab_fam *f, const void *tab,
			__u32 bits, const void *key)
{
	__u32 mask = (1u << bits) - 1, home = f->home(key, bits), i;
	const __u8 *s;

	for (i = 0; i < XLB_VIP_PROBES; i++) {
		s = (const __u8 *)tab + ((home + i) & mask) * f->size;
		if (slot_empty(f, s))
			return NULL;
		if (!memcmp(s, key, f->key_len))
			return s;
	}
	return NULL;
}

size_t viptab_collect(const struct viptab_fam *f, const void *tab, __u32 bits,
		      void *out)
{
	const __u8 *s = tab;
	size_t i, n = 0;

	for (i = 0; i < (1u << bits); i++, s += f->size)
		if (!slot_empty(f, s))
			memcpy((__u8 *)out + n++ * f->size, s, f->size);
	return n;
}

int viptab_edit(const struct viptab_fam *f, void *ents, size_t *n,
		size_t cap, const void *e, bool del)
{
	__u8 *b = ents;
	size_t i;

	for (i = 0; i < *n; i++)
		if (!memcmp(b + i * f->size, e, f->key_len))
			break;
	if (del) {
		if (i < *n) {
			memmove(b + i * f->size, b + (i + 1) * f->size,
				(*n - i - 1) * f->size);
			(*n)--;
		}
		return 0;
	}
	if (i == *n) {
		if (*n == cap)
			return -ENOSPC;
		(*n)++;
	}
	memcpy(b + i * f->size, e, f->size);
	return 0;
}
