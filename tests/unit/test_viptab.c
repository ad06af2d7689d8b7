// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests of the VIP tables' builder (ctl/viptab.c), probed the way
 * the data path probes them (bpf/vip.h, viptab_find). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "viptab.h"
#include "xdp_lb.h"
#include "xlb_hash.h"

#define BITS 6 /* 64 slots */
#define SLOTS (1u << BITS)

/* The IPv4 slot of 198.18.(i >> 8).(i & 255):80/tcp for service svc. */
static struct vip_slot4 slot4(__u32 i, __u32 svc)
{
	struct vip_slot4 s = { .meta = { .svc_id = svc, .flags = svc * 3 } };

	s.key = xlb_vip_key4(htonl(0xc6120000u | i), htons(80), IPPROTO_TCP);
	return s;
}

/* The IPv6 slot of fd00::i:80/tcp. */
static struct vip_slot6 slot6(__u32 i, __u32 svc)
{
	struct vip_slot6 s = { .meta = { .svc_id = svc } };

	s.addr[0] = htonl(0xfd000000u);
	s.addr[3] = htonl(i);
	s.pp = xlb_vip_pp6(htons(80), IPPROTO_TCP);
	return s;
}

/* n addresses (indexes into slot4's space, from 1) whose home slot is
 * home. */
static void same_home4(__u32 home, __u32 *out, size_t n)
{
	__u32 i;
	size_t k = 0;

	for (i = 1; k < n && i < (1u << 20); i++) {
		struct vip_slot4 s = slot4(i, 0);

		if (viptab_v4.home(&s, BITS) == home)
			out[k++] = i;
	}
	assert_int_equal(k, n);
}

static void same_home6(__u32 home, __u32 *out, size_t n)
{
	__u32 i;
	size_t k = 0;

	for (i = 1; k < n && i < (1u << 20); i++) {
		struct vip_slot6 s = slot6(i, 0);

		if (viptab_v6.home(&s, BITS) == home)
			out[k++] = i;
	}
	assert_int_equal(k, n);
}

/* Every entry found, with its own meta; a key not in it not found. */
static void test_all_found_v4(void **state)
{
	struct vip_slot4 ents[SLOTS / 4], tab[SLOTS], probe;
	const struct vip_slot4 *f;
	__u32 i;

	for (i = 0; i < SLOTS / 4; i++)
		ents[i] = slot4(i + 1, i + 1);
	assert_int_equal(viptab_build(&viptab_v4, ents, SLOTS / 4, tab, BITS), 0);
	for (i = 0; i < SLOTS / 4; i++) {
		probe = slot4(i + 1, 0);
		f = viptab_find(&viptab_v4, tab, BITS, &probe);
		assert_non_null(f);
		assert_int_equal(f->meta.svc_id, i + 1);
		assert_int_equal(f->meta.flags, (i + 1) * 3);
	}
	probe = slot4(1000, 0);
	assert_null(viptab_find(&viptab_v4, tab, BITS, &probe));
	/* same address, other port: the key is compared in full */
	probe = slot4(1, 0);
	probe.key = xlb_vip_key4(htonl(0xc6120001u), htons(81), IPPROTO_TCP);
	assert_null(viptab_find(&viptab_v4, tab, BITS, &probe));
	probe.key = xlb_vip_key4(htonl(0xc6120001u), htons(80), IPPROTO_UDP);
	assert_null(viptab_find(&viptab_v4, tab, BITS, &probe));
}

/* XLB_VIP_PROBES keys of one home slot (the last: the probe wraps) all
 * placed and found, the last one XLB_VIP_PROBES - 1 slots on; one more
 * finds no room. */
static void test_full_probe_length_v4(void **state)
{
	struct vip_slot4 ents[XLB_VIP_PROBES + 1], tab[SLOTS], probe;
	__u32 idx[XLB_VIP_PROBES + 1], i, n = XLB_VIP_PROBES;
	const struct vip_slot4 *f;

	same_home4(SLOTS - 1, idx, n + 1);
	for (i = 0; i < n; i++)
		ents[i] = slot4(idx[i], i + 1);
	assert_int_equal(viptab_build(&viptab_v4, ents, n, tab, BITS), 0);
	for (i = 0; i < n; i++) {
		probe = slot4(idx[i], 0);
		f = viptab_find(&viptab_v4, tab, BITS, &probe);
		assert_non_null(f);
		assert_int_equal(f->meta.svc_id, i + 1);
	}
	/* the sequence wrapped: slots 0 .. n - 2 and the last are taken */
	for (i = 0; i < n - 1; i++)
		assert_int_not_equal(tab[i].key, 0);
	assert_int_not_equal(tab[SLOTS - 1].key, 0);
	assert_int_equal(tab[n - 1].key, 0);
	/* a key of that home that is not there: the walk ends after
	 * XLB_VIP_PROBES slots, not found */
	probe = slot4(idx[n], 0);
	assert_null(viptab_find(&viptab_v4, tab, BITS, &probe));
	for (i = 0; i <= n; i++)
		ents[i] = slot4(idx[i], i + 1);
	assert_int_equal(viptab_build(&viptab_v4, ents, n + 1, tab, BITS),
			 -ENOSPC);
}

/* Keys of one home slot; the first removed and the table rebuilt: the
 * later ones are still found (no hole left in their probe sequence). */
static void test_delete_keeps_later_v4(void **state)
{
	struct vip_slot4 ents[SLOTS + 1], tab[SLOTS], probe;
	__u32 idx[4], i;
	size_t n = 0;

	same_home4(7, idx, 4);
	for (i = 0; i < 4; i++) {
		probe = slot4(idx[i], i + 1);
		assert_int_equal(viptab_edit(&viptab_v4, ents, &n, SLOTS + 1,
					     &probe, false), 0);
	}
	assert_int_equal(viptab_build(&viptab_v4, ents, n, tab, BITS), 0);
	/* the smallest key has slot 7: delete that one */
	probe = tab[7];
	assert_int_equal(viptab_edit(&viptab_v4, ents, &n, SLOTS + 1, &probe,
				     true), 0);
	assert_int_equal(n, 3);
	assert_int_equal(viptab_build(&viptab_v4, ents, n, tab, BITS), 0);
	assert_null(viptab_find(&viptab_v4, tab, BITS, &probe));
	for (i = 0, n = 0; i < 4; i++) {
		struct vip_slot4 k = slot4(idx[i], 0);

		n += viptab_find(&viptab_v4, tab, BITS, &k) != NULL;
	}
	assert_int_equal(n, 3);
	/* a delete of a key not there changes nothing */
	n = 3;
	probe = slot4(5000, 0);
	assert_int_equal(viptab_edit(&viptab_v4, ents, &n, SLOTS + 1, &probe,
				     true), 0);
	assert_int_equal(n, 3);
}

/* IPv6: colliding keys, and keys that differ in one address word or the
 * port only, kept apart. */
static void test_collisions_v6(void **state)
{
	struct vip_slot6 ents[8], tab[SLOTS], probe;
	const struct vip_slot6 *f;
	__u32 idx[6], i;

	same_home6(SLOTS - 2, idx, 6);
	for (i = 0; i < 6; i++)
		ents[i] = slot6(idx[i], i + 1);
	assert_int_equal(viptab_build(&viptab_v6, ents, 6, tab, BITS), 0);
	for (i = 0; i < 6; i++) {
		probe = slot6(idx[i], 0);
		f = viptab_find(&viptab_v6, tab, BITS, &probe);
		assert_non_null(f);
		assert_int_equal(f->meta.svc_id, i + 1);
	}
	probe = slot6(idx[0], 0);
	probe.addr[1] = 1;
	assert_null(viptab_find(&viptab_v6, tab, BITS, &probe));
	probe = slot6(idx[0], 0);
	probe.pp = xlb_vip_pp6(htons(443), IPPROTO_TCP);
	assert_null(viptab_find(&viptab_v6, tab, BITS, &probe));
	/* one more key of that home after five: all still found */
	same_home6(3, idx, 2);
	ents[6] = slot6(idx[0], 7);
	ents[7] = slot6(idx[1], 8);
	assert_int_equal(viptab_build(&viptab_v6, ents, 8, tab, BITS), 0);
	assert_int_equal(viptab_collect(&viptab_v6, tab, BITS, ents), 8);
}

/* The table is a function of the set: the same entries in another order
 * build the same bytes. A key twice is refused. */
static void test_order_and_duplicates(void **state)
{
	struct vip_slot4 a[16], b[16], ta[SLOTS], tb[SLOTS];
	__u32 idx[8], i;

	same_home4(20, idx, 8);
	for (i = 0; i < 8; i++) {
		a[i] = slot4(idx[i], i);
		a[8 + i] = slot4(100 + i, 50 + i);
	}
	for (i = 0; i < 16; i++)
		b[i] = a[15 - i];
	assert_int_equal(viptab_build(&viptab_v4, a, 16, ta, BITS), 0);
	assert_int_equal(viptab_build(&viptab_v4, b, 16, tb, BITS), 0);
	assert_memory_equal(ta, tb, sizeof(ta));
	b[3] = b[4];
	assert_int_equal(viptab_build(&viptab_v4, b, 16, tb, BITS), -EEXIST);
}

/* An edit of a key that is there replaces its meta, not a second entry;
 * the list has a bound. */
static void test_edit_replaces(void **state)
{
	struct vip_slot4 ents[2], e;
	size_t n = 0;

	e = slot4(1, 1);
	assert_int_equal(viptab_edit(&viptab_v4, ents, &n, 2, &e, false), 0);
	e = slot4(1, 9);
	assert_int_equal(viptab_edit(&viptab_v4, ents, &n, 2, &e, false), 0);
	assert_int_equal(n, 1);
	assert_int_equal(ents[0].meta.svc_id, 9);
	e = slot4(2, 2);
	assert_int_equal(viptab_edit(&viptab_v4, ents, &n, 2, &e, false), 0);
	e = slot4(3, 3);
	assert_int_equal(viptab_edit(&viptab_v4, ents, &n, 2, &e, false),
			 -ENOSPC);
}

/* The sizes: at least XLB_VIP_SLOTS_PER_SVC slots a service, at least 64;
 * the default matches the BPF source's placeholder. A full table of the
 * largest size (two entries a service) builds. */
static void test_sizes(void **state)
{
	__u32 n = 2 * 4096, bits = xlb_vip_bits(4096), i;
	struct vip_slot4 *ents = calloc(n, sizeof(*ents));
	struct vip_slot4 *tab = calloc(1u << bits, sizeof(*tab));

	assert_int_equal(xlb_vip_bits(1), 6);
	assert_int_equal(xlb_vip_bits(XLB_DEFAULT_MAX_SERVICES),
			 XLB_DEFAULT_VIP_BITS);
	assert_true((1u << xlb_vip_bits(100)) >= 100 * XLB_VIP_SLOTS_PER_SVC);
	assert_non_null(ents);
	assert_non_null(tab);
	for (i = 0; i < n; i++)
		ents[i] = slot4(i + 1, i);
	assert_int_equal(viptab_build(&viptab_v4, ents, n, tab, bits), 0);
	for (i = 0; i < n; i++) {
		struct vip_slot4 k = slot4(i + 1, 0);

		assert_non_null(viptab_find(&viptab_v4, tab, bits, &k));
	}
	free(ents);
	free(tab);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_all_found_v4),
		cmocka_unit_test(test_full_probe_length_v4),
		cmocka_unit_test(test_delete_keeps_later_v4),
		cmocka_unit_test(test_collisions_v6),
		cmocka_unit_test(test_order_and_duplicates),
		cmocka_unit_test(test_edit_replaces),
		cmocka_unit_test(test_sizes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
