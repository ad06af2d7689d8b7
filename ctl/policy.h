/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Load policy: effective weight = configured weight x health x load factor
 * x slow-start ramp. Pure functions over plain numbers, so that the
 * controller's timer and the unit tests run the very same code.
 *
 * The load signal of a back end is its load in percent when every back end
 * in the table reports one (agent-check, or live flows over a configured
 * capacity); otherwise its live flows per unit of configured weight. A
 * back end whose signal is above the mean of the service by more than
 * `margin` percent has its factor cut in proportion (factor x mean /
 * signal, at least `floor`), once: from the factor it had when the
 * overload began, until its signal has answered (cut() in policy.c), so
 * a cut converges instead of compounding; one below mean x (1 + `restore`/100) gets it
 * back, by at most `step` per evaluation and no further than the point
 * where, if its signal follows its share, it would reach the middle of
 * the band; in the band nothing moves (hysteresis).
 * The caller evaluates every `interval_ms` and so rebuilds a table at most
 * that often for load.
 */
#ifndef XLB_POLICY_H
#define XLB_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "config_defaults.h" /* POLICY_DEFAULT_* */

#define POLICY_ONE 1000 /* factors and ramps are in permille */

struct load_policy {
	__u32 margin;	   /* percent above the mean before a cut, default 20 */
	__u32 restore;	   /* percent above the mean below which the factor
			    * grows back, default 5; < margin */
	__u32 floor;	   /* lowest factor, percent, default 10 */
	__u32 step;	   /* largest raise per evaluation, percent, default 10 */
	__u32 min_flows;   /* flow signal: mean live flows per back end below
			    * this is too little to judge, default 10 */
	__u32 interval_ms; /* between evaluations, default 2000 */
	__u32 slow_start;  /* seconds of ramp after add/recovery, 0: none */
	bool enabled;	   /* false: factors stay at POLICY_ONE */
};

#define POLICY_RAMP_START 50 /* permille: a ramp starts at 5% */

void policy_defaults(struct load_policy *p);

struct load_input {
	bool in_table;	/* would get new flows (up, not drained, weight > 0) */
	__u32 weight;	/* configured */
	__u64 flows;	/* live pinned flows */
	bool has_load;	/* load percent known */
	__u32 load;	/* percent */
};

/* What the policy remembers of a back end between evaluations (zeroed at
 * its start): the cut under way, so that a load that has not answered a
 * cut yet is not cut again. */
struct policy_mem {
	__u32 ref;	   /* factor the cut is measured from, 0: no cut */
	double cut_signal; /* the signal when it was */
	double last;	   /* the signal at the last evaluation */
};

/*
 * One evaluation: factor[i] (permille, in/out) and mem[i] for n back
 * ends. Back ends not in the table keep their factor. Returns true when a
 * factor changed.
 */
bool policy_eval(const struct load_policy *p, const struct load_input *in,
		 __u32 *factor, struct policy_mem *mem, size_t n);

/* The slow-start ramp (permille) of a back end that came up at since_ns:
 * POLICY_RAMP_START at since, growing linearly to POLICY_ONE after
 * slow_start seconds. since_ns 0 or slow_start 0: POLICY_ONE. */
__u32 policy_ramp(const struct load_policy *p, __u64 since_ns, __u64 now_ns);

/* weight x factor x ramp, rounded; at least 1 when weight > 0. */
__u32 policy_weight(__u32 weight, __u32 factor, __u32 ramp);

#endif
