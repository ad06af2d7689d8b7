// SPDX-License-Identifier: GPL-2.0-only
/*
 * Interfaces that go away and come back under a running controller
 * (see dataplane.h). The kernel takes an XDP program and any devmap slot
 * with a device when it goes; the pinned maps (named after the external
 * interface, not its ifindex) stay. The policy: say so at once (log and
 * status), keep running, and when an interface of the same name appears,
 * attach the loaded program to it again in the same mode (and for nat's
 * internal interface, write its tx_ports slot and the size record), so the
 * pinned flows carry on.
 */
#include "dataplane.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <json-c/json.h>
#include <linux/if_link.h>

#include "lock.h"
#include "log.h"
#include "xdp_lb.skel.h"

static __u64 wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (__u64)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Our loaded program onto ifindex, where the kernel left none. */
static int attach_prog(struct dp *dp, int ifindex)
{
	__u32 flags = XDP_FLAGS_UPDATE_IF_NOEXIST |
		      (dp->mode == XDP_MODE_SKB ? XDP_FLAGS_SKB_MODE :
						  XDP_FLAGS_DRV_MODE);

	return bpf_xdp_attach(ifindex, bpf_program__fd(dp->skel->progs.xdp_lb),
			      flags, NULL);
}

static int port_set(struct dp *dp, __u32 k, __u32 ifindex)
{
	return bpf_map__update_elem(dp->skel->maps.tx_ports, &k, sizeof(k),
				    &ifindex, sizeof(ifindex), 0);
}

static int relink_ext(struct dp *dp, int ifindex, char *err, size_t errlen)
{
	int ret = attach_prog(dp, ifindex);

	if (ret) {
		snprintf(err, errlen, "cannot attach to it in %s mode: %s",
			 dp_mode_str(dp->mode), strerror(-ret));
		return ret;
	}
	dp->ifindex = ifindex;
	if (dp->xprog) /* libxdp's handle of the device that went */
		xdp_program__close(dp->xprog);
	dp->xprog = NULL;
	ret = dp_tc_attach(dp);
	if (ret)
		pr_warn("cannot attach the probe program to tc egress of '%s': %s (tunnel-mode probes will fail)\n",
			dp->ifname, strerror(-ret));
	if (dp->int_ifindex) {
		ret = port_set(dp, XLB_PORT_EXT, ifindex);
		if (ret) {
			snprintf(err, errlen, "cannot write its nat port: %s",
				 strerror(-ret));
			return ret;
		}
	}
	return 0;
}

/*
 * The program knows the internal interface by its ifindex (rodata, fixed
 * at load): a new ifindex needs a new program. As `xdp-lb upgrade` does,
 * in process: the size record names the new interface, then a program
 * loaded against the pinned maps replaces ours on the external interface
 * atomically and is attached to the internal one, whose tx_ports slot it
 * writes. The flows, the tables and the state carry on (same maps).
 */
static int relink_int(struct dp *dp, int ifindex, char *err, size_t errlen)
{
	struct dp_opts o = { .ifname = dp->ifname, .mode = dp->mode,
			     .table_size = dp->table_size,
			     .max_flows = dp->max_flows,
			     .max_services = dp->max_services,
			     .max_backends = dp->max_backends,
			     .int_ifname = dp->int_ifname };
	struct dp nd, keep = *dp;
	char lerr[128];
	int lk, ret, old = dp->int_ifindex;

	dp->int_ifindex = ifindex;
	ret = dp_write_meta(dp);
	dp->int_ifindex = old;
	if (ret) {
		snprintf(err, errlen, "cannot write the size record: %s",
			 strerror(-ret));
		return ret;
	}
	lk = lock_take(dp->ifname, LOCK_DATAPATH, true, lerr, sizeof(lerr));
	if (lk < 0) {
		snprintf(err, errlen, "%.100s", lerr);
		return lk;
	}
	ret = dp_open(&nd, &o, err, errlen);
	lock_drop(dp->ifname, LOCK_DATAPATH, lk);
	if (ret)
		return ret;
	dp_close(dp);
	*dp = nd;
	dp->ext_link = keep.ext_link;
	dp->int_link = keep.int_link;
	dp->sweep_revived = keep.sweep_revived;
	dp->sweep_lost = keep.sweep_lost;
	dp->nat_released = keep.nat_released;
	dp->sweep_seen = keep.sweep_seen;
	dp->adopted = keep.adopted;
	dp->replaced = keep.replaced;
	return 0;
}

/* One interface: gone, back, or as it was. */
static bool check_one(struct dp *dp, struct dp_link *l, const char *name,
		      int cur, bool internal)
{
	const char *role = internal ? "internal interface" : "interface";
	char err[256];
	int idx, ret;

	idx = (int)if_nametoindex(name);
	if (!idx) {
		if (l->gone)
			return false;
		l->gone = true;
		l->lost++;
		l->since_ms = wall_ms();
		snprintf(l->detail, sizeof(l->detail),
			 "gone (was ifindex %d); re-attached when '%s' is back",
			 cur, name);
		pr_warn("%s '%s' is gone: %s; re-attaching when an interface of that name is back\n",
			role, name,
			internal ? "nat replies from back ends are dropped" :
				   "nothing is balanced");
		return true;
	}
	if (!l->gone && idx == cur)
		return false;
	ret = internal ? relink_int(dp, idx, err, sizeof(err)) :
			 relink_ext(dp, idx, err, sizeof(err));
	if (ret) {
		if (!l->gone || !strstr(l->detail, err))
			pr_warn("%s '%s' is back as ifindex %d, but %s\n",
				role, name, idx, err);
		if (!l->gone)
			l->lost++;
		l->gone = true;
		l->since_ms = wall_ms();
		snprintf(l->detail, sizeof(l->detail),
			 "back as ifindex %d, but %.120s", idx, err);
		return true;
	}
	l->gone = false;
	l->back++;
	l->since_ms = wall_ms();
	snprintf(l->detail, sizeof(l->detail),
		 "back as ifindex %d, re-attached in %s mode", idx,
		 dp_mode_str(dp->mode));
	pr_info("%s '%s' is back as ifindex %d: xdp-lb re-attached (%s mode)%s\n",
		role, name, idx, dp_mode_str(dp->mode),
		internal ? ", its nat port restored" : "");
	return true;
}

bool dp_links_check(struct dp *dp)
{
	bool changed;

	changed = check_one(dp, &dp->ext_link, dp->ifname, dp->ifindex, false);
	if (dp->int_ifname[0] && dp->int_ifindex)
		changed |= check_one(dp, &dp->int_link, dp->int_ifname,
				     dp->int_ifindex, true);
	return changed;
}

static struct json_object *link_json(const struct dp_link *l,
				     const char *name, int ifindex)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "name", json_object_new_string(name));
	json_object_object_add(o, "ifindex", json_object_new_int(ifindex));
	json_object_object_add(o, "state",
			       json_object_new_string(l->gone ? "gone" : "up"));
	json_object_object_add(o, "since_ms",
			       json_object_new_int64((int64_t)l->since_ms));
	json_object_object_add(o, "lost", json_object_new_int64(l->lost));
	json_object_object_add(o, "back", json_object_new_int64(l->back));
	json_object_object_add(o, "detail", json_object_new_string(l->detail));
	return o;
}

void dp_links_json(const struct dp *dp, struct json_object *o)
{
	struct json_object *l = json_object_new_object();

	json_object_object_add(l, "external",
			       link_json(&dp->ext_link, dp->ifname,
					 dp->ifindex));
	if (dp->int_ifname[0] && dp->int_ifindex)
		json_object_object_add(l, "internal",
				       link_json(&dp->int_link,
						 dp->int_ifname,
						 dp->int_ifindex));
	json_object_object_add(o, "links", l);
}
