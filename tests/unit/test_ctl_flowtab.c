// SPDX-License-Identifier: GPL-2.0-only
/*
 * The controller's side of the IPv4 flow table (ctl/flowtab.c) on a plain
 * buffer laid out as flows4 is: the size rule, the word encodings,
 * collisions in one bucket, a full bucket, the consistent read (a way a
 * writer is filling is not a flow), delete-if-unchanged (loses to a
 * replace, leaves a flow refreshed since the walk read it), the walk over
 * a range (the sweep's steps) deleting as it goes, the last-seen
 * decode across the 24-bit wrap, and the bucket lock bit in way 0's meta
 * (held by an inserting CPU): not part of the flow, kept by every write. The data path's side (insert, oldest
 * way, two CPUs) is tests/prog/test_xdp_flowtab.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "flowtab.h"

#define SEC_NS 1000000000ull

static struct xlb_ft_bucket *tab_new(struct xlb_ft *ft, __u32 nb)
{
	struct xlb_ft_bucket *t = aligned_alloc(64, nb * sizeof(*t));

	assert_non_null(t);
	memset(t, 0, nb * sizeof(*t));
	xlb_ft_use(ft, t, nb);
	return t;
}

static __u64 kw_of(__u32 k)
{
	return xlb_ft_kw(0x0a000000u + k, (__u16)(1024 + k), 3);
}

static void test_bucket_count(void **state)
{
	/* twice the ways of max_flows (XLB_FT_ROOM), four a bucket */
	assert_int_equal(xlb_ft_buckets(0), 1);
	assert_int_equal(xlb_ft_buckets(1), 1);
	assert_int_equal(xlb_ft_buckets(2), 1);
	assert_int_equal(xlb_ft_buckets(3), 2);
	assert_int_equal(xlb_ft_buckets(4), 2);
	assert_int_equal(xlb_ft_buckets(5), 4);
	assert_int_equal(xlb_ft_buckets(8), 4);
	assert_int_equal(xlb_ft_buckets(9), 8);
	assert_int_equal(xlb_ft_buckets(1u << 20), 1u << 19);
	assert_int_equal(xlb_ft_buckets((1u << 20) + 1), 1u << 20);
	assert_int_equal(xlb_ft_buckets(67108864), 1u << 25);
	assert_int_equal(xlb_ft_buckets(0xffffffffu), 1u << 30);
}

static void test_words(void **state)
{
	__u64 kw = xlb_ft_kw(0xc6120001u, 0x5000, 4095);
	__u64 m = xlb_ft_meta(65535, 0x1234, 0xabcdef, XLB_FLOW_PICKUP);

	assert_int_equal(XLB_FT_KW_SRC(kw), 0xc6120001u);
	assert_int_equal(XLB_FT_KW_SPORT(kw), 0x5000);
	assert_int_equal(XLB_FT_KW_SVC(kw), 4095);
	assert_false(kw & XLB_FT_BUSY);
	/* never 0 (empty), even for address 0, port 0, service 0 */
	assert_true(xlb_ft_kw(0, 0, 0) != 0);
	assert_int_equal(XLB_FT_META_BACKEND(m), 65535);
	assert_int_equal(XLB_FT_META_NATPORT(m), 0x1234);
	assert_int_equal(XLB_FT_META_SEEN(m), 0xabcdef);
	assert_int_equal(XLB_FT_META_STATE(m), XLB_FLOW_PICKUP);
}

/* Four flows of one bucket each keep their own meta; a fifth finds no
 * way; a key that is not there is not found. */
static void test_collisions_full_bucket(void **state)
{
	struct xlb_ft ft;
	struct xlb_ft_bucket *t = tab_new(&ft, 1);
	__u64 meta;
	__u32 k;

	for (k = 0; k < XLB_FT_WAYS; k++)
		assert_true(xlb_ft_place(&ft, k * 7919, kw_of(k),
					 xlb_ft_meta(k + 1, 0, 5, 2)));
	assert_false(xlb_ft_place(&ft, 99, kw_of(99),
				  xlb_ft_meta(9, 0, 5, 2)));
	for (k = 0; k < XLB_FT_WAYS; k++) {
		assert_non_null(xlb_ft_find(&ft, k, kw_of(k), &meta));
		assert_int_equal(XLB_FT_META_BACKEND(meta), k + 1);
	}
	assert_null(xlb_ft_find(&ft, 0, kw_of(99), &meta));
	/* place again: the flow's own way, no second copy */
	assert_true(xlb_ft_place(&ft, 0, kw_of(2), xlb_ft_meta(7, 0, 5, 2)));
	assert_non_null(xlb_ft_find(&ft, 0, kw_of(2), &meta));
	assert_int_equal(XLB_FT_META_BACKEND(meta), 7);
	free(t);
}

/* A way a writer is filling (busy bit) is no flow to a reader. */
static void test_busy_way_not_read(void **state)
{
	struct xlb_ft ft;
	struct xlb_ft_bucket *t = tab_new(&ft, 1);
	__u64 kw, meta;

	t[0].w[1].kw = kw_of(1) | XLB_FT_BUSY;
	t[0].w[1].meta = 1;
	assert_false(xlb_ft_read(&t[0].w[1], &kw, &meta));
	assert_null(xlb_ft_find(&ft, 0, kw_of(1), &meta));
	t[0].w[1].kw = kw_of(1);
	assert_true(xlb_ft_read(&t[0].w[1], &kw, &meta));
	assert_true(kw == kw_of(1) && meta == 1);
	free(t);
}

/* delete-if-unchanged: deletes the flow it read; loses to a replace (the
 * way holds another flow); leaves a flow whose meta changed since the
 * walk read it (a packet used it: not idle any more). */
static void test_delete_if_unchanged(void **state)
{
	struct xlb_ft ft;
	struct xlb_ft_bucket *t = tab_new(&ft, 1);
	struct xlb_ft_way *w;
	__u64 m0 = xlb_ft_meta(1, 0, 10, XLB_FLOW_FIN), meta;

	assert_true(xlb_ft_place(&ft, 0, kw_of(1), m0));
	w = xlb_ft_find(&ft, 0, kw_of(1), &meta);
	assert_non_null(w);
	/* replaced by another flow after the walk read it */
	w->kw = kw_of(2);
	assert_int_equal(xlb_ft_delete(w, kw_of(1), m0), XLB_FT_DEL_GONE);
	assert_true(w->kw == kw_of(2));
	/* refreshed after the walk read it */
	w->kw = kw_of(1);
	w->meta = xlb_ft_meta(1, 0, 11, XLB_FLOW_SYN);
	assert_int_equal(xlb_ft_delete(w, kw_of(1), m0), XLB_FT_DEL_REVIVED);
	assert_true(w->kw == kw_of(1));
	/* unchanged: deleted, then gone */
	assert_int_equal(xlb_ft_delete(w, kw_of(1), w->meta), XLB_FT_DEL_DONE);
	assert_true(w->kw == 0);
	assert_int_equal(xlb_ft_delete(w, kw_of(1), m0), XLB_FT_DEL_GONE);
	free(t);
}

/* Way 0's meta carries the bucket's lock bit while a CPU inserts: the
 * controller reads the flow without it, and its writes (place, revive)
 * keep it, so they never release another CPU's lock. */
static void test_lock_bit_kept(void **state)
{
	struct xlb_ft ft;
	struct xlb_ft_bucket *t = tab_new(&ft, 1);
	__u64 m0 = xlb_ft_meta(1, 0, 10, XLB_FLOW_ESTABLISHED), meta, k;
	struct xlb_ft_way *w;

	t[0].w[0].meta = XLB_FT_LOCK; /* an empty way 0, the bucket locked */
	assert_true(xlb_ft_place(&ft, 0, kw_of(1), m0));
	assert_true(t[0].w[0].kw == kw_of(1));
	assert_true(t[0].w[0].meta == (m0 | XLB_FT_LOCK));
	assert_true(xlb_ft_read(&t[0].w[0], &k, &meta));
	assert_true(meta == m0);
	assert_int_equal(XLB_FT_META_STATE(t[0].w[0].meta),
			 XLB_FLOW_ESTABLISHED);
	w = xlb_ft_find(&ft, 0, kw_of(1), &meta);
	assert_ptr_equal(w, &t[0].w[0]);
	/* refreshed (a packet) between the walk's read and the delete: put
	 * back, the lock bit still there */
	w->meta = xlb_ft_meta(1, 0, 11, XLB_FLOW_ESTABLISHED) | XLB_FT_LOCK;
	assert_int_equal(xlb_ft_delete(w, kw_of(1), m0), XLB_FT_DEL_REVIVED);
	assert_true(w->meta & XLB_FT_LOCK);
	/* unchanged but for the lock bit: deleted, the bit stays */
	assert_true(xlb_ft_read(w, &k, &meta));
	assert_int_equal(xlb_ft_delete(w, kw_of(1), meta), XLB_FT_DEL_DONE);
	assert_true(w->kw == 0 && (w->meta & XLB_FT_LOCK));
	free(t);
}

struct walk_arg {
	__u32 seen, deleted;
	__u64 live[8];
};

/* The sweep's shape: delete flows of back end 2, count the others. */
static void walk_one(void *arg, struct xlb_ft_way *w, __u64 kw, __u64 meta,
		     const __be32 *addr)
{
	struct walk_arg *a = arg;
	__u32 be = XLB_FT_META_BACKEND(meta);

	a->seen++;
	if (be == 2 && xlb_ft_delete(w, kw, meta) == XLB_FT_DEL_DONE)
		a->deleted++;
	else if (be < 8)
		a->live[be]++;
}

static void test_walk_in_steps(void **state)
{
	struct xlb_ft ft;
	struct xlb_ft_bucket *t = tab_new(&ft, 64);
	struct walk_arg a = {};
	__u32 k, pos = 0, steps = 0;

	for (k = 0; k < 200; k++)
		assert_true(xlb_ft_place(&ft, k, kw_of(k),
					 xlb_ft_meta(k % 4, 0, 1, 2)));
	/* a busy way is skipped */
	t[50].w[3].kw = kw_of(999) | XLB_FT_BUSY; /* a free way */
	while (pos < ft.nbuckets) {
		pos = xlb_ft_walk(&ft, pos, 10, walk_one, &a);
		steps++;
	}
	assert_int_equal(steps, 7);
	assert_int_equal(a.seen, 200);
	assert_int_equal(a.deleted, 50);
	assert_int_equal(a.live[0] + a.live[1] + a.live[3], 150);
	memset(&a, 0, sizeof(a));
	assert_int_equal(xlb_ft_walk(&ft, 0, ~0u, walk_one, &a), 64);
	assert_int_equal(a.seen, 150);
	assert_int_equal(a.deleted, 0);
	free(t);
}

/* Last-seen in 2^26 ns units, 24 bits: decoded to the start of its unit,
 * at most one unit early, across the wrap. */
static void test_last_seen_decode(void **state)
{
	__u64 now = (0x1000000ull + 5) << XLB_FT_SEEN_SHIFT; /* past a wrap */
	__u64 seen_at = now - 10 * SEC_NS;
	__u32 seen = xlb_ft_seen(seen_at);
	struct flow_value v;
	__u64 last = xlb_ft_last_ns(seen, now);

	assert_true(seen > xlb_ft_seen(now)); /* it wrapped in between */
	assert_true(last <= seen_at);
	assert_true(seen_at - last < (1ull << XLB_FT_SEEN_SHIFT));
	xlb_ft_value(xlb_ft_meta(3, 0x99, seen, XLB_FLOW_FIN), now, &v);
	assert_int_equal(v.backend_id, 3);
	assert_int_equal(v.nat_port, 0x99);
	assert_int_equal(v.state, XLB_FLOW_FIN);
	assert_true(v.last_seen == last);
	/* the wrap is beyond the longest timeout the config allows (a week) */
	assert_true((1ull << (24 + XLB_FT_SEEN_SHIFT)) > 7 * 86400 * SEC_NS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bucket_count),
		cmocka_unit_test(test_words),
		cmocka_unit_test(test_collisions_full_bucket),
		cmocka_unit_test(test_busy_way_not_read),
		cmocka_unit_test(test_delete_if_unchanged),
		cmocka_unit_test(test_walk_in_steps),
		cmocka_unit_test(test_last_seen_decode),
		cmocka_unit_test(test_lock_bit_kept),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
