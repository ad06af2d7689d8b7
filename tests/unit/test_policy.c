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
#include <stdio.h>
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

/* The load within the band: at most margin above the mean (one point of
 * rounding), and not far under it. */
static void check_band(double load, double mean, const char *what)
{
	if (load * 100.0 > mean * (100 + pol.margin) + 100 ||
	    load < 0.8 * mean)
		fail_msg("%s: load %.0f%% not in the band around the mean %.1f%%",
			 what, load, mean);
}

/* One back end at half capacity: its factor comes down until its load
 * is within the margin of the mean, then nothing moves (no oscillation). */
static void test_converges_steady_load(void **state)
{
	struct policy_mem mem[N] = {};
	const double cap[N] = { 1, 1, 1, 0.5 };
	const __u32 w[N] = { 100, 100, 100, 100 };
	__u32 f[N] = { POLICY_ONE, POLICY_ONE, POLICY_ONE, POLICY_ONE };
	__u32 hist[60][N];
	struct load_input in[N];
	double mean;
	int r, i, last_change = -1;

	for (r = 0; r < 60; r++) {
		model(cap, w, f, 160, in, N);
		if (policy_eval(&pol, in, f, mem, N))
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
	struct policy_mem mem[N] = {};
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
			policy_eval(&pol, in, f, mem, N);
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

/* A steady overload whose report does not move (an agent that says 100%
 * whatever its share): one cut, to where a load that follows the share
 * would meet the mean (40 / 100), and there it stays. Before, every
 * evaluation cut again (400, 160, 100: the floor). When the load goes
 * away the share comes back, step by step. */
static void test_steady_overload_settles(void **state)
{
	struct policy_mem mem[N] = {};
	struct load_input in[3] = {
		{ .in_table = true, .weight = 100, .has_load = true, .load = 100 },
		{ .in_table = true, .weight = 100, .has_load = true, .load = 10 },
		{ .in_table = true, .weight = 100, .has_load = true, .load = 10 },
	};
	__u32 f[3] = { POLICY_ONE, POLICY_ONE, POLICY_ONE };
	char path[256];
	int r, len = 0;

	assert_true(policy_eval(&pol, in, f, mem, 3));
	assert_int_equal(f[0], 400); /* mean 40 / load 100 */
	len += snprintf(path, sizeof(path), "%u", f[0]);
	for (r = 0; r < 20; r++) {
		policy_eval(&pol, in, f, mem, 3);
		if (r < 5)
			len += snprintf(path + len, sizeof(path) - len, " %u",
					f[0]);
	}
	print_message("# steady 100%% overload, factor per evaluation: %s ...\n",
		      path);
	assert_int_equal(f[0], 400);
	assert_int_equal(f[1], POLICY_ONE);
	assert_int_equal(f[2], POLICY_ONE);
	/* the load goes away: the share comes back, step by step */
	in[0].load = 10;
	policy_eval(&pol, in, f, mem, 3);
	assert_in_range(f[0], 401, 400 + pol.step * 10);
	for (r = 0; r < 10; r++)
		policy_eval(&pol, in, f, mem, 3);
	assert_int_equal(f[0], POLICY_ONE);
}

/* A proportional cut below the floor stops at the floor. */
static void test_floor(void **state)
{
	struct policy_mem mem[N] = {};
	struct load_input in[3] = {
		{ .in_table = true, .weight = 100, .has_load = true, .load = 100 },
		{ .in_table = true, .weight = 100, .has_load = true, .load = 10 },
		{ .in_table = true, .weight = 100, .has_load = true, .load = 10 },
	};
	__u32 f[3] = { POLICY_ONE, POLICY_ONE, POLICY_ONE };

	pol.floor = 50;
	assert_true(policy_eval(&pol, in, f, mem, 3));
	assert_int_equal(f[0], 500); /* 400 wanted */
	assert_false(policy_eval(&pol, in, f, mem, 3));
}

/*
 * The linear model, but each back end reports the load of the factors
 * `lag` evaluations ago (flows end, an agent averages): back end 0 starts
 * at 100% and stays there for `lag` evaluations after a cut while its
 * load follows its share. The factor must settle where its load meets
 * the band, going down only (no cut under it, then back up), never near
 * the floor.
 */
static void lagged(int lag, const double *cap, double offered,
		   const char *what)
{
	const __u32 w[3] = { 100, 100, 100 };
	__u32 hist[60][3], f[3] = { POLICY_ONE, POLICY_ONE, POLICY_ONE };
	struct policy_mem mem[N] = {};
	struct load_input in[3];
	char path[512];
	int r, len = 0, ups = 0, last_change = -1;
	double mean;

	for (r = 0; r < 60; r++) {
		__u32 old = f[0];

		memcpy(hist[r], f, sizeof(f));
		model(cap, w, hist[r >= lag ? r - lag : 0], offered, in, 3);
		if (!r)
			assert_int_equal(in[0].load, 100);
		if (policy_eval(&pol, in, f, mem, 3))
			last_change = r;
		ups += f[0] > old;
		if (r < 14)
			len += snprintf(path + len, sizeof(path) - len,
					" %u(%u%%)", f[0], in[0].load);
	}
	print_message("# %s, lag %d: factor(reported load) per evaluation:%s ...\n",
		      what, lag, path);
	model(cap, w, f, offered, in, 3);
	mean = (in[0].load + in[1].load + in[2].load) / 3.0;
	check_band(in[0].load, mean, what);
	assert_int_equal(ups, 0);
	assert_true(f[0] > 3 * pol.floor * 10);
	assert_true(last_change < 40);
}

static void test_cut_converges_with_lag(void **state)
{
	const double cap[3] = { 0.4, 1, 1 };

	lagged(0, cap, 120, "no lag");
	lagged(1, cap, 120, "one evaluation");
	lagged(2, cap, 120, "two evaluations");
	lagged(4, cap, 120, "four evaluations");
}

/* Inside the band (restore..margin above the mean) nothing moves. */
static void test_hysteresis_band(void **state)
{
	struct policy_mem mem[N] = {};
	struct load_input in[2] = {
		{ .in_table = true, .weight = 100, .has_load = true, .load = 55 },
		{ .in_table = true, .weight = 100, .has_load = true, .load = 45 },
	};
	__u32 f[2] = { 700, POLICY_ONE };

	/* mean 50: 55 is 10% above, inside 5%..20% */
	assert_false(policy_eval(&pol, in, f, mem, 2));
	assert_int_equal(f[0], 700);
	in[0].load = 65; /* 65 vs mean 55: 18% above, still inside */
	assert_false(policy_eval(&pol, in, f, mem, 2));
	in[0].load = 80; /* 80 vs mean 62.5: 28% above: cut */
	assert_true(policy_eval(&pol, in, f, mem, 2));
	assert_true(f[0] < 700);
}

/* Without load reports the signal is live flows per unit of weight: a
 * back end with twice the flows of its weight's share is cut; too few
 * flows to judge changes nothing. */
static void test_flow_signal(void **state)
{
	struct policy_mem mem[N] = {};
	struct load_input in[3] = {
		{ .in_table = true, .weight = 100, .flows = 400 },
		{ .in_table = true, .weight = 100, .flows = 100 },
		{ .in_table = true, .weight = 200, .flows = 200 },
	};
	__u32 f[3] = { POLICY_ONE, POLICY_ONE, POLICY_ONE };

	assert_true(policy_eval(&pol, in, f, mem, 3));
	assert_true(f[0] < POLICY_ONE);
	assert_int_equal(f[1], POLICY_ONE);
	assert_int_equal(f[2], POLICY_ONE);
	/* a back end with a weight twice as big may hold twice the flows */
	in[0].flows = 100, in[1].flows = 100, in[2].flows = 200;
	f[0] = POLICY_ONE;
	assert_false(policy_eval(&pol, in, f, mem, 3));
	/* 3 flows in all: nothing to judge */
	in[0].flows = 3, in[1].flows = 0, in[2].flows = 0;
	assert_false(policy_eval(&pol, in, f, mem, 3));
	/* one back end reporting load is not enough to use loads */
	in[0].has_load = true, in[0].load = 100;
	assert_false(policy_eval(&pol, in, f, mem, 3));
}

/* Back ends out of the table neither count nor change; disabled resets. */
static void test_out_of_table_and_disabled(void **state)
{
	struct policy_mem mem[N] = {};
	struct load_input in[3] = {
		{ .in_table = false, .weight = 100, .has_load = true, .load = 0 },
		{ .in_table = true, .weight = 100, .has_load = true, .load = 90 },
		{ .in_table = true, .weight = 100, .has_load = true, .load = 90 },
	};
	__u32 f[3] = { 300, POLICY_ONE, POLICY_ONE };

	assert_false(policy_eval(&pol, in, f, mem, 3));
	assert_int_equal(f[0], 300);
	in[0].in_table = true;
	in[0].load = 90;
	pol.enabled = false;
	assert_true(policy_eval(&pol, in, f, mem, 3));
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
		cmocka_unit_test_setup(test_steady_overload_settles, setup),
		cmocka_unit_test_setup(test_floor, setup),
		cmocka_unit_test_setup(test_cut_converges_with_lag, setup),
		cmocka_unit_test_setup(test_hysteresis_band, setup),
		cmocka_unit_test_setup(test_flow_signal, setup),
		cmocka_unit_test_setup(test_out_of_table_and_disabled, setup),
		cmocka_unit_test_setup(test_slow_start_ramp, setup),
		cmocka_unit_test_setup(test_effective_weight, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
