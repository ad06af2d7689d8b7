// SPDX-License-Identifier: GPL-2.0-only
/* Load policy (see policy.h). */
#include "policy.h"

#include <string.h>

void policy_defaults(struct load_policy *p)
{
	memset(p, 0, sizeof(*p));
	p->margin = POLICY_DEFAULT_MARGIN;
	p->restore = POLICY_DEFAULT_RESTORE;
	p->floor = POLICY_DEFAULT_FLOOR;
	p->step = POLICY_DEFAULT_STEP;
	p->min_flows = POLICY_DEFAULT_MIN_FLOWS;
	p->interval_ms = POLICY_DEFAULT_INTERVAL_MS;
}

/* The signal, scaled so that the flow signal keeps precision. */
static double signal_of(const struct load_input *in, bool by_load)
{
	if (by_load)
		return in->load;
	return (double)in->flows * 1000.0 / in->weight;
}

static __u32 clamp_factor(const struct load_policy *p, double f)
{
	double lo = p->floor * (POLICY_ONE / 100.0);

	if (f < lo)
		f = lo;
	if (f > POLICY_ONE)
		f = POLICY_ONE;
	return (__u32)(f + 0.5);
}

/* A signal moved from a when it differs by more than 5%, and held still
 * when it differs from the last evaluation's by at most 2% (of whichever
 * is bigger): noise in flow counts and agent reports is not movement. */
static bool sig_moved(double a, double b)
{
	double m = a > b ? a : b;

	return m > 0 && (a > b ? a - b : b - a) > 0.05 * m;
}

static bool sig_still(double a, double b)
{
	double m = a > b ? a : b;

	return (a > b ? a - b : b - a) <= 0.02 * m;
}

/*
 * Above the band: the cut. In proportion, mean / signal, but from the
 * factor in force when the overload was first seen (mem->ref), not from
 * the last cut's: the load answers a cut only after a while (flows end,
 * an agent averages), and a signal that has not answered yet must not cut
 * again. So the same signal gives the same factor however often it is
 * evaluated, and a signal on its way down never raises it. Only once the
 * signal has answered (moved since the cut, then held still) and is still
 * above the band does the next cut start from the current factor.
 */
static double cut(struct policy_mem *m, double f, double s, double mean)
{
	double target;

	if (!m->ref) {
		m->ref = (__u32)f;
		m->cut_signal = s;
	} else if (sig_moved(s, m->cut_signal) && sig_still(s, m->last)) {
		m->ref = (__u32)f; /* the load answered: measure from here */
		m->cut_signal = s;
	}
	target = m->ref * mean / s;
	return target < f ? target : f;
}

bool policy_eval(const struct load_policy *p, const struct load_input *in,
		 __u32 *factor, struct policy_mem *mem, size_t n)
{
	size_t i, m = 0;
	bool by_load = true, changed = false;
	double sum = 0, flows = 0, mean;

	for (i = 0; i < n; i++) {
		if (!in[i].in_table || !in[i].weight) {
			mem[i].ref = 0;
			continue;
		}
		m++;
		by_load &= in[i].has_load;
		flows += in[i].flows;
	}
	if (!m)
		return false;
	for (i = 0; i < n; i++)
		if (in[i].in_table && in[i].weight)
			sum += signal_of(&in[i], by_load);
	mean = sum / m;
	for (i = 0; i < n; i++) {
		double s, f = factor[i], target;
		__u32 nf;

		if (!in[i].in_table || !in[i].weight)
			continue;
		s = signal_of(&in[i], by_load);
		if (!p->enabled) {
			mem[i].ref = 0;
			target = POLICY_ONE;
		} else if (m < 2 ||
		    (by_load ? mean < 1.0 : flows / m < p->min_flows)) {
			/* nothing to even out: back to full, step by step */
			mem[i].ref = 0;
			target = f + p->step * (POLICY_ONE / 100.0);
		} else if (s * 100.0 > mean * (100.0 + p->margin)) {
			target = cut(&mem[i], f, s, mean);
		} else if (s * 100.0 < mean * (100.0 + p->restore)) {
			/* grow back, no further than the middle of the band
			 * if the signal follows the share */
			double line = mean *
				      (200.0 + p->restore + p->margin) / 200.0;

			mem[i].ref = 0;
			target = s > 0 ? f * line / s : POLICY_ONE;
			if (target > f + p->step * (POLICY_ONE / 100.0))
				target = f + p->step * (POLICY_ONE / 100.0);
			if (target < f)
				target = f;
		} else {
			mem[i].ref = 0; /* within the band: hold */
			mem[i].last = s;
			continue;
		}
		mem[i].last = s;
		nf = clamp_factor(p, target);
		if (nf != factor[i]) {
			factor[i] = nf;
			changed = true;
		}
	}
	return changed;
}

__u32 policy_ramp(const struct load_policy *p, __u64 since_ns, __u64 now_ns)
{
	__u64 span, el;

	if (!since_ns || !p->slow_start || now_ns <= since_ns)
		return since_ns && p->slow_start ? POLICY_RAMP_START :
						   POLICY_ONE;
	span = (__u64)p->slow_start * 1000000000ull;
	el = now_ns - since_ns;
	if (el >= span)
		return POLICY_ONE;
	return POLICY_RAMP_START +
	       (__u32)((POLICY_ONE - POLICY_RAMP_START) * el / span);
}

__u32 policy_weight(__u32 weight, __u32 factor, __u32 ramp)
{
	__u64 w;

	if (!weight)
		return 0;
	w = ((__u64)weight * factor * ramp + POLICY_ONE * POLICY_ONE / 2) /
	    (POLICY_ONE * POLICY_ONE);
	return w ? (__u32)w : 1;
}
