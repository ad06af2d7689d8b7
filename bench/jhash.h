/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Bob Jenkins' lookup3 hash (public domain), as the kernel's jhash.h: the
 * data path's flow hash before xlb_hash (include/xlb_hash.h, issue 14);
 * kept for bench/hashdist's comparison of the two. */
#ifndef XLB_JHASH_H
#define XLB_JHASH_H

#include <linux/types.h>
#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

#define JHASH_INITVAL 0xdeadbeef

static __always_inline __u32 rol32(__u32 word, unsigned int shift)
{
	return (word << shift) | (word >> ((-shift) & 31));
}

#define __jhash_mix(a, b, c)                                                   \
	{                                                                      \
		a -= c;                                                        \
		a ^= rol32(c, 4);                                              \
		c += b;                                                        \
		b -= a;                                                        \
		b ^= rol32(a, 6);                                              \
		a += c;                                                        \
		c -= b;                                                        \
		c ^= rol32(b, 8);                                              \
		b += a;                                                        \
		a -= c;                                                        \
		a ^= rol32(c, 16);                                             \
		c += b;                                                        \
		b -= a;                                                        \
		b ^= rol32(a, 19);                                             \
		a += c;                                                        \
		c -= b;                                                        \
		c ^= rol32(b, 4);                                              \
		b += a;                                                        \
	}

#define __jhash_final(a, b, c)                                                 \
	{                                                                      \
		c ^= b;                                                        \
		c -= rol32(b, 14);                                             \
		a ^= c;                                                        \
		a -= rol32(c, 11);                                             \
		b ^= a;                                                        \
		b -= rol32(a, 25);                                             \
		c ^= b;                                                        \
		c -= rol32(b, 16);                                             \
		a ^= c;                                                        \
		a -= rol32(c, 4);                                              \
		b ^= a;                                                        \
		b -= rol32(a, 14);                                             \
		c ^= b;                                                        \
		c -= rol32(b, 24);                                             \
	}

/* Hash `length` 32-bit words; length is a compile-time constant here. */
static __always_inline __u32 jhash2(const __u32 *k, __u32 length,
				    __u32 initval)
{
	__u32 a, b, c;

	a = b = c = JHASH_INITVAL + (length << 2) + initval;
	while (length > 3) {
		a += k[0];
		b += k[1];
		c += k[2];
		__jhash_mix(a, b, c);
		length -= 3;
		k += 3;
	}
	switch (length) {
	case 3:
		c += k[2];
		/* fallthrough */
	case 2:
		b += k[1];
		/* fallthrough */
	case 1:
		a += k[0];
		__jhash_final(a, b, c);
		break;
	case 0:
		break;
	}
	return c;
}

#endif
