// SPDX-License-Identifier: GPL-2.0-only
/*
 * The data plane's map accessors: service tables, back ends, the run-time
 * knobs and the per-CPU counters. Every map write the controller makes
 * outside the flow-table walks (dp_flows.c) and the VIP tables
 * (dp_vips.c).
 */
#include "dataplane.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "xdp_lb.skel.h"

int dp_cfg_set(struct dp *dp, const struct lb_cfg *cfg)
{
	__u32 key = 0;

	return bpf_map__update_elem(dp->skel->maps.xlb_cfg, &key, sizeof(key),
				    cfg, sizeof(*cfg), 0);
}

int dp_table_set(struct dp *dp, __u32 svc_id, const __u32 *table)
{
	LIBBPF_OPTS(bpf_map_create_opts, copts);
	__u32 *keys, count, i;
	int inner, ret;

	inner = bpf_map_create(BPF_MAP_TYPE_ARRAY, "svc_table", sizeof(__u32),
			       sizeof(__u32), dp->table_size, &copts);
	if (inner < 0)
		return -errno;
	keys = malloc(sizeof(*keys) * dp->table_size);
	if (!keys) {
		close(inner);
		return -ENOMEM;
	}
	for (i = 0; i < dp->table_size; i++)
		keys[i] = i;
	count = dp->table_size;
	ret = bpf_map_update_batch(inner, keys, table, &count, NULL);
	if (ret) { /* no batch ops for arrays on this kernel */
		for (i = 0, ret = 0; i < dp->table_size && !ret; i++)
			ret = bpf_map_update_elem(inner, &keys[i], &table[i], 0);
	}
	free(keys);
	if (!ret)
		ret = bpf_map_update_elem(
			bpf_map__fd(dp->skel->maps.svc_tables), &svc_id, &inner,
			0);
	if (ret)
		ret = -errno;
	close(inner); /* the outer map holds the reference now */
	return ret;
}

int dp_table_del(struct dp *dp, __u32 svc_id)
{
	int ret = bpf_map_delete_elem(bpf_map__fd(dp->skel->maps.svc_tables),
				      &svc_id);

	return ret && errno != ENOENT ? -errno : 0;
}

/* The whole array in one batch syscall, slots in key order; -errno if it
 * did not read them all. */
static int table_get_batch(int fd, __u32 n, __u32 *table)
{
	__u32 *keys = calloc(n, sizeof(*keys)), count = n, out = 0;
	int ret;

	if (!keys)
		return -ENOMEM;
	ret = bpf_map_lookup_batch(fd, NULL, &out, keys, table, &count, NULL);
	if (ret && errno == ENOENT) /* the end of the array: not an error */
		ret = 0;
	else if (ret)
		ret = -errno;
	if (!ret && count != n)
		ret = -EIO;
	free(keys);
	return ret;
}

int dp_table_get(struct dp *dp, __u32 svc_id, __u32 *table)
{
	__u32 inner_id, i;
	int inner, ret = 0;

	if (bpf_map_lookup_elem(bpf_map__fd(dp->skel->maps.svc_tables),
				&svc_id, &inner_id))
		return -ENOENT;
	inner = bpf_map_get_fd_by_id(inner_id);
	if (inner < 0)
		return -errno;
	if (table_get_batch(inner, dp->table_size, table)) /* else by slot */
		for (i = 0; i < dp->table_size && !ret; i++)
			ret = bpf_map_lookup_elem(inner, &i, &table[i]) ? -errno :
									  0;
	close(inner);
	return ret;
}

int dp_backend_set(struct dp *dp, __u32 id, const struct backend_info *bi)
{
	return bpf_map__update_elem(dp->skel->maps.backends, &id, sizeof(id),
				    bi, sizeof(*bi), 0);
}

int dp_backend_get(struct dp *dp, __u32 id, struct backend_info *bi)
{
	return bpf_map__lookup_elem(dp->skel->maps.backends, &id, sizeof(id),
				    bi, sizeof(*bi), 0);
}

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

int dp_backend_clear(struct dp *dp, __u32 id)
{
	struct backend_info bi = {};
	int ret;

	ret = dp_backend_set(dp, id, &bi);
	if (ret)
		return ret;
	return percpu_zero(dp->skel->maps.stats_backend, id,
			   sizeof(struct lb_counters), dp->nr_cpus);
}

int dp_stats_svc_clear(struct dp *dp, __u32 svc_id)
{
	return percpu_zero(dp->skel->maps.stats_svc, svc_id,
			   sizeof(struct lb_counters), dp->nr_cpus);
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
	for (i = 0; !ret && i < ncpu; i++) {
		out->packets += vals[i].packets;
		out->bytes += vals[i].bytes;
		out->new_flows += vals[i].new_flows;
	}
	free(vals);
	return ret;
}

int dp_stats_svc(struct dp *dp, __u32 svc_id, struct lb_counters *out)
{
	return percpu_sum(dp->skel->maps.stats_svc, svc_id, dp->nr_cpus, out);
}

int dp_stats_backend(struct dp *dp, __u32 id, struct lb_counters *out)
{
	return percpu_sum(dp->skel->maps.stats_backend, id, dp->nr_cpus, out);
}

int dp_stats_reasons(struct dp *dp, struct reason_counters out[XLB_REASON_MAX])
{
	struct reason_counters *vals;
	__u32 r;
	int i, ret = 0;

	vals = calloc(dp->nr_cpus, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	for (r = 0; r < XLB_REASON_MAX && !ret; r++) {
		memset(&out[r], 0, sizeof(out[r]));
		ret = bpf_map__lookup_elem(dp->skel->maps.stats_reason, &r,
					   sizeof(r), vals,
					   sizeof(*vals) * dp->nr_cpus, 0);
		for (i = 0; !ret && i < dp->nr_cpus; i++) {
			out[r].packets += vals[i].packets;
			out[r].bytes += vals[i].bytes;
		}
	}
	free(vals);
	return ret;
}
