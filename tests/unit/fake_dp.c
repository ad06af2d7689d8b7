// SPDX-License-Identifier: GPL-2.0-only
/* The fake data plane: see fake_dp.h. */
#include "fake_dp.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "conntrack.h"
#include "counters.h"

struct fake_maps fake;

#define FAKE_FNS 32

static struct {
	const char *fn;
	unsigned int calls;
	unsigned int fail_at; /* fails at this call number, 0: never */
	int err;
} fns[FAKE_FNS];

static struct dp *cur;

void fake_dp_init(struct dp *dp, __u32 table_size, __u32 max_flows,
		  __u32 max_services, __u32 max_backends)
{
	memset(&fake, 0, sizeof(fake));
	memset(fns, 0, sizeof(fns));
	memset(dp, 0, sizeof(*dp));
	if (table_size > FAKE_MAX_TABLE || max_services > FAKE_MAX_SVC ||
	    max_backends > FAKE_MAX_BE)
		fprintf(stderr, "fake_dp: sizes beyond FAKE_MAX_*\n");
	snprintf(dp->ifname, sizeof(dp->ifname), "fake0");
	snprintf(dp->pin_dir, sizeof(dp->pin_dir), "/nonexistent/fake0");
	dp->ifindex = 1;
	dp->nr_cpus = 1;
	dp->table_size = table_size;
	dp->max_flows = max_flows;
	dp->max_services = max_services;
	dp->max_backends = max_backends;
	cur = dp;
}

static unsigned int slot(const char *fn)
{
	unsigned int i;

	for (i = 0; i < FAKE_FNS && fns[i].fn; i++)
		if (!strcmp(fns[i].fn, fn))
			return i;
	if (i == FAKE_FNS) {
		fprintf(stderr, "fake_dp: more than %d functions\n", FAKE_FNS);
		return FAKE_FNS - 1;
	}
	fns[i].fn = fn;
	return i;
}

/* Count a call; its error if it is the one set to fail. */
static int enter(const char *fn)
{
	unsigned int i = slot(fn);

	fns[i].calls++;
	if (fns[i].fail_at && fns[i].calls == fns[i].fail_at) {
		fns[i].fail_at = 0;
		return fns[i].err;
	}
	return 0;
}

void fake_fail(const char *fn, unsigned int nth, int err)
{
	unsigned int i = slot(fn);

	fns[i].fail_at = fns[i].calls + nth;
	fns[i].err = err;
}

unsigned int fake_calls(const char *fn)
{
	return fns[slot(fn)].calls;
}

unsigned int fake_slots(__u32 svc_id, __u32 be_id)
{
	unsigned int n = 0;
	__u32 i;

	if (svc_id >= FAKE_MAX_SVC || !fake.has_table[svc_id])
		return 0;
	for (i = 0; i < cur->table_size; i++)
		n += fake.table[svc_id][i] == be_id;
	return n;
}

static struct fake_vip *vip_find(const struct lb_addr *vip, __u16 port,
				 __u8 proto)
{
	size_t i;

	for (i = 0; i < FAKE_MAX_VIPS; i++) {
		struct fake_vip *v = &fake.vips[i];

		if (v->used && lb_addr_eq(&v->vip, vip) && v->port == port &&
		    v->proto == proto)
			return v;
	}
	return NULL;
}

const struct fake_vip *fake_vip_find(const struct lb_addr *vip, __u16 port,
				     __u8 proto)
{
	return vip_find(vip, port, proto);
}

void fake_flows_add(__u32 id, __u64 n, bool idle)
{
	fake.flows[id] += n;
	if (idle)
		fake.idle[id] += n;
}

/* ---- the dp_* functions state calls ---- */

int dp_vip_set(struct dp *dp, const struct lb_addr *vip, __u16 port,
	       __u8 proto, __u32 svc_id, __u32 flags)
{
	struct fake_vip *v = vip_find(vip, port, proto);
	size_t i;
	int ret = enter(__func__);

	if (ret)
		return ret;
	for (i = 0; !v && i < FAKE_MAX_VIPS; i++)
		if (!fake.vips[i].used)
			v = &fake.vips[i];
	if (!v)
		return -E2BIG;
	memset(v, 0, sizeof(*v));
	v->used = true;
	v->vip = *vip;
	v->port = port;
	v->proto = proto;
	v->svc_id = svc_id;
	v->flags = flags;
	return 0;
}

int dp_vip_del(struct dp *dp, const struct lb_addr *vip, __u16 port,
	       __u8 proto)
{
	struct fake_vip *v = vip_find(vip, port, proto);
	int ret = enter(__func__);

	if (ret)
		return ret;
	if (!v)
		return -ENOENT;
	memset(v, 0, sizeof(*v));
	return 0;
}

int dp_vip_foreach(struct dp *dp,
		   void (*fn)(void *arg, const struct lb_addr *vip, __u16 port,
			      __u8 proto, __u32 svc_id),
		   void *arg)
{
	struct fake_maps copy = fake; /* fn may change the map */
	size_t i;
	int ret = enter(__func__);

	if (ret)
		return ret;
	for (i = 0; i < FAKE_MAX_VIPS; i++)
		if (copy.vips[i].used)
			fn(arg, &copy.vips[i].vip, copy.vips[i].port,
			   copy.vips[i].proto, copy.vips[i].svc_id);
	return 0;
}

int dp_cfg_set(struct dp *dp, const struct lb_cfg *cfg)
{
	int ret = enter(__func__);

	if (!ret)
		fake.cfg = *cfg;
	return ret;
}

int dp_table_set(struct dp *dp, __u32 svc_id, const __u32 *table)
{
	int ret = enter(__func__);

	if (ret)
		return ret;
	if (svc_id >= dp->max_services)
		return -E2BIG;
	memcpy(fake.table[svc_id], table, dp->table_size * sizeof(*table));
	fake.has_table[svc_id] = true;
	return 0;
}

int dp_table_del(struct dp *dp, __u32 svc_id)
{
	int ret = enter(__func__);

	if (ret)
		return ret;
	if (svc_id >= dp->max_services)
		return -E2BIG;
	fake.has_table[svc_id] = false;
	memset(fake.table[svc_id], 0, sizeof(fake.table[svc_id]));
	return 0;
}

int dp_table_get(struct dp *dp, __u32 svc_id, __u32 *table)
{
	int ret = enter(__func__);

	if (ret)
		return ret;
	if (svc_id >= dp->max_services || !fake.has_table[svc_id])
		return -ENOENT;
	memcpy(table, fake.table[svc_id], dp->table_size * sizeof(*table));
	return 0;
}

int dp_backend_set(struct dp *dp, __u32 id, const struct backend_info *bi)
{
	int ret = enter(__func__);

	if (ret)
		return ret;
	if (id >= dp->max_backends)
		return -E2BIG;
	fake.be[id] = *bi;
	return 0;
}

int dp_backend_get(struct dp *dp, __u32 id, struct backend_info *bi)
{
	int ret = enter(__func__);

	if (ret)
		return ret;
	if (id >= dp->max_backends)
		return -ENOENT;
	*bi = fake.be[id];
	return 0;
}

int dp_backend_clear(struct dp *dp, __u32 id)
{
	int ret = enter(__func__);
	__u32 svc_id = UINT32_MAX;

	if (ret)
		return ret;
	if (id >= dp->max_backends)
		return -E2BIG;
	if (fake.be[id].state != XLB_BE_UNUSED)
		svc_id = fake.be[id].svc_id;
	memset(&fake.be[id], 0, sizeof(fake.be[id]));
	return dp_stats_backend_take(dp, id, svc_id);
}

long dp_flows_purge_backend(struct dp *dp, __u32 id,
			    const struct backend_info *bi)
{
	long n;
	int ret = enter(__func__);

	if (ret)
		return ret;
	if (id >= dp->max_backends)
		return -E2BIG;
	n = (long)fake.flows[id];
	fake.flows[id] = 0;
	fake.idle[id] = 0;
	return n;
}

long dp_flows_purge_backends(struct dp *dp, const __u32 *ids,
			     const struct backend_info *bis, size_t n)
{
	long sum = 0;
	size_t i;
	int ret = enter(__func__);

	if (ret)
		return ret;
	for (i = 0; i < n; i++) {
		if (ids[i] >= dp->max_backends)
			return -E2BIG;
		sum += (long)fake.flows[ids[i]];
		fake.flows[ids[i]] = 0;
		fake.idle[ids[i]] = 0;
	}
	return sum;
}

/* Both the full sweep and a step: expire idle flows, count the rest. */
static long sweep(struct dp *dp, const struct flow_timeouts *to, __u64 *live)
{
	long n = 0;
	__u32 id;

	dp->sweep_seen = 0;
	for (id = 0; id < dp->max_backends; id++) {
		dp->sweep_seen += fake.flows[id];
		if (to) {
			n += (long)fake.idle[id];
			fake.flows[id] -= fake.idle[id];
			fake.idle[id] = 0;
		}
		live[id] += fake.flows[id];
	}
	return n;
}

long dp_flows_sweep(struct dp *dp, const struct flow_timeouts *to, __u64 now,
		    __u64 *live)
{
	int ret = enter(__func__);

	if (ret)
		return ret;
	memset(live, 0, dp->max_backends * sizeof(*live));
	return sweep(dp, to, live);
}

void dp_sweep_begin(struct dp_sweep *c)
{
	memset(c, 0, sizeof(*c));
	c->first = true;
}

/* The whole walk in one step. */
long dp_flows_sweep_step(struct dp *dp, struct dp_sweep *c,
			 const struct flow_timeouts *to, __u64 now,
			 __u64 *live, int max_batches)
{
	long n;
	int ret = enter(__func__);

	if (ret)
		return ret;
	n = sweep(dp, to, live);
	c->seen = dp->sweep_seen;
	c->first = false;
	c->done = true;
	return n;
}

long dp_nat_count(struct dp *dp)
{
	return enter(__func__);
}

void dp_nat_scan_begin(struct dp_nat_scan *c)
{
	memset(c, 0, sizeof(*c));
	c->first = true;
}

long dp_nat_scan_step(struct dp *dp, struct dp_nat_scan *c, int max_batches)
{
	int ret = enter(__func__);

	c->done = true;
	return ret;
}

int dp_stats_svc_drop(struct dp *dp, __u32 svc_id, struct lb_counters *out)
{
	int ret = enter(__func__);

	if (ret)
		return ret;
	if (svc_id >= dp->max_services)
		return -ENOENT;
	*out = fake.svc_drop[svc_id];
	return 0;
}

int dp_stats_svc_carry(struct dp *dp, __u32 svc_id, struct lb_counters *out)
{
	int ret = enter(__func__);

	if (ret)
		return ret;
	if (svc_id >= dp->max_services)
		return -ENOENT;
	*out = fake.svc_carry[svc_id];
	return 0;
}

int dp_stats_backend_take(struct dp *dp, __u32 id, __u32 svc_id)
{
	int ret = enter(__func__);

	if (ret)
		return ret;
	if (id >= dp->max_backends)
		return -E2BIG;
	xlb_carry(svc_id < dp->max_services ? &fake.svc_carry[svc_id] : NULL,
		  &fake.reasons[XLB_TX_FORWARDED], &fake.be_stats[id]);
	memset(&fake.be_stats[id], 0, sizeof(fake.be_stats[id]));
	return 0;
}

int dp_stats_backend(struct dp *dp, __u32 id, struct lb_counters *out)
{
	int ret = enter(__func__);

	if (ret)
		return ret;
	if (id >= dp->max_backends)
		return -ENOENT;
	*out = fake.be_stats[id];
	return 0;
}

int dp_stats_reasons(struct dp *dp, struct reason_counters out[XLB_REASON_MAX],
		     struct reason_counters *failed)
{
	int ret = enter(__func__);

	if (!ret) {
		memcpy(out, fake.reasons, sizeof(fake.reasons));
		*failed = fake.fwd_failed;
	}
	return ret;
}

int dp_stats_svc_clear(struct dp *dp, __u32 svc_id)
{
	int ret = enter(__func__);

	if (ret)
		return ret;
	if (svc_id >= dp->max_services)
		return -E2BIG;
	memset(&fake.svc_drop[svc_id], 0, sizeof(fake.svc_drop[svc_id]));
	memset(&fake.svc_carry[svc_id], 0, sizeof(fake.svc_carry[svc_id]));
	return 0;
}

bool dp_links_check(struct dp *dp)
{
	return false;
}

void dp_links_json(const struct dp *dp, struct json_object *o)
{
}
