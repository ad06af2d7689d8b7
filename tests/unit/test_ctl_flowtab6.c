// SPDX-License-Identifier: GPL-2.0-only
/*
 * The controller's side of the IPv6 flow table layout (flows6, the `fp`
 * layout of include/xlb_flowtab.h) on plain buffers: the key word's
 * fingerprint, the address line of a bucket, a fingerprint collision
 * (two flows of one kw in one bucket, told apart by their addresses), a
 * full bucket, the walk (addresses handed out), and delete-if-unchanged
 * (a put-back restores the address a writer overwrote meanwhile).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <arpa/inet.h>

#include "flowtab.h"

struct tab6 {
	struct xlb_ft ft;
	struct xlb_ft_bucket *b;
	struct xlb_ft_keys *k;
};

static void tab6_new(struct tab6 *t, __u32 nb)
{
	t->b = aligned_alloc(64, nb * sizeof(*t->b));
	t->k = aligned_alloc(64, nb * sizeof(*t->k));
	assert_non_null(t->b);
	assert_non_null(t->k);
	memset(t->b, 0, nb * sizeof(*t->b));
	memset(t->k, 0, nb * sizeof(*t->k));
	xlb_ft6_use(&t->ft, t->b, t->k, nb);
}

static void tab6_free(struct tab6 *t)
{
	free(t->b);
	free(t->k);
}

/* fd00::n, in network order words */
static void addr_of(__u32 n, __be32 *a)
{
	a[0] = htonl(0xfd000000);
	a[1] = 0;
	a[2] = 0;
	a[3] = htonl(n);
}

static void test_kw6(void **state)
{
	__u64 h = 0x1234567800000abcull;
	__u64 kw = xlb_ft6_kw(h, htons(40000), 6);
	__be32 a[4];
	__u64 halves[2];

	(void)state;
	/* the fingerprint is the hash's high half, the rest as IPv4's */
	assert_int_equal((__u32)XLB_FT_KW_SRC(kw), 0x12345678);
	assert_int_equal(XLB_FT_KW_SPORT(kw), htons(40000));
	assert_int_equal(XLB_FT_KW_SVC(kw), 6);
	assert_false(kw & XLB_FT_BUSY);
	/* an address's halves are its bytes as in the packet */
	addr_of(7, a);
	halves[0] = xlb_ft6_addr(a, 0);
	halves[1] = xlb_ft6_addr(a, 1);
	assert_memory_equal(halves, a, 16);
}

/* Two flows of one bucket with the same kw (a fingerprint collision):
 * each found by its own address, each deleted alone. */
static void test_fingerprint_collision(void **state)
{
	struct tab6 t;
	__u64 kw = xlb_ft6_kw(5ull << 32 | 3, htons(1000), 1), meta;
	struct xlb_ft_way *w1, *w2;
	__be32 a1[4], a2[4], a3[4], got[4];
	__u64 k, m;

	(void)state;
	tab6_new(&t, 8);
	addr_of(1, a1);
	addr_of(2, a2);
	addr_of(3, a3);
	assert_true(xlb_ft6_place(&t.ft, 3, kw, a1, xlb_ft_meta(11, 0, 1, 2)));
	assert_true(xlb_ft6_place(&t.ft, 3, kw, a2, xlb_ft_meta(22, 0, 1, 2)));
	w1 = xlb_ft6_find(&t.ft, 3, kw, a1, &meta);
	assert_non_null(w1);
	assert_int_equal(XLB_FT_META_BACKEND(meta), 11);
	w2 = xlb_ft6_find(&t.ft, 3, kw, a2, &meta);
	assert_non_null(w2);
	assert_ptr_not_equal(w1, w2);
	assert_int_equal(XLB_FT_META_BACKEND(meta), 22);
	/* the same kw with a third address is no flow of the table */
	assert_null(xlb_ft6_find(&t.ft, 3, kw, a3, &meta));
	/* placing a flow again takes its own way, not its twin's */
	assert_true(xlb_ft6_place(&t.ft, 3, kw, a2, xlb_ft_meta(23, 0, 1, 2)));
	assert_ptr_equal(xlb_ft6_find(&t.ft, 3, kw, a2, &meta), w2);
	assert_int_equal(XLB_FT_META_BACKEND(meta), 23);
	assert_non_null(xlb_ft6_find(&t.ft, 3, kw, a1, &meta));
	assert_int_equal(XLB_FT_META_BACKEND(meta), 11);
	/* a read hands out the way's own address */
	assert_true(xlb_ft_read_addr(&t.ft, w1, &k, &m, got));
	assert_memory_equal(got, a1, 16);
	/* deleting one leaves the other */
	assert_int_equal(xlb_ft_del(&t.ft, w2, kw, xlb_ft_meta(23, 0, 1, 2)),
			 XLB_FT_DEL_DONE);
	assert_null(xlb_ft6_find(&t.ft, 3, kw, a2, &meta));
	assert_non_null(xlb_ft6_find(&t.ft, 3, kw, a1, &meta));
	tab6_free(&t);
}

static void test_full_bucket(void **state)
{
	struct tab6 t;
	__be32 a[4];
	__u64 meta;
	__u32 i;

	(void)state;
	tab6_new(&t, 4);
	for (i = 0; i < XLB_FT_WAYS; i++) {
		addr_of(i, a);
		assert_true(xlb_ft6_place(&t.ft, 2, xlb_ft6_kw((__u64)i << 32, 80, 0),
					  a, xlb_ft_meta(i, 0, 1, 2)));
	}
	addr_of(9, a);
	assert_false(xlb_ft6_place(&t.ft, 2, xlb_ft6_kw(9ull << 32, 80, 0),
				   a, xlb_ft_meta(9, 0, 1, 2)));
	for (i = 0; i < XLB_FT_WAYS; i++) {
		addr_of(i, a);
		assert_non_null(xlb_ft6_find(&t.ft, 2,
					     xlb_ft6_kw((__u64)i << 32, 80, 0),
					     a, &meta));
		assert_int_equal(XLB_FT_META_BACKEND(meta), i);
	}
	/* the other buckets are empty: the same flow elsewhere is none */
	addr_of(0, a);
	assert_null(xlb_ft6_find(&t.ft, 1, xlb_ft6_kw(0, 80, 0), a, &meta));
	tab6_free(&t);
}

struct walk6 {
	__u32 seen, deleted, bad_addr;
	const struct xlb_ft *ft;
};

/* Delete back end 2's flows; every address must be the one placed
 * (fd00::n with n the back end's flow number in meta's nat port). */
static void walk6_one(void *arg, struct xlb_ft_way *w, __u64 kw, __u64 meta,
		      const __be32 *addr)
{
	struct walk6 *a = arg;
	__be32 want[4];

	a->seen++;
	addr_of(ntohs(XLB_FT_META_NATPORT(meta)), want);
	if (!addr || memcmp(addr, want, 16))
		a->bad_addr++;
	if (XLB_FT_META_BACKEND(meta) == 2 &&
	    xlb_ft_del(a->ft, w, kw, meta) == XLB_FT_DEL_DONE)
		a->deleted++;
}

static void test_walk6(void **state)
{
	struct tab6 t;
	struct walk6 a = { .ft = NULL };
	__u32 n, pos = 0;
	__be32 ad[4];

	(void)state;
	tab6_new(&t, 64);
	a.ft = &t.ft;
	for (n = 0; n < 200; n++) {
		addr_of(n, ad);
		assert_true(xlb_ft6_place(&t.ft, n, xlb_ft6_kw(n, 443, 0), ad,
					  xlb_ft_meta(n % 4, htons(n), 1, 2)));
	}
	while (pos < t.ft.nbuckets)
		pos = xlb_ft_walk(&t.ft, pos, 10, walk6_one, &a);
	assert_int_equal(a.seen, 200);
	assert_int_equal(a.deleted, 50);
	assert_int_equal(a.bad_addr, 0);
	memset(&a, 0, sizeof(a));
	a.ft = &t.ft;
	xlb_ft_walk(&t.ft, 0, ~0u, walk6_one, &a);
	assert_int_equal(a.seen, 150);
	assert_int_equal(a.bad_addr, 0);
	tab6_free(&t);
}

/* Delete-if-unchanged: a flow whose meta changed is not deleted; a way
 * that another flow took is left alone. */
static void test_delete_if_unchanged(void **state)
{
	struct tab6 t;
	__u64 kw = xlb_ft6_kw(1, 22, 0), m0 = xlb_ft_meta(1, 0, 1, 2), meta;
	__u64 kw2 = xlb_ft6_kw(2ull << 32, 22, 0);
	struct xlb_ft_way *w;
	__be32 a[4], a2[4], got[4];
	__u64 k, m;

	(void)state;
	tab6_new(&t, 4);
	addr_of(1, a);
	addr_of(2, a2);
	assert_true(xlb_ft6_place(&t.ft, 1, kw, a, m0));
	w = xlb_ft6_find(&t.ft, 1, kw, a, &meta);
	assert_non_null(w);
	/* a packet refreshed it: the sweep's decision is stale */
	w->meta = xlb_ft_meta(1, 0, 9, 2);
	assert_int_equal(xlb_ft_del(&t.ft, w, kw, m0), XLB_FT_DEL_REVIVED);
	assert_non_null(xlb_ft6_find(&t.ft, 1, kw, a, &meta));
	/* another flow took the way (the data path's replace) */
	w->kw = kw2 | XLB_FT_BUSY;
	t.k[1].a[w - t.b[1].w][0] = xlb_ft6_addr(a2, 0);
	t.k[1].a[w - t.b[1].w][1] = xlb_ft6_addr(a2, 1);
	w->kw = kw2;
	assert_int_equal(xlb_ft_del(&t.ft, w, kw, xlb_ft_meta(1, 0, 9, 2)),
			 XLB_FT_DEL_GONE);
	assert_true(xlb_ft_read_addr(&t.ft, w, &k, &m, got));
	assert_int_equal(k, kw2);
	assert_memory_equal(got, a2, 16);
	assert_null(xlb_ft6_find(&t.ft, 1, kw, a, &meta));
	tab6_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kw6),
		cmocka_unit_test(test_fingerprint_collision),
		cmocka_unit_test(test_full_bucket),
		cmocka_unit_test(test_walk6),
		cmocka_unit_test(test_delete_if_unchanged),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
