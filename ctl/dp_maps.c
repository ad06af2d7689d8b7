// SPDX-License-Identifier: GPL-2.0-only
/*
 * The data plane's map accessors: service tables, back ends, the run-time
 * knobs. Every map write the controller makes outside the flow-table walks
 * (dp_flows.c), the VIP tables (dp_vips.c) and the counters (dp_stats.c).
 */
#include "dataplane.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
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

int dp_backend_clear(struct dp *dp, __u32 id)
{
	struct backend_info bi = {};
	__u32 svc_id = UINT32_MAX;
	int ret;

	if (!dp_backend_get(dp, id, &bi) && bi.state != XLB_BE_UNUSED)
		svc_id = bi.svc_id;
	memset(&bi, 0, sizeof(bi));
	ret = dp_backend_set(dp, id, &bi);
	if (ret)
		return ret;
	return dp_stats_backend_take(dp, id, svc_id);
}
