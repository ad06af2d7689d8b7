// SPDX-License-Identifier: GPL-2.0-only
/*
 * The data plane's counters: the per-CPU entries the data path writes and
 * the carries the controller keeps (how the figures are derived:
 * counters.h).
 */
#include "dataplane.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "counters.h"
#include "xdp_lb.skel.h"

static int percpu_zero(struct bpf_map *map, __u32 id, size_t vsize, int ncpu)
{
	void *zero = calloc(ncpu, vsize);
	int ret;

	if (!zero)
		return -ENOMEM;
	ret = bpf_map__update_elem(map, &id, sizeof(id), zero, vsize * ncpu, 0);
	free(zero);
	return ret;
}

static int percpu_sum(struct bpf_map *map, __u32 id, int ncpu,
		      struct lb_counters *out)
{
	struct lb_counters *vals;
	int i, ret;

	memset(out, 0, sizeof(*out));
	vals = calloc(ncpu, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	ret = bpf_map__lookup_elem(map, &id, sizeof(id), vals,
				   sizeof(*vals) * ncpu, 0);
	for (i = 0; !ret && i < ncpu; i++)
		xlb_counters_add(out, &vals[i]);
	free(vals);
	return ret;
}

static int reason_get(struct dp *dp, __u32 r, struct reason_counters *vals,
		      struct reason_counters *out)
{
	int i, ret;

	memset(out, 0, sizeof(*out));
	ret = bpf_map__lookup_elem(dp->skel->maps.stats_reason, &r, sizeof(r),
				   vals, sizeof(*vals) * dp->nr_cpus, 0);
	for (i = 0; !ret && i < dp->nr_cpus; i++) {
		out->packets += vals[i].packets;
		out->bytes += vals[i].bytes;
	}
	return ret;
}

int dp_stats_svc_clear(struct dp *dp, __u32 svc_id)
{
	struct lb_counters zero = {};
	int ret;

	ret = percpu_zero(dp->skel->maps.stats_svc_drop, svc_id,
			  sizeof(struct lb_counters), dp->nr_cpus);
	if (!ret)
		ret = bpf_map__update_elem(dp->skel->maps.stats_svc_carry,
					   &svc_id, sizeof(svc_id), &zero,
					   sizeof(zero), 0);
	return ret;
}

int dp_stats_svc_drop(struct dp *dp, __u32 svc_id, struct lb_counters *out)
{
	return percpu_sum(dp->skel->maps.stats_svc_drop, svc_id, dp->nr_cpus,
			  out);
}

int dp_stats_svc_carry(struct dp *dp, __u32 svc_id, struct lb_counters *out)
{
	return bpf_map__lookup_elem(dp->skel->maps.stats_svc_carry, &svc_id,
				    sizeof(svc_id), out, sizeof(*out), 0);
}

int dp_stats_backend(struct dp *dp, __u32 id, struct lb_counters *out)
{
	return percpu_sum(dp->skel->maps.stats_backend, id, dp->nr_cpus, out);
}

/* The forwarded carry, stats_reason[XLB_TX_FORWARDED], += c: the data path
 * never writes that slot; the sum goes to the first CPU's value. */
static int fwd_carry_add(struct dp *dp, const struct lb_counters *c)
{
	struct reason_counters *vals, sum;
	__u32 r = XLB_TX_FORWARDED;
	int ret;

	vals = calloc(dp->nr_cpus, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	ret = reason_get(dp, r, vals, &sum);
	if (!ret) {
		xlb_carry(NULL, &sum, c);
		memset(vals, 0, sizeof(*vals) * dp->nr_cpus);
		vals[0] = sum;
		ret = bpf_map__update_elem(dp->skel->maps.stats_reason, &r,
					   sizeof(r), vals,
					   sizeof(*vals) * dp->nr_cpus, 0);
	}
	free(vals);
	return ret;
}

/*
 * Take back end id's entry (read it, zero it) into the carries: its
 * service's (svc_id; >= max_services: none, the service is gone) and the
 * forwarded one. Called once its slot is cleared, so only a packet already
 * past the slot's lookup on another CPU, counted between the read and the
 * zeroing (the two syscalls run back to back), could be lost.
 */
int dp_stats_backend_take(struct dp *dp, __u32 id, __u32 svc_id)
{
	struct lb_counters c, carry;
	int ret;

	ret = dp_stats_backend(dp, id, &c);
	if (!ret)
		ret = percpu_zero(dp->skel->maps.stats_backend, id,
				  sizeof(struct lb_counters), dp->nr_cpus);
	if (ret || !(c.packets | c.bytes | c.new_flows))
		return ret;
	if (svc_id < dp->max_services) {
		ret = dp_stats_svc_carry(dp, svc_id, &carry);
		if (!ret) {
			xlb_counters_add(&carry, &c);
			ret = bpf_map__update_elem(
				dp->skel->maps.stats_svc_carry, &svc_id,
				sizeof(svc_id), &carry, sizeof(carry), 0);
		}
		if (ret)
			return ret;
	}
	return fwd_carry_add(dp, &c);
}

int dp_stats_reasons(struct dp *dp, struct reason_counters out[XLB_REASON_MAX],
		     struct reason_counters *failed)
{
	struct reason_counters *vals;
	__u32 r;
	int ret = 0;

	vals = calloc(dp->nr_cpus, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	for (r = 0; r < XLB_REASON_MAX && !ret; r++)
		ret = reason_get(dp, r, vals, &out[r]);
	if (!ret)
		ret = reason_get(dp, XLB_REASON_FWD_FAILED, vals, failed);
	free(vals);
	return ret;
}
