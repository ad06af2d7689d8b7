// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests of the weighted Maglev table builder (ctl/maglev.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "maglev.h"
#include "xdp_lb.h"

#define SIZE 65537 /* XLB_DEFAULT_TABLE_SIZE */
#define MAX_BK 256

/* 10.0.x.y for i = 0..65533 */
static void addr_v4(struct lb_addr *a, unsigned int i)
{
	memset(a, 0, sizeof(*a));
	a->family = AF_INET;
	a->b[0] = 10;
	a->b[2] = (__u8)((i + 1) >> 8);
	a->b[3] = (__u8)(i + 1);
}

/* fd00::<i + 1> */
static void addr_v6(struct lb_addr *a, unsigned int i)
{
	memset(a, 0, sizeof(*a));
	a->family = AF_INET6;
	a->b[0] = 0xfd;
	a->b[14] = (__u8)((i + 1) >> 8);
	a->b[15] = (__u8)(i + 1);
}

/* n IPv4 back ends, id i, weight w. */
static void make_equal(struct maglev_backend *bk, size_t n, __u32 w)
{
	size_t i;

	memset(bk, 0, n * sizeof(*bk));
	for (i = 0; i < n; i++) {
		addr_v4(&bk[i].addr, (unsigned int)i);
		bk[i].id = (__u32)i;
		bk[i].weight = w;
	}
}

/* Build and check that it succeeded; the caller frees the table. */
static __u32 *build_ok(const struct maglev_backend *bk, size_t n, __u32 size)
{
	__u32 *table = calloc(size, sizeof(*table));
	int err;

	assert_non_null(table);
	err = maglev_build(bk, n, table, size);
	if (err)
		fail_msg("maglev_build(n=%zu, size=%u) = %d, expected 0", n,
			 size, err);
	return table;
}

/*
 * Slots per back end: counts[i] for id i (ids are 0..n-1). Fails on a slot
 * holding an id that is not one of them.
 */
static void count_slots(const __u32 *table, __u32 size, size_t n, __u32 *counts)
{
	__u32 s;

	memset(counts, 0, n * sizeof(*counts));
	for (s = 0; s < size; s++) {
		if (table[s] >= n)
			fail_msg(
				"slot %u holds id %#x, not a back end (0..%zu)",
				s, table[s], n - 1);
		counts[table[s]]++;
	}
}

/* Slot count of back end id within tol of exact, or fail naming them. */
static void check_share(const char *what, size_t id, __u32 count, double exact,
			double tol)
{
	double diff = count - exact;

	if (diff > tol || -diff > tol)
		fail_msg("%s: back end %zu has %u slots, expected %.2f +- %.2f",
			 what, id, count, exact, tol);
}

static void check_equal_spread(size_t n)
{
	struct maglev_backend bk[MAX_BK];
	__u32 counts[MAX_BK], min = UINT32_MAX, max = 0, *table;
	size_t i;

	make_equal(bk, n, 100);
	table = build_ok(bk, n, SIZE);
	count_slots(table, SIZE, n, counts);
	for (i = 0; i < n; i++) {
		if (counts[i] < min)
			min = counts[i];
		if (counts[i] > max)
			max = counts[i];
	}
	if (max - min > 1)
		fail_msg("%zu equal back ends: slot counts range %u..%u, "
			 "expected max - min <= 1",
			 n, min, max);
	free(table);
}

static void test_equal_weights_3(void **state)
{
	check_equal_spread(3);
}

static void test_equal_weights_10(void **state)
{
	check_equal_spread(10);
}

static void test_equal_weights_100(void **state)
{
	check_equal_spread(100);
}

/* Weights 1..100: each share within 1% of its exact value, or one slot. */
static void test_weights_1_to_100(void **state)
{
	struct maglev_backend bk[100];
	__u32 counts[100], *table;
	double sum = 0;
	size_t i;

	make_equal(bk, 100, 0);
	for (i = 0; i < 100; i++) {
		bk[i].weight = (__u32)i + 1;
		sum += bk[i].weight;
	}
	table = build_ok(bk, 100, SIZE);
	count_slots(table, SIZE, 100, counts);
	for (i = 0; i < 100; i++) {
		double exact = (double)SIZE * bk[i].weight / sum;

		check_share("weights 1..100", i, counts[i], exact,
			    0.01 * exact > 1.0 ? 0.01 * exact : 1.0);
	}
	free(table);
}

static void test_weights_2_1_1(void **state)
{
	struct maglev_backend bk[3];
	__u32 counts[3], *table;

	make_equal(bk, 3, 1);
	bk[0].weight = 2;
	table = build_ok(bk, 3, SIZE);
	count_slots(table, SIZE, 3, counts);
	check_share("weights 2:1:1", 0, counts[0], SIZE * 0.50, 1.0);
	check_share("weights 2:1:1", 1, counts[1], SIZE * 0.25, 1.0);
	check_share("weights 2:1:1", 2, counts[2], SIZE * 0.25, 1.0);
	free(table);
}

/* Same set in another order and with other ids: same address per slot. */
static void test_order_and_ids_do_not_matter(void **state)
{
	struct maglev_backend a[50], b[50];
	__u32 *ta, *tb, s;
	size_t i;

	make_equal(a, 50, 0);
	for (i = 0; i < 50; i++) {
		a[i].weight = (__u32)(i % 7) + 1;
		if (i % 3 == 0)
			addr_v6(&a[i].addr, (unsigned int)i);
	}
	/* b: reversed and interleaved, id = 1000 + 3 * original index */
	for (i = 0; i < 50; i++) {
		size_t from = (i * 17 + 5) % 50; /* 17 is coprime with 50 */

		b[i] = a[from];
		b[i].id = 1000 + 3 * (__u32)from;
	}
	ta = build_ok(a, 50, SIZE);
	tb = build_ok(b, 50, SIZE);
	for (s = 0; s < SIZE; s++) {
		__u32 from = (tb[s] - 1000) / 3;

		if (tb[s] < 1000 || from >= 50 || (tb[s] - 1000) % 3)
			fail_msg("shuffled input: slot %u holds unknown id %u",
				 s, tb[s]);
		if (from != ta[s])
			fail_msg("shuffled input: slot %u goes to back end %u, "
				 "in input order to %u",
				 s, from, ta[s]);
	}
	free(ta);
	free(tb);
}

static void test_two_builds_identical(void **state)
{
	struct maglev_backend bk[100];
	__u32 *t1, *t2, s;

	make_equal(bk, 100, 3);
	bk[7].weight = 11;
	t1 = build_ok(bk, 100, SIZE);
	t2 = build_ok(bk, 100, SIZE);
	for (s = 0; s < SIZE; s++)
		if (t1[s] != t2[s])
			fail_msg("two builds: slot %u is %u then %u", s, t1[s],
				 t2[s]);
	free(t1);
	free(t2);
}

/*
 * The table is part of the contract between balancer nodes (and between a
 * controller and its restarted self): the hash must never change. A small
 * table pinned by value catches any change to the hash or the fill order.
 */
static void test_golden_table(void **state)
{
	static const __u32 golden[31] = {
		2, 2, 1, 2, 2, 0, 0, 3, 0, 0, 3, 0, 1, 0, 0, 2,
		2, 0, 1, 0, 3, 0, 0, 3, 1, 3, 0, 1, 3, 0, 1,
	};
	struct maglev_backend bk[4];
	__u32 *table, s;

	make_equal(bk, 3, 1);
	bk[0].weight = 2;
	addr_v6(&bk[3].addr, 0);
	bk[3].id = 3;
	bk[3].weight = 1;
	table = build_ok(bk, 4, 31);
	for (s = 0; s < 31; s++)
		if (table[s] != golden[s])
			fail_msg("golden table: slot %u is %u, expected %u "
				 "(hash or fill order changed)",
				 s, table[s], golden[s]);
	free(table);
}

/* Slots whose back end differs between two tables of SIZE slots. */
static __u32 changed_slots(const __u32 *a, const __u32 *b)
{
	__u32 s, changed = 0;

	for (s = 0; s < SIZE; s++)
		changed += a[s] != b[s];
	return changed;
}

/*
 * Remove back end victim of n equal ones (ids follow addresses): its slots
 * move, about 1/n of all, and few slots of the others move.
 */
static void check_remove_one(const char *what, struct maglev_backend *bk,
			     size_t n, size_t victim)
{
	__u32 *before, *after, s, changed, removed = 0, others = 0;
	double frac, ideal = 1.0 / n;

	before = build_ok(bk, n, SIZE);
	bk[victim] = bk[n - 1];
	after = build_ok(bk, n - 1, SIZE);

	changed = changed_slots(before, after);
	for (s = 0; s < SIZE; s++)
		if (after[s] == XLB_NO_BACKEND)
			fail_msg("%s: slot %u left empty", what, s);
	for (s = 0; s < SIZE; s++) {
		if (before[s] == victim)
			removed++;
		else if (before[s] != after[s])
			others++;
	}
	frac = (double)changed / SIZE;
	if (frac < ideal - 0.001 || frac > 1.5 * ideal)
		fail_msg("%s: %.4f of slots changed, expected %.4f..%.4f", what,
			 frac, ideal - 0.001, 1.5 * ideal);
	if (others > SIZE / 50)
		fail_msg("%s: %u slots of surviving back ends moved, "
			 "expected <= %u (2%%)",
			 what, others, SIZE / 50);
	if (removed != changed - others)
		fail_msg("%s: the removed back end had %u slots, but %u of "
			 "them changed",
			 what, removed, changed - others);
	free(before);
	free(after);
}

/*
 * A weight change on every node (docs/cluster.md): weights 100/100/200 ->
 * 100/100/50. A flow pinned before it keeps its back end on its node, but
 * on another node (ECMP moved it) the new table picks again: it survives
 * only where its slot's owner did not change. The fraction of slots that
 * changed owner is that of such flows that break; it is about the share
 * the third back end gave up (50% -> 20%: 30% of slots), never less.
 */
static void test_weight_change_moves(void **state)
{
	struct maglev_backend bk[3];
	__u32 *before, *after, changed = 0, i;
	double frac;

	make_equal(bk, 3, 100);
	bk[2].weight = 200;
	before = build_ok(bk, 3, SIZE);
	bk[2].weight = 50;
	after = build_ok(bk, 3, SIZE);
	for (i = 0; i < SIZE; i++)
		changed += before[i] != after[i];
	frac = (double)changed / SIZE;
	printf("weight change 100/100/200 -> 100/100/50: %.1f%% of slots change owner\n",
	       100 * frac);
	if (frac < 0.30 - 0.01 || frac > 0.45) {
		print_error("weight change moved %.3f of slots, not 0.30..0.45\n",
			    frac);
		fail();
	}
	free(before);
	free(after);
}

static void test_remove_one_of_10(void **state)
{
	struct maglev_backend bk[10];

	make_equal(bk, 10, 1);
	check_remove_one("remove 1 of 10", bk, 10, 4);
}

/* Add an 11th: it takes about 1/11, and few other slots move. */
static void test_add_one_to_10(void **state)
{
	struct maglev_backend bk[11];
	__u32 *before, *after, s, changed, others = 0;
	double frac;

	make_equal(bk, 11, 1);
	before = build_ok(bk, 10, SIZE);
	after = build_ok(bk, 11, SIZE);

	changed = changed_slots(before, after);
	for (s = 0; s < SIZE; s++)
		if (before[s] != after[s] && after[s] != 10)
			others++;
	frac = (double)changed / SIZE;
	if (frac < 1.0 / 11 - 0.001 || frac > 1.5 / 11)
		fail_msg("add 1 to 10: %.4f of slots changed, expected "
			 "%.4f..%.4f",
			 frac, 1.0 / 11 - 0.001, 1.5 / 11);
	if (others > SIZE / 50)
		fail_msg("add 1 to 10: %u slots moved between old back ends, "
			 "expected <= %u (2%%)",
			 others, SIZE / 50);
	free(before);
	free(after);
}

static void test_zero_weight_gets_no_slot(void **state)
{
	struct maglev_backend bk[5];
	__u32 counts[5], *table;
	size_t i;

	make_equal(bk, 5, 10);
	bk[2].weight = 0;
	table = build_ok(bk, 5, SIZE);
	count_slots(table, SIZE, 5, counts);
	if (counts[2])
		fail_msg("weight 0: back end 2 has %u slots, expected 0",
			 counts[2]);
	for (i = 0; i < 5; i++)
		if (i != 2)
			check_share("one of 5 drained", i, counts[i],
				    SIZE / 4.0, 1.0);
	free(table);
}

static void check_all_empty(const char *what, const __u32 *table, __u32 size)
{
	__u32 s;

	for (s = 0; s < size; s++)
		if (table[s] != XLB_NO_BACKEND)
			fail_msg("%s: slot %u is %#x, expected XLB_NO_BACKEND",
				 what, s, table[s]);
}

static void test_all_zero_weights(void **state)
{
	struct maglev_backend bk[4];
	__u32 *table;

	make_equal(bk, 4, 0);
	table = build_ok(bk, 4, SIZE);
	check_all_empty("all weights 0", table, SIZE);
	free(table);
}

static void test_no_backends(void **state)
{
	__u32 *table = build_ok(NULL, 0, 13);

	check_all_empty("no back ends", table, 13);
	free(table);
}

/* -EINVAL, and the table is left as it was. */
static void check_einval(const char *what, const struct maglev_backend *bk,
			 size_t n, __u32 size)
{
	__u32 table[64], s;
	int err;

	assert_true(size <= 64);
	for (s = 0; s < 64; s++)
		table[s] = 0x5a5a5a5a;
	err = maglev_build(bk, n, table, size);
	if (err != -EINVAL)
		fail_msg("%s: maglev_build = %d, expected -EINVAL", what, err);
	for (s = 0; s < 64; s++)
		if (table[s] != 0x5a5a5a5a)
			fail_msg("%s: slot %u written on error", what, s);
}

static void test_bad_size(void **state)
{
	struct maglev_backend bk[7];

	make_equal(bk, 7, 1);
	check_einval("size 0", bk, 1, 0);
	check_einval("size 1", bk, 1, 1);
	check_einval("size 9 (not prime)", bk, 3, 9);
	check_einval("size 15 (not prime)", bk, 3, 15);
	check_einval("size 49 (not prime)", bk, 3, 49);
	check_einval("size 7 == n", bk, 7, 7);
	check_einval("size 5 < n", bk, 7, 5);
	check_einval("size 4, no back ends", NULL, 0, 4);
}

static void test_duplicate_address(void **state)
{
	struct maglev_backend bk[6];
	__u32 *table;

	make_equal(bk, 6, 1);
	bk[5].addr = bk[1].addr;
	bk[5].id = 99;
	check_einval("duplicate address", bk, 6, 13);
	bk[5].weight = 0;
	check_einval("duplicate address, one drained", bk, 6, 13);

	/* 10.0.0.2 and ::ffff:10.0.0.2 are different addresses */
	memset(&bk[5].addr, 0, sizeof(bk[5].addr));
	bk[5].addr.family = AF_INET6;
	bk[5].addr.b[10] = 0xff;
	bk[5].addr.b[11] = 0xff;
	memcpy(&bk[5].addr.b[12], bk[1].addr.b, 4);
	bk[5].id = 5;
	bk[5].weight = 1;
	table = build_ok(bk, 6, 13);
	free(table);
}

static void test_ipv6(void **state)
{
	struct maglev_backend bk[50];
	__u32 counts[50], *table;
	size_t i;

	make_equal(bk, 50, 1);
	for (i = 0; i < 50; i++)
		addr_v6(&bk[i].addr, (unsigned int)i * 7919);
	table = build_ok(bk, 50, SIZE);
	count_slots(table, SIZE, 50, counts);
	for (i = 0; i < 50; i++)
		check_share("50 IPv6 back ends", i, counts[i], SIZE / 50.0,
			    1.0);
	free(table);
}

/* Hashes use all 16 bytes: IPv6 back ends that differ late still spread. */
static void test_ipv6_remove_one_of_10(void **state)
{
	struct maglev_backend bk[10];
	size_t i;

	make_equal(bk, 10, 1);
	for (i = 0; i < 10; i++)
		addr_v6(&bk[i].addr, (unsigned int)i);
	check_remove_one("IPv6: remove 1 of 10", bk, 10, 6);
}

static void test_mixed_ipv4_ipv6(void **state)
{
	struct maglev_backend bk[40];
	__u32 counts[40], *table;
	double sum = 0;
	size_t i;

	make_equal(bk, 40, 0);
	for (i = 0; i < 40; i++) {
		if (i % 2)
			addr_v6(&bk[i].addr, (unsigned int)i);
		bk[i].weight = (__u32)(i % 3) + 1;
		sum += bk[i].weight;
	}
	table = build_ok(bk, 40, SIZE);
	count_slots(table, SIZE, 40, counts);
	for (i = 0; i < 40; i++)
		check_share("mixed IPv4/IPv6", i, counts[i],
			    SIZE * bk[i].weight / sum, 1.0);
	free(table);
}

/*
 * 1000 back ends of weight 1 next to one of 65535: each weight 1 has an
 * exact share of 0.985 slots, but only 986 slots are left over after the
 * big one's floor, so 14 of them get their slot from the minimum rule.
 */
static void test_tiny_weight_gets_a_slot(void **state)
{
	static struct maglev_backend bk[1001];
	static __u32 counts[1001];
	__u32 *table;
	size_t i;

	make_equal(bk, 1001, 1);
	bk[500].weight = 65535;
	table = build_ok(bk, 1001, SIZE);
	count_slots(table, SIZE, 1001, counts);
	for (i = 0; i < 1001; i++)
		if (i != 500 && counts[i] != 1)
			fail_msg("weight 1 next to 65535: back end %zu has "
				 "%u slots, expected 1",
				 i, counts[i]);
	if (counts[500] != SIZE - 1000)
		fail_msg("weight 65535: %u slots, expected %u", counts[500],
			 SIZE - 1000);
	free(table);
}

/*
 * Shares below half a slot: largest-remainder rounding gives them nothing,
 * so the minimum of one slot each is taken from the largest quotas.
 */
static void test_minimum_slot_taken_from_largest(void **state)
{
	struct maglev_backend bk[12];
	__u32 counts[12], *table;
	size_t i;

	make_equal(bk, 12, 1);
	bk[0].weight = 4000000000u;
	bk[11].weight = 2000000000u;
	table = build_ok(bk, 12, 101);
	count_slots(table, 101, 12, counts);
	for (i = 1; i < 11; i++)
		if (counts[i] != 1)
			fail_msg("tiny share: back end %zu has %u slots, "
				 "expected 1",
				 i, counts[i]);
	/* exact 67.33 and 33.67 -> 67 + 34, minus 10: from the largest */
	if (counts[0] != 57 || counts[11] != 34)
		fail_msg("donors: back ends 0 and 11 have %u and %u slots, "
			 "expected 57 and 34",
			 counts[0], counts[11]);
	free(table);
}

/*
 * Equal donors: back ends 0 and 11 (weight 3e9 each) have exact shares of
 * 50.5 slots; the leftover slot goes to the lower address (51 + 50), then
 * the 10 minimum slots are taken from the largest quota, the lower address
 * first on a tie: 51 -> 45 and 50 -> 46.
 */
static void test_minimum_slot_tie_lower_address_gives(void **state)
{
	struct maglev_backend bk[12];
	__u32 counts[12], *table;

	make_equal(bk, 12, 1);
	bk[0].weight = 3000000000u;
	bk[11].weight = 3000000000u;
	table = build_ok(bk, 12, 101);
	count_slots(table, 101, 12, counts);
	if (counts[0] != 45 || counts[11] != 46)
		fail_msg("tied donors: back ends 0 and 11 have %u and %u "
			 "slots, expected 45 and 46",
			 counts[0], counts[11]);
	free(table);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_equal_weights_3),
		cmocka_unit_test(test_equal_weights_10),
		cmocka_unit_test(test_equal_weights_100),
		cmocka_unit_test(test_weights_1_to_100),
		cmocka_unit_test(test_weights_2_1_1),
		cmocka_unit_test(test_order_and_ids_do_not_matter),
		cmocka_unit_test(test_two_builds_identical),
		cmocka_unit_test(test_golden_table),
		cmocka_unit_test(test_remove_one_of_10),
		cmocka_unit_test(test_weight_change_moves),
		cmocka_unit_test(test_add_one_to_10),
		cmocka_unit_test(test_zero_weight_gets_no_slot),
		cmocka_unit_test(test_all_zero_weights),
		cmocka_unit_test(test_no_backends),
		cmocka_unit_test(test_bad_size),
		cmocka_unit_test(test_duplicate_address),
		cmocka_unit_test(test_ipv6),
		cmocka_unit_test(test_ipv6_remove_one_of_10),
		cmocka_unit_test(test_mixed_ipv4_ipv6),
		cmocka_unit_test(test_tiny_weight_gets_a_slot),
		cmocka_unit_test(test_minimum_slot_taken_from_largest),
		cmocka_unit_test(test_minimum_slot_tie_lower_address_gives),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
