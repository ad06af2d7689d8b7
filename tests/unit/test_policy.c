// SPDX-License-Identifier: GPL-2.0-only
/*
 * Load policy: convergence under steady load, no oscillation, the floor,
 * hysteresis, the flow signal, the slow-start ramp and effective weights.
 *
 * The simulated back ends follow a linear model: back end i with capacity
 * c[i] gets the share w_i f_i / sum(w f) of the offered load, and reports
 * load = offered x share / c[i] percent.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "policy.h"

#define N 4
#define SEC 1000000000ull

static struct load_policy pol;

static int setup(void **state)
{
	policy_defaults(&pol);
	pol.enabled = true;
	return 0;
}

/* The linear model: loads from factors. */
static void model(const double *cap, const __u32 *w, const __u32 *f,
		  double offered, struct load_input *in, size_t n)
{
	double tot = 0;
	size_t i;

	for (i = 0; i < n; i++)
		tot += (double)w[i] * f[i];
	for (i = 0; i < n; i++) {
		double share = tot ? (double)w[i] * f[i] / tot : 0;
		double l = offered * share / cap[i];

		in[i] = (struct load_input){ .in_table = true,
					     .weight = w[i],
					     .has_load = true,
					     .load = l > 1000 ? 1000 :
								(__u32)(l + 0.5) };
	}
}

/* One back end at half capacity: its factor comes down until its load
 * is within the margin of the mean, then nothing moves (no oscillation). */
static void test_converges_steady_load(void **state)
{
	const double cap[N] = { 1, 1, 1, 0.5 };
	const __u32 w[N] = { 100, 100, 100, 100 };
	__u32 f[N] = { POLICY_ONE, POLICY_ONE, POLICY_ONE, POLICY_ONE };
	__u32 hist[60][N];
	struct load_input in[N];
	double mean;
	int r, i, last_change = -1;

	for (r = 0; r < 60; r++) {
		model(cap, w, f, 160, in, N);
		if (policy_eval(&pol, in, f, N))
			last_change = r;
		memcpy(hist[r], f, sizeof(f));
	}
	assert_true(last_change >= 0 && last_change < 10);
	assert_true(f[3] < POLICY_ONE);
	for (i = 0; i < 3; i++)
		assert_int_equal(f[i], POLICY_ONE);
	model(cap, w, f, 160, in, N);
	mean = (in[0].load + in[1].load + in[2].load + in[3].load) / 4.0;
	/* within the band: at most margin above the mean */
	assert_true(in[3].load * 100.0 <= mean * (100 + pol.margin) + 100);
	/* and clearly better than before: 2x the others at the start */
	assert_true(in[3].load < 1.5 * in[0].load);
	for (r = last_change + 1; r < 60; r++)
		assert_memory_equal(hist[r], f, sizeof(f));
}

/* A factor never goes down then up then down again in a steady state:
 * count direction changes over many rounds at several loads. */
static void test_no_oscillation(void **state)
{
	const double caps[3][N] = { { 1, 1, 1, 0.5 },
				    { 1, 0.8, 0.6, 0.4 },
				    { 2, 1, 1, 1 } };
	const __u32 w[N] = { 100, 100, 50, 200 };
	int c, r, i;

	for (c = 0; c < 3; c++) {
		__u32 f[N] = { POLICY_ONE, POLICY_ONE, POLICY_ONE,
			       POLICY_ONE };
		int dir[N] = { 0 }, flips[N] = { 0 };
		struct load_input in[N];

		for (r = 0; r < 200; r++) {
			__u32 old[N];

			memcpy(old, f, sizeof(f));
			model(caps[c], w, f, 200, in, N);
			policy_eval(&pol, in, f, N);
			for (i = 0; i < N; i++) {
				int d = f[i] > old[i] ? 1 : f[i] < old[i] ? -1 :
									    0;

				if (d && dir[i] && d != dir[i])
					flips[i]++;
				if (d)
					dir[i] = d;
			}
		}
		for (i = 0; i < N; i++)
			assert_true(flips[i] <= 1);
	}
}

/* A back end stuck at 100% whatever its share goes to the floor, never
 * under it; the others keep full weight. */
static void test_floor(void **state)
{
	struct load_input in[3] = {
		{ .in_table = true, .weight = 100, .has_load = true, .load = 100 },
		{ .in_table = true, .weight = 100, .has_load = true, .load = 10 },
		{ .in_table = true, .weight = 100, .has_load = true, .load = 10 },
	};
	__u32 f[3] = { POLICY_ONE, POLICY_ONE, POLICY_ONE };
	int r;

	assert_true(policy_eval(&pol, in, f, 3));
	assert_int_equal(f[0], 400); /* mean 40 / load 100 */
	for (r = 0; r < 20; r++)
		policy_eval(&pol, in, f, 3);
	assert_int_equal(f[0], pol.floor * 10);
	assert_int_equal(f[1], POLICY_ONE);
	assert_int_equal(f[2], POLICY_ONE);
	/* the load goes away: the share comes back, step by step */
	in[0].load = 10;
	policy_eval(&pol, in, f, 3);
	assert_true(f[0] > pol.floor * 10);
	assert_true(f[0] <= pol.floor * 10 + pol.step * 10);
	for (r = 0; r < 25; r++)
		policy_eval(&pol, in, f, 3);
	assert_int_equal(f[0], POLICY_ONE);
}

/* Inside the band (restore..margin above the mean) nothing moves. */
static void test_hysteresis_band(void **state)
{
	struct load_input in[2] = {
		{ .in_table = true, .weight = 100, .has_load = true, .load = 55 },
		{ .in_table = true, .weight = 100, .has_load = true, .load = 45 },
	};
	__u32 f[2] = { 700, POLICY_ONE };

	/* mean 50: 55 is 10% above, inside 5%..20% */
	assert_false(policy_eval(&pol, in, f, 2));
	assert_int_equal(f[0], 700);
	in[0].load = 65; /* 65 vs mean 55: 18% above, still inside */
	assert_false(policy_eval(&pol, in, f, 2));
	in[0].load = 80; /* 80 vs mean 62.5: 28% above: cut */
	assert_true(policy_eval(&pol, in, f, 2));
	assert_true(f[0] < 700);
}

/* Without load reports the signal is live flows per unit of weight: a
 * back end with twice the flows of its weight's share is cut; too few
 * flows to judge changes nothing. */
static void test_flow_signal(void **state)
{
	struct load_input in[3] = {
		{ .in_table = true, .weight = 100, .flows = 400 },
		{ .in_table = true, .weight = 100, .flows = 100 },
		{ .in_table = true, .weight = 200, .flows = 200 },
	};
	__u32 f[3] = { POLICY_ONE, POLICY_ONE, POLICY_ONE };

	assert_true(policy_eval(&pol, in, f, 3));
	assert_true(f[0] < POLICY_ONE);
	assert_int_equal(f[1], POLICY_ONE);
	assert_int_equal(f[2], POLICY_ONE);
	/* a back end with a weight twice as big may hold twice the flows */
	in[0].flows = 100, in[1].flows = 100, in[2].flows = 200;
	f[0] = POLICY_ONE;
	assert_false(policy_eval(&pol, in, f, 3));
	/* 3 flows in all: nothing to judge */
	in[0].flows = 3, in[1].flows = 0, in[2].flows = 0;
	assert_false(policy_eval(&pol, in, f, 3));
	/* one back end reporting load is not enough to use loads */
	in[0].has_load = true, in[0].load = 100;
	assert_false(policy_eval(&pol, in, f, 3));
}

/* Back ends out of the table neither count nor change; disabled resets. */
static void test_out_of_table_and_disabled(void **state)
{
	struct load_input in[3] = {
		{ .in_table = false, .weight = 100, .has_load = true, .load = 0 },
		{ .in_table = true, .weight = 100, .has_load = true, .load = 90 },
		{ .in_table = true, .weight = 100, .has_load = true, .load = 90 },
	};
	__u32 f[3] = { 300, POLICY_ONE, POLICY_ONE };

	assert_false(policy_eval(&pol, in, f, 3));
	assert_int_equal(f[0], 300);
	in[0].in_table = true;
	in[0].load = 90;
	pol.enabled = false;
	assert_true(policy_eval(&pol, in, f, 3));
	assert_int_equal(f[0], POLICY_ONE);
}

static void test_slow_start_ramp(void **state)
{
	__u64 t0 = 1000 * SEC;
	__u32 prev = 0, r;
	int s;

	pol.slow_start = 10;
	assert_int_equal(policy_ramp(&pol, t0, t0), POLICY_RAMP_START);
	for (s = 0; s <= 12; s++) {
		r = policy_ramp(&pol, t0, t0 + s * SEC);
		assert_true(r >= prev);
		assert_true(r <= POLICY_ONE);
		prev = r;
	}
	assert_int_equal(policy_ramp(&pol, t0, t0 + 5 * SEC),
			 POLICY_RAMP_START + (POLICY_ONE - POLICY_RAMP_START) / 2);
	assert_int_equal(policy_ramp(&pol, t0, t0 + 10 * SEC), POLICY_ONE);
	assert_int_equal(policy_ramp(&pol, 0, t0), POLICY_ONE);
	pol.slow_start = 0;
	assert_int_equal(policy_ramp(&pol, t0, t0), POLICY_ONE);
}

static void test_effective_weight(void **state)
{
	assert_int_equal(policy_weight(100, POLICY_ONE, POLICY_ONE), 100);
	assert_int_equal(policy_weight(100, 500, POLICY_ONE), 50);
	assert_int_equal(policy_weight(100, 500, 500), 25);
	assert_int_equal(policy_weight(1, 100, 50), 1); /* never 0 */
	assert_int_equal(policy_weight(0, POLICY_ONE, POLICY_ONE), 0);
	assert_int_equal(policy_weight(65535, POLICY_ONE, POLICY_ONE), 65535);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_converges_steady_load, setup),
		cmocka_unit_test_setup(test_no_oscillation, setup),
		cmocka_unit_test_setup(test_floor, setup),
		cmocka_unit_test_setup(test_hysteresis_band, setup),
		cmocka_unit_test_setup(test_flow_signal, setup),
		cmocka_unit_test_setup(test_out_of_table_and_disabled, setup),
		cmocka_unit_test_setup(test_slow_start_ramp, setup),
		cmocka_unit_test_setup(test_effective_weight, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
