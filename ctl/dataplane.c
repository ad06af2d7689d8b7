// SPDX-License-Identifier: GPL-2.0-only
/*
 * The data plane: skeleton load, libxdp attach, pinned maps, and every map
 * write the controller makes.
 */
#include "dataplane.h"

#include <errno.h>
#include <ifaddrs.h>
#include <fcntl.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "conntrack.h"
#include "log.h"
#include "maps.h"
#include "xdp_lb.skel.h"

#define BPF_FS_MAGIC 0xcafe4a11
#define BATCH 4096

void dp_pin_dir(const char *ifname, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", XLB_PIN_ROOT, ifname);
}

static int ensure_bpffs(char *err, size_t errlen)
{
	struct statfs st;

	if (!statfs("/sys/fs/bpf", &st) && st.f_type == BPF_FS_MAGIC)
		return 0;
	if (mount("bpf", "/sys/fs/bpf", "bpf", 0, NULL)) {
		snprintf(err, errlen,
			 "cannot mount bpffs on /sys/fs/bpf: %s (mount -t bpf bpf /sys/fs/bpf)",
			 strerror(errno));
		return -errno;
	}
	return 0;
}

static int mkdir_p(const char *dir)
{
	char tmp[256], *p;

	snprintf(tmp, sizeof(tmp), "%s", dir);
	for (p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0700) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(tmp, 0700) && errno != EEXIST)
		return -errno;
	return 0;
}

static int if_mac(const char *ifname, __u8 mac[6])
{
	struct ifreq ifr = {};
	int fd, ret = 0;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr))
		ret = -errno;
	else
		memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	close(fd);
	return ret;
}

/* Name of the program attached to ifindex (any mode), or "" if none. */
int dp_attached_prog(int ifindex, __u32 *id, char *name, size_t len,
		     enum xdp_attach_mode *mode)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	struct bpf_prog_info info = {};
	__u32 info_len = sizeof(info);
	int fd, err;

	name[0] = '\0';
	*id = 0;
	err = bpf_xdp_query(ifindex, 0, &q);
	if (err)
		return err;
	if (q.drv_prog_id) {
		*id = q.drv_prog_id;
		*mode = XDP_MODE_NATIVE;
	} else if (q.skb_prog_id) {
		*id = q.skb_prog_id;
		*mode = XDP_MODE_SKB;
	} else if (q.hw_prog_id) {
		*id = q.hw_prog_id;
		*mode = XDP_MODE_HW;
	} else {
		return 0;
	}
	fd = bpf_prog_get_fd_by_id(*id);
	if (fd < 0)
		return -errno;
	err = bpf_obj_get_info_by_fd(fd, &info, &info_len);
	close(fd);
	if (err)
		return -errno;
	snprintf(name, len, "%s", info.name);
	return 0;
}

const char *dp_mode_str(enum xdp_attach_mode m)
{
	switch (m) {
	case XDP_MODE_NATIVE:
		return "native";
	case XDP_MODE_SKB:
		return "skb";
	case XDP_MODE_HW:
		return "hw";
	default:
		return "unspecified";
	}
}

/* Compare a pinned map's size with the requested one before libbpf tries to
 * reuse it, so the message says what to do. */
static int check_pinned(const char *path, const char *what, __u32 want,
			char *err, size_t errlen)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	int fd;

	fd = bpf_obj_get(path);
	if (fd < 0)
		return 0; /* not pinned yet */
	if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
		close(fd);
		return 0;
	}
	close(fd);
	if (info.max_entries != want) {
		snprintf(err, errlen,
			 "pinned map %s was created with %s=%u, the config asks for %u: detach the interface first to change sizes",
			 path, what, info.max_entries, want);
		return -EEXIST;
	}
	return 0;
}

static int check_pinned_table_size(const char *dir, __u32 want,
				   __u32 max_services, char *err,
				   size_t errlen)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info), key, inner_id;
	char path[256];
	int outer, inner, ret = 0;

	snprintf(path, sizeof(path), "%s/svc_tables", dir);
	outer = bpf_obj_get(path);
	if (outer < 0)
		return 0;
	for (key = 0; key < max_services; key++) {
		if (bpf_map_lookup_elem(outer, &key, &inner_id))
			continue;
		inner = bpf_map_get_fd_by_id(inner_id);
		if (inner < 0)
			continue;
		if (!bpf_obj_get_info_by_fd(inner, &info, &len) &&
		    info.max_entries != want) {
			snprintf(err, errlen,
				 "pinned service tables have table_size=%u, the config asks for %u: detach the interface first to change sizes",
				 info.max_entries, want);
			ret = -EEXIST;
		}
		close(inner);
		break;
	}
	close(outer);
	return ret;
}

/* Every pinned map against the size this load asks for (the prepared
 * skeleton's), before libbpf tries to reuse it. */
static int check_all_pins(struct dp *dp, char *err, size_t errlen)
{
	const struct xlb_map_def *d;
	char path[256];
	size_t i;
	int ret;

	for (i = 0; i < xlb_nr_maps; i++) {
		d = &xlb_maps[i];
		if (!d->pinned)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dp->pin_dir, d->name);
		ret = check_pinned(path, xlb_size_name(d->size),
				   bpf_map__max_entries(xlb_map(dp->skel, d)),
				   err, errlen);
		if (ret && d->size == XLB_SIZE_FIXED) {
			snprintf(err, errlen,
				 "the maps pinned at %s are from an older xdp-lb (%s has another size): detach and attach again",
				 dp->pin_dir, d->name);
		}
		if (ret)
			return ret;
	}
	return check_pinned_table_size(dp->pin_dir, dp->table_size,
				       dp->max_services, err, errlen);
}

/* The probe program on the interface's tc egress (clsact, our handle and
 * priority), replacing an earlier copy of ours. */
static int tc_attach(struct dp *dp)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = dp->ifindex,
		    .attach_point = BPF_TC_EGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = XLB_TC_HANDLE,
		    .priority = XLB_TC_PRIO,
		    .prog_fd = bpf_program__fd(dp->skel->progs.xlb_probe_tx),
		    .flags = BPF_TC_F_REPLACE);
	int ret;

	ret = bpf_tc_hook_create(&hook);
	if (ret && ret != -EEXIST)
		return ret;
	return bpf_tc_attach(&hook, &opts);
}

static void tc_detach(int ifindex)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
		    .attach_point = BPF_TC_EGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = XLB_TC_HANDLE,
		    .priority = XLB_TC_PRIO);

	bpf_tc_detach(&hook, &opts); /* absent is fine */
}

static int write_meta(struct dp *dp)
{
	struct lb_meta m = { .table_size = dp->table_size,
			     .max_flows = dp->max_flows,
			     .max_services = dp->max_services,
			     .max_backends = dp->max_backends,
			     .int_ifindex = dp->int_ifindex };
	__u32 key = 0;

	return bpf_map__update_elem(dp->skel->maps.xlb_meta, &key, sizeof(key),
				    &m, sizeof(m), 0);
}

int dp_read_meta(const char *ifname, struct dp_opts *o, char *err,
		 size_t errlen)
{
	enum xdp_attach_mode mode = XDP_MODE_UNSPEC;
	char dir[128], path[300], name[BPF_OBJ_NAME_LEN];
	struct lb_meta m;
	__u32 key = 0, id;
	int fd, ifindex, ret;

	ifindex = strlen(ifname) < IF_NAMESIZE ? (int)if_nametoindex(ifname) :
						 0;
	if (!ifindex) {
		snprintf(err, errlen, "unknown interface '%s'", ifname);
		return -ENODEV;
	}
	ret = dp_attached_prog(ifindex, &id, name, sizeof(name), &mode);
	if (ret || !id || strcmp(name, "xdp_lb")) {
		snprintf(err, errlen, "xdp-lb is not attached to '%s'", ifname);
		return -ENOENT;
	}
	dp_pin_dir(ifname, dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/xlb_meta", dir);
	fd = bpf_obj_get(path);
	if (fd < 0 || bpf_map_lookup_elem(fd, &key, &m) || !m.table_size) {
		snprintf(err, errlen,
			 "no size record at %s: attached by an older xdp-lb? detach and attach again",
			 path);
		if (fd >= 0)
			close(fd);
		return -ENOENT;
	}
	close(fd);
	o->ifname = ifname;
	o->mode = mode;
	o->table_size = m.table_size;
	o->max_flows = m.max_flows;
	o->max_services = m.max_services;
	o->max_backends = m.max_backends;
	o->int_ifname = NULL;
	if (m.int_ifindex) {
		static char int_name[IF_NAMESIZE];

		if (!if_indextoname(m.int_ifindex, int_name)) {
			snprintf(err, errlen,
				 "the internal interface (ifindex %u) of '%s' is gone: detach and attach again",
				 m.int_ifindex, ifname);
			return -ENODEV;
		}
		o->int_ifname = int_name;
	}
	return 0;
}

/* The first IPv4 and the first global IPv6 address of ifname. */
static void iface_addrs(const char *ifname, struct lb_addr *a4,
			struct lb_addr *a6)
{
	struct ifaddrs *ifa, *i;

	memset(a4, 0, sizeof(*a4));
	memset(a6, 0, sizeof(*a6));
	if (getifaddrs(&ifa))
		return;
	for (i = ifa; i; i = i->ifa_next) {
		if (!i->ifa_addr || strcmp(i->ifa_name, ifname))
			continue;
		if (i->ifa_addr->sa_family == AF_INET && !a4->family) {
			a4->family = AF_INET;
			memcpy(a4->b,
			       &((struct sockaddr_in *)i->ifa_addr)->sin_addr, 4);
		} else if (i->ifa_addr->sa_family == AF_INET6 && !a6->family) {
			struct in6_addr *x =
				&((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr;

			if (IN6_IS_ADDR_LINKLOCAL(x))
				continue;
			a6->family = AF_INET6;
			memcpy(a6->b, x, 16);
		}
	}
	freeifaddrs(ifa);
}

/* Swap the xdp-lb program with id cur_id on ifindex for fd, atomically
 * (XDP_FLAGS_REPLACE): no packet ever sees no program. */
static int replace_prog(int ifindex, int fd, __u32 cur_id,
			enum xdp_attach_mode cur_mode)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, aopts);
	int ret, old_fd = bpf_prog_get_fd_by_id(cur_id);

	aopts.old_prog_fd = old_fd;
	ret = bpf_xdp_attach(ifindex, fd,
			     XDP_FLAGS_REPLACE | (cur_mode == XDP_MODE_SKB ?
							  XDP_FLAGS_SKB_MODE :
							  XDP_FLAGS_DRV_MODE),
			     &aopts);
	if (old_fd >= 0)
		close(old_fd);
	return ret;
}

/* The XDP program on ifindex: none (*id 0) or an xdp-lb one (its id and
 * mode); anything else is refused with one line ("what" names the
 * interface's role, e.g. "internal interface "). */
static int our_prog_or_none(int ifindex, const char *ifname,
			    const char *what, __u32 *id,
			    enum xdp_attach_mode *mode, char *err,
			    size_t errlen)
{
	char name[BPF_OBJ_NAME_LEN];
	int ret;

	ret = dp_attached_prog(ifindex, id, name, sizeof(name), mode);
	if (ret) {
		snprintf(err, errlen, "cannot query XDP on '%s': %s", ifname,
			 strerror(-ret));
		return ret;
	}
	if (*id && strcmp(name, "xdp_lb")) {
		snprintf(err, errlen,
			 "%s'%s' already has an XDP program (id %u, name '%s'): detach it first",
			 what, ifname, *id, name);
		return -EBUSY;
	}
	return 0;
}

/* Attach our loaded program to one more interface (nat's internal one):
 * replace an earlier xdp-lb there, refuse anything else. */
static int attach_int(struct dp *dp, enum xdp_attach_mode mode, char *err,
		      size_t errlen)
{
	DECLARE_LIBXDP_OPTS(xdp_program_opts, xopts);
	enum xdp_attach_mode cur_mode;
	int fd = bpf_program__fd(dp->skel->progs.xdp_lb), ret;
	__u32 id;

	ret = our_prog_or_none(dp->int_ifindex, dp->int_ifname,
			       "internal interface ", &id, &cur_mode, err,
			       errlen);
	if (ret)
		return ret;
	if (id) {
		ret = replace_prog(dp->int_ifindex, fd, id, cur_mode);
	} else {
		xopts.fd = fd;
		dp->xprog_int = xdp_program__create(&xopts);
		ret = libxdp_get_error(dp->xprog_int);
		if (ret)
			dp->xprog_int = NULL;
		else
			ret = xdp_program__attach(dp->xprog_int,
						  dp->int_ifindex, mode, 0);
	}
	if (ret)
		snprintf(err, errlen,
			 "cannot attach to internal interface '%s': %s",
			 dp->int_ifname, strerror(-ret));
	return ret;
}

/* Detach xdp_lb from ifindex if it is ours there. */
static void detach_if_ours(int ifindex)
{
	char name[BPF_OBJ_NAME_LEN];
	enum xdp_attach_mode mode;
	struct xdp_multiprog *mp;
	__u32 id;

	if (dp_attached_prog(ifindex, &id, name, sizeof(name), &mode) || !id ||
	    strcmp(name, "xdp_lb"))
		return;
	mp = xdp_multiprog__get_from_ifindex(ifindex);
	if (!libxdp_get_error(mp)) {
		xdp_multiprog__detach(mp);
		xdp_multiprog__close(mp);
	}
}

int dp_open(struct dp *dp, const struct dp_opts *o, char *err, size_t errlen)
{
	DECLARE_LIBXDP_OPTS(xdp_program_opts, xopts);
	enum xdp_attach_mode cur_mode = XDP_MODE_UNSPEC;
	struct xlb_prep prep = {};
	char path[300];
	__u32 cur_id;
	__u8 mac[6], int_mac[6] = {};
	int ret;

	memset(dp, 0, sizeof(*dp));
	snprintf(dp->ifname, sizeof(dp->ifname), "%s", o->ifname);
	dp->table_size = o->table_size;
	dp->max_flows = o->max_flows;
	dp->max_services = o->max_services;
	dp->max_backends = o->max_backends;
	dp->nr_cpus = libbpf_num_possible_cpus();
	dp_pin_dir(o->ifname, dp->pin_dir, sizeof(dp->pin_dir));

	if (strlen(o->ifname) >= IF_NAMESIZE ||
	    !(dp->ifindex = if_nametoindex(o->ifname))) {
		snprintf(err, errlen, "unknown interface '%s'", o->ifname);
		return -ENODEV;
	}
	ret = if_mac(o->ifname, mac);
	if (ret) {
		snprintf(err, errlen, "cannot read the MAC of '%s': %s",
			 o->ifname, strerror(-ret));
		return ret;
	}
	ret = our_prog_or_none(dp->ifindex, o->ifname, "", &cur_id, &cur_mode,
			       err, errlen);
	if (ret)
		return ret;
	if (cur_id && o->mode != cur_mode) {
		snprintf(err, errlen,
			 "xdp-lb is attached to '%s' in %s mode, not %s: detach it first or use --xdp-mode %s",
			 o->ifname, dp_mode_str(cur_mode), dp_mode_str(o->mode),
			 dp_mode_str(cur_mode));
		return -EBUSY;
	}
	if (o->int_ifname) {
		if (strlen(o->int_ifname) >= IF_NAMESIZE ||
		    !(dp->int_ifindex = if_nametoindex(o->int_ifname))) {
			snprintf(err, errlen, "unknown interface '%s'",
				 o->int_ifname);
			return -ENODEV;
		}
		if (dp->int_ifindex == dp->ifindex) {
			snprintf(err, errlen,
				 "the internal interface must not be the external one ('%s')",
				 o->ifname);
			return -EINVAL;
		}
		snprintf(dp->int_ifname, sizeof(dp->int_ifname), "%s",
			 o->int_ifname);
		ret = if_mac(o->int_ifname, int_mac);
		if (ret) {
			snprintf(err, errlen, "cannot read the MAC of '%s': %s",
				 o->int_ifname, strerror(-ret));
			return ret;
		}
		iface_addrs(o->int_ifname, &dp->int_addr4, &dp->int_addr6);
	}
	ret = ensure_bpffs(err, errlen);
	if (ret)
		return ret;
	snprintf(path, sizeof(path), "%s/flows_v4", dp->pin_dir);
	dp->adopted = access(path, F_OK) == 0;
	if (dp->adopted) { /* same internal interface as before, or none */
		struct lb_meta m = {};
		__u32 key = 0;
		int fd;

		snprintf(path, sizeof(path), "%s/xlb_meta", dp->pin_dir);
		fd = bpf_obj_get(path);
		if (fd >= 0 && !bpf_map_lookup_elem(fd, &key, &m) &&
		    m.int_ifindex != (__u32)dp->int_ifindex) {
			char was[IF_NAMESIZE] = "?";

			if_indextoname(m.int_ifindex, was);
			if (m.int_ifindex)
				snprintf(err, errlen,
					 "'%s' was attached with --internal %s: give the same (or detach first)",
					 o->ifname, was);
			else
				snprintf(err, errlen,
					 "'%s' was attached without --internal: detach first to add one",
					 o->ifname);
			close(fd);
			return -EINVAL;
		}
		if (fd >= 0)
			close(fd);
	}
	ret = mkdir_p(dp->pin_dir);
	if (ret) {
		snprintf(err, errlen, "cannot create %s: %s", dp->pin_dir,
			 strerror(-ret));
		return ret;
	}

	dp->inner_tmpl_fd = -1;
	dp->skel = xdp_lb__open();
	if (!dp->skel) {
		ret = -errno;
		snprintf(err, errlen, "cannot open the BPF object: %s",
			 strerror(-ret));
		goto err_rmdir;
	}
	prep.sz = (struct xlb_sizes){ .table_size = dp->table_size,
				      .max_flows = dp->max_flows,
				      .max_services = dp->max_services,
				      .max_backends = dp->max_backends };
	memcpy(prep.if_mac, mac, 6);
	prep.nat_ifindex = dp->int_ifindex;
	memcpy(prep.int_mac, int_mac, 6);
	prep.pin_dir = dp->pin_dir;
	ret = xlb_skel_prepare(dp->skel, &prep);
	if (ret < 0) {
		snprintf(err, errlen, "cannot size the maps: %s",
			 strerror(-ret));
		goto err_destroy;
	}
	dp->inner_tmpl_fd = ret;
	ret = check_all_pins(dp, err, errlen);
	if (ret)
		goto err_destroy;
	ret = xdp_lb__load(dp->skel);
	close(dp->inner_tmpl_fd);
	dp->inner_tmpl_fd = -1;
	if (ret) {
		snprintf(err, errlen,
			 "cannot load the XDP program: %s (run with -v for the verifier log)",
			 strerror(-ret));
		goto err_destroy;
	}

	ret = write_meta(dp);
	if (ret) {
		snprintf(err, errlen, "cannot write the size record: %s",
			 strerror(-ret));
		goto err_destroy;
	}
	if (dp->int_ifindex) {
		__u32 k = XLB_PORT_EXT, v = dp->ifindex;

		ret = bpf_map__update_elem(dp->skel->maps.tx_ports, &k,
					   sizeof(k), &v, sizeof(v), 0);
		k = XLB_PORT_INT;
		v = dp->int_ifindex;
		if (!ret)
			ret = bpf_map__update_elem(dp->skel->maps.tx_ports, &k,
						   sizeof(k), &v, sizeof(v), 0);
		if (ret) {
			snprintf(err, errlen, "cannot set up the nat ports: %s",
				 strerror(-ret));
			goto err_destroy;
		}
		ret = attach_int(dp, o->mode, err, errlen);
		if (ret)
			goto err_destroy;
	}
	if (cur_id) {
		/* Replace our own program atomically: the maps are the pinned
		 * ones, so no flow is lost and no packet sees no program. */
		ret = replace_prog(dp->ifindex,
				   bpf_program__fd(dp->skel->progs.xdp_lb),
				   cur_id, cur_mode);
		if (ret) {
			snprintf(err, errlen,
				 "cannot replace the XDP program on '%s': %s",
				 o->ifname, strerror(-ret));
			goto err_destroy;
		}
		dp->replaced = true;
		ret = tc_attach(dp);
		if (ret)
			pr_warn("cannot attach the probe program to tc egress of '%s': %s (tunnel-mode probes will fail)\n",
				o->ifname, strerror(-ret));
		return 0;
	}

	xopts.fd = bpf_program__fd(dp->skel->progs.xdp_lb);
	dp->xprog = xdp_program__create(&xopts);
	ret = libxdp_get_error(dp->xprog);
	if (ret) {
		dp->xprog = NULL;
		snprintf(err, errlen, "cannot create the libxdp program: %s",
			 strerror(-ret));
		goto err_unpin;
	}
	ret = xdp_program__attach(dp->xprog, dp->ifindex, o->mode, 0);
	if (ret) {
		snprintf(err, errlen, "cannot attach to '%s' in %s mode: %s%s",
			 o->ifname, dp_mode_str(o->mode), strerror(-ret),
			 o->mode == XDP_MODE_NATIVE ? " (try --xdp-mode skb)" :
						      "");
		goto err_unpin;
	}
	ret = tc_attach(dp);
	if (ret)
		pr_warn("cannot attach the probe program to tc egress of '%s': %s (tunnel-mode probes will fail)\n",
			o->ifname, strerror(-ret));
	return 0;

err_unpin:
	if (dp->xprog_int) /* attached here just now */
		detach_if_ours(dp->int_ifindex);
	if (!dp->adopted)
		bpf_object__unpin_maps(dp->skel->obj, NULL);
err_destroy:
	if (dp->inner_tmpl_fd >= 0)
		close(dp->inner_tmpl_fd);
	if (dp->xprog)
		xdp_program__close(dp->xprog);
	xdp_lb__destroy(dp->skel);
	dp->skel = NULL;
err_rmdir:
	if (!dp->adopted)
		rmdir(dp->pin_dir);
	return ret;
}

void dp_close(struct dp *dp)
{
	if (dp->xprog)
		xdp_program__close(dp->xprog);
	dp->xprog = NULL;
	if (dp->xprog_int)
		xdp_program__close(dp->xprog_int);
	dp->xprog_int = NULL;
	if (dp->skel)
		xdp_lb__destroy(dp->skel);
	dp->skel = NULL;
}

int dp_detach(const char *ifname, char *err, size_t errlen)
{
	enum xdp_attach_mode mode;
	struct xdp_multiprog *mp;
	char dir[128], path[300], name[BPF_OBJ_NAME_LEN];
	bool pinned;
	int ifindex, ret;
	size_t i;
	__u32 id;

	dp_pin_dir(ifname, dir, sizeof(dir));
	pinned = access(dir, F_OK) == 0;
	ifindex = strlen(ifname) < IF_NAMESIZE ? (int)if_nametoindex(ifname) :
						 0;
	if (!ifindex && !pinned) {
		snprintf(err, errlen, "unknown interface '%s'", ifname);
		return -ENODEV;
	}
	if (ifindex) {
		ret = dp_attached_prog(ifindex, &id, name, sizeof(name), &mode);
		if (ret) {
			snprintf(err, errlen, "cannot query XDP on '%s': %s",
				 ifname, strerror(-ret));
			return ret;
		}
		if (id && strcmp(name, "xdp_lb")) {
			snprintf(err, errlen,
				 "the XDP program on '%s' is '%s', not xdp-lb: not detaching it",
				 ifname, name);
			return -EBUSY;
		}
		if (!id && !pinned) {
			snprintf(err, errlen, "xdp-lb is not attached to '%s'",
				 ifname);
			return -ENOENT;
		}
		tc_detach(ifindex);
		if (id) {
			mp = xdp_multiprog__get_from_ifindex(ifindex);
			ret = libxdp_get_error(mp);
			if (!ret) {
				ret = xdp_multiprog__detach(mp);
				xdp_multiprog__close(mp);
			}
			if (ret) {
				snprintf(err, errlen,
					 "cannot detach from '%s': %s", ifname,
					 strerror(-ret));
				return ret;
			}
		}
	}
	{ /* nat: the program on the internal interface goes too */
		struct lb_meta m;
		__u32 key = 0;
		int fd;

		snprintf(path, sizeof(path), "%s/xlb_meta", dir);
		fd = bpf_obj_get(path);
		if (fd >= 0 && !bpf_map_lookup_elem(fd, &key, &m) &&
		    m.int_ifindex) {
			tc_detach(m.int_ifindex);
			detach_if_ours(m.int_ifindex);
		}
		if (fd >= 0)
			close(fd);
	}
	for (i = 0; i < xlb_nr_maps; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, xlb_maps[i].name);
		unlink(path);
	}
	for (i = 0; i < xlb_nr_old_pins; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, xlb_old_pins[i]);
		unlink(path);
	}
	if (pinned && rmdir(dir) && errno != ENOENT) {
		snprintf(err, errlen, "detached, but cannot remove %s: %s", dir,
			 strerror(errno));
		return -errno;
	}
	return 0;
}

static void vip_keys(const struct lb_addr *vip, __u16 port, __u8 proto,
		     struct vip_key_v4 *k4, struct vip_key_v6 *k6)
{
	memset(k4, 0, sizeof(*k4));
	memset(k6, 0, sizeof(*k6));
	k4->addr = vip->w[0];
	k4->port = htons(port);
	k4->proto = proto;
	memcpy(k6->addr, vip->b, 16);
	k6->port = htons(port);
	k6->proto = proto;
}

int dp_vip_set(struct dp *dp, const struct lb_addr *vip, __u16 port,
	       __u8 proto, __u32 svc_id, __u32 flags)
{
	struct vip_meta meta = { .svc_id = svc_id, .flags = flags };
	struct vip_key_v4 k4;
	struct vip_key_v6 k6;
	int ret;

	vip_keys(vip, port, proto, &k4, &k6);
	if (vip->family == AF_INET)
		ret = bpf_map__update_elem(dp->skel->maps.vips_v4, &k4,
					   sizeof(k4), &meta, sizeof(meta), 0);
	else
		ret = bpf_map__update_elem(dp->skel->maps.vips_v6, &k6,
					   sizeof(k6), &meta, sizeof(meta), 0);
	return ret;
}

int dp_cfg_set(struct dp *dp, const struct lb_cfg *cfg)
{
	__u32 key = 0;

	return bpf_map__update_elem(dp->skel->maps.xlb_cfg, &key, sizeof(key),
				    cfg, sizeof(*cfg), 0);
}

int dp_vip_del(struct dp *dp, const struct lb_addr *vip, __u16 port,
	       __u8 proto)
{
	struct vip_key_v4 k4;
	struct vip_key_v6 k6;
	int ret;

	vip_keys(vip, port, proto, &k4, &k6);
	if (vip->family == AF_INET)
		ret = bpf_map__delete_elem(dp->skel->maps.vips_v4, &k4,
					   sizeof(k4), 0);
	else
		ret = bpf_map__delete_elem(dp->skel->maps.vips_v6, &k6,
					   sizeof(k6), 0);
	return ret == -ENOENT ? 0 : ret;
}

int dp_vip_foreach(struct dp *dp,
		   void (*fn)(void *arg, const struct lb_addr *vip, __u16 port,
			      __u8 proto, __u32 svc_id),
		   void *arg)
{
	struct vip_key_v4 k4, *p4 = NULL;
	struct vip_key_v6 k6, *p6 = NULL;
	struct vip_meta meta;
	struct lb_addr a;
	int fd;

	fd = bpf_map__fd(dp->skel->maps.vips_v4);
	while (!bpf_map_get_next_key(fd, p4, &k4)) {
		p4 = &k4;
		if (bpf_map_lookup_elem(fd, &k4, &meta))
			continue;
		memset(&a, 0, sizeof(a));
		a.family = AF_INET;
		a.w[0] = k4.addr;
		fn(arg, &a, ntohs(k4.port), k4.proto, meta.svc_id);
	}
	fd = bpf_map__fd(dp->skel->maps.vips_v6);
	while (!bpf_map_get_next_key(fd, p6, &k6)) {
		p6 = &k6;
		if (bpf_map_lookup_elem(fd, &k6, &meta))
			continue;
		memset(&a, 0, sizeof(a));
		a.family = AF_INET6;
		memcpy(a.b, k6.addr, 16);
		fn(arg, &a, ntohs(k6.port), k6.proto, meta.svc_id);
	}
	return 0;
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
	for (i = 0; i < dp->table_size && !ret; i++)
		ret = bpf_map_lookup_elem(inner, &i, &table[i]) ? -errno : 0;
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

/*
 * Walk one flow table in batches; for every entry call fn. Returns 0 or a
 * negative errno.
 */
typedef void (*flow_fn)(void *arg, const void *key,
			const struct flow_value *val);

static int flows_walk(int fd, size_t key_size, flow_fn fn, void *arg)
{
	struct flow_value *vals;
	__u64 in_batch = 0, out_batch = 0;
	bool first = true;
	__u32 count, i;
	char *keys;
	int ret = 0;

	keys = malloc(key_size * BATCH);
	vals = malloc(sizeof(*vals) * BATCH);
	if (!keys || !vals) {
		ret = -ENOMEM;
		goto out;
	}
	for (;;) {
		count = BATCH;
		ret = bpf_map_lookup_batch(fd, first ? NULL : &in_batch,
					   &out_batch, keys, vals, &count,
					   NULL);
		if (ret && errno != ENOENT) {
			ret = -errno;
			break;
		}
		for (i = 0; i < count; i++)
			fn(arg, keys + i * key_size, &vals[i]);
		if (ret) { /* ENOENT: that was the last batch */
			ret = 0;
			break;
		}
		in_batch = out_batch;
		first = false;
	}
out:
	free(keys);
	free(vals);
	return ret;
}

struct sweep_arg {
	const struct flow_timeouts *to;
	__u64 now;
	__u64 seen;
	__u64 *live;
	__u32 max;
	size_t key_size, n, cap;
	char *expired; /* keys to delete */
};

static void sweep_one(void *arg, const void *key, const struct flow_value *v)
{
	struct sweep_arg *sa = arg;
	char *nk;

	sa->seen++;
	if (sa->to && conntrack_expired(sa->to, v, sa->now)) {
		if (sa->n == sa->cap) {
			sa->cap = sa->cap ? sa->cap * 2 : 1024;
			nk = realloc(sa->expired, sa->cap * sa->key_size);
			if (!nk)
				return; /* next sweep tries again */
			sa->expired = nk;
		}
		memcpy(sa->expired + sa->n++ * sa->key_size, key, sa->key_size);
		return;
	}
	if (v->backend_id < sa->max && conntrack_live(v->state))
		sa->live[v->backend_id]++;
}

/*
 * The reply mapping of nat flow (fkey, v), deleted if it is still that
 * flow's: the key is the back end's address and port (bi, or its current
 * slot if bi is NULL) with the flow's source port. Without this, a mapping
 * would wait for the orphan scan (dp_nat_scan_step), holding its port.
 */
static void nat_release(struct dp *dp, const void *fkey, size_t key_size,
			const struct flow_value *v,
			const struct backend_info *bi)
{
	int fd = bpf_map__fd(dp->skel->maps.nat_rev);
	struct backend_info cur;
	const void *src, *dst;
	__be16 sport, dport;
	struct nat_value nv;
	struct nat_key k = {};
	size_t alen;
	bool mine;

	if (!v->nat_port || !dp->int_ifindex)
		return;
	if (!bi) {
		if (dp_backend_get(dp, v->backend_id, &cur))
			return;
		bi = &cur;
	}
	if (key_size == sizeof(struct flow_key_v4)) {
		const struct flow_key_v4 *f = fkey;

		src = &f->src;
		dst = &f->dst;
		sport = f->sport;
		dport = f->dport;
		k.proto = f->proto;
		k.family = AF_INET;
		alen = 4;
	} else {
		const struct flow_key_v6 *f = fkey;

		src = f->src;
		dst = f->dst;
		sport = f->sport;
		dport = f->dport;
		k.proto = f->proto;
		k.family = AF_INET6;
		alen = 16;
	}
	memcpy(k.baddr, bi->addr, sizeof(k.baddr));
	k.bport = bi->port ? bi->port : dport;
	k.lport = v->nat_port;
	if (bpf_map_lookup_elem(fd, &k, &nv))
		return;
	mine = !memcmp(nv.caddr, src, alen) && nv.cport == sport &&
	       !memcmp(nv.vaddr, dst, alen) && nv.vport == dport;
	if (mine && !bpf_map_delete_elem(fd, &k))
		dp->nat_released++;
}

/*
 * Delete the flows a walk found expired. Between the walk and the delete
 * the data path may have used a flow again (a client reusing its port
 * sends a SYN into a closed flow's entry): the entry is taken out
 * atomically with its current value, and put back if that value is no
 * longer expired. Deleting it would re-pick the connection's next packet
 * (in nat mode: a new source port, which the back end answers with RST).
 */
long dp_flows_delete_expired(struct dp *dp, int fd, const void *keys,
			     size_t n, size_t key_size,
			     const struct flow_timeouts *to, __u64 now,
			     __u64 *revived, __u64 *lost)
{
	struct flow_value v;
	long deleted = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		const char *key = (const char *)keys + i * key_size;

		if (bpf_map_lookup_and_delete_elem(fd, key, &v))
			continue; /* gone already */
		if (conntrack_expired(to, &v, now)) {
			deleted++;
			if (dp)
				nat_release(dp, key, key_size, &v, NULL);
			continue;
		}
		/* BPF_NOEXIST: a packet in between made a new entry; keep it */
		if (!bpf_map_update_elem(fd, key, &v, BPF_NOEXIST))
			(*revived)++;
		else
			(*lost)++;
	}
	return deleted;
}

static long delete_expired(struct dp *dp, int fd, const char *keys, size_t n,
			   size_t key_size, const struct flow_timeouts *to,
			   __u64 now)
{
	return dp_flows_delete_expired(dp, fd, keys, n, key_size, to, now,
				       &dp->sweep_revived, &dp->sweep_lost);
}

static long sweep_map(struct dp *dp, int fd, size_t key_size,
		      struct sweep_arg *sa)
{
	long deleted;
	int ret;

	sa->key_size = key_size;
	sa->n = 0;
	ret = flows_walk(fd, key_size, sweep_one, sa);
	deleted = delete_expired(dp, fd, sa->expired, sa->n, key_size, sa->to,
				 sa->now);
	return ret ? ret : deleted;
}

long dp_flows_sweep(struct dp *dp, const struct flow_timeouts *to, __u64 now,
		    __u64 *live)
{
	struct sweep_arg sa = { .to = to, .now = now, .live = live,
				.max = dp->max_backends };
	long a, b = 0;

	memset(live, 0, sizeof(*live) * dp->max_backends);
	a = sweep_map(dp, bpf_map__fd(dp->skel->maps.flows_v4),
		      sizeof(struct flow_key_v4), &sa);
	if (a >= 0) {
		free(sa.expired);
		sa.expired = NULL;
		sa.cap = 0;
		b = sweep_map(dp, bpf_map__fd(dp->skel->maps.flows_v6),
			      sizeof(struct flow_key_v6), &sa);
	}
	free(sa.expired);
	dp->sweep_seen = sa.seen;
	if (a < 0)
		return a;
	return b < 0 ? b : a + b;
}

void dp_sweep_begin(struct dp_sweep *c)
{
	memset(c, 0, sizeof(*c));
	c->first = true;
}

long dp_flows_sweep_step(struct dp *dp, struct dp_sweep *c,
			 const struct flow_timeouts *to, __u64 now,
			 __u64 *live, int max_batches)
{
	struct sweep_arg sa = { .to = to, .now = now, .live = live,
				.max = dp->max_backends };
	size_t key_size = c->map ? sizeof(struct flow_key_v6) :
				   sizeof(struct flow_key_v4);
	int fd = bpf_map__fd(c->map ? dp->skel->maps.flows_v6 :
				      dp->skel->maps.flows_v4);
	struct flow_value *vals;
	__u32 count, i;
	long deleted = 0;
	char *keys;
	int ret = 0, b;

	if (c->done)
		return 0;
	sa.key_size = key_size;
	keys = malloc(key_size * BATCH);
	vals = malloc(sizeof(*vals) * BATCH);
	if (!keys || !vals) {
		ret = -ENOMEM;
		goto out;
	}
	for (b = 0; b < max_batches; b++) {
		count = BATCH;
		ret = bpf_map_lookup_batch(fd, c->first ? NULL : &c->token,
					   &c->token, keys, vals, &count, NULL);
		if (ret && errno != ENOENT) {
			ret = -errno;
			break;
		}
		for (i = 0; i < count; i++)
			sweep_one(&sa, keys + i * key_size, &vals[i]);
		c->first = false;
		if (ret) { /* ENOENT: this map is done */
			ret = 0;
			c->first = true;
			c->token = 0;
			if (++c->map == 2)
				c->done = true;
			break;
		}
	}
	deleted = delete_expired(dp, fd, sa.expired, sa.n, key_size, to, now);
	c->seen += sa.seen;
out:
	free(sa.expired);
	free(keys);
	free(vals);
	if (ret) {
		c->done = true; /* give up this round; the next one restarts */
		return ret;
	}
	return deleted;
}

struct purge_arg {
	__u32 id;
	size_t key_size, n, cap;
	char *keys;
};

static void purge_collect(void *arg, const void *key,
			  const struct flow_value *v)
{
	struct purge_arg *pa = arg;
	char *nk;

	if (v->backend_id != pa->id)
		return;
	if (pa->n == pa->cap) {
		pa->cap = pa->cap ? pa->cap * 2 : 256;
		nk = realloc(pa->keys, pa->cap * pa->key_size);
		if (!nk)
			return;
		pa->keys = nk;
	}
	memcpy(pa->keys + pa->n * pa->key_size, key, pa->key_size);
	pa->n++;
}

static long purge_map(struct dp *dp, int fd, size_t key_size, __u32 id,
		      const struct backend_info *bi)
{
	struct purge_arg pa = { .id = id, .key_size = key_size };
	struct flow_value v;
	long deleted = 0;
	size_t i;
	int ret;

	ret = flows_walk(fd, key_size, purge_collect, &pa);
	for (i = 0; i < pa.n; i++) {
		const char *key = pa.keys + i * key_size;

		if (bpf_map_lookup_and_delete_elem(fd, key, &v))
			continue;
		deleted++;
		nat_release(dp, key, key_size, &v, bi);
	}
	free(pa.keys);
	return ret ? ret : deleted;
}

long dp_flows_purge_backend(struct dp *dp, __u32 id,
			    const struct backend_info *bi)
{
	long a, b;

	a = purge_map(dp, bpf_map__fd(dp->skel->maps.flows_v4),
		      sizeof(struct flow_key_v4), id, bi);
	if (a < 0)
		return a;
	b = purge_map(dp, bpf_map__fd(dp->skel->maps.flows_v6),
		      sizeof(struct flow_key_v6), id, bi);
	if (b < 0)
		return b;
	return a + b;
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

long dp_nat_count(struct dp *dp)
{
	int fd = bpf_map__fd(dp->skel->maps.nat_rev);
	struct nat_key *keys = malloc(sizeof(*keys) * BATCH);
	struct nat_value *vals = malloc(sizeof(*vals) * BATCH);
	__u64 token = 0;
	bool first = true;
	long n = 0;
	__u32 count;
	int ret;

	if (!keys || !vals) {
		n = -ENOMEM;
		goto out;
	}
	do {
		count = BATCH;
		ret = bpf_map_lookup_batch(fd, first ? NULL : &token, &token,
					   keys, vals, &count, NULL);
		if (ret && errno != ENOENT) {
			n = -errno;
			break;
		}
		n += count;
		first = false;
	} while (!ret);
out:
	free(keys);
	free(vals);
	return n;
}

/* Does the forward flow of mapping (k, v) still exist and own it? */
static bool nat_owned(struct dp *dp, const struct nat_key *k,
		      const struct nat_value *v)
{
	struct flow_value fv;
	int ret;

	if (k->family == AF_INET) {
		struct flow_key_v4 f = { .src = v->caddr[0], .dst = v->vaddr[0],
					 .sport = v->cport, .dport = v->vport,
					 .proto = k->proto };

		ret = bpf_map_lookup_elem(bpf_map__fd(dp->skel->maps.flows_v4),
					  &f, &fv);
	} else {
		struct flow_key_v6 f = { .sport = v->cport, .dport = v->vport,
					 .proto = k->proto };

		memcpy(f.src, v->caddr, 16);
		memcpy(f.dst, v->vaddr, 16);
		ret = bpf_map_lookup_elem(bpf_map__fd(dp->skel->maps.flows_v6),
					  &f, &fv);
	}
	return !ret && fv.nat_port == k->lport;
}

void dp_nat_scan_begin(struct dp_nat_scan *c)
{
	memset(c, 0, sizeof(*c));
	c->first = true;
}

long dp_nat_scan_step(struct dp *dp, struct dp_nat_scan *c, int max_batches)
{
	int fd = bpf_map__fd(dp->skel->maps.nat_rev);
	struct nat_key *keys = malloc(sizeof(*keys) * BATCH);
	struct nat_value *vals = malloc(sizeof(*vals) * BATCH);
	long n = 0;
	__u32 count, i;
	int ret = 0, b;

	if (c->done)
		goto out;
	if (!keys || !vals) {
		ret = -ENOMEM;
		goto out;
	}
	for (b = 0; b < max_batches && !c->done; b++) {
		count = BATCH;
		ret = bpf_map_lookup_batch(fd, c->first ? NULL : &c->token,
					   &c->token, keys, vals, &count, NULL);
		if (ret && errno != ENOENT) {
			ret = -errno;
			break;
		}
		c->first = false;
		if (ret) { /* ENOENT: the last batch */
			ret = 0;
			c->done = true;
		}
		for (i = 0; i < count; i++)
			if (!nat_owned(dp, &keys[i], &vals[i]) &&
			    !bpf_map_delete_elem(fd, &keys[i]))
				n++;
	}
out:
	free(keys);
	free(vals);
	if (ret) {
		c->done = true; /* give up this scan; the next one restarts */
		return ret;
	}
	return n;
}

long dp_nat_sweep(struct dp *dp)
{
	struct dp_nat_scan c;
	long n = 0, r;

	dp_nat_scan_begin(&c);
	while (!c.done) {
		r = dp_nat_scan_step(dp, &c, 64);
		if (r < 0)
			return r;
		n += r;
	}
	return n;
}
